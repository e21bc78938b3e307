/* SPDX-License-Identifier: MIT */
/*
 * A minimal IPv4 stack over one netdev, enough for ping, a UDP echo server
 * and a UDP benchmark: Ethernet, ARP (a small cache, answering for our
 * address), IPv4 without fragments or routing beyond our own subnet, ICMP
 * echo both ways, UDP with a tiny bind/recv/send API. Addresses and ports are
 * in host byte order everywhere in this API. One user at a time (the app on
 * vCPU 0); frames are handled from net_wait and the calls that wait, never
 * from an interrupt.
 */
#ifndef GUEST_NET_IPV4_H
#define GUEST_NET_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netdev.h"

#define NET_ADDR_STR 16 /* "255.255.255.255" and its NUL */

/* Who sent a datagram, or where one goes. */
struct net_peer {
	uint32_t addr;
	uint16_t port;
	uint8_t mac[6];
	bool has_mac; /* mac is the frame's source: a reply needs no ARP */
};

/* What the stack did with what arrived; every drop has a reason counted. */
struct net_stats {
	uint64_t rx_frames;			/* handed to the stack */
	uint64_t not_ours;			/* another MAC or IP, or an unknown protocol */
	uint64_t bad_eth, bad_arp, bad_ip;	/* malformed or martian headers */
	uint64_t bad_csum;			/* IPv4 header, ICMP or UDP */
	uint64_t fragments;			/* we do not reassemble: dropped */
	uint64_t arp_answered, arp_learned;	/* requests for our address; cache entries */
	uint64_t echo_answered, echo_replies;	/* ICMP echo requests and replies */
	uint64_t udp_rx, udp_no_port, udp_full; /* datagrams: delivered, unbound, queue full */
	uint64_t tx_frames, tx_dropped;		/* sent, and replies that found no room */
};

/* Counts of one UDP socket, for benchmarks. */
struct net_udp_counts {
	uint64_t datagrams, bytes;  /* payload bytes */
	uint64_t first_ns, last_ns; /* arrival of the first and the latest */
	uint64_t dropped;	    /* the queue was full */
};

struct net_stack;
struct net_udp;

/* Exactly "A.B.C.D", decimal, no leading zeros: 0 or -EINVAL. */
int net_parse_ipv4(const char *s, uint32_t *addr);
/*
 * Exactly "A.B.C.D/NN" with NN 1..32, and A.B.C.D usable as a host address
 * (not 0, loopback, multicast or reserved, nor the subnet's network or
 * broadcast address): 0 or -EINVAL.
 */
int net_parse_cidr(const char *s, uint32_t *addr, uint32_t *prefix);
/* The same checks for an address and prefix got otherwise. */
int net_check_host(uint32_t addr, uint32_t prefix);
/* Formats addr into buf (NET_ADDR_STR bytes); returns buf. */
const char *net_ntoa(uint32_t addr, char *buf);

/* Runs the stack on dev (which the caller keeps and closes after net_close). */
int net_open(struct netdev *dev, uint32_t addr, uint32_t prefix, struct net_stack **out);
void net_close(struct net_stack *ns);
/* Handles what arrives until something did or deadline_ns: as netdev_wait. */
int net_wait(struct net_stack *ns, uint64_t deadline_ns);
/* The largest UDP payload (or ICMP echo data + 8) one frame carries at our MTU. */
size_t net_max_payload(const struct net_stack *ns);
void net_get_stats(const struct net_stack *ns, struct net_stats *out);

/*
 * The MAC of addr on our subnet, asking with ARP when it is not cached.
 * 0, -ENETUNREACH (off our subnet), -EINVAL (not a unicast host),
 * -EHOSTUNREACH (no answer after 3 tries of a second), -ENODEV.
 */
int net_arp_resolve(struct net_stack *ns, uint32_t addr, uint8_t mac[6]);

/*
 * Sends an ICMP echo request with len bytes of data; *sent_ns gets the
 * guest time just before it went out. 0 or -errno as net_arp_resolve,
 * -EMSGSIZE.
 */
int net_ping_send(struct net_stack *ns, uint32_t dst, uint16_t id, uint16_t seq, size_t len,
		  uint64_t *sent_ns);
/* Waits for the echo reply from src with id and seq: 0 and its arrival time, -ETIMEDOUT. */
int net_ping_wait(struct net_stack *ns, uint32_t src, uint16_t id, uint16_t seq,
		  uint64_t deadline_ns, uint64_t *rx_ns);

/* Binds port (0: a free ephemeral one): 0, -EADDRINUSE, -ENOSPC (no socket left). */
int net_udp_bind(struct net_stack *ns, uint16_t port, struct net_udp **out);
uint16_t net_udp_port(const struct net_udp *u);
/* A sink only counts what arrives (net_udp_get_counts) and queues nothing. */
void net_udp_set_sink(struct net_udp *u, bool sink);
/*
 * The next datagram: its payload (cut to cap) into buf, the sender into from
 * (may be NULL). Its full length, -ETIMEDOUT at deadline_ns (0: none), or
 * net_wait's error.
 */
int net_udp_recv(struct net_udp *u, void *buf, size_t cap, struct net_peer *from,
		 uint64_t deadline_ns);
/*
 * Sends len bytes to to (a reply can go to the MAC it came from; otherwise
 * ARP finds it). flags: NETDEV_MORE to queue a burst. 0 or -errno as
 * net_arp_resolve and netdev_send.
 */
int net_udp_sendto(struct net_udp *u, const struct net_peer *to, const void *buf, size_t len,
		   unsigned int flags);
void net_udp_get_counts(const struct net_udp *u, struct net_udp_counts *out);
void net_udp_close(struct net_udp *u);

#endif
