// SPDX-License-Identifier: MIT
/*
 * Event-channel port tables. Each guest domain has one table under its own
 * lock. Guest-to-guest channels need two tables: those operations take the
 * registry lock first and only then the domain locks, so two domain locks are
 * never held without it and a table cannot vanish while a peer looks at it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <splitvisor/limits.h>

#include "evtchn.h"
#include "evtchn_shinfo.h"

enum port_state {
	PORT_FREE,
	PORT_UNBOUND,
	PORT_INTERDOMAIN, /* remote end is a port of a guest domain */
	PORT_VIRQ,
	PORT_PROCESS, /* remote end is a process domain, through eventfds */
	PORT_IPI,     /* a Xen-ABI guest's vCPU-to-vCPU port: a send raises it on itself */
};

struct evtchn_port {
	uint8_t state;
	uint8_t vcpu;
	uint16_t remote_dom;
	uint32_t remote; /* remote port, or the virq */
	int fds[2];	 /* PORT_PROCESS: the core's notify eventfd and irqfd */
};

struct evtchn {
	pthread_mutex_t lock;
	uint16_t domid;
	bool registered;
	unsigned int nr_vcpus;
	struct sv_shared_info *shinfo; /* moves only under lock (evtchn_set_shared_info) */
	/* A vCPU's vcpu_info when the guest registered one; NULL: shinfo's own. */
	struct sv_vcpu_info *vinfo[SV_SHINFO_MAX_VCPUS];
	bool xen_hvm; /* Linux PVH rules: upcall_mask ignored */
	const struct evtchn_ops *ops;
	void *ctx;
	struct evtchn *next; /* registry */
	uint32_t nr_ports;   /* ports 1..nr_ports-1 may be allocated (evtchn_set_limit) */
	uint32_t virq_port[SV_MAX_VCPUS][SV_NR_VIRQS];
	struct evtchn_port port[SV_EVTCHN_NR_PORTS];
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct evtchn *registry;

static struct evtchn *registry_find(uint16_t domid)
{
	struct evtchn *e;

