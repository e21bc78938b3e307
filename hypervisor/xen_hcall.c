// SPDX-License-Identifier: MIT
/*
 * The hypercalls a Linux 6.1 PVH domU makes from boot to its xenbus frontends
 * (shared/LINUX-PVH-FACTS.md, section 3), in Xen's layouts. Every struct is
 * copied in once (other vCPUs may rewrite it meanwhile), checked, acted on, and
 * its results copied out. Our errno values are Xen's for every code used here.
 */
#include <errno.h>
#include <string.h>

#include <splitvisor/event_channel.h>
#include <splitvisor/grant_table.h>
#include <splitvisor/hypercall.h>
#include <splitvisor/xen_abi.h>

#include "evtchn.h"
#include "xen_hcall.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE  4096u

static int paging(struct xen_env *env)
{
	int ret;

	if (env->pg_valid)
		return 0;
	ret = env->ops->get_paging(env->ctx, &env->pg);
	if (!ret)
		env->pg_valid = true;
	return ret;
}

static int from_guest(struct xen_env *env, void *dst, uint64_t va, size_t len)
{
	int ret = paging(env);

	return ret ? ret : copy_from_guest_va(env->mem, &env->pg, dst, va, len);
}

static int to_guest(struct xen_env *env, uint64_t va, const void *src, size_t len)
{
	int ret = paging(env);

	return ret ? ret : copy_to_guest_va(env->mem, &env->pg, va, src, len);
}

static bool is_self(const struct xen_env *env, uint16_t domid)
{
	return domid == XEN_DOMID_SELF || domid == env->domid;
}

/* The host address of RAM page gpfn, or NULL when it is not RAM. */
static void *ram_page(const struct xen_env *env, uint64_t gpfn)
{
	if (gpfn >= env->mem->end >> PAGE_SHIFT)
		return NULL;
	return guest_ptr(env->mem, gpfn << PAGE_SHIFT, PAGE_SIZE);
}

static int64_t xen_version(struct xen_env *env, const uint64_t arg[5])
{
	static const char extra[XEN_EXTRAVERSION_LEN] = "-splitvisor";
	struct xen_feature_info fi;
	int ret;

	switch (arg[0]) {
	case XENVER_version:
		return (XEN_VERSION_MAJOR << 16) | XEN_VERSION_MINOR;
	case XENVER_extraversion:
		return to_guest(env, arg[1], extra, sizeof(extra));
	case XENVER_get_features:
		ret = from_guest(env, &fi, arg[1], sizeof(fi));
		if (ret)
			return ret;
		if (fi.submap_idx != 0)
			return -EINVAL;
		fi.submap = (1u << XENFEAT_auto_translated_physmap) |
			    (1u << XENFEAT_hvm_callback_vector);
		return to_guest(env, arg[1], &fi, sizeof(fi));
	default:
		return -ENOSYS;
	}
}

static int64_t memory_op(struct xen_env *env, const uint64_t arg[5])
{
	struct xen_add_to_physmap xatp;
	void *page;
	int ret;

	if (arg[0] != XENMEM_add_to_physmap)
		return -ENOSYS;
	ret = from_guest(env, &xatp, arg[1], sizeof(xatp));
	if (ret)
		return ret;
	if (!is_self(env, xatp.domid))
		return -EPERM;
	switch (xatp.space) {
	case XENMAPSPACE_shared_info:
		if (!env->evtchn)
			return -ENOSYS;
		page = ram_page(env, xatp.gpfn);
		if (xatp.idx != 0 || !page)
			return -EINVAL;
		/* The guest's page becomes the shared info in place, as Xen's would. */
		return evtchn_set_shared_info(env->evtchn, page);
	case XENMAPSPACE_grant_table:
		if (!env->ops->map_grant_frame)
			return -ENOSYS;
		return env->ops->map_grant_frame(env->ctx, xatp.idx, xatp.gpfn);
	default:
		return -EINVAL;
	}
}

