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
#include <sys/mman.h>
#include <unistd.h>

#include <splitvisor/start_info.h>

#include "core_client.h"
#include "evtchn_shinfo.h"
#include "svdom0.h"

struct store_ring {
	int kind; /* D0_STORE_RING: the epoll tag */
	uint32_t domid, port, vcpu;
	int notify_fd, raise_fd;
	uint8_t *mem;
	size_t size;
	struct xs_conn *xc;
	bool broken; /* the guest broke the ring: no more service until it ends */
	bool closed;
	struct store_ring *next_closed;
};

static void sr_free(struct store_ring *r)
{
	if (r->notify_fd >= 0)
		close(r->notify_fd);
	if (r->raise_fd >= 0)
		close(r->raise_fd);
	if (r->mem)
		munmap(r->mem, r->size);
	if (r->xc)
		xs_conn_free(r->xc);
	free(r);
}

void sr_open(struct dom0 *d0, struct ts_domain *td)
{
	struct sv_ctl_domid id = { .domid = td->info.domid };
	struct epoll_event ev = { .events = EPOLLIN };
	struct sv_ctl_store_bind_reply br;
	struct sv_ctl_memfd_reply mr;
	struct store_ring *r;
	char err[256] = "";
	int fds[2], memfd = -1, ret;

	if (td->ring)
		sr_close(d0, td);
	r = calloc(1, sizeof(*r));
	if (!r) {
		ret = -ENOMEM;
		goto out;
	}
	r->kind = D0_STORE_RING;
	r->domid = td->info.domid;
	r->notify_fd = r->raise_fd = -1;
	ret = cc_call(d0->cc, SV_CTL_MEMFD, &id, sizeof(id), &mr, sizeof(mr), NULL, &memfd, err,
		      sizeof(err));
	if (!ret && (memfd < 0 || mr.size < SV_RESERVED_END))
		ret = -EPROTO;
	if (ret)
		goto out;
	/* Only the core's pages: the shared info and the ring are all we touch. */
	r->size = SV_RESERVED_END;
	r->mem = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (r->mem == MAP_FAILED) {
		r->mem = NULL;
		ret = -errno;
		goto out;
	}
	ret = cc_call_fds(d0->cc, SV_CTL_STORE_BIND, &id, sizeof(id), &br, sizeof(br), NULL, fds, 2,
			  err, sizeof(err));
	if (!ret && (fds[0] < 0 || fds[1] < 0)) {
		if (fds[0] >= 0)
			close(fds[0]);
		if (fds[1] >= 0)
			close(fds[1]);
		ret = -EPROTO;
	}
	if (ret)
		goto out;
	r->notify_fd = fds[0];
	r->raise_fd = fds[1];
	r->port = br.port;
	r->vcpu = br.vcpu < SV_SHINFO_MAX_VCPUS ? br.vcpu : 0;
	r->xc = xs_conn_new(d0->xs, (uint16_t)r->domid);
	if (!r->xc) {
		ret = -ENOMEM;
		goto out;
	}
	ev.data.ptr = r;
	if (epoll_ctl(d0->epfd, EPOLL_CTL_ADD, r->notify_fd, &ev) < 0) {
		ret = -errno;
		goto out;
	}
	td->ring = r;
	/* Requests may have been queued before we were here (or before a restart). */
	sr_pump(r);
out:
	if (memfd >= 0)
		close(memfd);
	if (ret) {
		fprintf(stderr, "svdom0: xenstore ring of domain %u: %s\n", id.domid,
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
	epoll_ctl(d0->epfd, EPOLL_CTL_DEL, r->notify_fd, NULL);
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
	struct sv_shared_info *shinfo;
	uint64_t count;
	uint64_t one = 1;
	int ret;

	/* The count only says "look": the ring indices carry the work. */
	while (read(r->notify_fd, &count, sizeof(count)) == sizeof(count))
		;
	if (r->closed || r->broken || xs_conn_is_dead(r->xc))
		return false;
	ret = xs_ring_server_pump((struct xs_ring_page *)(r->mem + SV_STORE_RING_GPA), r->xc);
	if (ret < 0) {
		fprintf(stderr, "svdom0: domain %u broke its xenstore ring: %s\n", r->domid,
			strerror(-ret));
		r->broken = true;
		return false;
	}
	if (ret != 1)
		return false;
	shinfo = (struct sv_shared_info *)(r->mem + SV_SHARED_INFO_GPA);
	if (sv_shinfo_set_pending(shinfo, r->vcpu, r->port) &&
	    write(r->raise_fd, &one, sizeof(one)) < 0)
		fprintf(stderr, "svdom0: cannot raise domain %u's store port\n", r->domid);
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
