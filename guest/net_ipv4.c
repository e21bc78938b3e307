// SPDX-License-Identifier: MIT
/*
 * The minimal IPv4 stack (see net_ipv4.h). Everything received is input from
 * the network, so each layer checks its header against the bytes that really
 * arrived before reading a field past them: the Ethernet header against the
 * frame, the IPv4 header length and total length against what is left, the
 * UDP length against the IP payload, and the checksums (IPv4 always; ICMP and
 * UDP unless the backend says it validated them or left them blank). Frames
 * come from netfront's private copy, so nothing can change under the checks.
 *
 * Headers are read and written byte by byte in network order: no packed
 * structs, no unaligned loads. Replies made while a frame is being handled
 * (ARP, ICMP echo) are built in their own buffer and sent without waiting, as
 * the app's own frame may be half-built in the other one.
 */
#include <errno.h>
#include <string.h>
#include "heap.h"
#include "ktime.h"
#include "net_ipv4.h"
#include "printf.h"

#define ETH_ALEN      6u
#define ETH_HLEN      14u
#define ETH_P_IP      0x0800u
#define ETH_P_ARP     0x0806u
#define ARP_LEN	      28u
#define ARP_REQUEST   1u
#define ARP_REPLY     2u
#define IP_HLEN	      20u
#define IP_DF	      0x4000u
#define IP_FRAG_MASK  0x3fffu /* more-fragments and the offset */
#define IP_TTL	      64u
#define PROTO_ICMP    1u
#define PROTO_UDP     17u
#define ICMP_HLEN     8u
#define ICMP_ECHOREP  0u
#define ICMP_ECHO     8u
#define UDP_HLEN      8u
#define IP_MAX_TOTAL  0xffffu
#define ARP_CACHE     8u
#define ARP_TTL_NS    (60 * NSEC_PER_SEC)
#define ARP_TRIES     3u
#define ARP_WAIT_NS   NSEC_PER_SEC
#define ECHO_LOG      16u
#define UDP_SOCKS     12u /* netbench --flows 8, and a few more */
#define UDP_QUEUE     32u
#define EPHEMERAL_LO  49152u
#define EPHEMERAL_CNT 16384u

struct arp_entry {
	uint32_t addr;
	uint8_t mac[ETH_ALEN];
	uint64_t stamp; /* when learned */
	bool valid;
};

struct echo_rec {
	uint32_t src;
	uint16_t id, seq;
	uint64_t rx_ns;
	bool valid;
};

struct dgram {
	struct net_peer from;
	uint8_t *data;
	size_t len;
};

struct net_udp {
	struct net_stack *ns;
	uint16_t port;
	bool used, sink;
	struct dgram q[UDP_QUEUE];
	uint32_t head, count;
	struct net_udp_counts counts;
};

struct net_stack {
	struct netdev *dev;
	uint8_t mac[ETH_ALEN];
	uint32_t addr, mask, bcast;
	size_t max_frame; /* what one frame may carry: netdev's limit and our MTU */
	uint8_t *tx;	  /* the app's frames */
	uint8_t *reply;	  /* replies made while a frame is handled */
	uint16_t ip_id;
	uint32_t arp_pending; /* the address we asked for; its reply may add an entry */
	struct arp_entry arp[ARP_CACHE];
	struct echo_rec echo[ECHO_LOG];
	uint32_t echo_next;
	struct net_udp udp[UDP_SOCKS];
	uint32_t next_port;
	struct net_stats stats;
};

