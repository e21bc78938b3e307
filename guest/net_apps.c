// SPDX-License-Identifier: MIT
/*
 * The network apps, over netdev.c and net_ipv4.c, on the lowest-numbered vif:
 *
 * ping ADDR [N]: N echo requests (default 4), one at a time, each RTT in
 * microseconds of guest time, then "ping: N sent, M received, min/avg/max
 * A/B/C us"; exit 0 when every one was answered, else 1.
 *
 * netverify ADDR [SECONDS] (default 30, 0: forever): an echo request every
 * 100 ms, each waited for until the next is due, through backend deaths and
 * reconnects; every ~500 ms and at the end ("netverify: done ..."):
 *   netverify: t=MS sent=S received=R max_gap_ms=G reconnects=C tx_dropped=D
 * max_gap_ms is the longest time without a reply (the outage an experiment
 * sees). Exit 0 when any reply came, else 1.
 *
 * udp-echo [PORT] [COUNT]: echoes each datagram to its sender (port 7 by
 * default) until COUNT datagrams or until control/shutdown asks, as idle does.
 *
 * netbench send ADDR PORT SIZE COUNT | netbench recv PORT COUNT: COUNT UDP
 * datagrams of SIZE payload bytes as fast as the ring takes them, or counts
 * them arriving; "netbench: start" and "netbench: end" bracket the timed part
 * for hosts that time the console, then frames/s, Gbit/s of payload and the
 * netfront counters (notifications per frame). With --hold it then prints
 * "netbench: holding" and keeps its vif connected until the toolstack asks it
 * to power off (or a minute passed), so that a host can read the backend's
 * counters of the run (svctl net-list): they go with the vif.
 * --flows N (1..8) spreads the datagrams over N UDP flows, destination ports
 * PORT..PORT+N-1 in turn, and the receiver counts all N together. --wait-key
 * (send) prints "netbench: ready to send, waiting for a key" once the peer's
 * address is resolved and starts on a key from the console (or after a
 * minute), so that a host can read counters just before the run.
 *
 * The guest's address: ip=A.B.C.D/NN anywhere on the kernel command line,
 * else xenstore's device/vif/<N>/ip, else the domain's own ip key (there a
 * bare A.B.C.D means /24). Words starting with ip= are not app arguments.
 */
#include <errno.h>
#include <string.h>
#include <splitvisor/hypercall.h>
#include <splitvisor/limits.h>
#include "apps.h"
#include "boot_info.h"
#include "console.h"
#include "heap.h"
#include "kstring.h"
#include "ktime.h"
#include "net_ipv4.h"
#include "netdev.h"
#include "panic.h"
#include "printf.h"
#include "xenbus.h"

#define EXIT_USAGE	  2
#define PATH_LEN	  128u
#define VAL_LEN		  64u
#define XS_DEFAULT_PREFIX 24u
#define PING_DEFAULT	  4ull
#define PING_MAX	  1000000ull
#define PING_DATA	  56u /* as ping(8): 64 bytes of ICMP */
#define ICMP_ECHO_BYTES	  (PING_DATA + 8u)
#define PING_TIMEOUT_NS	  NSEC_PER_SEC
#define ECHO_PORT	  7u
#define ECHO_SHOWN	  10u
#define ECHO_EVERY	  1000u
#define CHECK_NS	  NSEC_PER_SEC
#define BENCH_BATCH	  32u /* frames queued per push */
#define BENCH_MAX_COUNT	  1000000000ull
#define BENCH_DRAIN_NS	  (5 * NSEC_PER_SEC)
#define BENCH_FIRST_NS	  (60 * NSEC_PER_SEC)
#define BENCH_IDLE_NS	  (2 * NSEC_PER_SEC)
#define BENCH_TICK_NS	  (200 * NSEC_PER_MSEC)
#define BENCH_HOLD_NS	  (60 * NSEC_PER_SEC)
#define BENCH_KEY_NS	  (60 * NSEC_PER_SEC)
#define BENCH_MAX_FLOWS	  8u

struct net_session {
	struct netdev *dev;
	struct net_stack *ns;
	uint32_t addr, prefix;
};

