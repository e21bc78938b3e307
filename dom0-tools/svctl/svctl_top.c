// SPDX-License-Identifier: MIT
/*
 * svctl top: every domain's counters, as rates over the last interval, like
 * xentop. The core's list carries each domain's CPU time, VM exits,
 * hypercalls and notify kicks (sv_ctl_dominfo); SV_TS_DEV_STATS carries its
 * disks' and interfaces' counters from the backends. Both are read without a
 * lock on their side, so watching costs the data path nothing.
 */
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <splitvisor/toolstack.h>

#include "ctl_wire.h"
#include "svctl.h"
#include "util.h"

#define TOP_MAX_DOMS 256u
#define TOP_MAX_DEVS 16u /* per domain, shown */

const char svctl_top_usage[] =
	"top [--devices] [--batch] [-n N] [--delay SECONDS] [--json]\n"
	"\n"
	"  Every domain's state, vCPUs, CPU % (of one CPU), VM exits/s (KVM's count;\n"
	"  '-' where the kernel has no binary statistics), hypercalls/s and events/s\n"
	"  (notify kicks that reached the core plus events the backends sent), block\n"
	"  requests/s and MB/s, network frames/s and Mbit/s (both directions) and\n"
	"  drops/s, refreshed each interval. Rates are over the last interval; the\n"
	"  first screen has none yet ('-').\n"
	"\n"
	"  -d, --devices   a line per disk and interface under its domain\n"
	"  -b, --batch     plain text, one screen after another (the default when\n"
	"                  stdout is not a terminal)\n"
	"  -n N            stop after N screens (default: never on a terminal, 1 in\n"
	"                  batch mode)\n"
	"  --delay S       seconds between screens (default 1, 1..3600)\n"
	"  --json          one JSON object per screen and line, with counters and rates\n";

/* One device's totals (sv_ts_dev_stats) and its previous totals. */
struct top_dev {
	struct sv_ts_dev_stats now, prev;
	bool have_prev;
};

struct top_dom {
	struct sv_ctl_dominfo now, prev;
	bool have_prev, seen;
	unsigned int nr_devs;
	struct top_dev dev[TOP_MAX_DEVS];
};

struct top {
	int fd;
	bool devices, json, live;
	uint64_t t_ns, prev_ns;
	unsigned int nr;
	struct top_dom dom[TOP_MAX_DOMS];
};

static volatile sig_atomic_t top_stop;

static void top_on_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

static struct top_dom *top_find(struct top *t, uint32_t domid)
{
	for (unsigned int i = 0; i < t->nr; i++)
		if (t->dom[i].now.domid == domid)
			return &t->dom[i];
	if (t->nr == TOP_MAX_DOMS)
		return NULL;
	memset(&t->dom[t->nr], 0, sizeof(t->dom[0]));
	return &t->dom[t->nr++];
}

static void top_read_devs(struct top *t, struct top_dom *d)
{
	struct sv_ts_dev_stats st[SV_TS_DEV_STATS_MAX];
	struct sv_ts_name req = { 0 };
	size_t len = 0, n;

	snprintf(req.name, sizeof(req.name), "%s", d->now.name);
	/* A domain that ended a moment ago has no devices: nothing to show, not an error. */
	if (svctl_ts_call("top", t->fd, SV_TS_DEV_STATS, &req, sizeof(req), st, sizeof(st), &len,
			  SVCTL_REPLY_TIMEOUT)) {
		d->nr_devs = 0;
		return;
	}
	n = len / sizeof(st[0]);
	for (size_t i = 0; i < n && i < TOP_MAX_DEVS; i++) {
		struct top_dev *x = NULL;

		for (unsigned int j = 0; j < d->nr_devs; j++)
			if (d->dev[j].now.kind == st[i].kind && d->dev[j].now.id == st[i].id)
				x = &d->dev[j];
		if (!x) {
			if (d->nr_devs == TOP_MAX_DEVS)
				continue;
			x = &d->dev[d->nr_devs++];
			memset(x, 0, sizeof(*x));
		} else {
			x->prev = x->now;
			x->have_prev = true;
		}
		x->now = st[i];
		x->now.name[sizeof(x->now.name) - 1] = 0;
	}
}