static const uint8_t bcast_mac[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ---- bytes in network order ---- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The Internet checksum's running sum (RFC 1071); fold it at the end. */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint64_t pseudo_sum(uint32_t src, uint32_t dst, uint32_t proto, uint32_t len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}

/* ---- addresses ---- */

static bool mac_eq(const uint8_t *a, const uint8_t *b)
{
	return !memcmp(a, b, ETH_ALEN);
}

static uint32_t prefix_mask(uint32_t prefix)
{
	return prefix ? ~0u << (32 - prefix) : 0;
}

/* Not a unicast host anywhere: 0/8, loopback, multicast, reserved, broadcast. */
static bool martian(uint32_t a)
{
	return (a >> 24) == 0 || (a >> 24) == 127 || (a >> 28) >= 0xe;
}

/* A decimal 0..max of 1..3 digits (no leading zero) at *s, which moves past it. */
static int parse_dec(const char **s, uint32_t max, uint32_t digits)
{
	const char *p = *s;
	uint32_t v = 0, n = 0;

	while (*p >= '0' && *p <= '9' && n < digits) {
		v = v * 10 + (uint32_t)(*p - '0');
		p++;
		n++;
	}
	if (!n || (n > 1 && **s == '0') || v > max || (*p >= '0' && *p <= '9'))
		return -EINVAL;
	*s = p;
	return (int)v;
}

static int parse_quad(const char **s, uint32_t *addr)
{
	uint32_t a = 0;

	for (int i = 0; i < 4; i++) {
		int v = parse_dec(s, 255, 3);

		if (v < 0 || (i < 3 && *(*s)++ != '.'))
			return -EINVAL;
		a = a << 8 | (uint32_t)v;
	}
	*addr = a;
	return 0;
}

int net_parse_ipv4(const char *s, uint32_t *addr)
{
	if (!s || parse_quad(&s, addr) || *s)
		return -EINVAL;
	return 0;
}

int net_check_host(uint32_t addr, uint32_t prefix)
{
	uint32_t host = ~prefix_mask(prefix);

	if (prefix < 1 || prefix > 32 || martian(addr))
		return -EINVAL;
	/* Below /31 a subnet has a network and a broadcast address, and neither is a host. */
	if (prefix <= 30 && ((addr & host) == 0 || (addr & host) == host))
		return -EINVAL;
	return 0;
}

int net_parse_cidr(const char *s, uint32_t *addr, uint32_t *prefix)
{
	int p;

	if (!s || parse_quad(&s, addr) || *s++ != '/')
		return -EINVAL;
	p = parse_dec(&s, 32, 2);
	if (p < 0 || *s)
		return -EINVAL;
	*prefix = (uint32_t)p;
	return net_check_host(*addr, *prefix);
}

const char *net_ntoa(uint32_t a, char *buf)
{
	ksnprintf(buf, NET_ADDR_STR, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
		  a & 0xff);
	return buf;
}

/* ---- building frames ---- */

static void build_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint32_t type)
{
	memcpy(f, dst, ETH_ALEN);
	memcpy(f + ETH_ALEN, src, ETH_ALEN);
	put16(f + 2 * ETH_ALEN, type);
}

/* A 20-byte header for payload_len bytes of proto to dst, with its checksum. */
static void build_ip(struct net_stack *ns, uint8_t *p, uint32_t proto, uint32_t dst,
		     size_t payload_len)
{
	p[0] = 0x45;
	p[1] = 0;
	put16(p + 2, (uint32_t)(IP_HLEN + payload_len));
	put16(p + 4, ns->ip_id++);
	put16(p + 6, IP_DF); /* we never fragment, so nobody should */
	p[8] = IP_TTL;
	p[9] = (uint8_t)proto;
	put16(p + 10, 0);
	put32(p + 12, ns->addr);
	put32(p + 16, dst);
	put16(p + 10, csum_fold(csum_add(0, p, IP_HLEN)));
}

/* ---- ARP ---- */

static struct arp_entry *arp_find(struct net_stack *ns, uint32_t addr)
{
	for (uint32_t i = 0; i < ARP_CACHE; i++) {
		if (ns->arp[i].valid && ns->arp[i].addr == addr)
			return &ns->arp[i];
	}
	return NULL;
}

