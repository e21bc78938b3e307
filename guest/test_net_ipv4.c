// SPDX-License-Identifier: MIT
/*
 * Host-side unit test of the guest's IPv4 stack (net_ipv4.c), which is pure C
 * over netdev's API: this file stands in for netdev, the heap and the clock,
 * and plays the peer on the wire. It checks the address parsers, ARP, ICMP
 * echo both ways, UDP, and that hostile frames (short, lying lengths, bad
 * checksums, fragments, martians) are counted and dropped. Every frame is
 * handed over in a buffer of exactly its length, so under ASan a read past
 * any header is caught; a random-mutation run does that many times over.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "ktime.h"
#include "net_ipv4.h"

#define OUR_IP	   0x0a000005u /* 10.0.0.5/24 */
#define PEER_IP	   0x0a000001u
#define OTHER_IP   0x0a000009u
#define BCAST_IP   0x0a0000ffu
#define PREFIX	   24u
#define MTU	   1500u
#define MAX_SENT   64
#define MAX_INJECT 16
#define FUZZ_RUNS  200000

static const uint8_t our_mac[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x05 };
static const uint8_t peer_mac[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x01 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ---- netdev, heap and clock, as the stack sees them ---- */

struct frame {
	uint8_t *data;
	size_t len;
};

static struct netdev_info info = { .mtu = MTU, .max_frame = MTU + 14 };
static netfront_rx_fn *rx_fn;
static void *rx_arg;
static struct frame sent[MAX_SENT];
static int nsent;
static int send_result;
static struct frame inject[MAX_INJECT];
static int ninject;
static bool peer_answers; /* the peer answers ARP and echo requests */
static uint64_t fake_now = 1000000000ull;

void *kmalloc(size_t size)
{
	return malloc(size);
}

void *kzalloc(size_t size)
{
	return calloc(1, size);
}

void kfree(void *p)
{
	free(p);
}

uint64_t now_ns(void)
{
	return fake_now;
}

const struct netdev_info *netdev_info(const struct netdev *d)
{
	(void)d;
	return &info;
}

void netdev_set_rx(struct netdev *d, netfront_rx_fn *fn, void *arg)
{
	(void)d;
	rx_fn = fn;
	rx_arg = arg;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, v >> 16);
	wr16(p + 2, v);
}

static uint16_t csum(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += rd16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t pseudo(uint32_t src, uint32_t dst, uint32_t proto, uint32_t len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}

/* ---- frames the peer makes ---- */

static size_t mk_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint32_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	wr16(f + 12, type);
	return 14;
}

static size_t mk_arp(uint8_t *f, uint32_t op, const uint8_t *sha, uint32_t spa, uint32_t tpa)
{
	uint8_t *a = f + mk_eth(f, op == 1 ? bcast : our_mac, sha, 0x0806);

	wr16(a, 1);
	wr16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	wr16(a + 6, op);
	memcpy(a + 8, sha, 6);
	wr32(a + 14, spa);
	memset(a + 18, 0, 6);
	wr32(a + 24, tpa);
	return 14 + 28;
}

static void mk_ip(uint8_t *p, uint32_t proto, uint32_t src, uint32_t dst, size_t payload)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	wr16(p + 2, (uint32_t)(20 + payload));
	p[8] = 64;
	p[9] = (uint8_t)proto;
	wr32(p + 12, src);
	wr32(p + 16, dst);
	wr16(p + 10, csum(0, p, 20));
}

static size_t mk_icmp(uint8_t *f, uint32_t type, uint32_t src, uint32_t dst, uint16_t id,
		      uint16_t seq, size_t data)
{
	uint8_t *m = f + 34;

	mk_eth(f, our_mac, peer_mac, 0x0800);
	mk_ip(f + 14, 1, src, dst, 8 + data);
	m[0] = (uint8_t)type;
	m[1] = 0;
	wr16(m + 2, 0);
	wr16(m + 4, id);
	wr16(m + 6, seq);
	for (size_t i = 0; i < data; i++)
		m[8 + i] = (uint8_t)(i * 3);
	wr16(m + 2, csum(0, m, 8 + data));
	return 34 + 8 + data;
}