/* Reads every domain and its devices; 0 or an svctl exit code. */
static int top_sample(struct top *t)
{
	struct sv_ctl_dominfo info[SV_CTL_LIST_MAX];
	struct sv_ctl_list req = { 0 };
	size_t len, n;
	int ret;

	for (unsigned int i = 0; i < t->nr; i++)
		t->dom[i].seen = false;
	t->prev_ns = t->t_ns;
	t->t_ns = util_now_ns();
	do {
		ret = svctl_ts_call("top", t->fd, SV_TS_LIST, &req, sizeof(req), info, sizeof(info),
				    &len, SVCTL_REPLY_TIMEOUT);
		if (ret)
			return SVCTL_EX_FAIL;
		n = len / sizeof(info[0]);
		for (size_t i = 0; i < n; i++) {
			struct top_dom *d = top_find(t, info[i].domid);

			req.start_domid = info[i].domid + 1;
			if (!d)
				continue;
			/* A domid reused by a new domain starts over. */
			d->have_prev =
				d->now.start_time_ns == info[i].start_time_ns && d->now.name[0];
			if (!d->have_prev)
				d->nr_devs = 0;
			d->prev = d->now;
			d->now = info[i];
			d->now.name[SV_CTL_NAME_SIZE - 1] = 0;
			d->seen = true;
			top_read_devs(t, d);
		}
	} while (n == SV_CTL_LIST_MAX);
	/* Forget the domains that went away. */
	for (unsigned int i = 0; i < t->nr;) {
		if (!t->dom[i].seen)
			t->dom[i] = t->dom[--t->nr];
		else
			i++;
	}
	return 0;
}

/* The rates of one domain or device, NaN-free: -1 where there is none yet. */
struct top_rates {
	double cpu_pct, exits, hypercalls, events;
	double blk_reqs, blk_mbs, net_frames, net_mbits, drops;
};

static double rate(uint64_t now, uint64_t prev, double secs)
{
	return now >= prev ? (double)(now - prev) / secs : 0;
}

static void dev_rates(const struct top_dev *x, double secs, struct top_rates *r)
{
	const struct sv_ts_dev_stats *a = &x->now, *b = &x->prev;

	memset(r, 0, sizeof(*r));
	r->blk_reqs = rate(a->requests, b->requests, secs);
	r->blk_mbs =
		rate(a->read_bytes + a->write_bytes, b->read_bytes + b->write_bytes, secs) / 1e6;
	r->net_frames = rate(a->tx_frames + a->rx_frames, b->tx_frames + b->rx_frames, secs);
	r->net_mbits = rate(a->tx_bytes + a->rx_bytes, b->tx_bytes + b->rx_bytes, secs) * 8 / 1e6;
	r->drops = rate(a->drops, b->drops, secs);
	r->events = rate(a->notifications, b->notifications, secs);
}

static bool dom_rates(const struct top *t, const struct top_dom *d, struct top_rates *r)
{
	double secs = (double)(t->t_ns - t->prev_ns) / 1e9;

	memset(r, 0, sizeof(*r));
	if (!d->have_prev || secs <= 0)
		return false;
	r->cpu_pct = rate(d->now.cpu_ns, d->prev.cpu_ns, secs) / 1e7;
	r->exits = (d->now.stat_flags & SV_CTL_INFO_EXITS) ? rate(d->now.exits, d->prev.exits, secs)
							   : -1;
	r->hypercalls = rate(d->now.hypercalls, d->prev.hypercalls, secs);
	r->events = rate(d->now.notifies, d->prev.notifies, secs);
	for (unsigned int i = 0; i < d->nr_devs; i++) {
		struct top_rates x;

		if (!d->dev[i].have_prev)
			continue;
		dev_rates(&d->dev[i], secs, &x);
		r->blk_reqs += x.blk_reqs;
		r->blk_mbs += x.blk_mbs;
		r->net_frames += x.net_frames;
		r->net_mbits += x.net_mbits;
		r->drops += x.drops;
		r->events += x.events;
	}
	return true;
}

static void fmt(char *buf, size_t len, bool have, double v, const char *f)
{
	if (!have || v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, f, v);
}