static void arp_learn(struct net_stack *ns, uint32_t addr, const uint8_t *mac)
{
	struct arp_entry *e = arp_find(ns, addr), *old = &ns->arp[0];

	if (!e) {
		/* A free entry, or else the oldest. */
		for (uint32_t i = 0; i < ARP_CACHE && !e; i++) {
			if (!ns->arp[i].valid)
				e = &ns->arp[i];
			else if (ns->arp[i].stamp < old->stamp)
				old = &ns->arp[i];
		}
		e = e ? e : old;
		ns->stats.arp_learned++;
	}
	e->addr = addr;
	memcpy(e->mac, mac, ETH_ALEN);
	e->stamp = now_ns();
	e->valid = true;
}

static int arp_send(struct net_stack *ns, uint8_t *f, uint32_t op, const uint8_t *dst_mac,
		    const uint8_t *tha, uint32_t tpa, unsigned int flags)
{
	uint8_t *a = f + ETH_HLEN;

	build_eth(f, dst_mac, ns->mac, ETH_P_ARP);
	put16(a, 1); /* Ethernet */
	put16(a + 2, ETH_P_IP);
	a[4] = ETH_ALEN;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, ns->mac, ETH_ALEN);
	put32(a + 14, ns->addr);
	memcpy(a + 18, tha, ETH_ALEN);
	put32(a + 24, tpa);
	ns->stats.tx_frames++;
	return netdev_send(ns->dev, f, ETH_HLEN + ARP_LEN, flags);
}

static void arp_rx(struct net_stack *ns, const uint8_t *a, size_t len)
{
	uint32_t op, spa, tpa;
	const uint8_t *sha;

	if (len < ARP_LEN || get16(a) != 1 || get16(a + 2) != ETH_P_IP || a[4] != ETH_ALEN ||
	    a[5] != 4) {
		ns->stats.bad_arp++;
		return;
	}
	op = get16(a + 6);
	sha = a + 8;
	spa = get32(a + 14);
	tpa = get32(a + 24);
	if ((op != ARP_REQUEST && op != ARP_REPLY) || (sha[0] & 1) || spa == ns->addr ||
	    martian(spa) || ((spa ^ ns->addr) & ns->mask) || spa == ns->bcast) {
		ns->stats.bad_arp++;
		return;
	}
	/*
	 * RFC 826: refresh an entry we have; add one only when the packet is for
	 * us, a request or the answer to our own question, so that nobody fills
	 * the cache by talking about others.
	 */
	if (arp_find(ns, spa) || (tpa == ns->addr && (op == ARP_REQUEST || spa == ns->arp_pending)))
		arp_learn(ns, spa, sha);
	if (op != ARP_REQUEST || tpa != ns->addr)
		return;
	if (arp_send(ns, ns->reply, ARP_REPLY, sha, sha, spa, NETDEV_NOWAIT))
		ns->stats.tx_dropped++;
	else
		ns->stats.arp_answered++;
}

int net_arp_resolve(struct net_stack *ns, uint32_t addr, uint8_t mac[6])
{
	static const uint8_t zero[ETH_ALEN];
	uint64_t deadline;
	int ret;

	if (addr == ns->addr || martian(addr) || addr == ns->bcast)
		return -EINVAL;
	if ((addr ^ ns->addr) & ns->mask)
		return -ENETUNREACH;
	for (uint32_t try = 0; try < ARP_TRIES; try++) {
		const struct arp_entry *e = arp_find(ns, addr);

		if (e && now_ns() - e->stamp < ARP_TTL_NS) {
			memcpy(mac, e->mac, ETH_ALEN);
			return 0;
		}
		ns->arp_pending = addr;
		ret = arp_send(ns, ns->tx, ARP_REQUEST, bcast_mac, zero, addr, 0);
		if (ret)
			goto out;
		deadline = now_ns() + ARP_WAIT_NS;
		for (;;) {
			e = arp_find(ns, addr);
			if (e && now_ns() - e->stamp < ARP_TTL_NS) {
				memcpy(mac, e->mac, ETH_ALEN);
				ret = 0;
				goto out;
			}
			ret = net_wait(ns, deadline);
			if (ret < 0)
				goto out;
			if (!ret)
				break;
		}
	}
	ret = -EHOSTUNREACH;
out:
	ns->arp_pending = 0;
	return ret;
}