static int64_t vcpu_op(struct xen_env *env, const uint64_t arg[5])
{
	struct xen_vcpu_register_vcpu_info r;
	uint8_t *page;
	int ret;

	if (arg[0] != VCPUOP_register_vcpu_info)
		return -ENOSYS;
	if (arg[1] >= env->nr_vcpus)
		return -ENOENT;
	if (!env->evtchn)
		return -ENOSYS;
	ret = from_guest(env, &r, arg[2], sizeof(r));
	if (ret)
		return ret;
	page = ram_page(env, r.mfn);
	/* Inside one page, and 8-aligned: the core's atomics on it must not split a line. */
	if (!page || r.offset > PAGE_SIZE - sizeof(struct sv_vcpu_info) || r.offset % 8)
		return -EINVAL;
	return evtchn_set_vcpu_info(env->evtchn, (unsigned int)arg[1],
				    (struct sv_vcpu_info *)(page + r.offset));
}

static int64_t hvm_param(struct xen_env *env, uint64_t op, uint64_t va)
{
	struct xen_hvm_param p;
	int ret;

	ret = from_guest(env, &p, va, sizeof(p));
	if (ret)
		return ret;
	if (!is_self(env, p.domid))
		return -EPERM;
	if (op == HVMOP_set_param)
		/* Linux names its callback vector here too; the per-vCPU one is what counts. */
		return p.index == HVM_PARAM_CALLBACK_IRQ ? 0 : -EINVAL;
	switch (p.index) {
	case HVM_PARAM_STORE_PFN:
		p.value = env->store_pfn;
		break;
	case HVM_PARAM_STORE_EVTCHN:
		p.value = env->store_port;
		break;
	case HVM_PARAM_CONSOLE_PFN:
		p.value = env->console_pfn;
		break;
	case HVM_PARAM_CONSOLE_EVTCHN:
		p.value = env->console_port;
		break;
	default:
		return -EINVAL;
	}
	return to_guest(env, va, &p, sizeof(p));
}

static int64_t hvm_op(struct xen_env *env, const uint64_t arg[5])
{
	struct xen_hvm_evtchn_upcall_vector uv;
	int ret;

	switch (arg[0]) {
	case HVMOP_set_param:
	case HVMOP_get_param:
		return hvm_param(env, arg[0], arg[1]);
	case HVMOP_set_evtchn_upcall_vector:
		ret = from_guest(env, &uv, arg[1], sizeof(uv));
		if (ret)
			return ret;
		if (uv.vcpu >= env->nr_vcpus)
			return -ENOENT;
		/* Vectors below 0x10 are exceptions. */
		if (uv.vector < 0x10)
			return -EINVAL;
		return env->ops->set_upcall_vector(env->ctx, uv.vcpu, uv.vector);
	default:
		return -ENOSYS;
	}
}

/* EVTCHNOP_status in Xen's layout: the remote end sits in a union. */
static int evtchn_status_xen(struct xen_env *env, uint64_t va)
{
	struct xen_evtchn_status x;
	struct evtchn_status st;
	int ret;

	ret = from_guest(env, &x, va, sizeof(x));
	if (ret)
		return ret;
	memset(&st, 0, sizeof(st));
	st.dom = x.dom;
	st.port = x.port;
	ret = evtchn_status(env->evtchn, &st);
	if (ret)
		return ret;
	memset(&x.u, 0, sizeof(x.u));
	x.status = st.status;
	x.vcpu = st.vcpu;
	switch (st.status) {
	case EVTCHNSTAT_unbound:
		x.u.unbound_dom = (uint16_t)st.remote_dom;
		break;
	case EVTCHNSTAT_interdomain:
		x.u.interdomain.dom = (uint16_t)st.remote_dom;
		x.u.interdomain.port = st.remote_port;
		break;
	case EVTCHNSTAT_virq:
		x.u.virq = st.remote_port;
		break;
	}
	return to_guest(env, va, &x, sizeof(x));
}

static int64_t event_channel_op(struct xen_env *env, const uint64_t arg[5])
{
	union evtchn_op_args a;
	bool copy_back;
	size_t len;
	int ret;

	if (!env->evtchn)
		return -ENOSYS;
	if (arg[0] == EVTCHNOP_status)
		return evtchn_status_xen(env, arg[1]);
	len = evtchn_op_len(arg[0], true);
	/* init_control, expand_array, set_priority...: Linux stays with 2-level. */
	if (!len)
		return -ENOSYS;
	ret = from_guest(env, &a, arg[1], len);
	if (ret)
		return ret;
	ret = evtchn_op_run(env->evtchn, arg[0], &a, &copy_back);
	/* The port is open now; a guest that made the write-back fault just lost its number. */
	return ret || !copy_back ? ret : to_guest(env, arg[1], &a, len);
}

