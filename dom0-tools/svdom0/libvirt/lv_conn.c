// SPDX-License-Identifier: MIT
/* libvirt RPC framing and a non-blocking connection (see lv_conn.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lv_conn.h"

struct lv_out_buf {
	struct lv_out_buf *next;
	size_t len, off;
	uint8_t data[];
};

int lv_frame_len(const uint8_t b[LV_LEN_SIZE], uint32_t max, uint32_t *len)
{
	uint32_t n = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];

	*len = n;
	return n < LV_LEN_SIZE + LV_HDR_SIZE || n > max ? -EMSGSIZE : 0;
}

void lv_hdr_get(struct lv_xdr_in *in, struct lv_hdr *h)
{
	h->prog = lv_get_u32(in);
	h->vers = lv_get_u32(in);
	h->proc = lv_get_i32(in);
	h->type = lv_get_u32(in);
	h->serial = lv_get_u32(in);
	h->status = lv_get_u32(in);
}

void lv_frame_begin(struct lv_xdr_out *out, const struct lv_hdr *h)
{
	lv_put_u32(out, 0);
	lv_put_u32(out, h->prog);
	lv_put_u32(out, h->vers);
	lv_put_i32(out, h->proc);
	lv_put_u32(out, h->type);
	lv_put_u32(out, h->serial);
	lv_put_u32(out, h->status);
}

int lv_frame_end(struct lv_xdr_out *out)
{
	if (!out->err && out->len > LV_PACKET_MAX)
		out->err = -EMSGSIZE;
	if (out->err)
		return out->err;
	out->buf[0] = (uint8_t)(out->len >> 24);
	out->buf[1] = (uint8_t)(out->len >> 16);
	out->buf[2] = (uint8_t)(out->len >> 8);
	out->buf[3] = (uint8_t)out->len;
	return 0;
}

void lv_conn_init(struct lv_conn *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
}

static int fail(struct lv_conn *c, int err)
{
	c->dead = true;
	return err;
}

int lv_conn_read(struct lv_conn *c)
{
	ssize_t n;
	uint8_t *dst;
	size_t want;
	int ret;

	if (c->dead)
		return -EPIPE;
	for (;;) {
		if (c->pkt_len && c->have == c->pkt_len)
			return 1;
		if (!c->pkt_len) {
			dst = c->len_bytes + c->have;
			want = LV_LEN_SIZE - c->have;
		} else {
			dst = c->pkt + (c->have - LV_LEN_SIZE);
			want = c->pkt_len - c->have;
		}
		n = recv(c->fd, dst, want, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return fail(c, n < 0 ? -errno : -EPIPE);
		c->have += (uint32_t)n;
		if (!c->pkt_len && c->have == LV_LEN_SIZE) {
			/* The length is checked before the packet's buffer exists. */
			ret = lv_frame_len(c->len_bytes, LV_IN_MAX, &c->pkt_len);
			if (ret)
				return fail(c, ret);
			c->pkt = malloc(c->pkt_len - LV_LEN_SIZE);
			if (!c->pkt)
				return fail(c, -ENOMEM);
		}
	}
}

void lv_conn_pop(struct lv_conn *c)
{
	free(c->pkt);
	c->pkt = NULL;
	c->pkt_len = 0;
	c->have = 0;
}

int lv_conn_queue(struct lv_conn *c, const void *buf, size_t len)
{
	struct lv_out_buf *b;

	if (c->dead)
		return -EPIPE;
	if (len > LV_OUT_MAX - c->out_bytes)
		return fail(c, -ENOBUFS);
	b = malloc(sizeof(*b) + len);
	if (!b)
		return fail(c, -ENOMEM);
	b->next = NULL;
	b->len = len;
	b->off = 0;
	memcpy(b->data, buf, len);
	if (c->tail)
		c->tail->next = b;
	else
		c->head = b;
	c->tail = b;
	c->out_bytes += len;
	return 0;
}

void lv_conn_flush(struct lv_conn *c)
{
	struct lv_out_buf *b;
	ssize_t n;

	while (!c->dead && (b = c->head)) {
		n = send(c->fd, b->data + b->off, b->len - b->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			c->dead = true;
			return;
		}
		b->off += (size_t)n;
		c->out_bytes -= (size_t)n;
		if (b->off < b->len)
			continue;
		c->head = b->next;
		if (!c->head)
			c->tail = NULL;
		free(b);
	}
}

void lv_conn_close(struct lv_conn *c)
{
	struct lv_out_buf *b;

	while ((b = c->head)) {
		c->head = b->next;
		free(b);
	}
	c->tail = NULL;
	c->out_bytes = 0;
	lv_conn_pop(c);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->dead = true;
}
