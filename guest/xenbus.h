/* SPDX-License-Identifier: MIT */
/*
 * A small xenstore client over the shared store ring (xs_wire.h) and the
 * store event channel from the start info. One caller at a time: the apps run
 * on vCPU 0 and nothing calls it from an upcall.
 */
#ifndef GUEST_XENBUS_H
#define GUEST_XENBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How long a request waits for its reply before giving up with -ETIMEDOUT. */
#define XENBUS_REPLY_TIMEOUT_NS (10ull * 1000000000ull)
/* Outside any transaction. */
#define XBT_NIL 0u
/* How many times xenbus_transaction_run tries a body that keeps conflicting. */
#define XENBUS_TX_ATTEMPTS 16

/* 0, or -ENOENT when the core gave us no store port (no control domain). */
int xenbus_init(void);
/* Reads path's value into buf, NUL-terminated; returns its length or -errno. */
int xenbus_read(const char *path, char *buf, size_t cap);
int xenbus_write(const char *path, const char *value);
/*
 * The children's names into buf, each NUL-terminated, one after the other;
 * returns the total length (0 for no children) or -errno (-E2BIG if it does
 * not fit).
 */
int xenbus_directory(const char *path, char *buf, size_t cap);
/* Removes path and everything below it. */
int xenbus_rm(const char *path);
int xenbus_watch(const char *path, const char *token);
/*
 * Waits for the next watch event (the first fires at once, as in Xen) and
 * copies its path; deadline_ns 0 waits forever. 0, -ETIMEDOUT or -errno.
 */
int xenbus_wait_watch(char *path, size_t cap, char *token, size_t tcap, uint64_t deadline_ns);
/*
 * Whether a watch event is queued or the server has sent something not yet
 * read (outside a request that is only ever an event): xenbus_wait_watch
 * then does not sleep long.
 */
bool xenbus_watch_pending(void);

/* The same inside transaction tx (XBT_NIL: outside). */
int xenbus_read_tx(uint32_t tx, const char *path, char *buf, size_t cap);
int xenbus_write_tx(uint32_t tx, const char *path, const char *value);
int xenbus_directory_tx(uint32_t tx, const char *path, char *buf, size_t cap);
int xenbus_rm_tx(uint32_t tx, const char *path);

int xenbus_transaction_start(uint32_t *tx);
/*
 * Commits (or with abort, drops) tx. -EAGAIN: a node it used changed since,
 * nothing was applied, and the body should run again in a new transaction.
 */
int xenbus_transaction_end(uint32_t tx, bool abort);

/*
 * Runs body in a transaction and commits it, again in a new one while the
 * commit (or the body) says -EAGAIN, at most XENBUS_TX_ATTEMPTS times. A body
 * that fails otherwise has its transaction aborted and its error returned.
 */
typedef int xenbus_tx_body(uint32_t tx, void *data);
int xenbus_transaction_run(xenbus_tx_body *body, void *data);

/*
 * For hostile-client tests (xsflood): sends one request exactly as given (any
 * type, the payload unchanged, no NUL added) without waiting for its reply, so
 * several can be in flight. Replies come back in order through
 * xenbus_recv_raw. Do not mix with the calls above while replies are pending.
 */
int xenbus_send_raw(uint32_t type, const void *payload, size_t len);
/*
 * Waits for the next reply (watch events are queued): 0 with *xs_err set to
 * the reply's error as -errno (0 for a success reply), or -errno when no reply
 * could be read by deadline_ns.
 */
int xenbus_recv_raw(int *xs_err, uint64_t deadline_ns);

#endif
