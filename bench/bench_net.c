// SPDX-License-Identifier: MIT
/*
 * svctl bench net: UDP datagrams from a guest's netbench through netfront, the
 * rings, svdom0's netback and our switch, to a second guest (net.g2g_64,
 * net.g2g_1500) or through a TAP device to a socket of the host
 * (net.g2host_1500), beside a veth pair between two network namespaces of the
 * host and memcpy of the frame size, measured in the same run. The bench first
 * moves into a network namespace of its own: the private daemons it starts
 * inherit it, so their TAP device, the veth pair and every address live and
 * vanish there and no network of the host is touched. The host's side (ip,
 * sockets, the veth pair, memcpy) is in bench_net_host.c.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "bench.h"
#include "bench_counts.h"
#include "bench_dom.h"
#include "bench_net.h"
#include "bench_net_host.h"
#include "errmsg.h"
#include "util.h"

#define NB_LARGE       (1500u - 28u) /* a 1500-byte IP packet: a 1514-byte frame */
#define NB_COUNT_SMALL 20000u
#define NB_COUNT_LARGE 10000u
#define NB_SWITCH      "svbnet0"
#define NB_TAP	       "svbtap0"
#define NB_WAIT_NS     (240ull * 1000000000ull) /* one figure, guests' boots included */
#define NB_TICK_MS     100

enum { NB_G2G_64, NB_G2G_1500, NB_G2H_1500, NB_FIGS };
_Static_assert(NB_FIGS == sizeof(((struct net_bench *)0)->count) / sizeof(unsigned int),
	       "bench_net.h counts one run length per figure");

static const struct nb_fig {
	const char *name, *base;
	unsigned int payload;
	bool to_host;
} nb_figs[NB_FIGS] = {
	{ "net.g2g_64", "host veth pair, UDP 22 B payload", NB_SMALL, false },
	{ "net.g2g_1500", "host veth pair, UDP 1472 B payload", NB_LARGE, false },
	{ "net.g2host_1500", "host veth pair, UDP 1472 B payload", NB_LARGE, true },
};

static const struct nb_field {
	const char *key;
	size_t off;
	bool sum; /* summed over the runs (losses are not hidden in a median) */
} nb_fields[] = {
	{ "frames_per_s", offsetof(struct nb_sample, fps), false },
	{ "gbit_per_s", offsetof(struct nb_sample, gbps), false },
	{ "baseline_gbit_per_s", offsetof(struct nb_sample, base_gbps), false },
	{ "memcpy_gb_per_s", offsetof(struct nb_sample, memcpy_gbs), false },
	{ "receiver_clock_frames_per_s", offsetof(struct nb_sample, own_fps), false },
	{ "notifications_per_frame", offsetof(struct nb_sample, notify), false },
	{ "sender_notifications_per_frame", offsetof(struct nb_sample, sender_notify), false },
	{ "receiver_notifications_per_frame", offsetof(struct nb_sample, receiver_notify), false },
	{ "backend_notifications_per_frame", offsetof(struct nb_sample, backend_notify), false },
	{ "copies_per_frame", offsetof(struct nb_sample, copies), false },
	{ "exits_per_frame", offsetof(struct nb_sample, exits), false },
	{ "backend_syscalls_per_frame", offsetof(struct nb_sample, syscalls), false },
	{ "lost_frames", offsetof(struct nb_sample, lost), true },
	{ "backend_drops", offsetof(struct nb_sample, drops), true },
	{ "baseline_lost_frames", offsetof(struct nb_sample, base_lost), true },
	{ "receiver_clock_runs", offsetof(struct nb_sample, own_clock), true },
};

/* A vif's row of `svctl net-list`. */
struct nb_vif {
	unsigned long long tx, rx, drops, notify, copies;
};

struct nb_guest {
	struct svb_proc p;
	bool ready, holding, counted, have_sent, have_received, have_notify, have_rate;
	bool waiting, keyed;		   /* a sender of --wait-key: waits, got its key */
	struct sweep_counts before, after; /* its domain's, at the key and once holding */
	bool have_before, have_after;
	unsigned long long sent, received, notifications, own_frames, own_us;
	struct nb_vif vif;
	char last[256]; /* its last console line, for error messages */
};