static bool has_prefix(const char *s, const char *prefix)
{
	while (*prefix && *s == *prefix) {
		s++;
		prefix++;
	}
	return !*prefix;
}

/* Drops the words that configure the address; how many arguments are left. */
static int strip_ip_args(int argc, char **argv)
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		if (has_prefix(argv[i], "ip="))
			continue;
		argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

/* ---- the guest's address ---- */

static int cmdline_address(const char *tag, uint32_t *addr, uint32_t *prefix)
{
	char line[SV_MAX_CMDLINE], *w, *found = NULL;
	size_t len = 0;

	/* The core's page is not ours to terminate: copy it out, as kmain does. */
	while (len < sizeof(line) - 1 && len < sizeof(start_info->cmdline) &&
	       start_info->cmdline[len]) {
		line[len] = start_info->cmdline[len];
		len++;
	}
	line[len] = '\0';
	for (w = line; *w;) {
		char *end = w;

		while (*end && *end != ' ' && *end != '\t' && *end != '\n')
			end++;
		if (*end)
			*end++ = '\0';
		if (has_prefix(w, "ip=")) {
			if (found) {
				printk("%s: ip= given twice on the command line\n", tag);
				return -EINVAL;
			}
			found = w + 3;
		}
		w = end;
	}
	if (!found)
		return -ENOENT;
	if (net_parse_cidr(found, addr, prefix)) {
		printk("%s: bad ip=%s on the command line: want A.B.C.D/NN, a host address\n", tag,
		       found);
		return -EINVAL;
	}
	return 0;
}

/* A.B.C.D/NN, or a bare A.B.C.D meaning /24. */
static int xs_address(const char *tag, const char *path, uint32_t *addr, uint32_t *prefix)
{
	char val[VAL_LEN];
	int ret = xenbus_read(path, val, sizeof(val));

	if (ret < 0)
		return ret;
	if (!net_parse_cidr(val, addr, prefix))
		return 0;
	if (!net_parse_ipv4(val, addr) && !net_check_host(*addr, XS_DEFAULT_PREFIX)) {
		*prefix = XS_DEFAULT_PREFIX;
		printk("%s: %s has no prefix length: /%u\n", tag, path, XS_DEFAULT_PREFIX);
		return 0;
	}
	printk("%s: bad address '%s' in %s: want A.B.C.D/NN\n", tag, val, path);
	return -EINVAL;
}

static int find_address(const char *tag, uint32_t handle, uint32_t *addr, uint32_t *prefix)
{
	char vif[PATH_LEN], dom[PATH_LEN];
	int ret;

	ret = cmdline_address(tag, addr, prefix);
	if (ret != -ENOENT)
		return ret;
	ksnprintf(vif, sizeof(vif), "/local/domain/%u/device/vif/%u/ip", start_info->domid, handle);
	ksnprintf(dom, sizeof(dom), "/local/domain/%u/ip", start_info->domid);
	ret = xs_address(tag, vif, addr, prefix);
	if (ret == -ENOENT)
		ret = xs_address(tag, dom, addr, prefix);
	if (ret == -ENOENT)
		printk("%s: no address: put ip=A.B.C.D/NN on the kernel command line, or write "
		       "it to %s or %s\n",
		       tag, vif, dom);
	return ret;
}

static int net_up(const char *tag, struct net_session *s)
{
	char a[NET_ADDR_STR];
	int ret;

	*s = (struct net_session){ 0 };
	ret = netdev_open(-1, &s->dev);
	if (ret) {
		printk("%s: no network device (%d)\n", tag, ret);
		return ret;
	}
	ret = find_address(tag, netdev_info(s->dev)->handle, &s->addr, &s->prefix);
	if (!ret)
		ret = net_open(s->dev, s->addr, s->prefix, &s->ns);
	if (ret) {
		netdev_close(s->dev);
		s->dev = NULL;
		return ret;
	}
	printk("%s: vif%u is %s/%u\n", tag, netdev_info(s->dev)->handle, net_ntoa(s->addr, a),
	       s->prefix);
	return 0;
}

static void net_down(struct net_session *s)
{
	net_close(s->ns);
	netdev_close(s->dev);
}

static uint64_t milli_ratio(uint64_t a, uint64_t b)
{
	return b ? a * 1000 / b : 0;
}