static size_t mk_udp(uint8_t *f, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		     const void *data, size_t len, bool with_csum)
{
	uint8_t *u = f + 34;

	mk_eth(f, our_mac, peer_mac, 0x0800);
	mk_ip(f + 14, 17, src, dst, 8 + len);
	wr16(u, sport);
	wr16(u + 2, dport);
	wr16(u + 4, (uint32_t)(8 + len));
	wr16(u + 6, 0);
	memcpy(u + 8, data, len);
	if (with_csum) {
		uint16_t s = csum(pseudo(src, dst, 17, (uint32_t)(8 + len)), u, 8 + len);

		wr16(u + 6, s ? s : 0xffff);
	}
	return 34 + 8 + len;
}

/* Hands a frame to the stack in a buffer of exactly its length. */
static void deliver(const uint8_t *f, size_t len, unsigned int flags)
{
	uint8_t *copy = malloc(len ? len : 1);

	memcpy(copy, f, len);
	rx_fn(rx_arg, copy, len, flags);
	free(copy);
}

/* Every frame the stack sends must be well formed; the peer may answer it. */
int netdev_send(struct netdev *d, const void *frame, size_t len, unsigned int flags)
{
	const uint8_t *f = frame;
	uint8_t reply[128];

	(void)d;
	(void)flags;
	if (send_result)
		return send_result;
	ck_assert_uint_ge(len, 14);
	ck_assert_uint_le(len, info.max_frame);
	ck_assert_mem_eq(f + 6, our_mac, 6);
	if (rd16(f + 12) == 0x0800) {
		ck_assert_uint_eq(f[14], 0x45);
		ck_assert_uint_eq(rd16(f + 16), len - 14);
		ck_assert_uint_eq(csum(0, f + 14, 20), 0);
		ck_assert_uint_eq(rd32(f + 26), OUR_IP);
	}
	if (nsent < MAX_SENT) {
		sent[nsent].data = malloc(len);
		memcpy(sent[nsent].data, f, len);
		sent[nsent++].len = len;
	}
	if (!peer_answers || ninject == MAX_INJECT)
		return 0;
	if (rd16(f + 12) == 0x0806 && rd16(f + 20) == 1 && rd32(f + 38) == PEER_IP) {
		size_t n = mk_arp(reply, 2, peer_mac, PEER_IP, OUR_IP);

		inject[ninject].data = malloc(n);
		memcpy(inject[ninject].data, reply, n);
		inject[ninject++].len = n;
	} else if (rd16(f + 12) == 0x0800 && f[23] == 1 && f[34] == 8 && rd32(f + 30) == PEER_IP) {
		uint8_t *r = malloc(len);

		memcpy(r, f, len);
		memcpy(r, f + 6, 6);
		memcpy(r + 6, peer_mac, 6);
		mk_ip(r + 14, 1, PEER_IP, OUR_IP, len - 34);
		r[34] = 0;
		wr16(r + 36, 0);
		wr16(r + 36, csum(0, r + 34, len - 34));
		inject[ninject].data = r;
		inject[ninject++].len = len;
	}
	return 0;
}

/* The wire: what the peer has to say arrives; otherwise time runs on to the deadline. */
int netdev_wait(struct netdev *d, uint64_t deadline_ns)
{
	int n = ninject;

	(void)d;
	fake_now += 50000; /* a 50 us round trip */
	for (int i = 0; i < ninject; i++) {
		deliver(inject[i].data, inject[i].len, 0);
		free(inject[i].data);
	}
	ninject = 0;
	if (!n && deadline_ns > fake_now)
		fake_now = deadline_ns;
	return n;
}

/* ---- fixtures ---- */

static struct net_stack *ns;

static void setup(void)
{
	memcpy(info.mac, our_mac, 6);
	info.mtu = MTU;
	info.max_frame = MTU + 14;
	nsent = ninject = 0;
	send_result = 0;
	peer_answers = true;
	ck_assert_int_eq(net_open(NULL, OUR_IP, PREFIX, &ns), 0);
	ck_assert_ptr_nonnull(rx_fn);
}

