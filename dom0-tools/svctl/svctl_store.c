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
#include "runner.h"
#include "xs_client.h"
#include "util.h"

const char svctl_store_usage[] =
	"store read PATH | write PATH VALUE | ls PATH | rm PATH\n"
	"store watch PATH [--count N]\n"
	"\n"
	"Talks to the xenstore of the running control domain (svdom0) as dom0.\n"
	"watch prints each event's path, the first one at registration, and stops\n"
	"after N events when --count is given.\n";

static int store_watch(int fd, const char *path, uint32_t count)
{
	static char reply[XS_PAYLOAD_MAX + 1];
	struct xs_msg_hdr h;
	uint32_t seen = 0;
	int ret;

	ret = xs_sock_request(fd, XS_WATCH, path, "svctl", &h, reply);
	while (!ret && (!count || seen < count)) {
		if (h.type == XS_WATCH_EVENT) {
			printf("%s\n", reply);
			fflush(stdout);
			seen++;
			if (count && seen >= count)
				break;
		}
		ret = xs_sock_recv(fd, &h, reply);
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
		if (util_parse_u32(argv[4], 1, 1000000, &count))
			return svctl_usage_error("store", "--count: 1..1000000");
		want = 5;
	}
	if (argc != want)
		return svctl_usage_error("store", "wrong number of arguments");
	if (wire_run_dir(dir, sizeof(dir)))
		return SVCTL_EX_USAGE;
	snprintf(path, sizeof(path), "%s/xenstore.sock", dir);
	fd = wire_unix_connect(path);
	if (fd < 0) {
		fprintf(stderr, "svctl store: the control domain is not running in %s\n", dir);
		return SVCTL_EX_UNAVAILABLE;
	}
	if (type == XS_WATCH)
		ret = store_watch(fd, argv[2], count);
	else
		ret = xs_sock_request(fd, type, argv[2], type == XS_WRITE ? argv[3] : NULL, &h,
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