/* The counters a benchmark or a long run reports; notifications per frame of frames. */
static void print_counters(const char *tag, struct net_session *s, uint64_t frames,
			   uint64_t notifications)
{
	struct netfront_stats f;
	struct net_stats n;
	uint64_t per = milli_ratio(notifications, frames);

	netdev_get_stats(s->dev, &f);
	net_get_stats(s->ns, &n);
	printk("%s: notifications=%llu (%llu.%03llu per frame) tx_frames=%llu rx_frames=%llu "
	       "tx_busy=%llu\n",
	       tag, (unsigned long long)notifications, (unsigned long long)(per / 1000),
	       (unsigned long long)(per % 1000), (unsigned long long)f.tx_frames,
	       (unsigned long long)f.rx_frames, (unsigned long long)f.tx_busy);
	printk("%s: netfront bad_id=%llu stale_id=%llu bad_rsp=%llu rx_errors=%llu tx_errors=%llu "
	       "ring_overflow=%llu\n",
	       tag, (unsigned long long)f.bad_id, (unsigned long long)f.stale_id,
	       (unsigned long long)f.bad_rsp, (unsigned long long)f.rx_errors,
	       (unsigned long long)f.tx_errors, (unsigned long long)f.ring_overflow);
	printk("%s: ipv4 not_ours=%llu bad=%llu bad_csum=%llu fragments=%llu udp_no_port=%llu "
	       "udp_full=%llu tx_dropped=%llu\n",
	       tag, (unsigned long long)n.not_ours,
	       (unsigned long long)(n.bad_eth + n.bad_arp + n.bad_ip),
	       (unsigned long long)n.bad_csum, (unsigned long long)n.fragments,
	       (unsigned long long)n.udp_no_port, (unsigned long long)n.udp_full,
	       (unsigned long long)n.tx_dropped);
}

/* ---- ping ---- */

static void print_us(char *buf, size_t cap, uint64_t ns)
{
	ksnprintf(buf, cap, "%llu.%03llu", (unsigned long long)(ns / 1000),
		  (unsigned long long)(ns % 1000));
}

int ping_main(int argc, char **argv)
{
	unsigned long long n = PING_DEFAULT;
	uint64_t t0, t1, rtt, min = ~0ull, max = 0, sum = 0;
	char a[NET_ADDR_STR], s1[24], s2[24], s3[24];
	uint32_t dst, sent = 0, got = 0;
	struct net_session s;
	uint8_t mac[6];
	uint16_t id;
	int ret;

	argc = strip_ip_args(argc, argv);
	if (argc < 2 || argc > 3 || net_parse_ipv4(argv[1], &dst) ||
	    (argc == 3 && (parse_u64(argv[2], &n) || !n || n > PING_MAX))) {
		printk("usage: ping A.B.C.D [COUNT 1..%llu] [ip=A.B.C.D/NN]\n", PING_MAX);
		return EXIT_USAGE;
	}
	if (net_up("ping", &s))
		return 1;
	net_ntoa(dst, a);
	id = (uint16_t)(now_ns() >> 10 ^ start_info->domid);
	/* Resolved first, so the first RTT is the network's and not ARP's. */
	ret = net_arp_resolve(s.ns, dst, mac);
	if (ret) {
		printk("ping: cannot reach %s (%d)\n", a, ret);
		n = 0;
	}
	for (uint32_t seq = 1; seq <= n; seq++) {
		ret = net_ping_send(s.ns, dst, id, (uint16_t)seq, PING_DATA, &t0);
		if (ret) {
			printk("ping: sending seq=%u failed (%d)\n", seq, ret);
			if (ret == -ENODEV || ret == -EIO)
				break;
			continue;
		}
		sent++;
		ret = net_ping_wait(s.ns, dst, id, (uint16_t)seq, t0 + PING_TIMEOUT_NS, &t1);
		if (ret == -ETIMEDOUT) {
			printk("ping: no reply from %s seq=%u\n", a, seq);
			continue;
		}
		if (ret)
			break;
		rtt = t1 - t0;
		got++;
		sum += rtt;
		min = rtt < min ? rtt : min;
		max = rtt > max ? rtt : max;
		print_us(s1, sizeof(s1), rtt);
		printk("ping: %u bytes from %s: seq=%u time=%s us\n", ICMP_ECHO_BYTES, a, seq, s1);
	}
	if (got) {
		print_us(s1, sizeof(s1), min);
		print_us(s2, sizeof(s2), sum / got);
		print_us(s3, sizeof(s3), max);
		printk("ping: %u sent, %u received, min/avg/max %s/%s/%s us\n", sent, got, s1, s2,
		       s3);
	} else {
		printk("ping: %u sent, 0 received, min/avg/max -/-/- us\n", sent);
	}
	net_down(&s);
	return got == n && sent == n && n ? 0 : 1;
}

