// SPDX-License-Identifier: MIT
/*
 * The guests' side of xenstore in svdom0: each running domain's store ring
 * page (SV_STORE_RING_GPA in its memory) is served by one xenstore connection
 * of that domid. The guest kicks its store port; the core turns that into our
 * notify eventfd. We answer through the ring and raise the port with the
 * shared-info producer rules, as the core would.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <splitvisor/control.h>
#include <splitvisor/start_info.h>

#include "backend_port.h"
#include "log.h"
#include "store_ring.h"
#include "svdom0.h"

struct store_ring {
	int kind; /* D0_STORE_RING: the epoll tag */
	struct backend_env *env;
	struct backend_port port;
	uint8_t *mem; /* the guest's core pages: shared info and the rings */
	uint64_t mem_size;
	struct xs_conn *xc;
	bool broken; /* the guest broke the ring: no more service until it ends */
	bool closed;
	struct store_ring *next_closed;
};

static void sr_free(struct store_ring *r)
{
	backend_port_close(r->env, &r->port, false);
	if (r->mem)
		r->env->ops->unmap_guest(r->env, r->mem, r->mem_size);
	if (r->xc)
		xs_conn_free(r->xc);
	free(r);
}

void sr_open(struct dom0 *d0, struct ts_domain *td)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct store_ring *r;
	char err[256] = "";
	void *mem = NULL;
	int ret;

	if (td->ring)
		sr_close(d0, td);
	r = calloc(1, sizeof(*r));
	if (!r) {
		ret = -ENOMEM;
		goto out;
	}
	r->kind = D0_STORE_RING;
	r->env = &d0->backend_env;
	backend_port_init(&r->port);
	/* Only the core's pages: the shared info and the rings are all we touch. */
	ret = r->env->ops->map_guest(r->env, td->info.domid, SV_RESERVED_END, &mem, &r->mem_size,
				     err, sizeof(err));
	if (ret)
		goto out;
	r->mem = mem;
	ret = backend_port_bind(r->env, SV_CTL_STORE_BIND, td->info.domid, 0,
				(struct sv_shared_info *)(r->mem + SV_SHARED_INFO_GPA), &r->port,
				err, sizeof(err));
	if (ret)
		goto out;
	r->xc = xs_conn_new(d0->xs, (uint16_t)td->info.domid);
	if (!r->xc) {
		ret = -ENOMEM;
		goto out;
	}
	/* After a restart: the watches, positions and replies svdom0 had for it come back. */
	ret = xs_persist_ring_attach(r->xc, (struct xs_ring_page *)(r->mem + SV_STORE_RING_GPA));
	if (ret == -EIO) {
		log_warn("domain %u's xenstore ring contradicts the journal: not served",
			 td->info.domid);
		__atomic_store_n(&((struct xs_ring_page *)(r->mem + SV_STORE_RING_GPA))->error,
				 XS_RING_ERROR_RINGIDX, __ATOMIC_RELAXED);
		r->broken = true;
		ret = 0;
	} else if (ret) {
		goto out;
	}
	ev.data.ptr = r;
	if (epoll_ctl(d0->epfd, EPOLL_CTL_ADD, r->port.notify_fd, &ev) < 0) {
		ret = -errno;
		goto out;
	}
	td->ring = r;
	/* Requests may have been queued before we were here (or before a restart). */
	sr_pump(r);
out:
	if (ret) {
		log_err("xenstore ring of domain %u: %s", td->info.domid,
			err[0] ? err : strerror(-ret));
		if (r)
			sr_free(r);
	}
}

/*
 * Freed later by sr_reap: the event loop may still hold an epoll event naming
 * this ring in the batch it is working through.
 */
void sr_close(struct dom0 *d0, struct ts_domain *td)
{
	struct store_ring *r = td->ring;

	if (!r)
		return;
	epoll_ctl(d0->epfd, EPOLL_CTL_DEL, r->port.notify_fd, NULL);
	r->closed = true;
	r->next_closed = d0->closed_rings;
	d0->closed_rings = r;
	td->ring = NULL;
}

void sr_reap(struct dom0 *d0)
{
	struct store_ring *r;

	while ((r = d0->closed_rings)) {
		d0->closed_rings = r->next_closed;
		sr_free(r);
	}
}

bool sr_pump(struct store_ring *r)
{
	int ret;

	backend_port_drain(&r->port);
	if (r->closed || r->broken || xs_conn_is_dead(r->xc))
		return false;
	ret = xs_ring_server_pump((struct xs_ring_page *)(r->mem + SV_STORE_RING_GPA), r->xc);
	if (ret < 0) {
		log_warn("domain %u broke its xenstore ring: %s", r->port.domid, strerror(-ret));
		r->broken = true;
		return false;
	}
	if (ret != 1)
		return false;
	if (backend_port_raise(&r->port))
		log_err("cannot raise domain %u's store port", r->port.domid);
	return true;
}

bool sr_pump_all(struct dom0 *d0)
{
	struct ts_domain *td;
	bool moved = false;

	sr_reap(d0);
	for (td = d0->domains; td; td = td->next)
		if (td->ring && sr_pump(td->ring))
			moved = true;
	return moved;
}
