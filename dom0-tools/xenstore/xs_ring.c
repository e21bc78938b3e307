// SPDX-License-Identifier: MIT
/*
 * The xenstore ring page: two 1024-byte byte streams with free-running u32
 * indices. The page is shared with a guest that may write anything into it at
 * any time, so each index is loaded once, checked (prod - cons <= size), and
 * every access is masked into the array: garbage indices yield -EIO, never an
 * access outside the page.
 */
#include <errno.h>
#include <string.h>

#include "xs_internal.h"

/* Bound on rounds per pump so a guest that keeps refilling cannot hog the daemon. */
#define XS_PUMP_ROUNDS 64

static uint32_t idx_load(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void idx_store(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static void ring_copy_out(const char *arr, uint32_t idx, void *buf, size_t n)
{
	size_t off = XS_RING_IDX(idx);
	size_t first = n < XS_RING_SIZE - off ? n : XS_RING_SIZE - off;

	memcpy(buf, arr + off, first);
	memcpy((char *)buf + first, arr, n - first);
}

static void ring_copy_in(char *arr, uint32_t idx, const void *buf, size_t n)
{
	size_t off = XS_RING_IDX(idx);
	size_t first = n < XS_RING_SIZE - off ? n : XS_RING_SIZE - off;

	memcpy(arr + off, buf, first);
	memcpy(arr, (const char *)buf + first, n - first);
}

static ssize_t ring_read(const char *arr, uint32_t *cons_p, const uint32_t *prod_p, void *buf,
			 size_t len, bool peek)
{
	uint32_t cons = idx_load(cons_p);
	uint32_t prod = idx_load(prod_p);
	uint32_t avail = prod - cons;
	size_t n;

	if (avail > XS_RING_SIZE)
		return -EIO;
	/* Read the bytes only after seeing the producer index that covers them. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	n = avail < len ? avail : len;
	ring_copy_out(arr, cons, buf, n);
	if (!peek && n) {
		/* Finish reading before handing the space back to the producer. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		idx_store(cons_p, cons + (uint32_t)n);
	}
	return (ssize_t)n;
}

static ssize_t ring_write(char *arr, const uint32_t *cons_p, uint32_t *prod_p, const void *buf,
			  size_t len)
{
	uint32_t cons = idx_load(cons_p);
	uint32_t prod = idx_load(prod_p);
	uint32_t used = prod - cons;
	size_t n;

	if (used > XS_RING_SIZE)
		return -EIO;
	/* Do not overwrite bytes before the consumer's index said it is done with them. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	n = XS_RING_SIZE - used < len ? XS_RING_SIZE - used : len;
	ring_copy_in(arr, prod, buf, n);
	if (n) {
		/* The bytes must be visible before the index that publishes them. */
		__atomic_thread_fence(__ATOMIC_RELEASE);
		idx_store(prod_p, prod + (uint32_t)n);
	}
	return (ssize_t)n;
}

ssize_t xs_ring_server_read(struct xs_ring_page *ring, void *buf, size_t len, bool peek)
{
	return ring_read(ring->req, &ring->req_cons, &ring->req_prod, buf, len, peek);
}

/* Only after a peek that returned at least n bytes. */
void xs_ring_server_advance(struct xs_ring_page *ring, size_t n)
{
	uint32_t cons = idx_load(&ring->req_cons);

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	idx_store(&ring->req_cons, cons + (uint32_t)n);
}

ssize_t xs_ring_server_write(struct xs_ring_page *ring, const void *buf, size_t len)
{
	return ring_write(ring->rsp, &ring->rsp_cons, &ring->rsp_prod, buf, len);
}

ssize_t xs_ring_client_write(struct xs_ring_page *ring, const void *buf, size_t len)
{
	return ring_write(ring->req, &ring->req_cons, &ring->req_prod, buf, len);
}

ssize_t xs_ring_client_read(struct xs_ring_page *ring, void *buf, size_t len)
{
	return ring_read(ring->rsp, &ring->rsp_cons, &ring->rsp_prod, buf, len, false);
}

static void ring_set_error(struct xs_ring_page *ring, uint32_t err)
{
	__atomic_store_n(&ring->error, err, __ATOMIC_RELAXED);
}

/* Copies as much of conn's output as fits; returns whether anything moved. */
static int pump_output(struct xs_ring_page *ring, struct xs_conn *conn)
{
	bool moved = false;

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
