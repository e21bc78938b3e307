/* SPDX-License-Identifier: MIT */
/*
 * A byte ring that keeps the newest bytes: appending to a full ring drops the
 * oldest. Console output lives in these, in svcored until dom0 takes it and in
 * svdom0 for `svctl console`. Not thread-safe: callers hold their own lock.
 */
#ifndef SV_TAIL_RING_H
#define SV_TAIL_RING_H

#include <stddef.h>
#include <string.h>

struct tail_ring {
	char *buf;
	size_t cap;  /* bytes of buf */
	size_t head; /* offset of the oldest byte */
	size_t len;
};

/* Appends, dropping the oldest bytes to make room; returns how many were dropped. */
static inline size_t tail_ring_put(struct tail_ring *r, const char *buf, size_t len)
{
	size_t dropped = 0, pos, n;

	if (len > r->cap) {
		dropped = len - r->cap;
		buf += dropped;
		len = r->cap;
	}
	if (r->len + len > r->cap) {
		n = r->len + len - r->cap;
		r->head = (r->head + n) % r->cap;
		r->len -= n;
		dropped += n;
	}
	while (len) {
		pos = (r->head + r->len) % r->cap;
		n = r->cap - pos < len ? r->cap - pos : len;
		memcpy(r->buf + pos, buf, n);
		r->len += n;
		buf += n;
		len -= n;
	}
	return dropped;
}

/* The contiguous bytes starting off bytes after the oldest: a pointer and their count. */
static inline size_t tail_ring_span(const struct tail_ring *r, size_t off, const char **p)
{
	size_t pos;

	if (off >= r->len)
		return 0;
	pos = (r->head + off) % r->cap;
	*p = r->buf + pos;
	return r->cap - pos < r->len - off ? r->cap - pos : r->len - off;
}

/* Moves up to n of the oldest bytes to out; returns how many. */
static inline size_t tail_ring_take(struct tail_ring *r, char *out, size_t n)
{
	size_t done = 0, k;
	const char *p;

	while (done < n && (k = tail_ring_span(r, done, &p))) {
		if (k > n - done)
			k = n - done;
		memcpy(out + done, p, k);
		done += k;
	}
	r->head = (r->head + done) % r->cap;
	r->len -= done;
	return done;
}

#endif