/* ---- the guests ---- */

static void nb_line(const char *line, void *data)
{
	struct nb_guest *g = data;
	const char *m = strstr(line, "netbench: ");

	snprintf(g->last, sizeof(g->last), "%s", line);
	g->last[strcspn(g->last, "\r\n")] = '\0';
	if (!m)
		return;
	m += strlen("netbench: ");
	if (!strncmp(m, "ready to send, waiting for a key", 32)) {
		g->waiting = true;
		return;
	}
	if (!strncmp(m, "ready", 5)) {
		g->ready = true;
		return;
	}
	if (!strncmp(m, "holding", 7)) {
		g->holding = true;
		return;
	}
	if (sscanf(m, "sent %llu", &g->sent) == 1)
		g->have_sent = true;
	else if (sscanf(m, "received %llu", &g->received) == 1)
		g->have_received = true;
	else if (sscanf(m, "%llu frames in %llu us", &g->own_frames, &g->own_us) == 2)
		g->have_rate = true;
	else if (sscanf(m, "notifications=%llu", &g->notifications) == 1)
		g->have_notify = true;
	else
		return;
	/* The guest's own lines explain the figure. */
	fprintf(stderr, "svctl bench net: %s: %s", g->p.name, m);
}

/* The first interface row of net-list: the counters are the five numbers before Host. */
static int nb_parse_vif(const char *text, struct nb_vif *v)
{
	unsigned long long *out[5] = { &v->tx, &v->rx, &v->drops, &v->notify, &v->copies };
	char row[512], *tok[16], *save = NULL, *end;
	const char *p = strchr(text, '\n');
	int n = 0;

	if (!p)
		return -EIO;
	snprintf(row, sizeof(row), "%s", p + 1);
	row[strcspn(row, "\n")] = '\0';
	/* From the right: an empty Switch column must not shift the numbers. */
	for (char *t = strtok_r(row, " \t", &save); t && n < 16; t = strtok_r(NULL, " \t", &save))
		tok[n++] = t;
	if (n < 8)
		return -EIO;
	for (int i = 0; i < 5; i++) {
		errno = 0;
		*out[i] = strtoull(tok[n - 6 + i], &end, 10);
		if (errno || *end)
			return -EIO;
	}
	return 0;
}

static int nb_read_vif(struct net_bench *nb, struct nb_guest *g, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int ret;

	if (!f)
		return errmsg_set(err, errlen, -errno, "open_memstream: %s", strerror(errno));
	ret = svb_svctl(&nb->d, (const char *const[]){ "net-list", g->p.name, NULL }, f);
	fclose(f);
	if (ret)
		ret = errmsg_set(err, errlen, -EIO, "svctl net-list %s failed (exit %d)", g->p.name,
				 ret);
	else if (nb_parse_vif(text, &g->vif))
		ret = errmsg_set(err, errlen, -EIO, "svctl net-list %s: no counters in '%s'",
				 g->p.name, text);
	free(text);
	return ret;
}

static void nb_iface(struct net_bench *nb, char *buf, size_t cap, const char *dev)
{
	/* A new address per guest: no switch keeps a stale port for it across runs. */
	if (dev)
		snprintf(buf, cap,
			 "<interface type='ethernet'><mac address='00:16:3e:5b:%02x:%02x'/>"
			 "<target dev='%s'/></interface>",
			 (nb->d.seq >> 8) & 0xff, nb->d.seq & 0xff, dev);
	else
		snprintf(buf, cap,
			 "<interface type='bridge'><mac address='00:16:3e:5b:%02x:%02x'/>"
			 "<source bridge='%s'/></interface>",
			 (nb->d.seq >> 8) & 0xff, nb->d.seq & 0xff, NB_SWITCH);
}

