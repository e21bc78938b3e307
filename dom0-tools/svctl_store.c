// SPDX-License-Identifier: MIT
/* svctl store: xenstore by hand, over svdom0's xenstore.sock in xenstore's own wire protocol. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl_wire.h"
#include "svctl.h"
#include "toolkit.h"
#include "xenstore.h"

const char svctl_store_usage[] =
	"store read PATH | write PATH VALUE | ls PATH | rm PATH\n"
	"store watch PATH [--count N]\n"
	"\n"
	"Talks to the xenstore of the running control domain (svdom0) as dom0.\n"
	"watch prints each event's path, the first one at registration, and stops\n"
	"after N events when --count is given.\n";

static int xs_recv(int fd, struct xs_msg_hdr *h, char *payload)
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

int svctl_xs_request(int fd, uint32_t type, const char *path, const char *val, struct xs_msg_hdr *h,
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
		ret = xs_recv(fd, h, reply);
	} while (!ret && h->type == XS_WATCH_EVENT && type != XS_WATCH);
	if (!ret && h->type == XS_ERROR)
		return xs_error_from_name(reply, strlen(reply));
	return ret;
}

static int store_watch(int fd, const char *path, uint32_t count)
{
	static char reply[XS_PAYLOAD_MAX + 1];
	struct xs_msg_hdr h;
	uint32_t seen = 0;
	int ret;

	ret = svctl_xs_request(fd, XS_WATCH, path, "svctl", &h, reply);
	while (!ret && (!count || seen < count)) {
		if (h.type == XS_WATCH_EVENT) {
			printf("%s\n", reply);
			fflush(stdout);
			seen++;
			if (count && seen >= count)
				break;
		}
		ret = xs_recv(fd, &h, reply);
	}
	return ret;
}

int svctl_cmd_store(int argc, char **argv)
{
	static char reply[XS_PAYLOAD_MAX + 1];
	const char *op = argc > 1 ? argv[1] : "";
	uint32_t type, count = 0;
	char dir[256], path[300];
	struct xs_msg_hdr h;
	int fd, ret, want = 3;
	size_t off;

	if (!strcmp(op, "--help") || !strcmp(op, "-h")) {
		printf("usage: svctl %s", svctl_store_usage);
		return 0;
	}
	if (!strcmp(op, "read"))
		type = XS_READ;
	else if (!strcmp(op, "write"))
		type = XS_WRITE, want = 4;
	else if (!strcmp(op, "ls"))
		type = XS_DIRECTORY;
	else if (!strcmp(op, "rm"))
		type = XS_RM;
	else if (!strcmp(op, "watch"))
		type = XS_WATCH;
	else
		return svctl_usage_error("store", "expected read, write, ls, rm or watch");
	if (type == XS_WATCH && argc == 5 && !strcmp(argv[3], "--count")) {
		if (sv_parse_u32(argv[4], 1, 1000000, &count))
			return svctl_usage_error("store", "--count: 1..1000000");
		want = 5;
	}
	if (argc != want)
		return svctl_usage_error("store", "wrong number of arguments");
	if (sv_run_dir(dir, sizeof(dir)))
		return SVCTL_EX_USAGE;
	snprintf(path, sizeof(path), "%s/xenstore.sock", dir);
	fd = sv_unix_connect(path);
	if (fd < 0) {
		fprintf(stderr, "svctl store: the control domain is not running in %s\n", dir);
		return SVCTL_EX_UNAVAILABLE;
	}
	if (type == XS_WATCH)
		ret = store_watch(fd, argv[2], count);
	else
		ret = svctl_xs_request(fd, type, argv[2], type == XS_WRITE ? argv[3] : NULL, &h,
				       reply);
	close(fd);
	if (ret) {
		fprintf(stderr, "svctl store %s %s: %s\n", op, argv[2],
			ret < 0 ? xs_error_name(ret) : "error");
		return 1;
	}
	if (type == XS_READ)
		printf("%s\n", reply);
	for (off = 0; type == XS_DIRECTORY && off < h.len; off += strlen(reply + off) + 1)
		printf("%s\n", reply + off);
	return 0;
}