/* Where a frame for dst goes: broadcast, or a neighbour found with ARP. */
static int route(struct net_stack *ns, uint32_t dst, uint8_t *mac)
{
	if (dst == 0xffffffffu || dst == ns->bcast) {
		memcpy(mac, bcast_mac, ETH_ALEN);
		return 0;
	}
	return net_arp_resolve(ns, dst, mac);
}

/* ---- ICMP ---- */

static void icmp_rx(struct net_stack *ns, const uint8_t *eth, uint32_t src, const uint8_t *m,
		    size_t len, unsigned int flags)
{
	uint8_t *f = ns->reply;

	if (len < ICMP_HLEN) {
		ns->stats.bad_ip++;
		return;
	}
	if (!(flags & NETFRONT_RX_CSUM_BLANK) && csum_fold(csum_add(0, m, len))) {
		ns->stats.bad_csum++;
		return;
	}
	if (m[0] == ICMP_ECHOREP && m[1] == 0) {
		struct echo_rec *r = &ns->echo[ns->echo_next++ % ECHO_LOG];

		*r = (struct echo_rec){ .src = src,
					.id = get16(m + 4),
					.seq = get16(m + 6),
					.rx_ns = now_ns(),
					.valid = true };
		ns->stats.echo_replies++;
		return;
	}
	if (m[0] != ICMP_ECHO || m[1] != 0) {
		ns->stats.not_ours++;
		return;
	}
	if (ETH_HLEN + IP_HLEN + len > ns->max_frame) {
		ns->stats.tx_dropped++;
		return;
	}
	/* The reply goes back to the MAC it came from: no ARP in the receive path. */
	build_eth(f, eth + ETH_ALEN, ns->mac, ETH_P_IP);
	build_ip(ns, f + ETH_HLEN, PROTO_ICMP, src, len);
	memcpy(f + ETH_HLEN + IP_HLEN, m, len);
	f[ETH_HLEN + IP_HLEN] = ICMP_ECHOREP;
	put16(f + ETH_HLEN + IP_HLEN + 2, 0);
	put16(f + ETH_HLEN + IP_HLEN + 2, csum_fold(csum_add(0, f + ETH_HLEN + IP_HLEN, len)));
	ns->stats.tx_frames++;
	if (netdev_send(ns->dev, f, ETH_HLEN + IP_HLEN + len, NETDEV_NOWAIT))
		ns->stats.tx_dropped++;
	else
		ns->stats.echo_answered++;
}

int net_ping_send(struct net_stack *ns, uint32_t dst, uint16_t id, uint16_t seq, size_t len,
		  uint64_t *sent_ns)
{
	uint8_t mac[ETH_ALEN], *f = ns->tx, *m = f + ETH_HLEN + IP_HLEN;
	size_t mlen = ICMP_HLEN + len;
	int ret;

	if (len > net_max_payload(ns))
		return -EMSGSIZE;
	ret = route(ns, dst, mac);
	if (ret)
		return ret;
	build_eth(f, mac, ns->mac, ETH_P_IP);
	build_ip(ns, f + ETH_HLEN, PROTO_ICMP, dst, mlen);
	m[0] = ICMP_ECHO;
	m[1] = 0;
	put16(m + 2, 0);
	put16(m + 4, id);
	put16(m + 6, seq);
	for (size_t i = 0; i < len; i++)
		m[ICMP_HLEN + i] = (uint8_t)i;
	put16(m + 2, csum_fold(csum_add(0, m, mlen)));
	ns->stats.tx_frames++;
	*sent_ns = now_ns();
	return netdev_send(ns->dev, f, ETH_HLEN + IP_HLEN + mlen, 0);
}