/* A guest's counts now, or a warning and none: the figures stand without them. */
static bool nb_count(struct net_bench *nb, struct nb_guest *g, struct sweep_counts *out)
{
	char err[256];

	if (!svb_counts_read(&nb->d, g->p.name, out, err, sizeof(err)))
		return true;
	fprintf(stderr, "svctl bench net: no counts for %s: %s\n", g->p.name, err);
	return false;
}

/* A sender waits for its key: every guest's counts first, so they span the run. */
static void nb_key(struct net_bench *nb, struct nb_guest *const *g, unsigned int ng,
		   struct nb_guest *sender)
{
	for (unsigned int i = 0; i < ng; i++)
		g[i]->have_before = nb_count(nb, g[i], &g[i]->before);
	sender->keyed = true;
	if (svb_proc_key(&sender->p, "\n"))
		fprintf(stderr, "svctl bench net: cannot send %s its key\n", sender->p.name);
}

/*
 * Follows the guests' consoles (and drains rx, when given) until g[0] is
 * ready (with until_ready) or every console ended and rx has all it will get.
 * A sender waiting for its key gets it once every guest's counts are read.
 * Once every guest has finished its timed part and holds, their backend
 * counters are read and they are destroyed: reading earlier would delay the
 * markers of a guest still timed. 0 or -errno with err set.
 */
static int nb_pump(struct net_bench *nb, struct nb_guest *const *g, unsigned int ng,
		   struct nb_rx *rx, uint64_t count, bool until_ready, char *err, size_t errlen)
{
	uint64_t deadline = util_now_ns() + NB_WAIT_NS, ended_ns = 0;
	struct pollfd pfd[4 + NB_MAX_FLOWS];
	unsigned int i, n, done;
	bool failed = false;
	int ret = 0;

	for (;;) {
		for (i = 0, done = 0; i < ng; i++) {
			bool ended = svb_proc_read(&g[i]->p, nb_line, g[i]);

			if (ended || g[i]->holding)
				done++;
			/* Done without a result: its run failed, the others would wait in vain. */
			if ((ended || g[i]->holding) && !g[i]->have_sent && !g[i]->have_received)
				failed = true;
		}
		if (rx)
			nb_rx_drain(rx);
		if (until_ready && (g[0]->ready || done))
			break;
		for (i = 0; i < ng && !until_ready; i++)
			if (g[i]->waiting && !g[i]->keyed)
				nb_key(nb, g, ng, g[i]);
		if (failed) {
			for (i = 0; i < ng; i++)
				svb_proc_destroy(&nb->d, &g[i]->p);
		} else if (done == ng) {
			for (i = 0; i < ng; i++) {
				if (g[i]->holding && !g[i]->counted && !ret) {
					ret = nb_read_vif(nb, g[i], err, errlen);
					g[i]->have_after = nb_count(nb, g[i], &g[i]->after);
					g[i]->counted = true;
				}
				if (g[i]->holding)
					svb_proc_destroy(&nb->d, &g[i]->p);
			}
		}
		for (i = 0, n = 0; i < ng; i++)
			if (g[i]->p.fd >= 0)
				pfd[n++] = (struct pollfd){ .fd = g[i]->p.fd, .events = POLLIN };
		if (!n && !ended_ns)
			ended_ns = util_now_ns();
		if (!n && (!rx || rx->got >= count ||
			   util_now_ns() - (rx->seen_ns > ended_ns ? rx->seen_ns : ended_ns) >=
				   NB_IDLE_NS))
			break;
		if (util_now_ns() > deadline) {
			for (i = 0; i < ng; i++)
				svb_proc_destroy(&nb->d, &g[i]->p);
			return errmsg_set(err, errlen, -ETIMEDOUT,
					  "the guests did not finish within %llu s",
					  NB_WAIT_NS / 1000000000ull);
		}
		for (i = 0; rx && i < rx->nfd; i++)
			pfd[n++] = (struct pollfd){ .fd = rx->fd[i], .events = POLLIN };
		poll(pfd, n, NB_TICK_MS);
	}
	if (until_ready)
		return g[0]->ready
			       ? 0
			       : errmsg_set(err, errlen, -EIO, "%s ended before it was ready: '%s'",
					    g[0]->p.name, g[0]->last);
	for (i = 0; i < ng && !ret; i++)
		if (!g[i]->have_sent && !g[i]->have_received)
			ret = errmsg_set(err, errlen, -EIO, "%s printed no result: '%s'",
					 g[i]->p.name, g[i]->last);
	return ret;
}

