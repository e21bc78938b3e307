// SPDX-License-Identifier: MIT
/*
 * Event channels on KVM: the port table of a domain, the per-vCPU MSI routes
 * behind irqfds, the ioeventfds on the notify port, the timer VIRQ, and the
 * core API for process domains (svcore.h).
 *
 * Every process port's irqfd goes to the GSI of its vCPU (EVTCHN_GSI_BASE +
 * vcpu), whose route is a fixed MSI to that vCPU's upcall vector; KVM lets many
 * irqfds share a GSI. The routing table is therefore written once, at domain
 * creation, and keeps the irqchip's default routes below EVTCHN_GSI_BASE
 * because KVM_SET_GSI_ROUTING replaces the whole table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <splitvisor/start_info.h>

#include "domain_priv.h"
#include "evtchn.h"

#define EVTCHN_GSI_BASE	 24u
#define IRQCHIP_PIC_PINS 16u

static int set_routes(struct sv_domain *d)
{
	struct kvm_irq_routing *t;
	struct kvm_irq_routing_entry *r;
	unsigned int i, n = 0, max = IRQCHIP_PIC_PINS * 2 + (EVTCHN_GSI_BASE - 16) + d->nr_vcpus;
	int ret = 0;

	t = calloc(1, sizeof(*t) + max * sizeof(*r));
	if (!t)
		return -ENOMEM;
	/* KVM's defaults: GSI 0-15 on the PICs and the IOAPIC, 16-23 on the IOAPIC. */
	for (i = 0; i < EVTCHN_GSI_BASE; i++) {
		if (i < IRQCHIP_PIC_PINS) {
			r = &t->entries[n++];
			r->gsi = i;
			r->type = KVM_IRQ_ROUTING_IRQCHIP;
			r->u.irqchip.irqchip =
				i < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
			r->u.irqchip.pin = i % 8;
		}
		r = &t->entries[n++];
		r->gsi = i;
		r->type = KVM_IRQ_ROUTING_IRQCHIP;
		r->u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		r->u.irqchip.pin = i;
	}
	for (i = 0; i < d->nr_vcpus; i++) {
		uint8_t vector = __atomic_load_n(&d->vcpus[i].upcall_vector, __ATOMIC_RELAXED);

		/* No vector yet (a Linux guest before it asked): irqfds on the GSI do nothing. */
		if (!vector)
			continue;
		r = &t->entries[n++];
		r->gsi = EVTCHN_GSI_BASE + i;
		r->type = KVM_IRQ_ROUTING_MSI;
		r->u.msi.address_lo = 0xfee00000u | (i << 12);
		r->u.msi.data = vector;
	}
	t->nr = n;
	if (ioctl(d->vm_fd, KVM_SET_GSI_ROUTING, t) < 0)
		ret = -errno;
	free(t);
	return ret;
}

/*
 * The MSI that set_routes() gives the vCPU's GSI, sent directly. It lives here rather than in
 * vcpu.c because vcpu.c calls into this file (timer expiry), not the other way round.
 */
