/* SPDX-License-Identifier: MIT */
/*
 * The host's side of svctl bench net (bench_net_host.c): ip(8), UDP sockets
 * that count and stamp what arrives, the veth pair baseline and memcpy.
 */
#ifndef SV_BENCH_NET_HOST_H
#define SV_BENCH_NET_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "bench_net.h"

#define NB_PORT	   9u		  /* the first flow's UDP port */
#define NB_SMALL   (64u - NB_HDR) /* a 64-byte Ethernet frame (no FCS) */
#define NB_IDLE_NS 1000000000ull  /* nothing for this long ends a count */

/*
 * What sockets of the host received, one per flow (ports NB_PORT and up);
 * stamps are the kernel's (CLOCK_REALTIME), first and last over them all.
 */
struct nb_rx {
	int fd[NB_MAX_FLOWS];
	unsigned int nfd;
	uint64_t got, bytes, first_ns, last_ns;
	uint64_t seen_ns; /* CLOCK_MONOTONIC when we last read one */
};

/* Runs ip(8) with args (in this process's network namespace); 0 or -errno with err set. */
int nb_ip(const char *const *args, char *err, size_t errlen);
/* UDP sockets bound to addr:NB_PORT.. (flows of them) that take a burst whole and stamp arrivals. */
int nb_rx_open(struct nb_rx *rx, const char *addr, unsigned int flows, char *err, size_t errlen);
void nb_rx_close(struct nb_rx *rx);
/* Counts what the sockets hold now. */
void nb_rx_drain(struct nb_rx *rx);

#endif