/* The run's counts per datagram sent, over every guest of it (NaN where one has none). */
static void nb_counts(struct nb_sample *s, struct nb_guest *const *g, unsigned int ng, double sent)
{
	struct sweep_counts a = { 0 }, b = { 0 };
	static const struct sweep_counts none;

	for (unsigned int i = 0; i < ng; i++) {
		const struct sweep_counts *x = g[i]->have_before ? &g[i]->before : &none;
		const struct sweep_counts *y = g[i]->have_after ? &g[i]->after : &none;

		if (!i) {
			a = *x;
			b = *y;
		} else {
			sweep_counts_add(&a, x);
			sweep_counts_add(&b, y);
		}
	}
	s->exits = sweep_counts_per(&a, &b, SWEEP_EXITS, sent);
	s->hypercalls = sweep_counts_per(&a, &b, SWEEP_HYPERCALLS, sent);
	s->events = sweep_counts_per(&a, &b, SWEEP_NOTIFIES, sent) +
		    sweep_counts_per(&a, &b, SWEEP_BE_EVENTS, sent);
	s->syscalls = sweep_counts_per(&a, &b, SWEEP_SYSCALLS, sent);
}

/* The flows of a run: 1 unless the sweep asks for more. */
static unsigned int nb_flows(const struct net_bench *nb)
{
	return nb->flows && nb->flows <= NB_MAX_FLOWS ? nb->flows : 1;
}

/* Guest A sends to guest B on one of our switches; B is created first, A once B is ready. */
int nb_g2g(struct net_bench *nb, unsigned int size, unsigned int count, struct nb_sample *s,
	   char *err, size_t errlen)
{
	struct nb_guest rx = { 0 }, tx = { 0 };
	struct nb_guest *both[2] = { &rx, &tx };
	char cmd[160], dev[256];
	double sent, ns;
	int ret;

	snprintf(cmd, sizeof(cmd), "netbench recv %u %u --flows %u --hold ip=10.0.0.2/24", NB_PORT,
		 count, nb_flows(nb));
	nb_iface(nb, dev, sizeof(dev), NULL);
	ret = svb_proc_start(&nb->d, &rx.p, "netbench", cmd, dev, NULL, err, errlen);
	if (ret)
		return ret;
	ret = nb_pump(nb, both, 1, NULL, 0, true, err, errlen);
	if (ret)
		goto out;
	snprintf(cmd, sizeof(cmd),
		 "netbench send 10.0.0.2 %u %u %u --flows %u --wait-key --hold ip=10.0.0.3/24",
		 NB_PORT, size, count, nb_flows(nb));
	nb_iface(nb, dev, sizeof(dev), NULL);
	ret = svb_proc_start_keyed(&nb->d, &tx.p, "netbench", cmd, dev, err, errlen);
	if (!ret)
		ret = nb_pump(nb, both, 2, NULL, 0, false, err, errlen);
	if (ret)
		goto out;
	if (!rx.p.t0 || rx.p.t1 <= rx.p.t0 || !rx.received || !tx.sent) {
		ret = errmsg_set(err, errlen, -EIO, "the receiver printed no start and end");
		goto out;
	}
	/*
	 * B's datagrams over the host time between B's markers. A receiver that
	 * lost frames prints its end only after netbench's idle timeout (2 s
	 * without a datagram): then its own first-to-last span times them.
	 */
	ns = (double)(rx.p.t1 - rx.p.t0);
	sent = (double)tx.sent;
	s->own_clock = rx.received < tx.sent && rx.own_us;
	if (s->own_clock)
		ns = (double)rx.own_us * 1e3;
	s->fps = (double)rx.received / (ns / 1e9);
	s->gbps = (double)rx.received * size * 8 / ns;
	s->own_fps = rx.own_us ? (double)rx.own_frames / ((double)rx.own_us / 1e6) : NAN;
	s->lost = sent - (double)rx.received;
	s->sender_notify = (double)tx.notifications / sent;
	s->receiver_notify = (double)rx.notifications / sent;
	s->backend_notify = (double)(tx.vif.notify + rx.vif.notify) / sent;
	s->notify = s->sender_notify + s->receiver_notify + s->backend_notify;
	s->copies = (double)(tx.vif.copies + rx.vif.copies) / sent;
	s->drops = (double)(tx.vif.drops + rx.vif.drops);
	nb_counts(s, both, 2, sent);
out:
	svb_proc_stop(&nb->d, &tx.p);
	svb_proc_stop(&nb->d, &rx.p);
	return ret;
}

