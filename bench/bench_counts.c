// SPDX-License-Identifier: MIT
/* Reads a guest's counts from the bench's own svdom0 (bench_counts.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench_counts.h"
#include "ctl_wire.h"
#include "errmsg.h"

#define BC_TIMEOUT_MS 10000

static int bc_call(int fd, uint32_t op, const void *req, size_t len, void *reply, size_t cap,
		   size_t *rlen, char *err, size_t errlen)
{
	struct sv_ctl_hdr h;
	int ret;

	ret = wire_msg_send(fd, op, 1, 0, req, len);
	if (!ret)
		ret = wire_msg_recv(fd, &h, reply, cap, NULL, BC_TIMEOUT_MS);
	if (ret)
		return errmsg_set(err, errlen, ret, "svdom0 (op %u): %s", op, strerror(-ret));
	if (h.status)
		return errmsg_set(err, errlen, h.status < 0 ? h.status : -EIO,
				  "svdom0 refused op %u: %.*s", op, (int)(h.len < cap ? h.len : 0),
				  (const char *)reply);
	*rlen = h.len;
	return 0;
}

int svb_counts_read(const struct svb_dom *b, const char *name, struct sweep_counts *out, char *err,
		    size_t errlen)
{
	static struct sv_ctl_dominfo info[SV_CTL_LIST_MAX];
	static struct sv_ts_dev_stats devs[SV_TS_DEV_STATS_MAX];
	struct sv_ctl_list req = { 0 };
	struct sv_ts_name dreq = { 0 };
	const struct sv_ctl_dominfo *found = NULL;
	char path[PATH_MAX + 16];
	struct sv_ctl_dominfo mine;
	size_t len = 0, n;
	int fd, ret;

	snprintf(path, sizeof(path), "%s/dom0.sock", b->dir);
	fd = wire_unix_connect(path);
	if (fd < 0)
		return errmsg_set(err, errlen, fd, "cannot reach svdom0 at %s", path);
	do {
		ret = bc_call(fd, SV_TS_LIST, &req, sizeof(req), info, sizeof(info), &len, err,
			      errlen);
		if (ret)
			goto out;
		n = len / sizeof(info[0]);
		for (size_t i = 0; i < n && !found; i++) {
			req.start_domid = info[i].domid + 1;
			if (!strncmp(info[i].name, name, sizeof(info[i].name))) {
				mine = info[i];
				found = &mine;
			}
		}
	} while (!found && n == SV_CTL_LIST_MAX);
	if (!found) {
		ret = errmsg_set(err, errlen, -ENOENT, "no domain %s to count", name);
		goto out;
	}
	snprintf(dreq.name, sizeof(dreq.name), "%s", name);
	ret = bc_call(fd, SV_TS_DEV_STATS, &dreq, sizeof(dreq), devs, sizeof(devs), &len, err,
		      errlen);
	if (!ret)
		sweep_counts_from(found, devs, len / sizeof(devs[0]), out);
out:
	close(fd);
	return ret;
}
