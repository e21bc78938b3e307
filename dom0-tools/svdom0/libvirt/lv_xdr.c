// SPDX-License-Identifier: MIT
/* XDR reader and writer for libvirt's remote protocol (see lv_xdr.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lv_xdr.h"

static size_t pad4(size_t n)
{
	return (4 - (n & 3)) & 3;
}

void lv_in_init(struct lv_xdr_in *in, const void *p, size_t len)
{
	in->p = p;
	in->len = len;
	in->off = 0;
	in->err = 0;
}

/* The next n bytes, or NULL (and the error set) when fewer are left. */
static const uint8_t *take(struct lv_xdr_in *in, size_t n)
{
	const uint8_t *p;

	if (in->err || n > in->len - in->off) {
		in->err = -EBADMSG;
		return NULL;
	}
	p = in->p + in->off;
	in->off += n;
	return p;
}

uint32_t lv_get_u32(struct lv_xdr_in *in)
{
	const uint8_t *p = take(in, 4);

	if (!p)
		return 0;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int32_t lv_get_i32(struct lv_xdr_in *in)
{
	return (int32_t)lv_get_u32(in);
}

uint64_t lv_get_u64(struct lv_xdr_in *in)
{
	uint64_t hi = lv_get_u32(in);

	return hi << 32 | lv_get_u32(in);
}

void lv_get_fixed(struct lv_xdr_in *in, void *out, size_t n)
{
	const uint8_t *p = take(in, n + pad4(n));

	if (p)
		memcpy(out, p, n);
	else
		memset(out, 0, n);
}

char *lv_get_string(struct lv_xdr_in *in, size_t max)
{
	uint32_t n = lv_get_u32(in);
	const uint8_t *p;
	char *s;

	if (in->err)
		return NULL;
	/* Bounded before the length is used for anything. */
	if (n > max || n > in->len - in->off) {
		in->err = -EBADMSG;
		return NULL;
	}
	p = take(in, n + pad4(n));
	if (!p)
		return NULL;
	if (memchr(p, '\0', n)) {
		in->err = -EBADMSG;
		return NULL;
	}
	s = malloc((size_t)n + 1);
	if (!s) {
		in->err = -ENOMEM;
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

uint32_t lv_get_count(struct lv_xdr_in *in, uint32_t max)
{
	uint32_t n = lv_get_u32(in);

	if (!in->err && n > max)
		in->err = -EBADMSG;
	return in->err ? 0 : n;
}

bool lv_in_done(const struct lv_xdr_in *in)
{
	return !in->err && in->off == in->len;
}

void lv_out_init(struct lv_xdr_out *out, size_t max)
{
	memset(out, 0, sizeof(*out));
	out->max = max;
}

void lv_out_free(struct lv_xdr_out *out)
{
	free(out->buf);
	out->buf = NULL;
	out->len = out->cap = 0;
}

/* Room for n more bytes, or NULL (and the error set) beyond max. */
static uint8_t *room(struct lv_xdr_out *out, size_t n)
{
	size_t cap;
	uint8_t *b;

	if (out->err)
		return NULL;
	if (n > out->max - out->len) {
		out->err = -EMSGSIZE;
		return NULL;
	}
	if (out->len + n > out->cap) {
		cap = out->cap ? out->cap : 256;
		while (cap < out->len + n)
			cap *= 2;
		if (cap > out->max)
			cap = out->max;
		b = realloc(out->buf, cap);
		if (!b) {
			out->err = -ENOMEM;
			return NULL;
		}
		out->buf = b;
		out->cap = cap;
	}
	b = out->buf + out->len;
	out->len += n;
	return b;
}

void lv_put_u32(struct lv_xdr_out *out, uint32_t v)
{
	uint8_t *p = room(out, 4);

	if (!p)
		return;
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void lv_put_i32(struct lv_xdr_out *out, int32_t v)
{
	lv_put_u32(out, (uint32_t)v);
}

void lv_put_u64(struct lv_xdr_out *out, uint64_t v)
{
	lv_put_u32(out, (uint32_t)(v >> 32));
	lv_put_u32(out, (uint32_t)v);
}

void lv_put_fixed(struct lv_xdr_out *out, const void *p, size_t n)
{
	uint8_t *b = room(out, n + pad4(n));

	if (!b)
		return;
	memcpy(b, p, n);
	memset(b + n, 0, pad4(n));
}

void lv_put_raw(struct lv_xdr_out *out, const void *p, size_t n)
{
	uint8_t *b = n ? room(out, n) : NULL;

	if (b)
		memcpy(b, p, n);
}

void lv_put_bytes(struct lv_xdr_out *out, const void *p, size_t n)
{
	if (n > UINT32_MAX) {
		out->err = -EMSGSIZE;
		return;
	}
	lv_put_u32(out, (uint32_t)n);
	lv_put_fixed(out, p, n);
}

void lv_put_string(struct lv_xdr_out *out, const char *s)
{
	lv_put_bytes(out, s, strlen(s));
}

void lv_put_opt_string(struct lv_xdr_out *out, const char *s)
{
	lv_put_u32(out, s ? 1 : 0);
	if (s)
		lv_put_string(out, s);
}