/* Guest A sends through a TAP device to a socket of this process, timed by the kernel's stamps. */
int nb_g2host(struct net_bench *nb, unsigned int size, unsigned int count, struct nb_sample *s,
	      char *err, size_t errlen)
{
	struct nb_guest tx = { 0 };
	struct nb_guest *one[1] = { &tx };
	struct nb_rx rx = { .nfd = 0 };
	char cmd[160], dev[256];
	double sent, ns;
	int ret;

	ret = nb_rx_open(&rx, "10.9.0.1", nb_flows(nb), err, errlen);
	if (ret)
		return ret;
	snprintf(cmd, sizeof(cmd),
		 "netbench send 10.9.0.1 %u %u %u --flows %u --wait-key --hold ip=10.9.0.2/24",
		 NB_PORT, size, count, nb_flows(nb));
	nb_iface(nb, dev, sizeof(dev), NB_TAP);
	ret = svb_proc_start_keyed(&nb->d, &tx.p, "netbench", cmd, dev, err, errlen);
	if (ret)
		goto out;
	/* svdom0 made the TAP device at create; the guest's ARP tries for three seconds. */
	ret = nb_ip((const char *const[]){ "addr", "add", "10.9.0.1/24", "dev", NB_TAP, NULL }, err,
		    errlen);
	if (!ret)
		ret = nb_ip((const char *const[]){ "link", "set", NB_TAP, "up", NULL }, err,
			    errlen);
	if (!ret)
		ret = nb_pump(nb, one, 1, &rx, count, false, err, errlen);
	if (ret)
		goto out;
	if (rx.got < 2) {
		ret = errmsg_set(err, errlen, -EIO, "%llu datagrams reached the host",
				 (unsigned long long)rx.got);
		goto out;
	}
	ns = (double)(rx.last_ns - rx.first_ns);
	sent = (double)tx.sent;
	s->fps = (double)rx.got / (ns / 1e9);
	s->gbps = (double)rx.bytes * 8 / ns;
	s->own_fps = NAN;
	s->own_clock = NAN;
	s->lost = sent - (double)rx.got;
	s->sender_notify = (double)tx.notifications / sent;
	s->receiver_notify = NAN;
	s->backend_notify = (double)tx.vif.notify / sent;
	s->notify = s->sender_notify + s->backend_notify;
	s->copies = (double)tx.vif.copies / sent;
	s->drops = (double)tx.vif.drops;
	nb_counts(s, one, 1, sent);
out:
	svb_proc_stop(&nb->d, &tx.p);
	nb_rx_close(&rx);
	return ret;
}

/* Every field and the two below fit: kvm.run.bench-net reads frames_per_run. */
_Static_assert(sizeof(nb_fields) / sizeof(nb_fields[0]) + 2 <= BENCH_MAX_EXTRA,
	       "a net figure's extras fit in BENCH_MAX_EXTRA");