int net_ping_wait(struct net_stack *ns, uint32_t src, uint16_t id, uint16_t seq,
		  uint64_t deadline_ns, uint64_t *rx_ns)
{
	int ret;

	for (;;) {
		for (uint32_t i = 0; i < ECHO_LOG; i++) {
			struct echo_rec *r = &ns->echo[i];

			if (r->valid && r->src == src && r->id == id && r->seq == seq) {
				r->valid = false;
				*rx_ns = r->rx_ns;
				return 0;
			}
		}
		if (now_ns() >= deadline_ns)
			return -ETIMEDOUT;
		ret = net_wait(ns, deadline_ns);
		if (ret < 0)
			return ret;
	}
}

/* ---- UDP ---- */

static struct net_udp *udp_find(struct net_stack *ns, uint16_t port)
{
	for (uint32_t i = 0; i < UDP_SOCKS; i++) {
		if (ns->udp[i].used && ns->udp[i].port == port)
			return &ns->udp[i];
	}
	return NULL;
}

static void udp_rx(struct net_stack *ns, const uint8_t *eth, uint32_t src, uint32_t dst,
		   const uint8_t *d, size_t len, unsigned int flags)
{
	struct net_udp *u;
	struct dgram *q;
	size_t ulen;

	if (len < UDP_HLEN || get16(d + 4) < UDP_HLEN || get16(d + 4) > len) {
		ns->stats.bad_ip++;
		return;
	}
	ulen = get16(d + 4); /* within the IP payload; what follows is padding */
	/* Zero: the sender computed none, which IPv4 allows. */
	if (get16(d + 6) && !(flags & (NETFRONT_RX_CSUM_BLANK | NETFRONT_RX_VALIDATED)) &&
	    csum_fold(csum_add(pseudo_sum(src, dst, PROTO_UDP, (uint32_t)ulen), d, ulen))) {
		ns->stats.bad_csum++;
		return;
	}
	u = udp_find(ns, get16(d + 2));
	if (!u) {
		ns->stats.udp_no_port++;
		return;
	}
	ns->stats.udp_rx++;
	u->counts.last_ns = now_ns();
	if (!u->counts.datagrams)
		u->counts.first_ns = u->counts.last_ns;
	u->counts.datagrams++;
	u->counts.bytes += ulen - UDP_HLEN;
	if (u->sink)
		return;
	if (u->count == UDP_QUEUE) {
		ns->stats.udp_full++;
		u->counts.dropped++;
		return;
	}
	q = &u->q[(u->head + u->count) % UDP_QUEUE];
	q->data = kmalloc(ulen - UDP_HLEN + 1); /* + 1: an empty datagram is one too */
	if (!q->data) {
		ns->stats.udp_full++;
		u->counts.dropped++;
		return;
	}
	memcpy(q->data, d + UDP_HLEN, ulen - UDP_HLEN);
	q->len = ulen - UDP_HLEN;
	q->from = (struct net_peer){ .addr = src, .port = get16(d), .has_mac = true };
	memcpy(q->from.mac, eth + ETH_ALEN, ETH_ALEN);
	u->count++;
}

int net_udp_bind(struct net_stack *ns, uint16_t port, struct net_udp **out)
{
	struct net_udp *u = NULL;

	for (uint32_t i = 0; !port && i < EPHEMERAL_CNT; i++) {
		uint16_t p = (uint16_t)(EPHEMERAL_LO + ns->next_port++ % EPHEMERAL_CNT);

		if (!udp_find(ns, p))
			port = p;
	}
	if (!port || udp_find(ns, port))
		return -EADDRINUSE;
	for (uint32_t i = 0; i < UDP_SOCKS && !u; i++) {
		if (!ns->udp[i].used)
			u = &ns->udp[i];
	}
	if (!u)
		return -ENOSPC;
	*u = (struct net_udp){ .ns = ns, .port = port, .used = true };
	*out = u;
	return 0;
}

