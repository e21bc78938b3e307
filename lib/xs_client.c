// SPDX-License-Identifier: MIT
/*
 * A xenstore client's side of the wire (xs_client.h): messages and error
 * names, which the server in dom0-tools/xenstore/ shares, and a blocking
 * client of xenstore.sock for svctl store and the xenstore benchmark.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "xs_client.h"

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

int xs_sock_recv(int fd, struct xs_msg_hdr *h, char *payload)
{
	size_t got = 0, want = XS_HDR_SIZE;
	uint8_t buf[XS_MSG_MAX];
	const void *p;
	ssize_t n;

	while (got < want) {
		n = recv(fd, buf + got, want - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		got += (size_t)n;
		if (got == XS_HDR_SIZE) {
			memcpy(h, buf, sizeof(*h));
			if (h->len > XS_PAYLOAD_MAX)
				return -EPROTO;
			want += h->len;
		}
	}
	if (xs_msg_decode(buf, got, h, &p) <= 0)
		return -EPROTO;
	memcpy(payload, p, h->len);
	payload[h->len] = '\0';
	return 0;
}

int xs_sock_request(int fd, uint32_t type, const char *path, const char *val, struct xs_msg_hdr *h,
		    char *reply)
{
	char payload[XS_PAYLOAD_MAX], msg[XS_MSG_MAX];
	size_t plen = strlen(path) + 1, vlen = val ? strlen(val) : 0;
	ssize_t n;
	int ret;

	/* A watch's token is a string argument; a written value is raw bytes. */
	if (val && type == XS_WATCH)
		vlen++;

	if (plen + vlen > sizeof(payload))
		return -E2BIG;
	memcpy(payload, path, plen);
	if (vlen)
		memcpy(payload + plen, val, vlen);
	n = xs_msg_encode(msg, sizeof(msg), type, 1, 0, payload, plen + vlen);
	if (n < 0)
		return (int)n;
	if (send(fd, msg, (size_t)n, MSG_NOSIGNAL) != n)
		return -EPIPE;
	do {
		ret = xs_sock_recv(fd, h, reply);
	} while (!ret && h->type == XS_WATCH_EVENT && type != XS_WATCH);
	if (!ret && h->type == XS_ERROR)
		return xs_error_from_name(reply, strlen(reply));
	return ret;
}