static void top_print_text(const struct top *t)
{
	printf("%5s %-16s %-8s %5s %6s %9s %9s %9s %9s %8s %9s %9s %7s\n", "ID", "NAME", "STATE",
	       "VCPUS", "CPU%", "EXITS/s", "HCALLS/s", "EVENTS/s", "BLKREQ/s", "BLKMB/s", "NETFR/s",
	       "NETMb/s", "DROPS/s");
	for (unsigned int i = 0; i < t->nr; i++) {
		const struct top_dom *d = &t->dom[i];
		struct top_rates r;
		bool have = dom_rates(t, d, &r);
		char c[9][24];

		fmt(c[0], sizeof(c[0]), have, r.cpu_pct, "%.1f");
		fmt(c[1], sizeof(c[1]), have, r.exits, "%.0f");
		fmt(c[2], sizeof(c[2]), have, r.hypercalls, "%.0f");
		fmt(c[3], sizeof(c[3]), have, r.events, "%.0f");
		fmt(c[4], sizeof(c[4]), have, r.blk_reqs, "%.0f");
		fmt(c[5], sizeof(c[5]), have, r.blk_mbs, "%.2f");
		fmt(c[6], sizeof(c[6]), have, r.net_frames, "%.0f");
		fmt(c[7], sizeof(c[7]), have, r.net_mbits, "%.2f");
		fmt(c[8], sizeof(c[8]), have, r.drops, "%.0f");
		printf("%5u %-16.16s %-8s %5u %6s %9s %9s %9s %9s %8s %9s %9s %7s\n", d->now.domid,
		       d->now.name, wire_state_name(d->now.state), d->now.vcpus, c[0], c[1], c[2],
		       c[3], c[4], c[5], c[6], c[7], c[8]);
		for (unsigned int k = 0; t->devices && k < d->nr_devs; k++) {
			const struct top_dev *x = &d->dev[k];
			double secs = (double)(t->t_ns - t->prev_ns) / 1e9;
			bool h = x->have_prev && secs > 0;
			struct top_rates dr = { 0 };

			if (h)
				dev_rates(x, secs, &dr);
			if (x->now.flags & SV_TS_DEV_REMOTE) {
				printf("%5s   %-14s served by domain %u (its counters are in "
				       "svdd)\n",
				       "", x->now.name, x->now.be_domid);
				continue;
			}
			fmt(c[3], sizeof(c[3]), h, dr.events, "%.0f");
			fmt(c[4], sizeof(c[4]), h, dr.blk_reqs, "%.0f");
			fmt(c[5], sizeof(c[5]), h, dr.blk_mbs, "%.2f");
			fmt(c[6], sizeof(c[6]), h, dr.net_frames, "%.0f");
			fmt(c[7], sizeof(c[7]), h, dr.net_mbits, "%.2f");
			fmt(c[8], sizeof(c[8]), h, dr.drops, "%.0f");
			if (x->now.kind == SV_TS_DEV_VBD)
				printf("%5s   %-14s %-8s %5s %6s %9s %9s %9s %9s %8s %9s %9s %7s\n",
				       "", x->now.name, "disk", "", "", "", "", c[3], c[4], c[5],
				       "", "", "");
			else
				printf("%5s   %-14s %-8s %5s %6s %9s %9s %9s %9s %8s %9s %9s %7s\n",
				       "", x->now.name, "vif", "", "", "", "", c[3], "", "", c[6],
				       c[7], c[8]);
		}
	}
}

static void json_rate(const char *key, bool have, double v, bool comma)
{
	if (!have || v < 0)
		printf("\"%s\": null%s", key, comma ? ", " : "");
	else
		printf("\"%s\": %.6g%s", key, v, comma ? ", " : "");
}

static void top_print_json(const struct top *t)
{
	printf("{\"time_ns\": %" PRIu64 ", \"domains\": [", t->t_ns);
	for (unsigned int i = 0; i < t->nr; i++) {
		const struct top_dom *d = &t->dom[i];
		struct top_rates r;
		bool have = dom_rates(t, d, &r);
		uint64_t reqs = 0, bytes = 0, frames = 0;

		for (unsigned int k = 0; k < d->nr_devs; k++) {
			reqs += d->dev[k].now.requests;
			bytes += d->dev[k].now.read_bytes + d->dev[k].now.write_bytes;
			frames += d->dev[k].now.tx_frames + d->dev[k].now.rx_frames;
		}
		/* Names are checked by the toolstack: letters, digits, '-', '_', '.'. */
		printf("%s{\"id\": %u, \"name\": \"%s\", \"state\": \"%s\", \"vcpus\": %u, ",
		       i ? ", " : "", d->now.domid, d->now.name, wire_state_name(d->now.state),
		       d->now.vcpus);
		printf("\"cpu_ns\": %" PRIu64 ", \"hypercalls\": %" PRIu64
		       ", \"notifies\": %" PRIu64 ", ",
		       (uint64_t)d->now.cpu_ns, (uint64_t)d->now.hypercalls,
		       (uint64_t)d->now.notifies);
		if (d->now.stat_flags & SV_CTL_INFO_EXITS)
			printf("\"exits\": %" PRIu64 ", ", (uint64_t)d->now.exits);
		else
			printf("\"exits\": null, ");
		printf("\"blk_requests\": %" PRIu64 ", \"blk_bytes\": %" PRIu64
		       ", \"net_frames\": %" PRIu64 ", ",
		       reqs, bytes, frames);
		json_rate("cpu_pct", have, r.cpu_pct, true);
		json_rate("exits_per_s", have, r.exits, true);
		json_rate("hypercalls_per_s", have, r.hypercalls, true);
		json_rate("events_per_s", have, r.events, true);
		json_rate("blk_requests_per_s", have, r.blk_reqs, true);
		json_rate("blk_mb_per_s", have, r.blk_mbs, true);
		json_rate("net_frames_per_s", have, r.net_frames, true);
		json_rate("net_mbit_per_s", have, r.net_mbits, true);
		json_rate("drops_per_s", have, r.drops, t->devices);
		if (t->devices) {
			printf("\"devices\": [");
			for (unsigned int k = 0; k < d->nr_devs; k++) {
				const struct sv_ts_dev_stats *x = &d->dev[k].now;

				printf("%s{\"kind\": \"%s\", \"name\": \"%s\", \"backend\": %u, "
				       "\"requests\": %" PRIu64 ", \"read_bytes\": %" PRIu64
				       ", \"write_bytes\": %" PRIu64 ", \"tx_frames\": %" PRIu64
				       ", \"rx_frames\": %" PRIu64 ", \"tx_bytes\": %" PRIu64
				       ", \"rx_bytes\": %" PRIu64 ", \"drops\": %" PRIu64
				       ", \"notifications\": %" PRIu64 ", \"copies\": %" PRIu64
				       ", \"syscalls\": %" PRIu64 ", \"grant_ops\": %" PRIu64 "}",
				       k ? ", " : "", x->kind == SV_TS_DEV_VBD ? "disk" : "vif",
				       x->name, x->be_domid, (uint64_t)x->requests,
				       (uint64_t)x->read_bytes, (uint64_t)x->write_bytes,
				       (uint64_t)x->tx_frames, (uint64_t)x->rx_frames,
				       (uint64_t)x->tx_bytes, (uint64_t)x->rx_bytes,
				       (uint64_t)x->drops, (uint64_t)x->notifications,
				       (uint64_t)x->copies, (uint64_t)x->syscalls,
				       (uint64_t)x->grant_ops);
			}
			printf("]");
		}
		printf("}");
	}
	printf("]}\n");
}