uint16_t net_udp_port(const struct net_udp *u)
{
	return u->port;
}

void net_udp_set_sink(struct net_udp *u, bool sink)
{
	u->sink = sink;
}

int net_udp_recv(struct net_udp *u, void *buf, size_t cap, struct net_peer *from,
		 uint64_t deadline_ns)
{
	int ret;

	for (;;) {
		if (u->count) {
			struct dgram *q = &u->q[u->head];

			memcpy(buf, q->data, q->len < cap ? q->len : cap);
			if (from)
				*from = q->from;
			ret = (int)q->len;
			kfree(q->data);
			q->data = NULL;
			u->head = (u->head + 1) % UDP_QUEUE;
			u->count--;
			return ret;
		}
		if (deadline_ns && now_ns() >= deadline_ns)
			return -ETIMEDOUT;
		ret = net_wait(u->ns, deadline_ns);
		if (ret < 0)
			return ret;
	}
}

int net_udp_sendto(struct net_udp *u, const struct net_peer *to, const void *buf, size_t len,
		   unsigned int flags)
{
	struct net_stack *ns = u->ns;
	uint8_t mac[ETH_ALEN], *f = ns->tx, *d = f + ETH_HLEN + IP_HLEN;
	size_t ulen = UDP_HLEN + len;
	uint16_t sum;
	int ret;

	if (len > net_max_payload(ns))
		return -EMSGSIZE;
	if (!to->port)
		return -EINVAL;
	if (to->has_mac) {
		if (to->addr == ns->addr || martian(to->addr) || (to->mac[0] & 1))
			return -EINVAL;
		memcpy(mac, to->mac, ETH_ALEN);
	} else {
		ret = route(ns, to->addr, mac);
		if (ret)
			return ret;
	}
	build_eth(f, mac, ns->mac, ETH_P_IP);
	build_ip(ns, f + ETH_HLEN, PROTO_UDP, to->addr, ulen);
	put16(d, u->port);
	put16(d + 2, to->port);
	put16(d + 4, (uint32_t)ulen);
	put16(d + 6, 0);
	memcpy(d + UDP_HLEN, buf, len);
	sum = csum_fold(
		csum_add(pseudo_sum(ns->addr, to->addr, PROTO_UDP, (uint32_t)ulen), d, ulen));
	put16(d + 6, sum ? sum : 0xffff); /* 0 would mean "none" */
	ns->stats.tx_frames++;
	return netdev_send(ns->dev, f, ETH_HLEN + IP_HLEN + ulen, flags & NETDEV_MORE);
}

void net_udp_get_counts(const struct net_udp *u, struct net_udp_counts *out)
{
	*out = u->counts;
}

void net_udp_close(struct net_udp *u)
{
	if (!u)
		return;
	while (u->count) {
		kfree(u->q[u->head].data);
		u->head = (u->head + 1) % UDP_QUEUE;
		u->count--;
	}
	u->used = false;
}

/* ---- IPv4 and Ethernet ---- */

static void ip_rx(struct net_stack *ns, const uint8_t *eth, const uint8_t *p, size_t len,
		  unsigned int flags)
{
	uint32_t ihl, total, src, dst;

	if (len < IP_HLEN || p[0] >> 4 != 4) {
		ns->stats.bad_ip++;
		return;
	}
	ihl = (p[0] & 0xfu) * 4;
	total = get16(p + 2);
	/* Ethernet pads short frames: the IP total length says where the packet ends. */
	if (ihl < IP_HLEN || ihl > len || total < ihl || total > len) {
		ns->stats.bad_ip++;
		return;
	}
	if (csum_fold(csum_add(0, p, ihl))) {
		ns->stats.bad_csum++;
		return;
	}
	if (get16(p + 6) & IP_FRAG_MASK) {
		ns->stats.fragments++;
		return;
	}
	src = get32(p + 12);
	dst = get32(p + 16);
	if (dst != ns->addr && dst != ns->bcast && dst != 0xffffffffu) {
		ns->stats.not_ours++;
		return;
	}
	if (martian(src) || src == ns->addr || src == ns->bcast) {
		ns->stats.bad_ip++;
		return;
	}
	if (p[9] == PROTO_ICMP && dst == ns->addr)
		icmp_rx(ns, eth, src, p + ihl, total - ihl, flags);
	else if (p[9] == PROTO_UDP)
		udp_rx(ns, eth, src, dst, p + ihl, total - ihl, flags);
	else
		ns->stats.not_ours++; /* other protocols, and ICMP to a broadcast address */
}

