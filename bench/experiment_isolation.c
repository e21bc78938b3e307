// SPDX-License-Identifier: MIT
/*
 * svctl experiment isolation: a driver domain serves a guest's disk while each
 * fault is injected into it in turn, beside a bystander guest whose disk svdom0
 * serves, and two guests whose vifs it serves (netverify pings udp-echo
 * across its switch every 100 ms). Per fault it reports what survived, the longest time the guest went
 * without a completed write (from its own progress lines, so the console's way
 * to the host does not count), how long its frontend took to reconnect (its
 * own figure), the I/O errors it saw and the flushed writes that did not read
 * back (its blkverify checks them); then what
 * the isolation costs: the same blkbench through svdom0 and through the driver
 * domain, in one run. Everything runs in private daemons (bench_dom.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "bench.h"
#include "bench_dom.h"
#include "errmsg.h"
#include "util.h"

#define ISO_DD		 "isodd"
#define ISO_HOLD_MS	 2000u	/* how long a fault that must be cleared lasts */
#define ISO_START_MS	 120000 /* for both guests to show progress */
#define ISO_RECOVER_MS	 90000	/* for the guest to complete writes again */
#define ISO_SETTLE_MS	 1000u	/* between faults */
#define ISO_IMAGE_MB	 16u
#define ISO_BENCH_MB	 16u
#define ISO_COST_SAMPLES 3u /* per workload and backend, taken in turns; medians */

/* The last progress line of a blkverify guest. */
struct iso_verify {
	unsigned long long t, writes, flushed, reads, errors, reconnects, lost, stall_ms;
};

/* The last progress line of a netverify guest. */
struct iso_netverify {
	unsigned long long t, sent, received, reconnects;
};

struct iso_guest {
	struct svb_proc p;
	struct iso_verify v;
	struct iso_netverify n;
	/*
	 * Whether it got through again after a fault ended, on its own clock: a line
	 * printed after the end, then one that counts more than it (so completions
	 * from before the end, printed late, do not count). offset_ms is the least
	 * host-minus-guest time seen, to place the end on the guest's clock.
	 */
	long long offset_ms;
	bool armed, have_first, recovered;
	unsigned long long end_t, first_t, first_count;
	/* Over one fault's window, in the guest's own time. */
	bool in_window;
	unsigned long long last_inc_t, last_inc_writes, max_gap_ms, reconnect_ms;
	unsigned long long net_last_t, net_last_rx, net_gap_ms, net_reconnect_ms;
};

struct iso_fault {
	const char *name;
	const char *arg;   /* its argument, or NULL */
	const char *clear; /* what ends it, or NULL: it ends by itself */
};

static const struct iso_fault iso_faults[] = {
	{ "kill", NULL, NULL },		  /* the toolstack restarts it */
	{ "hang", NULL, "resume" },	  /* SIGSTOP, then SIGCONT */
	{ "slow", "200", "clear" },	  /* 200 ms before each ring batch */
	{ "corrupt-ring", NULL, NULL },	  /* one garbage response per ring */
	{ "drop-notify", NULL, "clear" }, /* no events to the guest */
};

#define ISO_NR_FAULTS (sizeof(iso_faults) / sizeof(iso_faults[0]))

struct iso_result {
	bool injected, guest_alive, bystander_ok, dom0_ok, dd_running, recovered;
	unsigned long long stall_ms, reconnect_ms, io_errors, reconnects, lost;
	/* the vif's guest: alive and answered again, its longest gap, its reconnects */
	bool net_alive, net_recovered;
	unsigned long long net_gap_ms, net_reconnect_ms, net_reconnects;
};

struct iso_ctx {
	struct svb_dom d;
	char dd_img[PATH_MAX + 16], dom0_img[PATH_MAX + 16];
	struct iso_guest victim, bystander, net_victim, net_peer;
};

static void iso_progress(struct iso_guest *g, unsigned long long t, unsigned long long count)
{
	long long off = (long long)(util_now_ns() / 1000000u) - (long long)t;

	if (off < g->offset_ms)
		g->offset_ms = off;
	if (!g->armed || g->recovered)
		return;
	if (!g->have_first) {
		if (t > g->end_t) {
			g->have_first = true;
			g->first_t = t;
			g->first_count = count;
		}
	} else if (t > g->first_t && count > g->first_count) {
		g->recovered = true;
	}
}

