// SPDX-License-Identifier: MIT
/* Wire syntax of the server: paths and numbers in strings (messages: lib/xs_client.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xs_internal.h"

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
