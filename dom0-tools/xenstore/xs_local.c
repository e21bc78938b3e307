// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_internal.h"
#include "xs_local.h"

struct xsl_event {
	struct xsl_event *next;
	size_t len;
	uint16_t cause; /* its domain's cause_cap is held until the event is taken */
	char data[];	/* path NUL token NUL */
};

struct xs_local {
	struct xs_conn *conn;
	uint32_t req_id;
	struct xsl_event *head, *tail;
};

struct xs_local *xsl_new(struct xs_server *srv, uint16_t domid)
{
	struct xs_local *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->conn = xs_conn_new(srv, domid);
	if (!x->conn) {
		free(x);
		return NULL;
	}
	x->conn->in_process = true;
	return x;
}

void xsl_free(struct xs_local *x)
{
	struct xsl_event *e;

	if (!x)
		return;
	while ((e = x->head)) {
		x->head = e->next;
		xs_event_taken(x->conn->srv, e->cause);
		free(e);
	}
	xs_conn_free(x->conn);
	free(x);
}

static void xsl_queue_event(struct xs_local *x, const void *payload, size_t len, uint16_t cause)
{
	struct xsl_event *e = malloc(sizeof(*e) + len + 1);

	if (!e) {
		/* the watcher re-reads state on its next event anyway */
		xs_event_taken(x->conn->srv, cause);
		return;
	}
	e->cause = cause;
	memcpy(e->data, payload, len);
	e->data[len] = '\0';
	e->len = len;
	e->next = NULL;
	if (x->tail)
		x->tail->next = e;
	else
		x->head = e;
	x->tail = e;
}

/* Moves queued output into the event list until the reply to req_id (if any) is found. */
static int xsl_drain(struct xs_local *x, uint32_t req_id, char *out, size_t cap)
{
	struct xs_msg_hdr h;
	const void *ptr, *rp;
	size_t len, n;
	ssize_t m;
	int ret = -EIO;

	for (;;) {
		xs_conn_output(x->conn, &ptr, &len);
		if (!len)
			return req_id ? -EIO : 0;
		m = xs_msg_decode(ptr, len, &h, &rp);
		if (m <= 0)
			return -EIO;
		if (h.type == XS_WATCH_EVENT) {
			xsl_queue_event(x, rp, h.len, xs_conn_head_cause(x->conn));
			xs_conn_consume(x->conn, (size_t)m);
			continue;
		}
		if (h.req_id != req_id) {
			xs_conn_consume(x->conn, (size_t)m);
			continue;
		}
		if (h.type == XS_ERROR) {
			ret = xs_error_from_name(rp, h.len ? h.len - 1 : 0);
		} else {
			n = h.len;
			if (out && cap) {
				if (n >= cap)
					n = cap - 1;
				memcpy(out, rp, n);
				out[n] = '\0';
			}
			ret = (int)h.len;
		}
		xs_conn_consume(x->conn, (size_t)m);
		return ret;
	}
}

int xsl_call(struct xs_local *x, uint32_t type, const char *path, const void *arg, size_t alen,
	     char *out, size_t cap)
{
	static uint8_t msg[XS_MSG_MAX], payload[XS_PAYLOAD_MAX];
	size_t plen = strlen(path) + 1;
	ssize_t n;

	if (plen + alen > sizeof(payload))
		return -E2BIG;
	memcpy(payload, path, plen);
	if (alen)
		memcpy(payload + plen, arg, alen);
	if (++x->req_id == 0)
		x->req_id = 1;
	n = xs_msg_encode(msg, sizeof(msg), type, x->req_id, 0, payload, plen + alen);
	if (n < 0 || xs_conn_feed(x->conn, msg, (size_t)n) != n)
		return -EIO;
	return xsl_drain(x, x->req_id, out, cap);
}

int xsl_write(struct xs_local *x, const char *path, const char *value)
{
	int ret = xsl_call(x, XS_WRITE, path, value, strlen(value), NULL, 0);

	return ret < 0 ? ret : 0;
}

int xsl_printf(struct xs_local *x, const char *path, const char *fmt, ...)
{
	char val[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(val))
		return -E2BIG;
	return xsl_write(x, path, val);
}

int xsl_read(struct xs_local *x, const char *path, char *out, size_t cap)
{
	int ret = xsl_call(x, XS_READ, path, NULL, 0, out, cap);

	/* The wire value carries no NUL of its own; a value that filled out was cut short. */
	if (ret >= 0 && (size_t)ret >= cap)
		return -E2BIG;
	return ret;
}

int xsl_read_u64(struct xs_local *x, const char *path, uint64_t *val)
{
	char buf[32], *end;
	int ret = xsl_read(x, path, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	if (!ret || buf[0] < '0' || buf[0] > '9')
		return -EINVAL;
	errno = 0;
	*val = strtoull(buf, &end, 10);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

int xsl_rm(struct xs_local *x, const char *path)
{
	int ret = xsl_call(x, XS_RM, path, NULL, 0, NULL, 0);

	return ret < 0 && ret != -ENOENT ? ret : 0;
}

int xsl_set_perms(struct xs_local *x, const char *path, const char *perms, size_t plen)
{
	int ret = xsl_call(x, XS_SET_PERMS, path, perms, plen, NULL, 0);

	return ret < 0 ? ret : 0;
}

int xsl_watch(struct xs_local *x, const char *path, const char *token)
{
	int ret = xsl_call(x, XS_WATCH, path, token, strlen(token) + 1, NULL, 0);

	return ret < 0 ? ret : 0;
}

int xsl_unwatch(struct xs_local *x, const char *path, const char *token)
{
	int ret = xsl_call(x, XS_UNWATCH, path, token, strlen(token) + 1, NULL, 0);

	return ret < 0 ? ret : 0;
}

bool xsl_next_event(struct xs_local *x, char *path, size_t pcap, char *token, size_t tcap)
{
	struct xsl_event *e;
	size_t plen;
	const char *tok;

	xsl_drain(x, 0, NULL, 0);
	e = x->head;
	if (!e)
		return false;
	x->head = e->next;
	if (!x->head)
		x->tail = NULL;
	plen = strnlen(e->data, e->len);
	tok = plen < e->len ? e->data + plen + 1 : "";
	snprintf(path, pcap, "%s", e->data);
	snprintf(token, tcap, "%s", tok);
	xs_event_taken(x->conn->srv, e->cause);
	free(e);
	return true;
}