static int64_t sched_op(struct xen_env *env, const uint64_t arg[5])
{
	struct xen_sched_shutdown sd;
	unsigned int reason;
	int ret;

	switch (arg[0]) {
	case XEN_SCHEDOP_yield:
	case XEN_SCHEDOP_poll: /* only PV spinlocks poll; a yield is a correct answer */
		if (env->ops->yield)
			env->ops->yield(env->ctx);
		return 0;
	case XEN_SCHEDOP_shutdown:
		ret = from_guest(env, &sd, arg[1], sizeof(sd));
		if (ret)
			return ret;
		switch (sd.reason) {
		case XEN_SHUTDOWN_poweroff:
			reason = SV_SHUTDOWN_poweroff;
			break;
		case XEN_SHUTDOWN_reboot:
			reason = SV_SHUTDOWN_reboot;
			break;
		case XEN_SHUTDOWN_crash:
		case XEN_SHUTDOWN_watchdog:
			reason = SV_SHUTDOWN_crash;
			break;
		default:
			return -EINVAL;
		}
		env->ops->shutdown(env->ctx, reason, 0);
		return 0;
	default:
		return -ENOSYS;
	}
}

static int64_t grant_table_op(struct xen_env *env, const uint64_t arg[5])
{
	struct xen_gnttab_query_size qs;
	struct xen_gnttab_set_version sv;
	uint32_t nr = 0;
	uint64_t gpa;
	int ret;

	if (arg[0] != XEN_GNTTABOP_query_size && arg[0] != XEN_GNTTABOP_set_version)
		return -ENOSYS;
	if (arg[2] != 1)
		return -EINVAL;
	if (arg[0] == XEN_GNTTABOP_set_version) {
		ret = from_guest(env, &sv, arg[1], sizeof(sv));
		if (ret)
			return ret;
		/* Version 1 only; 0 asks which one is in use. */
		if (sv.version > 1)
			return sv.version == 2 ? -ENOSYS : -EINVAL;
		sv.version = 1;
		return to_guest(env, arg[1], &sv, sizeof(sv));
	}
	ret = from_guest(env, &qs, arg[1], sizeof(qs));
	if (ret)
		return ret;
	if (!is_self(env, qs.dom)) {
		qs.status = -1; /* GNTST_general_error */
	} else {
		if (env->gnttab)
			gnttab_get(env->gnttab, &gpa, &nr);
		qs.nr_frames = nr;
		qs.max_nr_frames = env->gnttab && env->gnttab->max_frames &&
						   env->gnttab->max_frames < SV_GNTTAB_MAX_FRAMES
					   ? env->gnttab->max_frames
					   : SV_GNTTAB_MAX_FRAMES;
		qs.status = 0;
	}
	return to_guest(env, arg[1], &qs, sizeof(qs));
}

static int64_t console_io(struct xen_env *env, const uint64_t arg[5])
{
	char buf[SV_CONSOLE_IO_MAX];
	int ret;

	if (arg[0] != XEN_CONSOLEIO_write)
		return -ENOSYS;
	if (arg[1] > sizeof(buf))
		return -EINVAL;
	ret = from_guest(env, buf, arg[2], arg[1]);
	if (ret)
		return ret;
	if (arg[1])
		env->ops->console_write(env->ctx, buf, arg[1]);
	return 0;
}

int64_t xen_hcall_dispatch(struct xen_env *env, uint64_t nr, const uint64_t arg[5])
{
	switch (nr) {
	case XEN_HC_xen_version:
		return xen_version(env, arg);
	case XEN_HC_memory_op:
		return memory_op(env, arg);
	case XEN_HC_vcpu_op:
		return vcpu_op(env, arg);
	case XEN_HC_hvm_op:
		return hvm_op(env, arg);
	case XEN_HC_event_channel_op:
		return event_channel_op(env, arg);
	case XEN_HC_sched_op:
		return sched_op(env, arg);
	case XEN_HC_grant_table_op:
		return grant_table_op(env, arg);
	case XEN_HC_console_io:
		return console_io(env, arg);
	default:
		return -ENOSYS;
	}
}
