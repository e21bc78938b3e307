/* SPDX-License-Identifier: MIT */
/* What bench_net.c lends the net sweep (bench_sweep_net.c): its baselines and its guests. */
#ifndef SV_BENCH_NET_H
#define SV_BENCH_NET_H

#include <stddef.h>
#include <sys/types.h>

#include "bench_dom.h"

#define NB_HDR	     42u /* Ethernet 14 + IPv4 20 + UDP 8 */
#define NB_MAX_FLOWS 8u	 /* UDP flows of one run: destination ports in turn */

/*
 * One run of one figure. Every count is per datagram the sending guest sent:
 * sender_notify and receiver_notify are the guests' own "notifications=N"
 * (netfront's kicks of the backend during the timed part); backend_notify is
 * net-list's Notify of both vifs (netback's upcalls into the guests, the
 * vifs' whole lives: ARP and the handshake too); copies is net-list's Copies of
 * both vifs (grant copy operations: one per slot, so one per frame each way
 * for frames in one page; the TAP write and the kernel's copy into its skb
 * are not grant copies and are not counted). NAN where a figure has none.
 */
struct nb_sample {
	double fps, gbps, base_fps, base_gbps, memcpy_gbs, own_fps;
	double notify, sender_notify, receiver_notify, backend_notify, copies;
	double lost, base_lost, drops, own_clock;
	/*
	 * Per datagram sent, between the sender's key and both guests holding,
	 * summed over the guests and their vifs (a TAP device's calls with its
	 * vif's): the core's VM exits and hypercalls, events both ways (kicks
	 * that reached the core and backend raises), the backend's system calls.
	 */
	double exits, hypercalls, events, syscalls;
};

/* The far end of the veth pair: a child in a network namespace of its own. */
struct nb_veth {
	pid_t pid;
	int to, from; /* pipes to and from the child */
	int fd;	      /* our socket, connected to the child's */
};

struct net_bench {
	struct svb_dom d;
	struct nb_veth veth;
	unsigned int count[3]; /* datagrams per run of each of svctl bench net's figures */
	unsigned int flows;    /* of the guests and the veth pair alike; 0 means 1 */
};

/* Leaves for a network namespace of our own (root only): the daemons started later follow. */
int nb_isolate(char *err, size_t errlen);
int nb_veth_open(struct nb_veth *v, char *err, size_t errlen);
void nb_veth_close(struct nb_veth *v);
/* The veth baseline of one payload size into s. */
int nb_base(struct net_bench *nb, unsigned int size, unsigned int count, struct nb_sample *s,
	    char *err, size_t errlen);
/* Guest to guest through our switch, and guest through a TAP device to a socket of ours. */
int nb_g2g(struct net_bench *nb, unsigned int size, unsigned int count, struct nb_sample *s,
	   char *err, size_t errlen);
int nb_g2host(struct net_bench *nb, unsigned int size, unsigned int count, struct nb_sample *s,
	      char *err, size_t errlen);

#endif
