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

#include <splitvisor/start_info.h>

#include "svdom0.h"

struct store_ring {
	int kind; /* D0_STORE_RING: the epoll tag */
	struct d0_guest_port gp;
	struct xs_conn *xc;
	bool broken; /* the guest broke the ring: no more service until it ends */
	bool closed;
	struct store_ring *next_closed;
};

static void sr_free(struct store_ring *r)
{
	gp_close(&r->gp);
	if (r->xc)
		xs_conn_free(r->xc);
	free(r);
}

void sr_open(struct dom0 *d0, struct ts_domain *td)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct store_ring *r;
	char err[256] = "";
	int ret;

	if (td->ring)
		sr_close(d0, td);
	r = calloc(1, sizeof(*r));
	if (!r) {
		ret = -ENOMEM;
		goto out;
	}
	r->kind = D0_STORE_RING;
	ret = gp_open(d0, td->info.domid, SV_CTL_STORE_BIND, &r->gp, err, sizeof(err));
	if (ret)
		goto out;
	r->xc = xs_conn_new(d0->xs, (uint16_t)r->gp.domid);
	if (!r->xc) {
		ret = -ENOMEM;
		goto out;
	}
	ev.data.ptr = r;
	if (epoll_ctl(d0->epfd, EPOLL_CTL_ADD, r->gp.notify_fd, &ev) < 0) {
		ret = -errno;
		goto out;
	}
	td->ring = r;
	/* Requests may have been queued before we were here (or before a restart). */
	sr_pump(r);
out:
	if (ret) {
		fprintf(stderr, "svdom0: xenstore ring of domain %u: %s\n", td->info.domid,
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
	epoll_ctl(d0->epfd, EPOLL_CTL_DEL, r->gp.notify_fd, NULL);
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

	gp_drain_notify(&r->gp);
	if (r->closed || r->broken || xs_conn_is_dead(r->xc))
		return false;
	ret = xs_ring_server_pump((struct xs_ring_page *)(r->gp.mem + SV_STORE_RING_GPA), r->xc);
	if (ret < 0) {
		fprintf(stderr, "svdom0: domain %u broke its xenstore ring: %s\n", r->gp.domid,
			strerror(-ret));
		r->broken = true;
		return false;
	}
	if (ret != 1)
		return false;
	gp_raise(&r->gp, "store");
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