static void clear_sent(void)
{
	for (int i = 0; i < nsent; i++)
		free(sent[i].data);
	nsent = 0;
}

static void teardown(void)
{
	net_close(ns);
	ck_assert_ptr_null(rx_fn);
	clear_sent();
	for (int i = 0; i < ninject; i++)
		free(inject[i].data);
	ninject = 0;
}

static struct net_stats stats(void)
{
	struct net_stats s;

	net_get_stats(ns, &s);
	return s;
}

/* ---- cases ---- */

START_TEST(address_parsing)
{
	static const char *const bad_cidr[] = {
		"",
		"10.0.0.5",
		"10.0.0.5/",
		"10.0.0.5/0",
		"10.0.0.5/33",
		"10.0.0.5/024",
		"010.0.0.5/24",
		"10.0.0.5 /24",
		"10.0.0.5/24 ",
		"10.0.0/24",
		"10.0.0.0.5/8",
		"256.0.0.5/8",
		"10.0.0.0/24",
		"10.0.0.255/24",
		"127.0.0.1/8",
		"224.0.0.1/4",
		"0.1.2.3/8",
		"255.255.255.255/32",
		"10..0.5/24",
		"+10.0.0.5/24",
		"10.0.0.5/2x",
		"1000.0.0.5/8",
		"10.0.0.5//24",
		"a.b.c.d/24",
	};
	uint32_t a, p;

	ck_assert_int_eq(net_parse_cidr("10.0.0.5/24", &a, &p), 0);
	ck_assert_uint_eq(a, OUR_IP);
	ck_assert_uint_eq(p, 24);
	ck_assert_int_eq(net_parse_cidr("192.168.100.200/32", &a, &p), 0);
	ck_assert_int_eq(net_parse_cidr("10.0.0.0/31", &a, &p), 0); /* RFC 3021 */
	ck_assert_int_eq(net_parse_cidr("0.0.0.0/8", &a, &p), -EINVAL);
	for (size_t i = 0; i < sizeof(bad_cidr) / sizeof(bad_cidr[0]); i++)
		ck_assert_msg(net_parse_cidr(bad_cidr[i], &a, &p) == -EINVAL, "accepted '%s'",
			      bad_cidr[i]);
	ck_assert_int_eq(net_parse_ipv4("0.0.0.0", &a), 0);
	ck_assert_int_eq(net_parse_ipv4("255.255.255.255", &a), 0);
	ck_assert_uint_eq(a, 0xffffffffu);
	ck_assert_int_eq(net_parse_ipv4("1.2.3.4.", &a), -EINVAL);
	ck_assert_int_eq(net_parse_ipv4("1.2.3", &a), -EINVAL);
	ck_assert_int_eq(net_parse_ipv4("01.2.3.4", &a), -EINVAL);
	ck_assert_int_eq(net_parse_ipv4(NULL, &a), -EINVAL);
	{
		char buf[NET_ADDR_STR];

		ck_assert_str_eq(net_ntoa(0xc0a80a01u, buf), "192.168.10.1");
	}
}
END_TEST