static void nb_report(const struct net_bench *nb, struct nb_sample (*s)[NET_BENCH_MAX_RUNS],
		      unsigned int runs, bool json)
{
	struct bench_result r[NB_FIGS];
	double v[NET_BENCH_MAX_RUNS];

	for (int f = 0; f < NB_FIGS; f++) {
		struct bench_result *x = &r[f];

		*x = (struct bench_result){ .name = nb_figs[f].name,
					    .unit = "frames/s",
					    .baseline_name = nb_figs[f].base,
					    .samples = runs };
		for (size_t k = 0; k < sizeof(nb_fields) / sizeof(nb_fields[0]); k++) {
			double sum = 0;

			for (unsigned int i = 0; i < runs; i++) {
				v[i] = *(const double *)((const char *)&s[f][i] + nb_fields[k].off);
				sum += v[i];
			}
			if (isnan(v[0]) || x->nr_extra == BENCH_MAX_EXTRA)
				continue;
			x->extra[x->nr_extra++] = (struct bench_extra){
				nb_fields[k].key, nb_fields[k].sum ? sum : svb_median(v, runs)
			};
		}
		x->value = x->extra[0].value;
		for (unsigned int i = 0; i < runs; i++)
			v[i] = s[f][i].base_fps;
		x->baseline = svb_median(v, runs);
		if (x->nr_extra < BENCH_MAX_EXTRA)
			x->extra[x->nr_extra++] =
				(struct bench_extra){ "payload_bytes", nb_figs[f].payload };
		if (x->nr_extra < BENCH_MAX_EXTRA)
			x->extra[x->nr_extra++] =
				(struct bench_extra){ "frames_per_run", nb->count[f] };
	}
	bench_print(stdout, r, NB_FIGS, json);
}

int bench_net(const struct bench_net_opts *o, bool json)
{
	static struct nb_sample s[NB_FIGS][NET_BENCH_MAX_RUNS];
	struct net_bench nb = { .veth = { .fd = -1, .to = -1, .from = -1 } };
	char err[512] = "";
	int ret;

	ret = nb_isolate(err, sizeof(err));
	if (ret) {
		fprintf(stderr, "svctl bench net: %s\n", err);
		return ret == -EPERM ? EX_UNAVAILABLE : EX_SOFTWARE;
	}
	for (int f = 0; f < NB_FIGS; f++)
		nb.count[f] = o->frames			       ? o->frames
			      : nb_figs[f].payload == NB_SMALL ? NB_COUNT_SMALL
							       : NB_COUNT_LARGE;
	if (svb_open(&nb.d, "net", o->kernel))
		return EX_SOFTWARE;
	ret = nb_veth_open(&nb.veth, err, sizeof(err));
	/* Baselines and guests take turns, so a noisy neighbour hits both alike. */
	for (unsigned int run = 0; run < o->runs && !ret; run++) {
		for (int f = 0; f < NB_FIGS && !ret; f++) {
			const struct nb_fig *fig = &nb_figs[f];
			struct nb_sample *x = &s[f][run];

			ret = nb_base(&nb, fig->payload, nb.count[f], x, err, sizeof(err));
			if (!ret)
				ret = (fig->to_host ? nb_g2host : nb_g2g)(
					&nb, fig->payload, nb.count[f], x, err, sizeof(err));
			if (ret)
				break;
			fprintf(stderr,
				"svctl bench net: run %u: %s %.0f frames/s (%.3f Gbit/s), veth "
				"%.0f "
				"frames/s, %.0f of %u lost%s, %.3f notifications and %.3f "
				"copies per frame\n",
				run + 1, fig->name, x->fps, x->gbps, x->base_fps, x->lost,
				nb.count[f],
				x->own_clock > 0 ? " (timed on the receiver's clock)" : "",
				x->notify, x->copies);
		}
	}
	nb_veth_close(&nb.veth);
	svb_close(&nb.d);
	if (ret) {
		fprintf(stderr, "svctl bench net: %s (logs in %s)\n", err, nb.d.dir);
		return EX_SOFTWARE;
	}
	nb_report(&nb, s, o->runs, json);
	return 0;
}