/* Sleeps ms, or until a signal or 'q' on a live terminal. */
static void top_wait(const struct top *t, int ms)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	uint64_t end = util_now_ns() + (uint64_t)ms * 1000000u;

	while (!top_stop) {
		uint64_t now = util_now_ns();
		char ch;

		if (now >= end)
			return;
		if (!t->live) {
			struct timespec ts = { 0, (long)((end - now) % 1000000000u) };

			ts.tv_sec = (time_t)((end - now) / 1000000000u);
			nanosleep(&ts, NULL);
			continue;
		}
		if (poll(&p, 1, (int)((end - now) / 1000000u) + 1) > 0 &&
		    read(STDIN_FILENO, &ch, 1) == 1 && (ch == 'q' || ch == 'Q'))
			top_stop = 1;
	}
}

int svctl_cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "devices", no_argument, NULL, 'd' }, { "batch", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },    { "delay", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },    { NULL, 0, NULL, 0 },
	};
	static struct top t;
	char dir[4096];
	uint32_t n = 0, delay = 1;
	bool batch = false;
	struct sigaction sa = { .sa_handler = top_on_signal };
	int c, ret = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "dbn:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			t.devices = true;
			break;
		case 'b':
			batch = true;
			break;
		case 'j':
			t.json = true;
			break;
		case 'n':
			if (svctl_parse_count("top", "-n", optarg, 1, 1000000, &n))
				return SVCTL_EX_USAGE;
			break;
		case 'D':
			if (svctl_parse_count("top", "--delay", optarg, 1, 3600, &delay))
				return SVCTL_EX_USAGE;
			break;
		case 'h':
			printf("usage: svctl %s", svctl_top_usage);
			return 0;
		default:
			return svctl_usage_error("top", "unknown or incomplete option '%s'",
						 argv[optind - 1]);
		}
	}
	if (optind != argc)
		return svctl_usage_error("top", "unexpected argument '%s'", argv[optind]);
	t.live = !batch && !t.json && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
	if (!t.live && !n)
		n = 1;
	if (svctl_rundir(dir, sizeof(dir)))
		return SVCTL_EX_UNAVAILABLE;
	t.fd = svctl_dom0_open("top", dir, false);
	if (t.fd < 0)
		return SVCTL_EX_UNAVAILABLE;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (uint32_t i = 0; !n || i < n; i++) {
		if (i)
			top_wait(&t, (int)delay * 1000);
		if (top_stop)
			break;
		ret = top_sample(&t);
		if (ret)
			break;
		if (t.live)
			printf("\033[H\033[2Jsvctl top: every %us; q and Enter, or Ctrl-C, quits\n",
			       delay);
		if (t.json)
			top_print_json(&t);
		else
			top_print_text(&t);
		if (!t.live && !t.json && (!n || i + 1 < n))
			printf("\n");
		fflush(stdout);
	}
	close(t.fd);
	return ret;
}
