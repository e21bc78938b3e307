// SPDX-License-Identifier: MIT
/*
 * svctl bench xenstore: a guest's xenstore reads through its store ring and
 * svdom0, beside the same reads by a host client over svdom0's xenstore.sock
 * in the same run. The guest (`xsbench N`) is timed on the host clock between
 * its console markers, so the figure includes the ring, the event channel
 * kicks both ways and svdom0's work, as a guest sees it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sysexits.h>

#include "bench.h"
#include "bench_dom.h"
#include "ctl_wire.h"
#include "errmsg.h"
#include "util.h"
#include "xs_client.h"

/* What xsbench writes under its home; the host reads a node of the same size. */
#define XSB_VALUE     "xsbench-0123456789abcdef"
#define XSB_HOST_PATH "/local/domain/0/data/bench"
#define XSB_WARMUP    16u

struct xs_guest_line {
	unsigned long long reads, ns, errors;
	bool seen;
};

static void xb_line(const char *line, void *data)
{
	struct xs_guest_line *g = data;

	if (sscanf(line, "xsbench: reads=%llu ns=%llu errors=%llu", &g->reads, &g->ns,
		   &g->errors) == 3)
		g->seen = true;
}

/* µs per read of `xsbench reads` in a guest, on the host clock; its own clock in *guest_us. */
static int xb_guest(struct svb_dom *d, unsigned int reads, double *us, double *guest_us, char *err,
		    size_t errlen)
{
	struct xs_guest_line g = { .errors = 1 };
	char cmd[64];
	uint64_t ns = 0;
	int ret;

	snprintf(cmd, sizeof(cmd), "xsbench %u", reads);
	/* xsbench waits for a key, so it cannot start before we follow its console. */
	ret = svb_guest(d, "xsbench", cmd, "", "\n", xb_line, &g, &ns, err, errlen);
	if (ret)
		return ret;
	if (!g.seen || g.errors || g.reads != reads)
		return errmsg_set(err, errlen, -EIO,
				  "the guest's xsbench printed no result or had errors");
	*us = (double)ns / 1e3 / reads;
	*guest_us = (double)g.ns / 1e3 / reads;
	return 0;
}

/* µs per read of the same node size by this process as a xenstore.sock client (domid 0). */
static int xb_host(const struct svb_dom *d, unsigned int reads, double *us, char *err,
		   size_t errlen)
{
	static char reply[XS_PAYLOAD_MAX + 1];
	char sock[PATH_MAX + 32];
	struct xs_msg_hdr h;
	uint64_t t0;
	int fd, ret;

	snprintf(sock, sizeof(sock), "%s/xenstore.sock", d->dir);
	fd = wire_unix_connect(sock);
	if (fd < 0)
		return errmsg_set(err, errlen, -ECONNREFUSED, "cannot connect to %s", sock);
	ret = xs_sock_request(fd, XS_WRITE, XSB_HOST_PATH, XSB_VALUE, &h, reply);
	for (unsigned int i = 0; i < XSB_WARMUP && !ret; i++)
		ret = xs_sock_request(fd, XS_READ, XSB_HOST_PATH, NULL, &h, reply);
	if (ret)
		goto out;
	t0 = util_now_ns();
	for (unsigned int i = 0; i < reads && !ret; i++) {
		ret = xs_sock_request(fd, XS_READ, XSB_HOST_PATH, NULL, &h, reply);
		if (!ret && strcmp(reply, XSB_VALUE))
			ret = -EIO;
	}
	*us = (double)(util_now_ns() - t0) / 1e3 / reads;
out:
	close(fd);
	if (ret)
		return errmsg_set(err, errlen, ret, "host reads of %s: %s", XSB_HOST_PATH,
				  xs_error_name(ret));
	return 0;
}

int bench_xs(const char *kernel, unsigned int reads, unsigned int runs, bool json)
{
	double host[XS_BENCH_MAX_RUNS], guest[XS_BENCH_MAX_RUNS];
	double host_ops[XS_BENCH_MAX_RUNS], guest_ops[XS_BENCH_MAX_RUNS];
	struct bench_result r[2];
	char err[512] = "";
	struct svb_dom d;
	double own_us = 0;
	int ret = 0;

	if (svb_open(&d, "xenstore", kernel))
		return EX_SOFTWARE;
	/* Guest first: its create starts the daemons the host client then talks to. */
	for (unsigned int run = 0; run < runs && !ret; run++) {
		ret = xb_guest(&d, reads, &guest[run], &own_us, err, sizeof(err));
		if (!ret)
			ret = xb_host(&d, reads, &host[run], err, sizeof(err));
		if (ret)
			break;
		guest_ops[run] = 1e6 / guest[run];
		host_ops[run] = 1e6 / host[run];
		fprintf(stderr,
			"svctl bench xenstore: run %u: guest %.1f us/read (host clock; %.1f on its "
			"own), host client %.1f us/read, %u reads each\n",
			run + 1, guest[run], own_us, host[run], reads);
	}
	svb_close(&d);
	if (ret) {
		fprintf(stderr, "svctl bench xenstore: %s (logs in %s)\n", err, d.dir);
		return EX_SOFTWARE;
	}
	r[0] = (struct bench_result){ .name = "xenstore.read_rtt",
				      .value = svb_median(guest, runs),
				      .unit = "us",
				      .baseline = svb_median(host, runs),
				      .baseline_name = "host client read over xenstore.sock",
				      .samples = runs };
	r[1] = (struct bench_result){ .name = "xenstore.ops",
				      .value = svb_median(guest_ops, runs),
				      .unit = "reads/s",
				      .baseline = svb_median(host_ops, runs),
				      .baseline_name = "host client reads/s over xenstore.sock",
				      .samples = runs };
	bench_print(stdout, r, 2, json);
	return 0;
}