/* ---- netverify ---- */

#define NV_INTERVAL_NS (100 * NSEC_PER_MSEC)
#define NV_PROGRESS_NS (500 * NSEC_PER_MSEC)
#define NV_DEF_SECONDS 30ull

struct nv_counts {
	uint64_t start, last_reply, max_gap;
	uint32_t sent, got;
};

static void nv_line(struct net_session *s, const struct nv_counts *c, const char *tag)
{
	struct netfront_stats st;
	uint64_t now = now_ns(), gap = c->max_gap;

	if (now - c->last_reply > gap)
		gap = now - c->last_reply;
	netdev_get_stats(s->dev, &st);
	printk("netverify: %st=%llu sent=%u received=%u max_gap_ms=%llu reconnects=%llu "
	       "tx_dropped=%llu\n",
	       tag, (unsigned long long)((now - c->start) / NSEC_PER_MSEC), c->sent, c->got,
	       (unsigned long long)(gap / NSEC_PER_MSEC), (unsigned long long)st.reconnects,
	       (unsigned long long)st.tx_dropped);
}

int netverify_main(int argc, char **argv)
{
	unsigned long long secs = NV_DEF_SECONDS;
	struct nv_counts c = { 0 };
	uint64_t t0, t1, deadline = 0, last_print;
	char a[NET_ADDR_STR];
	struct net_session s;
	uint32_t dst;
	uint8_t mac[6];
	uint16_t id;
	int ret;

	argc = strip_ip_args(argc, argv);
	if (argc < 2 || argc > 3 || net_parse_ipv4(argv[1], &dst) ||
	    (argc == 3 && parse_u64(argv[2], &secs))) {
		printk("usage: netverify A.B.C.D [SECONDS (0: forever)] [ip=A.B.C.D/NN]\n");
		return EXIT_USAGE;
	}
	if (net_up("netverify", &s))
		return 1;
	net_ntoa(dst, a);
	id = (uint16_t)(now_ns() >> 10 ^ start_info->domid);
	ret = net_arp_resolve(s.ns, dst, mac);
	if (ret)
		printk("netverify: cannot resolve %s yet (%d)\n", a, ret);
	printk("netverify: pinging %s every %llu ms for %llu s\n", a,
	       (unsigned long long)(NV_INTERVAL_NS / NSEC_PER_MSEC), secs);
	c.start = c.last_reply = last_print = now_ns();
	if (secs)
		deadline = c.start + secs * NSEC_PER_SEC;
	for (uint32_t seq = 1; !deadline || now_ns() < deadline; seq++) {
		uint64_t due = now_ns() + NV_INTERVAL_NS;

		/* A send while the backend is away is dropped, as on a wire: the reply just never comes. */
		ret = net_ping_send(s.ns, dst, id, (uint16_t)seq, PING_DATA, &t0);
		if (!ret) {
			c.sent++;
			ret = net_ping_wait(s.ns, dst, id, (uint16_t)seq, due, &t1);
			if (!ret) {
				c.got++;
				if (t1 - c.last_reply > c.max_gap)
					c.max_gap = t1 - c.last_reply;
				c.last_reply = t1;
			}
		}
		/* Paced: the rest of the interval handles what arrives. */
		while (now_ns() < due && net_wait(s.ns, due) >= 0)
			;
		if (now_ns() - last_print >= NV_PROGRESS_NS) {
			nv_line(&s, &c, "");
			last_print = now_ns();
		}
	}
	nv_line(&s, &c, "done ");
	net_down(&s);
	return c.got ? 0 : 1;
}

