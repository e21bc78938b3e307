// SPDX-License-Identifier: MIT
/*
 * A blocking xenstore client over a unix socket (svdom0's xenstore.sock), in
 * xenstore's own wire format: what svctl store and the xenstore benchmark use.
 * The reply of a request is read whole; watch events that come first are
 * skipped unless the request was the watch itself.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "xenstore.h"

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
