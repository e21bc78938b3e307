// SPDX-License-Identifier: MIT
/* Wire encoding: messages, error names, path syntax and numbers in strings. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xs_internal.h"

static const struct {
	int err;
	const char *name;
} xs_errors[] = {
#define XS_ERROR_ENTRY(e) { e, #e },
	XS_ERROR_NAMES(XS_ERROR_ENTRY)
#undef XS_ERROR_ENTRY
};

const char *xs_error_name(int err)
{
	if (err < 0)
		err = -err;
	for (size_t i = 0; i < sizeof(xs_errors) / sizeof(xs_errors[0]); i++) {
		if (xs_errors[i].err == err)
			return xs_errors[i].name;
	}
	/* Xen clients know only the names above; anything else is "invalid". */
	return "EINVAL";
}

int xs_error_from_name(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(xs_errors) / sizeof(xs_errors[0]); i++) {
		if (strlen(xs_errors[i].name) == len && memcmp(xs_errors[i].name, name, len) == 0)
			return -xs_errors[i].err;
	}
	return -EINVAL;
}

ssize_t xs_msg_encode(void *buf, size_t cap, uint32_t type, uint32_t req_id, uint32_t tx_id,
		      const void *payload, size_t len)
{
	struct xs_msg_hdr hdr = { .type = type, .req_id = req_id, .tx_id = tx_id };

	if (len > XS_PAYLOAD_MAX)
		return -E2BIG;
	if (cap < XS_HDR_SIZE + len)
		return -ENOSPC;
	hdr.len = (uint32_t)len;
	memcpy(buf, &hdr, sizeof(hdr));
	if (len)
		memcpy((char *)buf + XS_HDR_SIZE, payload, len);
	return (ssize_t)(XS_HDR_SIZE + len);
}

ssize_t xs_msg_decode(const void *buf, size_t len, struct xs_msg_hdr *hdr, const void **payload)
{
	if (len < XS_HDR_SIZE)
		return 0;
	memcpy(hdr, buf, sizeof(*hdr));
	if (hdr->len > XS_PAYLOAD_MAX)
		return -EPROTO;
	if (len < XS_HDR_SIZE + hdr->len)
		return 0;
	*payload = (const char *)buf + XS_HDR_SIZE;
	return (ssize_t)(XS_HDR_SIZE + hdr->len);
}

static bool path_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '/' || c == '_' || c == '@';
}

/*
 * Turns a client's path into an absolute one in out (XS_PATH_BUF bytes):
 * relative paths live under the caller's /local/domain/<domid>/.
 */
int xs_path_canon(uint16_t domid, const char *in, char *out, size_t *out_len)
{
	size_t len = strnlen(in, XS_PATH_BUF);
	size_t off = 0;

	if (len == 0 || len > XS_ABS_PATH_MAX)
		return -EINVAL;
	if (in[0] != '/') {
		if (len > XS_REL_PATH_MAX)
			return -EINVAL;
		off = (size_t)snprintf(out, XS_PATH_BUF, XS_LOCAL_DOMAIN "%u/", domid);
	}
	if (off + len > XS_ABS_PATH_MAX)
		return -EINVAL;
	memcpy(out + off, in, len);
	len += off;
	out[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		if (!path_char_ok(out[i]))
			return -EINVAL;
		if (out[i] == '/' && i + 1 < len && out[i + 1] == '/')
			return -EINVAL;
	}
	if (len > 1 && out[len - 1] == '/')
		return -EINVAL;
	*out_len = len;
	return 0;
}

int xs_parse_u64(const char *s, uint64_t *val)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*val = v;
	return 0;
}

int xs_parse_domid(const char *s, uint16_t *domid)
{
	uint64_t v;

	if (xs_parse_u64(s, &v) || v > UINT16_MAX)
		return -EINVAL;
	*domid = (uint16_t)v;
	return 0;
}