START_TEST(arp_answers_for_our_address_only)
{
	uint8_t f[64], mac[6];
	const uint8_t *r;
	size_t n;

	n = mk_arp(f, 1, peer_mac, PEER_IP, OUR_IP);
	deliver(f, n, 0);
	ck_assert_int_eq(nsent, 1);
	r = sent[0].data;
	ck_assert_uint_eq(sent[0].len, 42);
	ck_assert_mem_eq(r, peer_mac, 6);
	ck_assert_uint_eq(rd16(r + 12), 0x0806);
	ck_assert_uint_eq(rd16(r + 20), 2);
	ck_assert_mem_eq(r + 22, our_mac, 6);
	ck_assert_uint_eq(rd32(r + 28), OUR_IP);
	ck_assert_mem_eq(r + 32, peer_mac, 6);
	ck_assert_uint_eq(rd32(r + 38), PEER_IP);
	ck_assert_uint_eq(stats().arp_answered, 1);
	/* The asker was learned: no ARP on the wire to reach it. */
	peer_answers = false;
	ck_assert_int_eq(net_arp_resolve(ns, PEER_IP, mac), 0);
	ck_assert_mem_eq(mac, peer_mac, 6);
	ck_assert_int_eq(nsent, 1);

	/* Questions about others and unasked answers teach us nothing. */
	n = mk_arp(f, 1, peer_mac, OTHER_IP, PEER_IP);
	deliver(f, n, 0);
	n = mk_arp(f, 2, peer_mac, OTHER_IP, OUR_IP);
	deliver(f, n, 0);
	ck_assert_int_eq(nsent, 1);
	ck_assert_int_eq(net_arp_resolve(ns, OTHER_IP, mac), -EHOSTUNREACH);
	ck_assert_int_eq(nsent, 1 + 3); /* three requests, no answer */
	ck_assert_mem_eq(sent[1].data, bcast, 6);
	/* Malformed or lying packets. */
	n = mk_arp(f, 1, peer_mac, PEER_IP, OUR_IP);
	deliver(f, n - 1, 0); /* short */
	f[14 + 5] = 6;	      /* protocol address length */
	deliver(f, n, 0);
	n = mk_arp(f, 1, our_mac, OUR_IP, OUR_IP); /* someone claims our address */
	f[6] = 0x02;
	deliver(f, n, 0);
	n = mk_arp(f, 3, peer_mac, PEER_IP, OUR_IP); /* no such operation */
	deliver(f, n, 0);
	n = mk_arp(f, 1, peer_mac, 0x0b000001u, OUR_IP); /* another subnet */
	deliver(f, n, 0);
	ck_assert_uint_eq(stats().bad_arp, 5);
	ck_assert_int_eq(nsent, 4);
	/* Off our subnet, or not a host. */
	ck_assert_int_eq(net_arp_resolve(ns, 0x0b000001u, mac), -ENETUNREACH);
	ck_assert_int_eq(net_arp_resolve(ns, BCAST_IP, mac), -EINVAL);
	ck_assert_int_eq(net_arp_resolve(ns, OUR_IP, mac), -EINVAL);
}
END_TEST