/* The fault ended now: from here on, watch for the guest getting through. */
static void iso_arm(struct iso_guest *g)
{
	long long now = (long long)(util_now_ns() / 1000000u);

	g->armed = true;
	g->have_first = g->recovered = false;
	g->end_t = g->offset_ms == LLONG_MAX || now < g->offset_ms
			   ? 0
			   : (unsigned long long)(now - g->offset_ms);
}

static void iso_line(const char *line, void *data)
{
	struct iso_guest *g = data;
	unsigned long long ms;
	struct iso_verify v;

	struct iso_netverify n;

	if (g->in_window && sscanf(line, "blkdev %*s reconnected to %*s after %llu ms", &ms) == 1) {
		g->reconnect_ms += ms;
		return;
	}
	if (g->in_window && sscanf(line, "netdev %*s reconnected to %*s after %llu ms", &ms) == 1) {
		g->net_reconnect_ms += ms;
		return;
	}
	if (sscanf(line, "netverify: t=%llu sent=%llu received=%llu max_gap_ms=%*u reconnects=%llu",
		   &n.t, &n.sent, &n.received, &n.reconnects) == 4) {
		g->n = n;
		iso_progress(g, n.t, n.received);
		if (g->in_window && n.received > g->net_last_rx) {
			if (n.t - g->net_last_t > g->net_gap_ms)
				g->net_gap_ms = n.t - g->net_last_t;
			g->net_last_t = n.t;
			g->net_last_rx = n.received;
		}
		return;
	}
	if (sscanf(line,
		   "blkverify: t=%llu writes=%llu flushed=%llu reads=%llu errors=%llu "
		   "reconnects=%llu lost=%llu stall_ms=%llu",
		   &v.t, &v.writes, &v.flushed, &v.reads, &v.errors, &v.reconnects, &v.lost,
		   &v.stall_ms) != 8)
		return;
	g->v = v;
	iso_progress(g, v.t, v.writes);
	if (g->in_window && v.writes > g->last_inc_writes) {
		if (v.t - g->last_inc_t > g->max_gap_ms)
			g->max_gap_ms = v.t - g->last_inc_t;
		g->last_inc_t = v.t;
		g->last_inc_writes = v.writes;
	}
}

/* Reads both consoles for ms milliseconds (or until stop says so). */
static void iso_pump(struct iso_ctx *c, unsigned int ms, bool (*stop)(struct iso_ctx *, void *),
		     void *arg)
{
	uint64_t end = util_now_ns() + (uint64_t)ms * 1000000u;
	struct iso_guest *g[4] = { &c->victim, &c->bystander, &c->net_victim, &c->net_peer };

	for (;;) {
		struct pollfd pfd[4];
		uint64_t now = util_now_ns();
		nfds_t n = 0;

		for (int i = 0; i < 4; i++)
			if (g[i]->p.fd >= 0)
				pfd[n++] = (struct pollfd){ .fd = g[i]->p.fd, .events = POLLIN };
		if (stop && stop(c, arg))
			return;
		if (now >= end || !n)
			return;
		poll(pfd, n, (int)((end - now) / 1000000u) + 1);
		for (int i = 0; i < 4; i++)
			if (g[i]->p.fd >= 0)
				svb_proc_read(&g[i]->p, iso_line, g[i]);
	}
}

static bool iso_both_progress(struct iso_ctx *c, void *arg)
{
	(void)arg;
	return c->victim.v.writes > 0 && c->bystander.v.writes > 0 && c->net_victim.n.received > 0;
}

/* Both victims got through again (a write completed, an echo came back) after the end. */
static bool iso_victim_progress(struct iso_ctx *c, void *arg)
{
	(void)arg;
	return c->victim.recovered && c->net_victim.recovered;
}

