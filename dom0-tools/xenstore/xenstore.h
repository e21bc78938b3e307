/* SPDX-License-Identifier: MIT */
/*
 * Xenstore server library, embedded by the control-domain daemon. It knows no
 * transport: the daemon feeds each connection's bytes in and sends back what the
 * connection produces (replies and watch events). Guest connections go through
 * the ring helper; process clients (svctl, driver domains) through a socket.
 */
#ifndef SV_XENSTORE_H
#define SV_XENSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <splitvisor/xs_wire.h>

#include "xs_client.h"

struct xs_server;
struct xs_conn;

/* Per-domain limits; the control domain (domid 0) is exempt. */
struct xs_quota {
	unsigned int nodes;	     /* nodes owned by the domain */
	unsigned int watches;	     /* watches over all its connections */
	unsigned int outstanding;    /* undrained replies per connection */
	unsigned int transactions;   /* open transactions per connection */
	unsigned int txn_nodes;	     /* distinct nodes one transaction touches */
	unsigned int perms_per_node; /* entries in a set_perms request */
	unsigned int value_size;     /* bytes of one node's value */
};

/* Hooks into the daemon; either may be NULL. */
struct xs_server_ops {
	/* A dom0 XS_INTRODUCE: map the ring and create the guest's connection. */
	int (*introduce)(void *opaque, uint16_t domid, uint64_t gfn, uint32_t port);
	/* A domain was released: close its connections (xs_conn_is_dead is set). */
	void (*release)(void *opaque, uint16_t domid);
};

struct xs_server_config {
	struct xs_quota quota;	/* default for every domain */
	unsigned int event_cap; /* queued watch events per connection, dom0's sockets too */
	/*
	 * Events one guest's changes may have waiting on the control domain's in-process
	 * connection (xs_local.h), which has no cap of its own: the excess is that guest's
	 * loss, counted by xs_domain_dropped_events, never another guest's.
	 */
	unsigned int cause_cap;
	const struct xs_server_ops *ops;
	void *opaque;
};

void xs_server_config_default(struct xs_server_config *cfg);
struct xs_server *xs_server_new(const struct xs_server_config *cfg);
void xs_server_free(struct xs_server *srv);

/* Register or drop a domain directly (what XS_INTRODUCE/XS_RELEASE do). */
int xs_domain_introduce(struct xs_server *srv, uint16_t domid, const struct xs_quota *quota);
int xs_domain_release(struct xs_server *srv, uint16_t domid);
/* Events domid's changes fired that were dropped over cause_cap. */
uint64_t xs_domain_dropped_events(struct xs_server *srv, uint16_t domid);

struct xs_conn *xs_conn_new(struct xs_server *srv, uint16_t domid);
/*
 * Consumes request bytes (messages may be split anywhere) and handles every
 * complete request. Returns the bytes consumed, which is less than len when the
 * connection has `outstanding` undrained replies (every connection, dom0's too):
 * feed the rest after draining.
 * Returns -EPIPE once the framing is broken; the daemon then closes it.
 */
ssize_t xs_conn_feed(struct xs_conn *conn, const void *buf, size_t len);
/* The next bytes to send (*len == 0 when nothing is queued). */
void xs_conn_output(struct xs_conn *conn, const void **ptr, size_t *len);
void xs_conn_consume(struct xs_conn *conn, size_t n);
bool xs_conn_is_dead(const struct xs_conn *conn);
uint64_t xs_conn_dropped_events(const struct xs_conn *conn);
void xs_conn_free(struct xs_conn *conn);

/*
 * The journal (xs_persist.c): the tree, and for each guest's ring connection its
 * watches, open transactions, ring positions and undelivered output, so that a
 * daemon killed at any moment is followed by one that carries on where it was.
 * Records go to a shared mapping of path, so they survive the process.
 *
 * xs_persist_open, on a new server before any connection: load replays the
 * journal (a torn last record is ignored), otherwise it starts empty.
 */
int xs_persist_open(struct xs_server *srv, const char *path, bool load, char *err, size_t errlen);
/*
 * Puts conn (a guest's, fed only from ring) under the journal: what the journal
 * holds for its domid comes back (watches, transactions that can only fail with
 * EAGAIN, the unfinished request, owed output) and the ring's req_cons moves past
 * what was handled. -EIO when the ring's indices contradict the journal.
 */
int xs_persist_ring_attach(struct xs_conn *conn, struct xs_ring_page *ring);
/* Every domain is back: forget what the others left and rewrite the journal compactly. */
int xs_persist_adopted(struct xs_server *srv);
/* Stops journaling: what the daemon undoes on its way out is no change to keep. */
void xs_persist_close(struct xs_server *srv);
/* Bytes of records in the journal. */
size_t xs_persist_size(const struct xs_server *srv);

/*
 * Ring page helpers. The server side reads requests and writes responses; the
 * client side (tests, a host-side frontend) the other way round. Each returns
 * bytes moved or -EIO when the peer's indices are out of range.
 */
ssize_t xs_ring_server_read(struct xs_ring_page *ring, void *buf, size_t len, bool peek);
void xs_ring_server_advance(struct xs_ring_page *ring, size_t n);
ssize_t xs_ring_server_write(struct xs_ring_page *ring, const void *buf, size_t len);
ssize_t xs_ring_client_write(struct xs_ring_page *ring, const void *buf, size_t len);
ssize_t xs_ring_client_read(struct xs_ring_page *ring, void *buf, size_t len);
/*
 * Moves requests from the ring into conn and conn's output onto the ring.
 * Returns 1 if anything moved (notify the guest), 0 if not, negative on error.
 */
int xs_ring_server_pump(struct xs_ring_page *ring, struct xs_conn *conn);

#endif