/* ---- udp-echo ---- */

int udp_echo_main(int argc, char **argv)
{
	unsigned long long port = ECHO_PORT, count = 0;
	uint64_t got = 0, bytes = 0, failed = 0, next_check;
	char a[NET_ADDR_STR];
	struct net_session s;
	struct net_peer from;
	struct net_udp *u = NULL;
	uint8_t *buf = NULL;
	int n, ret;

	argc = strip_ip_args(argc, argv);
	if (argc > 3 || (argc > 1 && (parse_u64(argv[1], &port) || !port || port > 0xffff)) ||
	    (argc > 2 && (parse_u64(argv[2], &count) || !count))) {
		printk("usage: udp-echo [PORT] [COUNT] [ip=A.B.C.D/NN]\n");
		return EXIT_USAGE;
	}
	if (net_up("udp-echo", &s))
		return 1;
	/* Whatever arrives fits: a datagram is at most what an IP packet carries. */
	buf = kmalloc(NETIF_MAX_FRAME);
	ret = buf ? net_udp_bind(s.ns, (uint16_t)port, &u) : -ENOMEM;
	if (ret) {
		printk("udp-echo: cannot bind port %llu (%d)\n", port, ret);
		goto out;
	}
	printk("udp-echo: listening on %s:%llu\n", net_ntoa(s.addr, a), port);
	console_flush();
	next_check = now_ns() + CHECK_NS;
	while (!count || got < count) {
		n = net_udp_recv(u, buf, NETIF_MAX_FRAME, &from, now_ns() + CHECK_NS);
		if (n >= 0) {
			got++;
			ret = net_udp_sendto(u, &from, buf, (size_t)n, 0);
			if (ret && failed++ < ECHO_SHOWN)
				printk("udp-echo: echo of %d bytes to %s:%u failed (%d)\n", n,
				       net_ntoa(from.addr, a), from.port, ret);
			if (!ret)
				bytes += (uint64_t)n;
			if (got <= ECHO_SHOWN)
				printk("udp-echo: %d bytes from %s:%u\n", n, net_ntoa(from.addr, a),
				       from.port);
			else if (got % ECHO_EVERY == 0)
				printk("udp-echo: %llu datagrams\n", (unsigned long long)got);
		} else if (n != -ETIMEDOUT) {
			printk("udp-echo: the device failed (%d)\n", n);
			ret = n;
			goto out;
		}
		if (now_ns() >= next_check) {
			if (app_shutdown_requested("udp-echo"))
				break;
			next_check = now_ns() + CHECK_NS;
		}
	}
	ret = 0;
out:
	if (u) {
		struct netfront_stats st;

		printk("udp-echo: %llu datagrams, %llu bytes echoed, %llu echoes failed\n",
		       (unsigned long long)got, (unsigned long long)bytes,
		       (unsigned long long)failed);
		netdev_get_stats(s.dev, &st);
		print_counters("udp-echo", &s, 2 * got, st.notifications);
	}
	net_udp_close(u);
	if (buf)
		kfree(buf);
	net_down(&s);
	return ret ? 1 : 0;
}

/* ---- netbench ---- */

static void print_rate(uint64_t frames, uint64_t bytes, uint64_t ns)
{
	uint64_t fps = ns ? frames * NSEC_PER_SEC / ns : 0;
	uint64_t mgbit = ns ? bytes * 8000 / ns : 0; /* bits per ns = Gbit/s */

	printk("netbench: %llu frames in %llu us: %llu frames/s, %llu.%03llu Gbit/s of payload\n",
	       (unsigned long long)frames, (unsigned long long)(ns / 1000), (unsigned long long)fps,
	       (unsigned long long)(mgbit / 1000), (unsigned long long)(mgbit % 1000));
}

struct bench_opts {
	unsigned long long flows;
	bool hold, wait_key;
};