/* Written out, not sparse: both backends then read and write allocated blocks alike. */
static int iso_make_image(const char *path)
{
	static const uint8_t zero[1 << 16];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ret = 0;

	if (fd < 0)
		return -errno;
	for (off_t off = 0; !ret && off < (off_t)ISO_IMAGE_MB << 20; off += sizeof(zero))
		if (pwrite(fd, zero, sizeof(zero), off) != (ssize_t)sizeof(zero))
			ret = -EIO;
	if (!ret && fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

static void iso_vif_xml(char *out, size_t cap, unsigned int n)
{
	snprintf(out, cap,
		 "<interface type='bridge'><mac address='00:16:3e:00:19:%02x'/>"
		 "<source bridge='isonet'/><backenddomain name='%s'/></interface>",
		 n, ISO_DD);
}

static void iso_disk_xml(char *out, size_t cap, const char *file, const char *backend)
{
	char bd[96] = "";

	if (backend)
		snprintf(bd, sizeof(bd), "<backenddomain name='%s'/>", backend);
	snprintf(out, cap,
		 "<disk type='file' device='disk'><driver name='file' cache='writeback'/>"
		 "<source file='%s'/><target dev='xvda' bus='xen'/>%s</disk>",
		 file, bd);
}

static int iso_start_dd(struct iso_ctx *c, char *err, size_t errlen)
{
	char path[PATH_MAX + 32];
	const char *create[] = { "create", path, NULL };
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "%s/%s.xml", c->d.dir, ISO_DD);
	f = fopen(path, "w");
	if (!f)
		return errmsg_set(err, errlen, -errno, "cannot write %s", path);
	fprintf(f,
		"<domain type='xen'><name>%s</name><memory unit='MiB'>64</memory>"
		"<os><type>exe</type></os><on_crash>restart</on_crash></domain>\n",
		ISO_DD);
	if (fclose(f))
		return errmsg_set(err, errlen, -errno, "cannot write %s", path);
	ret = svb_svctl(&c->d, create, NULL);
	if (ret)
		return errmsg_set(err, errlen, -EIO, "svctl create %s failed (exit %d)", path, ret);
	return 0;
}

/* svctl list answers (svdom0 runs) and names the driver domain. */
static void iso_check_list(struct iso_ctx *c, struct iso_result *r)
{
	const char *list[] = { "list", NULL };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	r->dom0_ok = svb_svctl(&c->d, list, f) == 0;
	fclose(f);
	r->dd_running = buf && strstr(buf, ISO_DD);
	free(buf);
}

static int iso_inject(struct iso_ctx *c, const char *fault, const char *arg)
{
	const char *args[] = { "inject", ISO_DD, fault, arg, NULL };

	return svb_svctl(&c->d, args, NULL);
}

static void iso_run_fault(struct iso_ctx *c, const struct iso_fault *f, struct iso_result *r)
{
	struct iso_verify v0 = c->victim.v, b0 = c->bystander.v;
	struct iso_guest *nv = &c->net_victim;
	unsigned long long n_reconnects0 = nv->n.reconnects;

	memset(r, 0, sizeof(*r));
	c->victim.in_window = true;
	c->victim.last_inc_t = v0.t;
	c->victim.last_inc_writes = v0.writes;
	c->victim.max_gap_ms = c->victim.reconnect_ms = 0;
	nv->in_window = true;
	nv->net_last_t = nv->n.t;
	nv->net_last_rx = nv->n.received;
	nv->net_gap_ms = nv->net_reconnect_ms = 0;
	r->injected = iso_inject(c, f->name, f->arg) == 0;
	if (f->clear) {
		iso_pump(c, ISO_HOLD_MS, NULL, NULL);
		if (iso_inject(c, f->clear, NULL))
			r->injected = false;
	}
	/* The fault has ended: from here on the guest should get its disk back. */
	iso_arm(&c->victim);
	iso_arm(nv);
	iso_pump(c, ISO_RECOVER_MS, iso_victim_progress, NULL);
	r->recovered = c->victim.recovered;
	iso_pump(c, ISO_SETTLE_MS, NULL, NULL);
	c->victim.in_window = nv->in_window = false;
	r->stall_ms = c->victim.max_gap_ms;
	r->reconnect_ms = c->victim.reconnect_ms;
	r->net_alive = nv->p.fd >= 0 && c->net_peer.p.fd >= 0;
	r->net_recovered = nv->recovered;
	r->net_gap_ms = nv->net_gap_ms;
	r->net_reconnect_ms = nv->net_reconnect_ms;
	r->net_reconnects = nv->n.reconnects - n_reconnects0;
	r->guest_alive = c->victim.p.fd >= 0;
	r->bystander_ok = c->bystander.p.fd >= 0 && c->bystander.v.writes > b0.writes &&
			  c->bystander.v.errors == b0.errors && c->bystander.v.lost == 0;
	r->io_errors = c->victim.v.errors - v0.errors;
	r->reconnects = c->victim.v.reconnects - v0.reconnects;
	r->lost = c->victim.v.lost;
	iso_check_list(c, r);
}

struct iso_bench {
	unsigned long long bytes;
	bool seen;
};

static void iso_bench_line(const char *line, void *data)
{
	struct iso_bench *r = data;
	unsigned long long errors = 1;

	if (sscanf(line, "blkbench: rw=%*s bs=%*u qd=%*u bytes=%llu ns=%*u ops=%*u errors=%llu",
		   &r->bytes, &errors) == 2 &&
	    !errors)
		r->seen = true;
}

/* MB/s of one blkbench through backend (NULL: svdom0), host clock between its markers. */
static int iso_bench(struct iso_ctx *c, const char *rw, const char *backend, double *mbps,
		     char *err, size_t errlen)
{
	char dev[PATH_MAX + 256], cmd[160];
	struct iso_bench r = { 0 };
	uint64_t ns = 0;
	int ret;

	iso_disk_xml(dev, sizeof(dev), backend ? c->dd_img : c->dom0_img, backend);
	snprintf(cmd, sizeof(cmd), "blkbench --wait-key --rw %s --bs 65536 --qd 32 --mb %u%s", rw,
		 ISO_BENCH_MB, strcmp(rw, "write") ? "" : " --flush");
	ret = svb_guest(&c->d, "blkbench", cmd, dev, "\n", iso_bench_line, &r, &ns, err, errlen);
	if (ret)
		return ret;
	if (!r.seen || !ns)
		return errmsg_set(err, errlen, -EIO, "blkbench (%s, %s) printed no result", cmd,
				  backend ? "driver domain" : "svdom0");
	*mbps = (double)r.bytes / 1e6 / ((double)ns / 1e9);
	return 0;
}

static void iso_print(const struct iso_result *res, unsigned int runs, const double cost[2][2],
		      bool json)
{
	static const char *const rw[2] = { "write", "read" };
	unsigned int i, n = runs * ISO_NR_FAULTS;

	if (json) {
		printf("{\"experiment\": \"isolation\", \"runs\": %u, \"faults\": [", runs);
		for (i = 0; i < n; i++) {
			const struct iso_result *r = &res[i];

			printf("%s\n  {\"fault\": \"%s\", \"run\": %u, \"injected\": %s, "
			       "\"guest_survived\": %s, \"bystander_ok\": %s, \"dom0_ok\": %s, "
			       "\"driver_domain_running\": %s, \"recovered\": %s, "
			       "\"stall_ms\": %llu, \"reconnect_ms\": %llu, \"io_errors\": %llu, "
			       "\"reconnects\": %llu, \"lost_flushed_writes\": %llu, "
			       "\"net_survived\": %s, \"net_recovered\": %s, \"net_gap_ms\": %llu, "
			       "\"net_reconnect_ms\": %llu, \"net_reconnects\": %llu}",
			       i ? "," : "", iso_faults[i % ISO_NR_FAULTS].name,
			       i / (unsigned int)ISO_NR_FAULTS, r->injected ? "true" : "false",
			       r->guest_alive ? "true" : "false",
			       r->bystander_ok ? "true" : "false", r->dom0_ok ? "true" : "false",
			       r->dd_running ? "true" : "false", r->recovered ? "true" : "false",
			       r->stall_ms, r->reconnect_ms, r->io_errors, r->reconnects, r->lost,
			       r->net_alive ? "true" : "false", r->net_recovered ? "true" : "false",
			       r->net_gap_ms, r->net_reconnect_ms, r->net_reconnects);
		}
		printf("\n], \"cost_samples\": %u, \"cost\": [", ISO_COST_SAMPLES);
		for (i = 0; i < 2; i++)
			printf("%s\n  {\"workload\": \"blkbench %s 64k qd32\", \"svdom0_mbps\": "
			       "%.2f, "
			       "\"driver_domain_mbps\": %.2f, \"ratio\": %.3f}",
			       i ? "," : "", rw[i], cost[i][0], cost[i][1],
			       cost[i][0] > 0 ? cost[i][1] / cost[i][0] : 0);
		printf("\n]}\n");
		return;
	}
	printf("%-13s %-4s %-8s %-9s %-6s %-7s %8s %12s %9s %10s %4s\n", "fault", "run", "survived",
	       "bystander", "svdom0", "dd", "stall_ms", "reconnect_ms", "io_errors", "reconnects",
	       "lost");
	for (i = 0; i < n; i++) {
		const struct iso_result *r = &res[i];

		printf("%-13s %-4u %-8s %-9s %-6s %-7s %8llu %12llu %9llu %10llu %4llu%s%s\n",
		       iso_faults[i % ISO_NR_FAULTS].name, i / (unsigned int)ISO_NR_FAULTS,
		       r->guest_alive ? "yes" : "NO", r->bystander_ok ? "ok" : "HURT",
		       r->dom0_ok ? "ok" : "DOWN", r->dd_running ? "running" : "gone", r->stall_ms,
		       r->reconnect_ms, r->io_errors, r->reconnects, r->lost,
		       r->injected ? "" : "  (inject failed)",
		       r->recovered ? "" : "  (no writes after the fault ended)");
	}
	printf("\nstall_ms: the guest's longest time without a completed write in the fault's\n"
	       "window (its own clock, progress lines every ~500 ms); reconnect_ms: its\n"
	       "frontend's own time from losing the backend to reconnecting.\n");
	printf("\nthe vif (netverify pings udp-echo every 100 ms across the driver domain's "
	       "switch):\n%-13s %-4s %-8s %-9s %8s %12s %10s\n",
	       "fault", "run", "survived", "recovered", "gap_ms", "reconnect_ms", "reconnects");
	for (i = 0; i < n; i++) {
		const struct iso_result *r = &res[i];

		printf("%-13s %-4u %-8s %-9s %8llu %12llu %10llu\n",
		       iso_faults[i % ISO_NR_FAULTS].name, i / (unsigned int)ISO_NR_FAULTS,
		       r->net_alive ? "yes" : "NO", r->net_recovered ? "yes" : "NO", r->net_gap_ms,
		       r->net_reconnect_ms, r->net_reconnects);
	}
	printf("\ncost of isolation (same run, blkbench 64 KiB at queue depth 32, %u MiB, median "
	       "of %u in turns):\n",
	       ISO_BENCH_MB, ISO_COST_SAMPLES);
	for (i = 0; i < 2; i++)
		printf("  %-5s svdom0 %8.2f MB/s   driver domain %8.2f MB/s   ratio %.3f\n", rw[i],
		       cost[i][0], cost[i][1], cost[i][0] > 0 ? cost[i][1] / cost[i][0] : 0);
}

int experiment_isolation(const char *kernel, unsigned int runs, bool json)
{
	struct iso_result *res = calloc((size_t)runs * ISO_NR_FAULTS, sizeof(*res));
	double cost[2][2] = { { 0 } };
	char dev[PATH_MAX + 256], err[512] = "";
	struct iso_ctx c;
	bool lost = false;
	int ret = -ENOMEM;

	if (!res)
		goto out_nodom;
	ret = svb_open(&c.d, "isolation", kernel);
	if (ret)
		goto out_nodom;
	memset(&c.victim, 0, sizeof(c.victim));
	memset(&c.bystander, 0, sizeof(c.bystander));
	memset(&c.net_victim, 0, sizeof(c.net_victim));
	memset(&c.net_peer, 0, sizeof(c.net_peer));
	c.victim.p.fd = c.bystander.p.fd = c.net_victim.p.fd = c.net_peer.p.fd = -1;
	c.victim.offset_ms = c.bystander.offset_ms = c.net_victim.offset_ms = LLONG_MAX;
	c.net_peer.offset_ms = LLONG_MAX;
	snprintf(c.dd_img, sizeof(c.dd_img), "%s/dd.img", c.d.dir);
	snprintf(c.dom0_img, sizeof(c.dom0_img), "%s/dom0.img", c.d.dir);
	if (iso_make_image(c.dd_img) || iso_make_image(c.dom0_img)) {
		ret = errmsg_set(err, sizeof(err), -EIO, "cannot make the disk images");
		goto out;
	}
	ret = iso_start_dd(&c, err, sizeof(err));
	if (ret)
		goto out;
	/*
	 * The cost first, while nothing else runs: same guest, images alike, the two
	 * backends in turns so that a noisy neighbour hits both; medians.
	 */
	for (int i = 0; i < 2 && !ret; i++) {
		double v[2][ISO_COST_SAMPLES];

		for (unsigned int k = 0; k < ISO_COST_SAMPLES && !ret; k++) {
			ret = iso_bench(&c, i ? "read" : "write", NULL, &v[0][k], err, sizeof(err));
			if (!ret)
				ret = iso_bench(&c, i ? "read" : "write", ISO_DD, &v[1][k], err,
						sizeof(err));
		}
		if (!ret) {
			cost[i][0] = svb_median(v[0], ISO_COST_SAMPLES);
			cost[i][1] = svb_median(v[1], ISO_COST_SAMPLES);
		}
	}
	if (ret)
		goto out;
	iso_disk_xml(dev, sizeof(dev), c.dd_img, ISO_DD);
	ret = svb_proc_start(&c.d, &c.victim.p, "blkverify", "blkverify 3600", dev, NULL, err,
			     sizeof(err));
	if (ret)
		goto out;
	iso_disk_xml(dev, sizeof(dev), c.dom0_img, NULL);
	ret = svb_proc_start(&c.d, &c.bystander.p, "blkverify", "blkverify 3600", dev, NULL, err,
			     sizeof(err));
	if (ret)
		goto out;
	iso_vif_xml(dev, sizeof(dev), 2);
	ret = svb_proc_start(&c.d, &c.net_peer.p, "udp-echo", "udp-echo 7 ip=10.0.19.2/24", dev,
			     NULL, err, sizeof(err));
	if (ret)
		goto out;
	iso_vif_xml(dev, sizeof(dev), 3);
	ret = svb_proc_start(&c.d, &c.net_victim.p, "netverify",
			     "netverify 10.0.19.2 3600 ip=10.0.19.3/24", dev, NULL, err,
			     sizeof(err));
	if (ret)
		goto out;
	iso_pump(&c, ISO_START_MS, iso_both_progress, NULL);
	if (!iso_both_progress(&c, NULL)) {
		ret = errmsg_set(
			err, sizeof(err), -ETIMEDOUT,
			"the guests' blkverify or netverify showed no progress within %d s",
			ISO_START_MS / 1000);
		goto out;
	}
	for (unsigned int run = 0; run < runs; run++)
		for (unsigned int i = 0; i < ISO_NR_FAULTS; i++)
			iso_run_fault(&c, &iso_faults[i], &res[run * ISO_NR_FAULTS + i]);
	iso_print(res, runs, cost, json);
	for (unsigned int i = 0; i < runs * ISO_NR_FAULTS; i++)
		lost |= res[i].lost || !res[i].guest_alive || !res[i].bystander_ok ||
			!res[i].dom0_ok || !res[i].net_alive || !res[i].net_recovered;
	ret = lost ? -EIO : 0;
	if (lost)
		errmsg_set(err, sizeof(err), -EIO,
			   "a fault hurt more than the driver domain's own guest (see the table)");
out:
	svb_proc_stop(&c.d, &c.victim.p);
	svb_proc_stop(&c.d, &c.bystander.p);
	svb_proc_stop(&c.d, &c.net_victim.p);
	svb_proc_stop(&c.d, &c.net_peer.p);
	unlink(c.dd_img);
	unlink(c.dom0_img);
	svb_close(&c.d);
	if (ret)
		fprintf(stderr, "svctl experiment isolation: %s (logs in %s)\n", err, c.d.dir);
out_nodom:
	free(res);
	return ret ? EX_SOFTWARE : 0;
}