static int raise_upcall(struct vcpu *v)
{
	struct kvm_msi msi = {
		.address_lo = 0xfee00000u | (v->id << 12),
		.data = __atomic_load_n(&v->upcall_vector, __ATOMIC_RELAXED),
	};

	if (!msi.data)
		return 0;
	return ioctl(v->dom->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

static void kvm_kick(void *ctx, unsigned int vcpu)
{
	struct sv_domain *d = ctx;

	if (vcpu < d->nr_vcpus)
		raise_upcall(&d->vcpus[vcpu]);
}

static int ioeventfd(struct sv_domain *d, uint32_t port, int fd, bool assign)
{
	struct kvm_ioeventfd io = {
		.datamatch = port,
		.addr = SV_NOTIFY_PORT,
		.len = 4,
		.fd = fd,
		.flags = KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH |
			 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	return ioctl(d->vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

static int irqfd(struct sv_domain *d, int fd, unsigned int vcpu, bool assign)
{
	struct kvm_irqfd i = {
		.fd = (uint32_t)fd,
		.gsi = EVTCHN_GSI_BASE + vcpu,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	return ioctl(d->vm_fd, KVM_IRQFD, &i) < 0 ? -errno : 0;
}

/*
 * A Linux PVH guest moves its shared info and vcpu_info where a backend cannot follow, so
 * the core raises its process ports: the raise eventfd is watched by the domain's event
 * thread (domain.c), which calls evtchn_proc_raise_ready, instead of being an irqfd.
 */
static int core_raise_watch(struct sv_domain *d, uint32_t port, int fd, bool add)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = SV_DOMAIN_EV_PORT | port };

	if (epoll_ctl(d->timer_epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, fd, &ev) < 0)
		return -errno;
	return 0;
}

static int kvm_attach(void *ctx, uint32_t port, unsigned int vcpu, int fds[2])
{
	struct sv_domain *d = ctx;
	int ret;

	fds[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fds[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fds[0] < 0 || fds[1] < 0) {
		ret = -errno;
		goto out;
	}
	ret = ioeventfd(d, port, fds[0], true);
	if (ret)
		goto out;
	ret = d->pvh ? core_raise_watch(d, port, fds[1], true) : irqfd(d, fds[1], vcpu, true);
	if (!ret)
		return 0;
	ioeventfd(d, port, fds[0], false);
out:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return ret;
}

static void kvm_detach(void *ctx, uint32_t port, unsigned int vcpu, const int fds[2])
{
	struct sv_domain *d = ctx;

	ioeventfd(d, port, fds[0], false);
	if (d->pvh)
		core_raise_watch(d, port, fds[1], false);
	else
		irqfd(d, fds[1], vcpu, false);
	close(fds[0]);
	close(fds[1]);
}

static const struct evtchn_ops kvm_evtchn_ops = {
	.kick = kvm_kick,
	.attach = kvm_attach,
	.detach = kvm_detach,
};

/*
 * A Linux PVH guest owns all of its RAM, so until it names a page for the shared
 * info (XENMEM_add_to_physmap) the core keeps it in a page of its own; events
 * from then on land in the guest's page, the earlier ones come along.
 */
int evtchn_kvm_init(struct sv_domain *d)
{
	struct sv_shared_info *s;
	int ret;

	if (d->pvh) {
		s = d->shinfo_private = aligned_alloc(4096, sizeof(*s));
		if (s)
			memset(s, 0, sizeof(*s));
	} else {
		s = guest_ptr(&d->mem, SV_SHARED_INFO_GPA, sizeof(*s));
	}
	if (!s)
		return d->pvh ? -ENOMEM : -EINVAL;
	ret = set_routes(d);
	if (ret)
		return ret;
	ret = evtchn_create((uint16_t)d->domid, d->nr_vcpus, s, &kvm_evtchn_ops, d, &d->evtchn);
	if (!ret && d->pvh)
		evtchn_set_xen_hvm(d->evtchn, true);
	return ret;
}

void evtchn_kvm_release(struct sv_domain *d)
{
	evtchn_destroy(d->evtchn);
	d->evtchn = NULL;
	free(d->shinfo_private);
	d->shinfo_private = NULL;
}

int evtchn_kvm_set_upcall_vector(struct vcpu *v, uint8_t vector)
{
	struct sv_domain *d = v->dom;
	int ret;

	/* The routing table is written whole: one writer at a time. */
	pthread_mutex_lock(&d->lock);
	__atomic_store_n(&v->upcall_vector, vector, __ATOMIC_RELAXED);
	ret = set_routes(d);
	pthread_mutex_unlock(&d->lock);
	/* An event that went pending before the guest had a vector is raised now. */
	if (!ret && d->evtchn && evtchn_upcall_pending(d->evtchn, v->id))
		ret = raise_upcall(v);
	return ret;
}

int evtchn_kvm_timer_fire(struct vcpu *v)
{
	if (v->dom->evtchn && !evtchn_raise_virq(v->dom->evtchn, v->id, SV_VIRQ_TIMER))
		return 0;
	/* No VIRQ_TIMER bound: the bare upcall older kernels expect. */
	return raise_upcall(v);
}

void *sv_domain_shared_info(struct sv_domain *d)
{
	return d->evtchn ? evtchn_shared_info(d->evtchn)
			 : guest_ptr(&d->mem, SV_SHARED_INFO_GPA, sizeof(struct sv_shared_info));
}

int sv_evtchn_alloc_unbound(struct sv_domain *d, uint16_t remote_domid, uint32_t *port)
{
	return evtchn_alloc_unbound(d->evtchn, remote_domid, port);
}

int sv_evtchn_bind_process(struct sv_domain *d, uint32_t port, uint16_t process_domid,
			   int *notify_fd, int *raise_fd)
{
	return evtchn_bind_proc(d->evtchn, port, process_domid, notify_fd, raise_fd);
}

int sv_evtchn_close_process(struct sv_domain *d, uint32_t port)
{
	return evtchn_close_proc(d->evtchn, port);
}

bool sv_evtchn_core_raises(struct sv_domain *d)
{
	return d->pvh;
}

int sv_evtchn_port_vcpu(struct sv_domain *d, uint32_t port)
{
	return evtchn_vcpu_of(d->evtchn, port);
}

int sv_evtchn_raise_process(struct sv_domain *d, uint32_t port, uint16_t process_domid)
{
	return evtchn_raise_proc(d->evtchn, port, process_domid);
}

int sv_evtchn_process_domid(struct sv_domain *d, uint32_t port)
{
	return evtchn_proc_domid(d->evtchn, port);
}
