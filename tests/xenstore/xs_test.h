/* SPDX-License-Identifier: MIT */
/* A tiny in-process xenstore client for the tests: requests in, replies and events out. */
#ifndef SV_XS_TEST_H
#define SV_XS_TEST_H

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenstore.h"

#define XT_MAX_EVENTS 64

struct xt_msg {
	struct xs_msg_hdr hdr;
	char payload[XS_PAYLOAD_MAX + 1]; /* NUL added for convenience */
};

struct xt_client {
	struct xs_conn *conn;
	uint32_t req_id;
	int nr_events;
	int nr_replies;
	struct xt_msg events[XT_MAX_EVENTS];
	struct xt_msg reply;
};

static inline struct xt_client *xt_client(struct xs_server *srv, uint16_t domid)
{
	struct xt_client *c = calloc(1, sizeof(*c));

	ck_assert_ptr_nonnull(c);
	c->conn = xs_conn_new(srv, domid);
	ck_assert_ptr_nonnull(c->conn);
	return c;
}

static inline void xt_client_free(struct xt_client *c)
{
	xs_conn_free(c->conn);
	free(c);
}

/* Takes everything the connection queued and sorts it into replies and events. */
static inline void xt_drain(struct xt_client *c)
{
	static char buf[1 << 20];
	size_t have = 0, off = 0;
	const void *p;
	size_t len;

	for (xs_conn_output(c->conn, &p, &len); len; xs_conn_output(c->conn, &p, &len)) {
		ck_assert_uint_le(have + len, sizeof(buf));
		/* Take it in two pieces to exercise partial consumption. */
		size_t first = len > 3 ? 3 : len;

		memcpy(buf + have, p, first);
		xs_conn_consume(c->conn, first);
		have += first;
		xs_conn_output(c->conn, &p, &len);
		memcpy(buf + have, p, len);
		xs_conn_consume(c->conn, len);
		have += len;
	}
	while (off < have) {
		struct xs_msg_hdr hdr;
		const void *payload;
		ssize_t n = xs_msg_decode(buf + off, have - off, &hdr, &payload);
		struct xt_msg *m;

		ck_assert_int_gt(n, 0);
		if (hdr.type == XS_WATCH_EVENT) {
			ck_assert_int_lt(c->nr_events, XT_MAX_EVENTS);
			m = &c->events[c->nr_events++];
		} else {
			m = &c->reply;
			c->nr_replies++;
		}
		m->hdr = hdr;
		memcpy(m->payload, payload, hdr.len);
		m->payload[hdr.len] = '\0';
		off += (size_t)n;
	}
}

/* Sends one request; returns 0 or the reply's negative errno. */
static inline int xt_raw(struct xt_client *c, uint32_t type, uint32_t tx, const void *payload,
			 size_t len)
{
	static char msg[XS_MSG_MAX];
	ssize_t n = xs_msg_encode(msg, sizeof(msg), type, ++c->req_id, tx, payload, len);

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(xs_conn_feed(c->conn, msg, (size_t)n), n);
	c->nr_replies = 0;
	xt_drain(c);
	ck_assert_int_eq(c->nr_replies, 1);
	ck_assert_uint_eq(c->reply.hdr.req_id, c->req_id);
	ck_assert_uint_eq(c->reply.hdr.tx_id, tx);
	if (c->reply.hdr.type == XS_ERROR)
		return xs_error_from_name(c->reply.payload, strlen(c->reply.payload));
	ck_assert_uint_eq(c->reply.hdr.type, type);
	return 0;
}

/* NUL-terminated strings, NULL-terminated list. */
static inline size_t xt_args(char *buf, size_t cap, va_list ap)
{
	size_t off = 0;
	const char *s;

	while ((s = va_arg(ap, const char *))) {
		size_t n = strlen(s) + 1;

		ck_assert_uint_le(off + n, cap);
		memcpy(buf + off, s, n);
		off += n;
	}
	return off;
}

static inline int xt_req(struct xt_client *c, uint32_t type, uint32_t tx, ...)
{
	static char buf[2 * XS_PAYLOAD_MAX];
	va_list ap;
	size_t len;

	va_start(ap, tx);
	len = xt_args(buf, sizeof(buf), ap);
	va_end(ap);
	return xt_raw(c, type, tx, buf, len);
}

static inline int xt_write_n(struct xt_client *c, uint32_t tx, const char *path, const void *val,
			     size_t vlen)
{
	static char buf[2 * XS_PAYLOAD_MAX];
	size_t plen = strlen(path) + 1;

	memcpy(buf, path, plen);
	memcpy(buf + plen, val, vlen);
	return xt_raw(c, XS_WRITE, tx, buf, plen + vlen);
}

static inline int xt_write(struct xt_client *c, uint32_t tx, const char *path, const char *val)
{
	return xt_write_n(c, tx, path, val, strlen(val));
}

/* Reads into c->reply.payload (NUL-terminated for convenience). */
static inline int xt_read(struct xt_client *c, uint32_t tx, const char *path)
{
	return xt_req(c, XS_READ, tx, path, NULL);
}

static inline int xt_txn_start(struct xt_client *c, uint32_t *id)
{
	int ret = xt_raw(c, XS_TRANSACTION_START, 0, "", 1);

	if (!ret)
		*id = (uint32_t)strtoul(c->reply.payload, NULL, 10);
	return ret;
}

static inline int xt_txn_end(struct xt_client *c, uint32_t id, bool commit)
{
	return xt_req(c, XS_TRANSACTION_END, id, commit ? "T" : "F", NULL);
}

/* Checks event i: path and token. */
static inline void xt_check_event(struct xt_client *c, int i, const char *path, const char *token)
{
	ck_assert_int_gt(c->nr_events, i);
	ck_assert_str_eq(c->events[i].payload, path);
	ck_assert_str_eq(c->events[i].payload + strlen(path) + 1, token);
}

/* /local/domain/<domid> owned by the domain, as the toolstack would make it. */
static inline void xt_make_domain_dir(struct xt_client *dom0, unsigned int domid)
{
	char path[64], perm[16];

	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	snprintf(perm, sizeof(perm), "n%u", domid);
	ck_assert_int_eq(xt_req(dom0, XS_MKDIR, 0, path, NULL), 0);
	ck_assert_int_eq(xt_req(dom0, XS_SET_PERMS, 0, path, perm, NULL), 0);
}

static inline int xt_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
