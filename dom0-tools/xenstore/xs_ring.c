// SPDX-License-Identifier: MIT
/*
 * The xenstore ring page: two 1024-byte byte streams with free-running u32
 * indices (splitvisor/byte_ring.h, shared with the guest's client). Garbage
 * indices from the guest yield -EIO, never an access outside the page.
 */
#include <errno.h>
#include <string.h>

#include <splitvisor/byte_ring.h>

#include "xs_internal.h"

/* Bound on rounds per pump so a guest that keeps refilling cannot hog the daemon. */
#define XS_PUMP_ROUNDS 64

ssize_t xs_ring_server_read(struct xs_ring_page *ring, void *buf, size_t len, bool peek)
{
	long n = sv_bring_read(ring->req, XS_RING_SIZE, &ring->req_cons, &ring->req_prod, buf, len,
			       peek);

	return n < 0 ? -EIO : n;
}

/* Only after a peek that returned at least n bytes. */
void xs_ring_server_advance(struct xs_ring_page *ring, size_t n)
{
	sv_bring_advance(&ring->req_cons, n);
}

ssize_t xs_ring_server_write(struct xs_ring_page *ring, const void *buf, size_t len)
{
	long n =
		sv_bring_write(ring->rsp, XS_RING_SIZE, &ring->rsp_cons, &ring->rsp_prod, buf, len);

	return n < 0 ? -EIO : n;
}

ssize_t xs_ring_client_write(struct xs_ring_page *ring, const void *buf, size_t len)
{
	long n =
		sv_bring_write(ring->req, XS_RING_SIZE, &ring->req_cons, &ring->req_prod, buf, len);

	return n < 0 ? -EIO : n;
}

ssize_t xs_ring_client_read(struct xs_ring_page *ring, void *buf, size_t len)
{
	long n = sv_bring_read(ring->rsp, XS_RING_SIZE, &ring->rsp_cons, &ring->rsp_prod, buf, len,
			       false);

	return n < 0 ? -EIO : n;
}

static void ring_set_error(struct xs_ring_page *ring, uint32_t err)
{
	__atomic_store_n(&ring->error, err, __ATOMIC_RELAXED);
}

/* Copies as much of conn's output as fits; returns whether anything moved. */
static int pump_output(struct xs_ring_page *ring, struct xs_conn *conn)
{
	bool moved = false;

	/* Whatever the output came from is in the journal before the guest can see it. */
	xs_persist_commit(conn->srv);
	for (;;) {
		const void *p;
		size_t len;
		ssize_t n;

		xs_conn_output(conn, &p, &len);
		if (!len)
			break;
		n = xs_ring_server_write(ring, p, len);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		xs_conn_consume(conn, (size_t)n);
		moved = true;
	}
	return moved;
}

int xs_ring_server_pump(struct xs_ring_page *ring, struct xs_conn *conn)
{
	char buf[XS_RING_SIZE];
	bool moved = false;
	int ret = 0;

	for (int round = 0; round < XS_PUMP_ROUNDS; round++) {
		bool progress = false;
		ssize_t n = xs_ring_server_read(ring, buf, sizeof(buf), true);

		ret = -EIO;
		if (n < 0)
			goto out;
		if (n > 0) {
			ssize_t used = xs_conn_feed(conn, buf, (size_t)n);

			ret = (int)used;
			if (used < 0)
				goto out;
			if (used > 0) {
				/*
				 * Each request's record holds the ring position after it; the
				 * start of an unfinished one goes in too before the ring moves.
				 */
				if (conn->journaled && conn->in_have) {
					xs_persist_touch(conn);
					xs_persist_commit(conn->srv);
				}
				xs_ring_server_advance(ring, (size_t)used);
				progress = true;
			}
		}
		ret = pump_output(ring, conn);
		if (ret < 0)
			goto out;
		progress |= ret > 0;
		if (!progress)
			break;
		moved = true;
	}
	ret = moved;
out:
	if (ret == -EIO)
		ring_set_error(ring, XS_RING_ERROR_RINGIDX);
	else if (ret < 0)
		ring_set_error(ring, XS_RING_ERROR_PROTO);
	return ret;
}
