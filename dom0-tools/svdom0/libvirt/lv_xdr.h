/* SPDX-License-Identifier: MIT */
/*
 * XDR (RFC 4506) as libvirt's remote protocol uses it: big-endian 4-byte units,
 * strings and variable opaques as a length then bytes padded to 4. The reader
 * never allocates more than the caller's bound; errors are sticky (check once).
 */
#ifndef SV_LV_XDR_H
#define SV_LV_XDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lv_xdr_in {
	const uint8_t *p;
	size_t len, off;
	int err; /* 0, or the first -errno */
};

void lv_in_init(struct lv_xdr_in *in, const void *p, size_t len);
uint32_t lv_get_u32(struct lv_xdr_in *in);
int32_t lv_get_i32(struct lv_xdr_in *in);
uint64_t lv_get_u64(struct lv_xdr_in *in);
/* Fixed-size opaque: n bytes plus padding. */
void lv_get_fixed(struct lv_xdr_in *in, void *out, size_t n);
/*
 * A string of at most max bytes, NUL-terminated in a new buffer (free it); an
 * embedded NUL, a longer string or a short input is -EBADMSG and NULL.
 */
char *lv_get_string(struct lv_xdr_in *in, size_t max);
/* An array count checked against max (-EBADMSG beyond). */
uint32_t lv_get_count(struct lv_xdr_in *in, uint32_t max);
/* True when everything was read and nothing failed. */
bool lv_in_done(const struct lv_xdr_in *in);

struct lv_xdr_out {
	uint8_t *buf;
	size_t len, cap, max; /* max: the most it may grow to */
	int err;
};

void lv_out_init(struct lv_xdr_out *out, size_t max);
void lv_out_free(struct lv_xdr_out *out);
void lv_put_u32(struct lv_xdr_out *out, uint32_t v);
void lv_put_i32(struct lv_xdr_out *out, int32_t v);
void lv_put_u64(struct lv_xdr_out *out, uint64_t v);
void lv_put_fixed(struct lv_xdr_out *out, const void *p, size_t n);
void lv_put_raw(struct lv_xdr_out *out, const void *p, size_t n);   /* no padding */
void lv_put_bytes(struct lv_xdr_out *out, const void *p, size_t n); /* length + bytes */
void lv_put_string(struct lv_xdr_out *out, const char *s);
/* remote_string: absent (NULL) or present. */
void lv_put_opt_string(struct lv_xdr_out *out, const char *s);

#endif
