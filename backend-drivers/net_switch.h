/* SPDX-License-Identifier: MIT */
/*
 * A learning L2 switch between vifs (and whatever else the owner makes a
 * port): it learns which port each source MAC is behind, forwards unicast to
 * that port only and floods the rest. No I/O, no clock, no locks: the owner
 * passes the time in (so tests drive aging) and serialises every call. The
 * MAC table is bounded and evicts its oldest entry, so a guest sending from
 * random source addresses cannot grow memory.
 */
#ifndef SV_NET_SWITCH_H
#define SV_NET_SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_SWITCH_MAX_ENTRIES_DEFAULT 1024u
#define NET_SWITCH_AGING_NS_DEFAULT    (300ull * 1000000000ull)
#define NET_SWITCH_MAX_PORTS	       4096u

struct net_switch_config {
	uint32_t max_entries; /* 0: NET_SWITCH_MAX_ENTRIES_DEFAULT */
	uint64_t aging_ns;    /* 0: NET_SWITCH_AGING_NS_DEFAULT */
	/* Keys the MAC hash, so that a guest cannot choose colliding addresses; any value works. */
	uint64_t hash_seed;
};

struct net_switch_stats {
	uint64_t forwarded;	   /* unicast to its learned port */
	uint64_t flooded;	   /* unknown unicast, broadcast, multicast */
	uint64_t dropped_runt;	   /* under an Ethernet header */
	uint64_t dropped_to_self;  /* destination learned on the input port */
	uint64_t dropped_bad_port; /* input from a port that does not exist */
	uint64_t learned, moved;   /* new entries; a MAC seen on another port */
	uint64_t aged;		   /* entries dropped for age */
	uint64_t evictions;	   /* entries dropped because the table was full */
};

struct net_switch;

/*
 * transmit gets a frame for its port, valid during the call. It must not call
 * back into the switch (no input, no port changes) while it runs.
 */
typedef void net_switch_transmit_fn(void *arg, const uint8_t *frame, size_t len);

/* cfg may be NULL for the defaults. 0, -EINVAL or -ENOMEM. */
int net_switch_create(struct net_switch **out, const struct net_switch_config *cfg);
void net_switch_destroy(struct net_switch *sw);
void net_switch_set_aging(struct net_switch *sw, uint64_t aging_ns);

/* 0 and the new port's id (never 0), -ENOSPC past NET_SWITCH_MAX_PORTS, -ENOMEM. */
int net_switch_add_port(struct net_switch *sw, net_switch_transmit_fn *transmit, void *arg,
			uint32_t *port_id);
/* Forgets every MAC learned on the port. 0 or -ENOENT. */
int net_switch_del_port(struct net_switch *sw, uint32_t port_id);

/* Learns the source on in_port, then forwards or floods; never back to in_port. */
void net_switch_input(struct net_switch *sw, uint32_t in_port, const uint8_t *frame, size_t len,
		      uint64_t now_ns);

/* The port mac is learned on at now_ns: 0, or -ENOENT when unknown or aged out. */
int net_switch_lookup(const struct net_switch *sw, const uint8_t mac[6], uint64_t now_ns,
		      uint32_t *port_id);
uint32_t net_switch_nr_entries(const struct net_switch *sw);
void net_switch_get_stats(const struct net_switch *sw, struct net_switch_stats *out);

#endif