static int bench_send(struct net_session *s, uint32_t dst, uint16_t port, uint64_t size,
		      uint64_t count, const struct bench_opts *o)
{
	struct net_peer to = { .addr = dst, .port = port, .has_mac = true };
	struct netfront_stats st0, st1;
	struct net_udp *u = NULL;
	char a[NET_ADDR_STR];
	uint8_t *buf = NULL;
	uint64_t sent = 0, t0, t1, deadline;
	int ret;

	if (size > net_max_payload(s->ns)) {
		printk("netbench: SIZE %llu is over the %llu bytes a frame carries here\n",
		       (unsigned long long)size, (unsigned long long)net_max_payload(s->ns));
		return -EMSGSIZE;
	}
	buf = kmalloc(size);
	ret = buf ? net_udp_bind(s->ns, 0, &u) : -ENOMEM;
	/* Resolved once: the timed loop builds frames, it does not look up neighbours. */
	if (!ret)
		ret = net_arp_resolve(s->ns, dst, to.mac);
	if (ret) {
		printk("netbench: cannot send to the peer (%d)\n", ret);
		goto out;
	}
	for (uint64_t i = 0; i < size; i++)
		buf[i] = (uint8_t)i;
	if (o->wait_key) {
		printk("netbench: ready to send, waiting for a key\n");
		console_flush();
		if (console_getc(now_ns() + BENCH_KEY_NS) < 0)
			printk("netbench: no key, starting anyway\n");
	}
	netdev_get_stats(s->dev, &st0);
	printk("netbench: start\n");
	console_flush();
	t0 = now_ns();
	for (; sent < count; sent++) {
		bool last = (sent + 1) % BENCH_BATCH == 0 || sent + 1 == count;

		if (size >= sizeof(sent))
			memcpy(buf, &sent, sizeof(sent));
		to.port = (uint16_t)(port + sent % o->flows);
		ret = net_udp_sendto(u, &to, buf, size, last ? 0 : NETDEV_MORE);
		if (ret)
			break;
	}
	/* Until the backend has taken every frame: that is when they are sent. */
	deadline = now_ns() + BENCH_DRAIN_NS;
	while (netdev_tx_inflight(s->dev) && netdev_wait(s->dev, deadline) > 0)
		;
	t1 = now_ns();
	printk("netbench: end\n");
	netdev_get_stats(s->dev, &st1);
	if (ret)
		printk("netbench: sending stopped after %llu datagrams (%d)\n",
		       (unsigned long long)sent, ret);
	printk("netbench: sent %llu datagrams of %llu bytes to %s port %u (%llu flows)\n",
	       (unsigned long long)sent, (unsigned long long)size, net_ntoa(dst, a), port,
	       (unsigned long long)o->flows);
	print_rate(sent, sent * size, t1 - t0);
	print_counters("netbench", s, sent, st1.notifications - st0.notifications);
out:
	net_udp_close(u);
	if (buf)
		kfree(buf);
	return ret;
}

/* The flows' counts together: first and last arrival over all of them. */
static void flows_counts(struct net_udp *const *u, uint64_t flows, struct net_udp_counts *c)
{
	struct net_udp_counts x;

	*c = (struct net_udp_counts){ 0 };
	for (uint64_t i = 0; i < flows; i++) {
		net_udp_get_counts(u[i], &x);
		if (!x.datagrams)
			continue;
		if (!c->datagrams || x.first_ns < c->first_ns)
			c->first_ns = x.first_ns;
		if (x.last_ns > c->last_ns)
			c->last_ns = x.last_ns;
		c->datagrams += x.datagrams;
		c->bytes += x.bytes;
		c->dropped += x.dropped;
	}
}

