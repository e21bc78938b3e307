// SPDX-License-Identifier: MIT
/* The Xen-ABI gate on KVM: registers in and out, paging registers, the upcall vector. */
#include <errno.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/types.h>

#include <splitvisor/start_info.h>
#include <splitvisor/xen_abi.h>

#include "domain_priv.h"
#include "log.h"
#include "xen_hcall.h"

static void xv_console_write(void *ctx, const char *buf, size_t len)
{
	vcpu_console_write(ctx, buf, len);
}

static void xv_shutdown(void *ctx, unsigned int reason, int code)
{
	vcpu_shutdown(ctx, reason, code);
}

static int xv_set_upcall_vector(void *ctx, unsigned int vcpu, uint8_t vector)
{
	struct vcpu *v = ctx;

	return evtchn_kvm_set_upcall_vector(&v->dom->vcpus[vcpu], vector);
}

static int xv_get_paging(void *ctx, struct gva_paging *pg)
{
	struct vcpu *v = ctx;
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	pg->cr0 = s.cr0;
	pg->cr3 = s.cr3;
	pg->cr4 = s.cr4;
	pg->efer = s.efer;
	return 0;
}

/*
 * Grant frame idx, kept in RAM at SV_PVH_GNTTAB_GPA (where backends read it, as they
 * read our own guests' tables), seen by the guest at gpfn too: a one-page memslot
 * over the same host page. gpfn must be in a hole: not RAM, not the APICs' window.
 */
#define XEN_GNT_SLOT0  32u
#define XEN_GPFN_LIMIT (1ull << 40)
#define APIC_WINDOW_LO 0xfec00000ull
#define APIC_WINDOW_HI 0x100000000ull

static int set_slot(struct sv_domain *d, unsigned int idx, uint64_t gpfn, bool on)
{
	struct kvm_userspace_memory_region r = {
		.slot = XEN_GNT_SLOT0 + idx,
		.guest_phys_addr = gpfn << 12,
		.memory_size = on ? 4096 : 0,
		.userspace_addr = (uintptr_t)(d->mem.hva + SV_PVH_GNTTAB_GPA + idx * 4096ull),
	};

	return ioctl(d->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

static int xv_map_grant_frame(void *ctx, uint64_t idx, uint64_t gpfn)
{
	struct vcpu *v = ctx;
	struct sv_domain *d = v->dom;
	uint64_t gpa = gpfn << 12;
	uint32_t max = d->gnttab.max_frames && d->gnttab.max_frames < SV_GNTTAB_MAX_FRAMES
			       ? d->gnttab.max_frames
			       : SV_GNTTAB_MAX_FRAMES;
	int ret;

	if (!d->pvh)
		return -ENOSYS;
	if (idx >= max || !gpfn || gpfn >= XEN_GPFN_LIMIT || guest_ptr(&d->mem, gpa, 4096) ||
	    (gpa >= APIC_WINDOW_LO && gpa < APIC_WINDOW_HI))
		return -EINVAL;
	ret = gnttab_place_fixed(&d->gnttab, &d->mem, SV_PVH_GNTTAB_GPA);
	if (ret)
		return ret;
	pthread_mutex_lock(&d->remap_lock);
	if (d->xen_gnt_gpfn[idx] == gpfn)
		goto out;
	/* A frame mapped elsewhere moves: KVM changes a slot's place only through deletion. */
	if (d->xen_gnt_gpfn[idx]) {
		ret = set_slot(d, (unsigned int)idx, d->xen_gnt_gpfn[idx], false);
		if (ret)
			goto out;
		d->xen_gnt_gpfn[idx] = 0;
	}
	ret = set_slot(d, (unsigned int)idx, gpfn, true);
	/* EEXIST: the page overlaps another slot (another frame, or RAM above a hole). */
	if (ret == -EEXIST)
		ret = -EINVAL;
	if (!ret)
		d->xen_gnt_gpfn[idx] = gpfn;
out:
	pthread_mutex_unlock(&d->remap_lock);
	return ret;
}

static void xv_yield(void *ctx)
{
	(void)ctx;
	sched_yield();
}

static const struct xen_hcall_ops xv_ops = {
	.console_write = xv_console_write,
	.shutdown = xv_shutdown,
	.set_upcall_vector = xv_set_upcall_vector,
	.get_paging = xv_get_paging,
	.map_grant_frame = xv_map_grant_frame,
	.yield = xv_yield,
};

int xen_vcpu_hypercall(struct vcpu *v)
{
	struct sv_domain *d = v->dom;
	uint32_t store_port = __atomic_load_n(&d->xen_store_port, __ATOMIC_RELAXED);
	struct xen_env env = {
		.mem = &d->mem,
		.evtchn = d->evtchn,
		.gnttab = &d->gnttab,
		.domid = (uint16_t)d->domid,
		.nr_vcpus = d->nr_vcpus,
		/* No store port, no xenstore: pfn 0 tells Linux, which then goes on without. */
		.store_pfn =
			!store_port
				? 0
				: (d->store_ring_gpa ? d->store_ring_gpa : SV_STORE_RING_GPA) >> 12,
		.console_pfn =
			(d->console_ring_gpa ? d->console_ring_gpa : SV_CONSOLE_RING_GPA) >> 12,
		.store_port = store_port,
		.console_port = __atomic_load_n(&d->xen_console_port, __ATOMIC_RELAXED),
		.ops = &xv_ops,
		.ctx = v,
	};
	struct kvm_regs regs, *r;
	uint64_t arg[5];
	int ret;

	int64_t res;

	ret = vcpu_hcall_args(v, &regs, &r, arg);
	if (ret)
		return ret;
	res = xen_hcall_dispatch(&env, r->rax & 0xffffffffu, arg);
	/* SPLITVISOR_LOG=debug: what a Linux guest asked, to see where its boot stops. */
	if (log_enabled(LOG_LEVEL_DEBUG))
		log_debug("domain %u vcpu %u: xen hypercall %llu (%#llx, %#llx) = %lld", d->domid,
			  v->id, (unsigned long long)(r->rax & 0xffffffffu),
			  (unsigned long long)arg[0], (unsigned long long)arg[1], (long long)res);
	return vcpu_hcall_return(v, r, res);
}

void sv_domain_set_xen_ports(struct sv_domain *d, uint32_t store_port, uint32_t console_port)
{
	__atomic_store_n(&d->xen_store_port, store_port, __ATOMIC_RELAXED);
	__atomic_store_n(&d->xen_console_port, console_port, __ATOMIC_RELAXED);
}

bool sv_domain_is_pvh(struct sv_domain *d)
{
	return d->pvh;
}