	for (e = registry; e; e = e->next)
		if (e->domid == domid)
			return e;
	return NULL;
}

/* The other table of a guest-to-guest operation; e itself for a loopback. Registry locked. */
static struct evtchn *peer_of(struct evtchn *e, uint16_t domid)
{
	if (domid == SV_DOMID_SELF || domid == e->domid)
		return e;
	return registry_find(domid);
}

static void lock_peer(struct evtchn *e, struct evtchn *r)
{
	if (r && r != e)
		pthread_mutex_lock(&r->lock);
}

static void unlock_peer(struct evtchn *e, struct evtchn *r)
{
	if (r && r != e)
		pthread_mutex_unlock(&r->lock);
}

int evtchn_create(uint16_t domid, unsigned int nr_vcpus, struct sv_shared_info *shinfo,
		  const struct evtchn_ops *ops, void *ctx, struct evtchn **out)
{
	struct evtchn *e;
	unsigned int i;

	if (!nr_vcpus || nr_vcpus > SV_MAX_VCPUS || nr_vcpus > SV_SHINFO_MAX_VCPUS || !shinfo)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	pthread_mutex_init(&e->lock, NULL);
	e->domid = domid;
	e->nr_vcpus = nr_vcpus;
	e->shinfo = shinfo;
	e->ops = ops;
	e->ctx = ctx;
	e->nr_ports = SV_EVTCHN_NR_PORTS;
	for (i = 0; i < SV_EVTCHN_NR_PORTS; i++)
		e->port[i].fds[0] = e->port[i].fds[1] = -1;
	/* A second domain with a taken domid works, but no guest can reach it by domid. */
	pthread_mutex_lock(&registry_lock);
	if (!registry_find(domid)) {
		e->next = registry;
		registry = e;
		e->registered = true;
	}
	pthread_mutex_unlock(&registry_lock);
	*out = e;
	return 0;
}

int evtchn_set_limit(struct evtchn *e, uint32_t max_channels)
{
	if (max_channels == 0)
		max_channels = SV_EVTCHN_NR_PORTS - 1;
	if (max_channels >= SV_EVTCHN_NR_PORTS)
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	e->nr_ports = max_channels + 1;
	pthread_mutex_unlock(&e->lock);
	return 0;
}

static struct evtchn_port *port_get(struct evtchn *e, uint32_t port)
{
	if (port == 0 || port >= SV_EVTCHN_NR_PORTS || e->port[port].state == PORT_FREE)
		return NULL;
	return &e->port[port];
}

static struct sv_vcpu_info *vinfo_of(struct evtchn *e, unsigned int vcpu)
{
	return e->vinfo[vcpu] ? e->vinfo[vcpu] : &e->shinfo->vcpu_info[vcpu];
}

static void deliver(struct evtchn *e, uint32_t port)
{
	unsigned int vcpu = e->port[port].vcpu;

	if (shinfo_set_pending_vi(e->shinfo, vinfo_of(e, vcpu), port, e->xen_hvm) && e->ops &&
	    e->ops->kick)
		e->ops->kick(e->ctx, vcpu);
}

/* A fresh port must not inherit an event from its previous life (or from the guest). */
static int port_alloc(struct evtchn *e, uint32_t *out)
{
	uint32_t p;

	for (p = 1; p < e->nr_ports; p++) {
		if (e->port[p].state != PORT_FREE)
			continue;
		__atomic_fetch_and(&e->shinfo->evtchn_pending[p / 64], ~(1ull << (p % 64)),
				   __ATOMIC_SEQ_CST);
		e->port[p].vcpu = 0;
		e->port[p].remote_dom = 0;
		e->port[p].remote = 0;
		*out = p;
		return 0;
	}
	return -ENOSPC;
}

static void detach_process(struct evtchn *e, uint32_t port)
{
	struct evtchn_port *p = &e->port[port];

	if (e->ops && e->ops->detach)
		e->ops->detach(e->ctx, port, p->vcpu, p->fds);
	p->fds[0] = p->fds[1] = -1;
}

/* Registry and e locked. The peer of an interdomain port is left unbound. */
static void close_locked(struct evtchn *e, uint32_t port)
{
	struct evtchn_port *p = &e->port[port];
	struct evtchn_port *rp;
	struct evtchn *r;

	switch (p->state) {
	case PORT_VIRQ:
		e->virq_port[p->vcpu][p->remote] = 0;
		break;
	case PORT_PROCESS:
		detach_process(e, port);
		break;
	case PORT_INTERDOMAIN:
		r = peer_of(e, p->remote_dom);
		if (!r)
			break;
		lock_peer(e, r);
		rp = &r->port[p->remote];
		if (rp->state == PORT_INTERDOMAIN && rp->remote_dom == e->domid &&
		    rp->remote == port) {
			rp->state = PORT_UNBOUND;
			rp->remote = 0;
		}
		unlock_peer(e, r);
		break;
	default:
		break;
	}
	p->state = PORT_FREE;
}

void evtchn_destroy(struct evtchn *e)
{
	struct evtchn **pp;
	uint32_t port;

	if (!e)
		return;
	pthread_mutex_lock(&registry_lock);
	for (pp = &registry; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	}
	pthread_mutex_lock(&e->lock);
	for (port = 1; port < SV_EVTCHN_NR_PORTS; port++)
		if (e->port[port].state != PORT_FREE)
			close_locked(e, port);
	pthread_mutex_unlock(&e->lock);
	pthread_mutex_unlock(&registry_lock);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

int evtchn_alloc_unbound(struct evtchn *e, uint16_t remote_dom, uint32_t *port)
{
	int ret;

	if (remote_dom == SV_DOMID_SELF)
		remote_dom = e->domid;
	else if (remote_dom > SV_DOMID_SELF)
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	ret = port_alloc(e, port);
	if (!ret) {
		e->port[*port].state = PORT_UNBOUND;
		e->port[*port].remote_dom = remote_dom;
	}
	pthread_mutex_unlock(&e->lock);
	return ret;
}

int evtchn_bind_interdomain(struct evtchn *e, uint16_t remote_dom, uint32_t remote_port,
			    uint32_t *port)
{
	struct evtchn_port *rp;
	struct evtchn *r;
	uint32_t lp;
	int ret;

	if (remote_port == 0 || remote_port >= SV_EVTCHN_NR_PORTS)
		return -EINVAL;
	pthread_mutex_lock(&registry_lock);
	r = peer_of(e, remote_dom);
	if (!r) {
		ret = -ESRCH;
		goto out_reg;
	}
	pthread_mutex_lock(&e->lock);
	lock_peer(e, r);
	rp = &r->port[remote_port];
	if (rp->state != PORT_UNBOUND) {
		ret = -EINVAL;
		goto out;
	}
	if (rp->remote_dom != e->domid) {
		ret = -EPERM;
		goto out;
	}
	ret = port_alloc(e, &lp);
	if (ret)
		goto out;
	e->port[lp].state = PORT_INTERDOMAIN;
	e->port[lp].remote_dom = r->domid;
	e->port[lp].remote = remote_port;
	rp->state = PORT_INTERDOMAIN;
	rp->remote = lp;
	/* Events sent before the bind are lost, so the new end starts pending. */
	deliver(e, lp);
	*port = lp;
out:
	unlock_peer(e, r);
	pthread_mutex_unlock(&e->lock);
out_reg:
	pthread_mutex_unlock(&registry_lock);
	return ret;
}

int evtchn_bind_virq(struct evtchn *e, uint32_t virq, uint32_t vcpu, uint32_t *port)
{
	uint32_t p;
	int ret;

	if (virq >= SV_NR_VIRQS)
		return -EINVAL;
	if (vcpu >= e->nr_vcpus)
		return -ENOENT;
	pthread_mutex_lock(&e->lock);
	if (e->virq_port[vcpu][virq]) {
		ret = -EEXIST;
		goto out;
	}
	ret = port_alloc(e, &p);
	if (ret)
		goto out;
	e->port[p].state = PORT_VIRQ;
	e->port[p].vcpu = (uint8_t)vcpu;
	e->port[p].remote = virq;
	e->virq_port[vcpu][virq] = p;
	*port = p;
out:
	pthread_mutex_unlock(&e->lock);
	return ret;
}

int evtchn_close(struct evtchn *e, uint32_t port)
{
	int ret = 0;

	pthread_mutex_lock(&registry_lock);
	pthread_mutex_lock(&e->lock);
	if (!port_get(e, port))
		ret = -EINVAL;
	else
		close_locked(e, port);
	pthread_mutex_unlock(&e->lock);
	pthread_mutex_unlock(&registry_lock);
	return ret;
}

/* Delivers to the guest peer, which must still point back at (src, src_port). */
static int send_to_guest(uint16_t src, uint32_t src_port, uint16_t dom, uint32_t port)
{
	struct evtchn_port *rp;
	struct evtchn *r;
	int ret = -ENOTCONN;

	pthread_mutex_lock(&registry_lock);
	r = registry_find(dom);
	if (!r)
		goto out;
	pthread_mutex_lock(&r->lock);
	rp = &r->port[port];
	if (rp->state == PORT_INTERDOMAIN && rp->remote_dom == src && rp->remote == src_port) {
		deliver(r, port);
		ret = 0;
	}
	pthread_mutex_unlock(&r->lock);
out:
	pthread_mutex_unlock(&registry_lock);
	return ret;
}

int evtchn_send(struct evtchn *e, uint32_t port)
{
	struct evtchn_port *p;
	uint64_t one = 1;
	uint16_t rdom;
	uint32_t rport;
	int ret = 0;

	pthread_mutex_lock(&e->lock);
	p = port_get(e, port);
	if (!p) {
		ret = -EINVAL;
		goto out;
	}
	switch (p->state) {
	case PORT_PROCESS:
		/* The slow path of a port the ioeventfd would have caught (EVTCHNOP_send). */
		if (write(p->fds[0], &one, sizeof(one)) < 0 && errno != EAGAIN)
			ret = -errno;
		break;
	case PORT_INTERDOMAIN:
		if (p->remote_dom == e->domid) {
			deliver(e, p->remote);
			break;
		}
		rdom = p->remote_dom;
		rport = p->remote;
		pthread_mutex_unlock(&e->lock);
		/* Not under e->lock: the registry lock comes first. */
		return send_to_guest(e->domid, port, rdom, rport);
	case PORT_IPI:
		deliver(e, port);
		break;
	case PORT_UNBOUND:
		ret = -ENOTCONN;
		break;
	default:
		ret = -EINVAL;
		break;
	}
out:
	pthread_mutex_unlock(&e->lock);
	return ret;
}

int evtchn_status(struct evtchn *e, struct evtchn_status *st)
{
	struct evtchn_port *p;

	if (st->dom != SV_DOMID_SELF && st->dom != e->domid)
		return -EPERM;
	if (st->port == 0 || st->port >= SV_EVTCHN_NR_PORTS)
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	p = &e->port[st->port];
	st->vcpu = p->vcpu;
	st->remote_dom = p->remote_dom;
	st->remote_port = p->remote;
	switch (p->state) {
	case PORT_UNBOUND:
		st->status = EVTCHNSTAT_unbound;
		st->remote_port = 0;
		break;
	case PORT_INTERDOMAIN:
	case PORT_PROCESS:
		st->status = EVTCHNSTAT_interdomain;
		break;
	case PORT_VIRQ:
		st->status = EVTCHNSTAT_virq;
		st->remote_dom = 0;
		break;
	case PORT_IPI:
		st->status = EVTCHNSTAT_ipi;
		st->remote_dom = st->remote_port = 0;
		break;
	default:
		st->status = EVTCHNSTAT_closed;
		st->vcpu = st->remote_dom = st->remote_port = 0;
		break;
	}
	pthread_mutex_unlock(&e->lock);
	return 0;
}

int evtchn_unmask(struct evtchn *e, uint32_t port)
{
	struct evtchn_port *p;
	int ret = 0;

	pthread_mutex_lock(&e->lock);
	p = port_get(e, port);
	if (!p)
		ret = -EINVAL;
	else if (shinfo_unmask_vi(e->shinfo, vinfo_of(e, p->vcpu), port, e->xen_hvm) && e->ops &&
		 e->ops->kick)
		e->ops->kick(e->ctx, p->vcpu);
	pthread_mutex_unlock(&e->lock);
	return ret;
}

int evtchn_bind_vcpu(struct evtchn *e, uint32_t port, uint32_t vcpu)
{
	struct evtchn_port *p;
	int ret = 0;

	if (vcpu >= e->nr_vcpus)
		return -ENOENT;
	pthread_mutex_lock(&e->lock);
	p = port_get(e, port);
	/* A VIRQ or IPI is bound per vCPU: bind it again on the other one instead. */
	if (!p || p->state == PORT_VIRQ || p->state == PORT_IPI) {
		ret = -EINVAL;
		goto out;
	}
	/*
	 * A process backend raises the port itself: it sets the pending bit and the
	 * selector of the vCPU it learnt at bind time, and its irqfd targets that vCPU.
	 * It would keep raising the old one, so its ports stay where they are. Where the
	 * core raises for it (Linux PVH), the port may move.
	 */
	if (p->state == PORT_PROCESS && p->vcpu != vcpu && !e->xen_hvm) {
		ret = -EBUSY;
		goto out;
	}
	p->vcpu = (uint8_t)vcpu;
out:
	pthread_mutex_unlock(&e->lock);
	return ret;
}

int evtchn_bind_ipi(struct evtchn *e, uint32_t vcpu, uint32_t *port)
{
	int ret;

	if (vcpu >= e->nr_vcpus)
		return -ENOENT;
	pthread_mutex_lock(&e->lock);
	ret = port_alloc(e, port);
	if (!ret) {
		e->port[*port].state = PORT_IPI;
		e->port[*port].vcpu = (uint8_t)vcpu;
	}
	pthread_mutex_unlock(&e->lock);
	return ret;
}

void evtchn_set_xen_hvm(struct evtchn *e, bool on)
{
	pthread_mutex_lock(&e->lock);
	e->xen_hvm = on;
	pthread_mutex_unlock(&e->lock);
}

struct sv_shared_info *evtchn_shared_info(struct evtchn *e)
{
	struct sv_shared_info *s;

	pthread_mutex_lock(&e->lock);
	s = e->shinfo;
	pthread_mutex_unlock(&e->lock);
	return s;
}

int evtchn_set_shared_info(struct evtchn *e, struct sv_shared_info *s)
{
	if (!s)
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	if (s != e->shinfo) {
		/* Events pending before the move stay pending; vcpu_info slots come along. */
		memmove(s, e->shinfo, sizeof(*s));
		e->shinfo = s;
	}
	pthread_mutex_unlock(&e->lock);
	return 0;
}

int evtchn_set_vcpu_info(struct evtchn *e, unsigned int vcpu, struct sv_vcpu_info *vi)
{
	struct sv_vcpu_info *old;
	bool kick;

	if (vcpu >= e->nr_vcpus || !vi)
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	old = vinfo_of(e, vcpu);
	if (old != vi)
		memmove(vi, old, sizeof(*vi));
	e->vinfo[vcpu] = vi;
	/*
	 * As Xen does: every selector bit set, so a port that went pending around the move is
	 * found by the guest's next scan; the upcall goes out if the flag was clear.
	 */
	__atomic_store_n(&vi->pending_sel, ~0ull, __ATOMIC_SEQ_CST);
	kick = !__atomic_exchange_n(&vi->upcall_pending, 1, __ATOMIC_SEQ_CST);
	if (kick && e->ops && e->ops->kick)
		e->ops->kick(e->ctx, vcpu);
	pthread_mutex_unlock(&e->lock);
	return 0;
}

bool evtchn_upcall_pending(struct evtchn *e, unsigned int vcpu)
{
	bool pending;

	if (vcpu >= e->nr_vcpus)
		return false;
	pthread_mutex_lock(&e->lock);
	pending = __atomic_load_n(&vinfo_of(e, vcpu)->upcall_pending, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&e->lock);
	return pending;
}

int evtchn_raise_virq(struct evtchn *e, unsigned int vcpu, uint32_t virq)
{
	int ret = -ENOENT;
	uint32_t port;

	if (vcpu >= e->nr_vcpus || virq >= SV_NR_VIRQS)
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	port = e->virq_port[vcpu][virq];
	if (port) {
		deliver(e, port);
		ret = 0;
	}
	pthread_mutex_unlock(&e->lock);
	return ret;
}

static int dup_fd(int fd)
{
	int n = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	return n < 0 ? -errno : n;
}

int evtchn_bind_proc(struct evtchn *e, uint32_t port, uint16_t process_domid, int *notify_fd,
		     int *raise_fd)
{
	struct evtchn_port *p;
	int fds[2], mine[2] = { -1, -1 };
	int ret;

	if (!e->ops || !e->ops->attach)
		return -ENOSYS;
	pthread_mutex_lock(&e->lock);
	p = port_get(e, port);
	if (!p || p->state != PORT_UNBOUND) {
		ret = -EINVAL;
		goto out;
	}
	if (p->remote_dom != process_domid) {
		ret = -EPERM;
		goto out;
	}
	ret = e->ops->attach(e->ctx, port, p->vcpu, fds);
	if (ret)
		goto out;
	/* The caller gets its own fds; the core keeps the ones it registered with KVM. */
	mine[0] = dup_fd(fds[0]);
	mine[1] = dup_fd(fds[1]);
	if (mine[0] < 0 || mine[1] < 0) {
		ret = mine[0] < 0 ? mine[0] : mine[1];
		if (mine[0] >= 0)
			close(mine[0]);
		if (mine[1] >= 0)
			close(mine[1]);
		e->ops->detach(e->ctx, port, p->vcpu, fds);
		goto out;
	}
	p->state = PORT_PROCESS;
	p->fds[0] = fds[0];
	p->fds[1] = fds[1];
	*notify_fd = mine[0];
	*raise_fd = mine[1];
	deliver(e, port);
out:
	pthread_mutex_unlock(&e->lock);
	return ret;
}

int evtchn_close_proc(struct evtchn *e, uint32_t port)
{
	struct evtchn_port *p;
	int ret = 0;

	pthread_mutex_lock(&e->lock);
	p = port_get(e, port);
	if (!p || p->state != PORT_PROCESS) {
		ret = -EINVAL;
		goto out;
	}
	detach_process(e, port);
	p->state = PORT_UNBOUND;
out:
	pthread_mutex_unlock(&e->lock);
	return ret;
}

int evtchn_raise_proc(struct evtchn *e, uint32_t port, uint16_t process_domid)
{
	struct evtchn_port *p;
	int ret = 0;

	pthread_mutex_lock(&e->lock);
	p = port_get(e, port);
	if (!p || p->state != PORT_PROCESS)
		ret = -EINVAL;
	else if (p->remote_dom != process_domid)
		ret = -EPERM;
	else
		deliver(e, port);
	pthread_mutex_unlock(&e->lock);
	return ret;
}

int evtchn_proc_raise_ready(struct evtchn *e, uint32_t port)
{
	struct evtchn_port *p;
	uint64_t cnt;
	int ret = 0;

	/* Under the lock, so that a close cannot hand the fd number to someone else meanwhile. */
	pthread_mutex_lock(&e->lock);
	p = port_get(e, port);
	if (!p || p->state != PORT_PROCESS) {
		ret = -EINVAL;
		goto out;
	}
	/* One delivery however many writes came: an event channel is a bit, not a counter. */
	if (read(p->fds[1], &cnt, sizeof(cnt)) == sizeof(cnt))
		deliver(e, port);
out:
	pthread_mutex_unlock(&e->lock);
	return ret;
}

int evtchn_proc_domid(struct evtchn *e, uint32_t port)
{
	struct evtchn_port *p;
	int ret;

	pthread_mutex_lock(&e->lock);
	p = port_get(e, port);
	ret = p && p->state == PORT_PROCESS ? p->remote_dom : -EINVAL;
	pthread_mutex_unlock(&e->lock);
	return ret;
}

int evtchn_vcpu_of(struct evtchn *e, uint32_t port)
{
	struct evtchn_port *p;
	int ret;

	pthread_mutex_lock(&e->lock);
	p = port_get(e, port);
	ret = p ? p->vcpu : -EINVAL;
	pthread_mutex_unlock(&e->lock);
	return ret;
}

size_t evtchn_op_len(uint64_t cmd, bool xen_ops)
{
	union evtchn_op_args a;

	switch (cmd) {
	case EVTCHNOP_alloc_unbound:
		return sizeof(a.au);
	case EVTCHNOP_bind_interdomain:
		return sizeof(a.bi);
	case EVTCHNOP_bind_virq:
		return sizeof(a.bv);
	case EVTCHNOP_close:
	case EVTCHNOP_send:
	case EVTCHNOP_unmask:
		return sizeof(a.po);
	case EVTCHNOP_bind_vcpu:
		return sizeof(a.bc);
	case XEN_EVTCHNOP_bind_ipi:
		return xen_ops ? sizeof(a.ip) : 0;
	default:
		return 0;
	}
}

int evtchn_op_run(struct evtchn *e, uint64_t cmd, union evtchn_op_args *a, bool *copy_back)
{
	*copy_back = false;
	switch (cmd) {
	case EVTCHNOP_alloc_unbound:
		if (a->au.dom != SV_DOMID_SELF && a->au.dom != e->domid)
			return -EPERM;
		*copy_back = true;
		return evtchn_alloc_unbound(e, a->au.remote_dom, &a->au.port);
	case EVTCHNOP_bind_interdomain:
		*copy_back = true;
		return evtchn_bind_interdomain(e, a->bi.remote_dom, a->bi.remote_port,
					       &a->bi.local_port);
	case EVTCHNOP_bind_virq:
		*copy_back = true;
		return evtchn_bind_virq(e, a->bv.virq, a->bv.vcpu, &a->bv.port);
	case XEN_EVTCHNOP_bind_ipi:
		*copy_back = true;
		return evtchn_bind_ipi(e, a->ip.vcpu, &a->ip.port);
	case EVTCHNOP_close:
		return evtchn_close(e, a->po.port);
	case EVTCHNOP_send:
		return evtchn_send(e, a->po.port);
	case EVTCHNOP_unmask:
		return evtchn_unmask(e, a->po.port);
	case EVTCHNOP_bind_vcpu:
		return evtchn_bind_vcpu(e, a->bc.port, a->bc.vcpu);
	default:
		return -EINVAL;
	}
}

int64_t evtchn_hypercall(struct evtchn *e, const struct guest_mem *mem, uint64_t cmd, uint64_t gpa)
{
	union evtchn_op_args a;
	struct evtchn_status st;
	bool copy_back;
	size_t len;
	void *p;
	int ret;

	if (!e)
		return -ENOSYS;
	len = cmd == EVTCHNOP_status ? sizeof(st) : evtchn_op_len(cmd, false);
	if (!len)
		return -EINVAL;
	p = guest_ptr(mem, gpa, len);
	if (!p)
		return -EFAULT;
	/* One fetch: other vCPUs may rewrite the struct while we work. */
	if (cmd == EVTCHNOP_status) {
		memcpy(&st, p, len);
		ret = evtchn_status(e, &st);
		if (!ret)
			memcpy(p, &st, len);
		return ret;
	}
	memcpy(&a, p, len);
	ret = evtchn_op_run(e, cmd, &a, &copy_back);
	if (!ret && copy_back)
		memcpy(p, &a, len);
	return ret;
}