START_TEST(echo_requests_are_answered)
{
	uint8_t f[1600];
	const uint8_t *r;
	size_t n;

	n = mk_icmp(f, 8, PEER_IP, OUR_IP, 0x1234, 7, 100);
	deliver(f, n, 0);
	ck_assert_int_eq(nsent, 1);
	r = sent[0].data;
	ck_assert_uint_eq(sent[0].len, n);
	ck_assert_mem_eq(r, peer_mac, 6); /* back where it came from */
	ck_assert_uint_eq(rd32(r + 30), PEER_IP);
	ck_assert_uint_eq(r[34], 0);
	ck_assert_uint_eq(csum(0, r + 34, n - 34), 0);
	ck_assert_mem_eq(r + 38, f + 38, n - 38); /* id, seq and data */
	/* Ethernet padding after the packet is not part of it. */
	n = mk_icmp(f, 8, PEER_IP, OUR_IP, 1, 1, 0);
	deliver(f, 60, 0);
	ck_assert_int_eq(nsent, 2);
	ck_assert_uint_eq(sent[1].len, n);
	ck_assert_uint_eq(stats().echo_answered, 2);

	/* Each of these is dropped, and counted. */
	n = mk_icmp(f, 8, PEER_IP, OUR_IP, 1, 1, 40);
	f[24] ^= 1; /* IP header checksum */
	deliver(f, n, 0);
	n = mk_icmp(f, 8, PEER_IP, OUR_IP, 1, 1, 40);
	f[50] ^= 1; /* ICMP checksum */
	deliver(f, n, 0);
	ck_assert_uint_eq(stats().bad_csum, 2);
	n = mk_icmp(f, 8, PEER_IP, OUR_IP, 1, 1, 40);
	deliver(f, n - 1, 0); /* the IP total length runs past the frame */
	f[14] = 0x44;	      /* IHL 4 */
	deliver(f, n, 0);
	f[14] = 0x4f; /* IHL 15: past the packet */
	deliver(f, 14 + 40, 0);
	f[14] = 0x65; /* IPv6 */
	deliver(f, n, 0);
	deliver(f, 14 + 19, 0); /* shorter than an IP header */
	ck_assert_uint_eq(stats().bad_ip, 5);
	n = mk_icmp(f, 8, PEER_IP, OUR_IP, 1, 1, 40);
	wr16(f + 20, 0x2000); /* more fragments */
	wr16(f + 24, 0);
	wr16(f + 24, csum(0, f + 14, 20));
	deliver(f, n, 0);
	ck_assert_uint_eq(stats().fragments, 1);
	n = mk_icmp(f, 8, PEER_IP, BCAST_IP, 1, 1, 40); /* no smurf amplifier */
	deliver(f, n, 0);
	n = mk_icmp(f, 8, PEER_IP, OTHER_IP, 1, 1, 40); /* not ours */
	deliver(f, n, 0);
	n = mk_icmp(f, 8, BCAST_IP, OUR_IP, 1, 1, 40); /* a martian source */
	deliver(f, n, 0);
	n = mk_icmp(f, 8, PEER_IP, OUR_IP, 1, 1, 40);
	f[6] = 0x01; /* a multicast source MAC */
	deliver(f, n, 0);
	n = mk_icmp(f, 8, PEER_IP, OUR_IP, 1, 1, 40);
	f[0] = 0x02; /* another station's frame */
	deliver(f, n, 0);
	deliver(f, 13, 0);
	ck_assert_int_eq(nsent, 2);
	ck_assert_uint_eq(stats().bad_eth, 2);
	ck_assert_uint_eq(stats().not_ours, 3);
	ck_assert_uint_eq(stats().bad_ip, 6);
	/* An echo reply larger than a frame may carry is not sent. */
	info.max_frame = 200;
	net_close(ns);
	ck_assert_int_eq(net_open(NULL, OUR_IP, PREFIX, &ns), 0);
	n = mk_icmp(f, 8, PEER_IP, OUR_IP, 1, 1, 500);
	deliver(f, n, 0);
	ck_assert_int_eq(nsent, 2);
	ck_assert_uint_eq(stats().tx_dropped, 1);
}
END_TEST

START_TEST(ping_round_trip)
{
	uint64_t t0, t1;

	ck_assert_int_eq(net_ping_send(ns, PEER_IP, 42, 1, 56, &t0), 0);
	ck_assert_int_eq(nsent, 2); /* ARP, then the echo */
	ck_assert_uint_eq(sent[1].len, 14 + 20 + 8 + 56);
	ck_assert_uint_eq(csum(0, sent[1].data + 34, 64), 0);
	ck_assert_int_eq(net_ping_wait(ns, PEER_IP, 42, 1, t0 + 1000000000ull, &t1), 0);
	ck_assert_uint_gt(t1, t0);
	ck_assert_uint_eq(stats().echo_replies, 1);
	/* The same reply twice is one answer; a silent peer times out. */
	peer_answers = false;
	ck_assert_int_eq(net_ping_send(ns, PEER_IP, 42, 2, 56, &t0), 0);
	ck_assert_int_eq(net_ping_wait(ns, PEER_IP, 42, 2, t0 + 1000000000ull, &t1), -ETIMEDOUT);
	ck_assert_int_eq(net_ping_wait(ns, PEER_IP, 42, 1, t0 + 1000000000ull, &t1), -ETIMEDOUT);
	ck_assert_int_eq(net_ping_send(ns, PEER_IP, 42, 3, 1500, &t0), -EMSGSIZE);
	ck_assert_int_eq(net_ping_send(ns, PEER_IP, 42, 3, 1500 - 28, &t0), 0);
}
END_TEST