static void net_rx(void *arg, const uint8_t *f, size_t len, unsigned int flags)
{
	struct net_stack *ns = arg;

	ns->stats.rx_frames++;
	if (len < ETH_HLEN || (f[ETH_ALEN] & 1)) {
		ns->stats.bad_eth++;
		return;
	}
	if (!mac_eq(f, ns->mac) && !mac_eq(f, bcast_mac)) {
		ns->stats.not_ours++;
		return;
	}
	switch (get16(f + 2 * ETH_ALEN)) {
	case ETH_P_ARP:
		arp_rx(ns, f + ETH_HLEN, len - ETH_HLEN);
		break;
	case ETH_P_IP:
		ip_rx(ns, f, f + ETH_HLEN, len - ETH_HLEN, flags);
		break;
	default:
		ns->stats.not_ours++;
	}
}

/* ---- the stack ---- */

int net_open(struct netdev *dev, uint32_t addr, uint32_t prefix, struct net_stack **out)
{
	const struct netdev_info *in = netdev_info(dev);
	struct net_stack *ns;
	int ret;

	ret = net_check_host(addr, prefix);
	if (ret)
		return ret;
	ns = kzalloc(sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	ns->dev = dev;
	memcpy(ns->mac, in->mac, ETH_ALEN);
	ns->addr = addr;
	ns->mask = prefix_mask(prefix);
	/* /31 and /32 have no broadcast address of their own (RFC 3021). */
	ns->bcast = prefix <= 30 ? addr | ~ns->mask : 0xffffffffu;
	/* Sg lets frames take several slots; our MTU still bounds an IP packet. */
	ns->max_frame = in->max_frame;
	if (ns->max_frame > ETH_HLEN + in->mtu)
		ns->max_frame = ETH_HLEN + in->mtu;
	if (ns->max_frame > ETH_HLEN + IP_MAX_TOTAL)
		ns->max_frame = ETH_HLEN + IP_MAX_TOTAL;
	ns->ip_id = (uint16_t)now_ns();
	ns->next_port = (uint32_t)now_ns();
	ns->tx = kmalloc(ns->max_frame);
	ns->reply = kmalloc(ns->max_frame);
	if (!ns->tx || !ns->reply) {
		ret = -ENOMEM;
		goto out;
	}
	netdev_set_rx(dev, net_rx, ns);
	*out = ns;
out:
	if (ret)
		net_close(ns);
	return ret;
}

void net_close(struct net_stack *ns)
{
	if (!ns)
		return;
	netdev_set_rx(ns->dev, NULL, NULL);
	for (uint32_t i = 0; i < UDP_SOCKS; i++)
		net_udp_close(&ns->udp[i]);
	if (ns->tx)
		kfree(ns->tx);
	if (ns->reply)
		kfree(ns->reply);
	kfree(ns);
}

int net_wait(struct net_stack *ns, uint64_t deadline_ns)
{
	return netdev_wait(ns->dev, deadline_ns);
}

size_t net_max_payload(const struct net_stack *ns)
{
	return ns->max_frame - ETH_HLEN - IP_HLEN - UDP_HLEN;
}

void net_get_stats(const struct net_stack *ns, struct net_stats *out)
{
	*out = ns->stats;
}