static int bench_recv(struct net_session *s, uint16_t port, uint64_t count,
		      const struct bench_opts *o)
{
	struct net_udp *u[BENCH_MAX_FLOWS] = { NULL };
	struct netfront_stats st0, st1;
	struct net_udp_counts c;
	char a[NET_ADDR_STR];
	uint64_t deadline;
	int ret = 0;

	for (uint64_t i = 0; i < o->flows && !ret; i++) {
		ret = net_udp_bind(s->ns, (uint16_t)(port + i), &u[i]);
		if (ret) {
			printk("netbench: cannot bind port %llu (%d)\n",
			       (unsigned long long)(port + i), ret);
			goto out;
		}
		/* Counted, not queued: the benchmark is the path to the stack, not a copy each. */
		net_udp_set_sink(u[i], true);
	}
	netdev_get_stats(s->dev, &st0);
	printk("netbench: ready on %s:%u\n", net_ntoa(s->addr, a), port);
	console_flush();
	deadline = now_ns() + BENCH_FIRST_NS;
	do {
		ret = net_wait(s->ns, deadline);
		flows_counts(u, o->flows, &c);
	} while (ret >= 0 && !c.datagrams && now_ns() < deadline);
	if (ret < 0 || !c.datagrams) {
		printk("netbench: nothing arrived (%d)\n", ret);
		ret = ret < 0 ? ret : -ETIMEDOUT;
		goto out;
	}
	printk("netbench: start\n");
	while (c.datagrams < count && now_ns() - c.last_ns < BENCH_IDLE_NS) {
		ret = net_wait(s->ns, now_ns() + BENCH_TICK_NS);
		if (ret < 0)
			break;
		flows_counts(u, o->flows, &c);
	}
	printk("netbench: end\n");
	netdev_get_stats(s->dev, &st1);
	printk("netbench: received %llu of %llu datagrams, %llu bytes, on port %u (%llu flows)\n",
	       (unsigned long long)c.datagrams, (unsigned long long)count,
	       (unsigned long long)c.bytes, port, (unsigned long long)o->flows);
	/* From the first arrival to the last: the sender's start-up is not ours to time. */
	print_rate(c.datagrams, c.bytes, c.last_ns - c.first_ns);
	print_counters("netbench", s, c.datagrams, st1.notifications - st0.notifications);
	ret = ret < 0 ? ret : (c.datagrams >= count ? 0 : -EIO);
out:
	for (uint64_t i = 0; i < o->flows; i++)
		if (u[i])
			net_udp_close(u[i]);
	return ret;
}

/* Frames that arrive meanwhile (a late ARP) are still answered: the vif stays a good citizen. */
static void bench_hold(struct net_session *s)
{
	uint64_t deadline = now_ns() + BENCH_HOLD_NS;

	printk("netbench: holding\n");
	console_flush();
	while (now_ns() < deadline && !app_shutdown_requested("netbench"))
		if (net_wait(s->ns, now_ns() + BENCH_TICK_NS) < 0)
			break;
}

int netbench_main(int argc, char **argv)
{
	unsigned long long port = 0, size = 0, count = 0;
	struct bench_opts o = { .flows = 1 };
	struct net_session s;
	uint32_t dst = 0;
	bool send = false, bad = true, bad_opt = false;
	int n = 0, ret;

	argc = strip_ip_args(argc, argv);
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--hold"))
			o.hold = true;
		else if (!strcmp(argv[i], "--wait-key"))
			o.wait_key = true;
		else if (!strcmp(argv[i], "--flows") && i + 1 < argc)
			bad_opt |= parse_u64(argv[++i], &o.flows) != 0;
		else
			argv[n++] = argv[i];
	}
	bad_opt |= !o.flows || o.flows > BENCH_MAX_FLOWS;
	argv[n] = NULL;
	argc = n;
	if (argc == 6 && !strcmp(argv[1], "send")) {
		send = true;
		bad = net_parse_ipv4(argv[2], &dst) || parse_u64(argv[3], &port) ||
		      parse_u64(argv[4], &size) || parse_u64(argv[5], &count) || !size;
	} else if (argc == 4 && !strcmp(argv[1], "recv")) {
		bad = parse_u64(argv[2], &port) || parse_u64(argv[3], &count);
	}
	if (bad || bad_opt || !port || port + o.flows - 1 > 0xffff || !count ||
	    count > BENCH_MAX_COUNT) {
		printk("usage: netbench send A.B.C.D PORT SIZE COUNT | netbench recv PORT COUNT "
		       "[--hold] [--wait-key] [--flows 1..%u] [ip=A.B.C.D/NN]\n",
		       BENCH_MAX_FLOWS);
		return EXIT_USAGE;
	}
	if (net_up("netbench", &s))
		return 1;
	if (send)
		ret = bench_send(&s, dst, (uint16_t)port, size, count, &o);
	else
		ret = bench_recv(&s, (uint16_t)port, count, &o);
	if (o.hold)
		bench_hold(&s);
	net_down(&s);
	return ret ? 1 : 0;
}