START_TEST(udp_receive_and_reply)
{
	static const char msg[] = "hello, guest";
	struct net_udp *u, *v;
	struct net_peer from;
	struct net_udp_counts c;
	uint8_t f[1600], buf[64];
	const uint8_t *r;
	size_t n;

	ck_assert_int_eq(net_udp_bind(ns, 7, &u), 0);
	ck_assert_int_eq(net_udp_bind(ns, 7, &v), -EADDRINUSE);
	ck_assert_int_eq(net_udp_bind(ns, 0, &v), 0);
	ck_assert_uint_ge(net_udp_port(v), 49152);
	n = mk_udp(f, PEER_IP, OUR_IP, 5555, 7, msg, sizeof(msg), true);
	deliver(f, n, 0);
	n = mk_udp(f, PEER_IP, OUR_IP, 5556, 7, msg, 5, false); /* no checksum: fine */
	deliver(f, n, 0);
	n = mk_udp(f, PEER_IP, BCAST_IP, 5557, 7, msg, 3, true); /* subnet broadcast */
	deliver(f, n, 0);
	ck_assert_int_eq(net_udp_recv(u, buf, sizeof(buf), &from, 0), sizeof(msg));
	ck_assert_mem_eq(buf, msg, sizeof(msg));
	ck_assert_uint_eq(from.addr, PEER_IP);
	ck_assert_uint_eq(from.port, 5555);
	ck_assert(from.has_mac);
	ck_assert_mem_eq(from.mac, peer_mac, 6);
	ck_assert_int_eq(net_udp_recv(u, buf, 2, NULL, 0), 5); /* cut to fit, full length said */
	ck_assert_int_eq(net_udp_recv(u, buf, sizeof(buf), &from, 0), 3);
	ck_assert_int_eq(net_udp_recv(u, buf, sizeof(buf), &from, fake_now + 1000), -ETIMEDOUT);

	/* The reply goes to the MAC it came from and carries a right checksum. */
	peer_answers = false;
	ck_assert_int_eq(net_udp_sendto(u, &from, msg, sizeof(msg), 0), 0);
	ck_assert_int_eq(nsent, 1);
	r = sent[0].data;
	ck_assert_mem_eq(r, peer_mac, 6);
	ck_assert_uint_eq(rd16(r + 34), 7);
	ck_assert_uint_eq(rd16(r + 36), 5557);
	ck_assert_uint_eq(rd16(r + 38), 8 + sizeof(msg));
	ck_assert_uint_ne(rd16(r + 40), 0);
	ck_assert_uint_eq(
		csum(pseudo(OUR_IP, PEER_IP, 17, 8 + sizeof(msg)), r + 34, 8 + sizeof(msg)), 0);
	ck_assert_mem_eq(r + 42, msg, sizeof(msg));
	ck_assert_int_eq(net_udp_sendto(u, &from, f, 1500 - 27, 0), -EMSGSIZE);

	/* Dropped and counted: bad checksum, lying lengths, nobody on the port. */
	n = mk_udp(f, PEER_IP, OUR_IP, 1, 7, msg, 8, true);
	f[45] ^= 0x40;
	deliver(f, n, 0);
	ck_assert_uint_eq(stats().bad_csum, 1);
	deliver(f, n, NETFRONT_RX_VALIDATED); /* the backend vouches for it */
	ck_assert_int_eq(net_udp_recv(u, buf, sizeof(buf), NULL, 0), 8);
	n = mk_udp(f, PEER_IP, OUR_IP, 1, 7, msg, 8, false);
	wr16(f + 38, 17); /* UDP length past the IP payload */
	deliver(f, n, 0);
	wr16(f + 38, 7); /* shorter than a UDP header */
	deliver(f, n, 0);
	n = mk_udp(f, PEER_IP, OUR_IP, 1, 7, msg, 0, false);
	mk_ip(f + 14, 17, PEER_IP, OUR_IP, 4); /* an IP payload too short for UDP */
	deliver(f, 14 + 24, 0);
	ck_assert_uint_eq(stats().bad_ip, 3);
	n = mk_udp(f, PEER_IP, OUR_IP, 1, 9, msg, 8, true);
	deliver(f, n, 0);
	ck_assert_uint_eq(stats().udp_no_port, 1);
	/* A full queue drops, and says so. */
	n = mk_udp(f, PEER_IP, OUR_IP, 1, 7, msg, 8, true);
	for (int i = 0; i < 40; i++)
		deliver(f, n, 0);
	net_udp_get_counts(u, &c);
	ck_assert_uint_eq(c.dropped, 40 - 32);
	ck_assert_uint_eq(stats().udp_full, 8);
	/* A sink counts and queues nothing. */
	net_udp_set_sink(v, true);
	n = mk_udp(f, PEER_IP, OUR_IP, 1, net_udp_port(v), msg, 8, true);
	deliver(f, n, 0);
	deliver(f, n, 0);
	net_udp_get_counts(v, &c);
	ck_assert_uint_eq(c.datagrams, 2);
	ck_assert_uint_eq(c.bytes, 16);
	net_udp_close(v);
	/* Sending to a neighbour asks ARP first. */
	peer_answers = true;
	clear_sent();
	from = (struct net_peer){ .addr = PEER_IP, .port = 9 };
	ck_assert_int_eq(net_udp_sendto(u, &from, msg, 4, NETDEV_MORE), 0);
	ck_assert_int_eq(nsent, 2);
	ck_assert_uint_eq(rd16(sent[0].data + 12), 0x0806);
	from.addr = 0x0b000001u;
	ck_assert_int_eq(net_udp_sendto(u, &from, msg, 4, 0), -ENETUNREACH);
	from.port = 0;
	ck_assert_int_eq(net_udp_sendto(u, &from, msg, 4, 0), -EINVAL);
	/* The queue is freed with the socket (ASan's leak check says so). */
	net_udp_close(u);
}
END_TEST

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

START_TEST(random_frames_never_read_out_of_bounds)
{
	static const char msg[] = "0123456789abcdef0123456789abcdef";
	uint8_t tmpl[4][1600], f[1600];
	size_t tlen[4];
	struct net_udp *u;

	ck_assert_int_eq(net_udp_bind(ns, 7, &u), 0);
	peer_answers = false;
	tlen[0] = mk_arp(tmpl[0], 1, peer_mac, PEER_IP, OUR_IP);
	tlen[1] = mk_icmp(tmpl[1], 8, PEER_IP, OUR_IP, 1, 2, 64);
	tlen[2] = mk_udp(tmpl[2], PEER_IP, OUR_IP, 1000, 7, msg, sizeof(msg), true);
	tlen[3] = mk_icmp(tmpl[3], 0, PEER_IP, OUR_IP, 1, 2, 64);
	for (int run = 0; run < FUZZ_RUNS; run++) {
		uint32_t t = rnd() % 4, flips = 1 + rnd() % 4;
		size_t len = tlen[t];

		memcpy(f, tmpl[t], tlen[t]);
		for (uint32_t i = 0; i < flips; i++) {
			/* Mostly the headers, where the lengths and checksums are. */
			size_t at = rnd() % 3 ? rnd() % 48 : rnd() % len;

			f[at] = (uint8_t)rnd();
		}
		if (rnd() % 4 == 0)
			len = rnd() % (len + 1);
		else if (rnd() % 8 == 0)
			len += rnd() % (sizeof(f) - len);
		deliver(f, len, rnd() % 8 == 0 ? NETFRONT_RX_CSUM_BLANK : 0);
		clear_sent();
		while (net_udp_recv(u, f, sizeof(f), NULL, 1) >= 0)
			;
	}
	ck_assert_uint_eq(stats().rx_frames, FUZZ_RUNS);
	net_udp_close(u);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("net_ipv4");
	TCase *tc = tcase_create("net_ipv4");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, address_parsing);
	tcase_add_test(tc, arp_answers_for_our_address_only);
	tcase_add_test(tc, echo_requests_are_answered);
	tcase_add_test(tc, ping_round_trip);
	tcase_add_test(tc, udp_receive_and_reply);
	tcase_add_test(tc, random_frames_never_read_out_of_bounds);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
