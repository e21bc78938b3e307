/* SPDX-License-Identifier: MIT */
/*
 * A small xenstore client over the shared store ring (xs_wire.h) and the
 * store event channel from the start info. One caller at a time: the apps run
 * on vCPU 0 and nothing calls it from an upcall.
 */
#ifndef GUEST_XENBUS_H
#define GUEST_XENBUS_H

#include <stddef.h>
#include <stdint.h>

/* How long a request waits for its reply before giving up with -ETIMEDOUT. */
#define XENBUS_REPLY_TIMEOUT_NS (10ull * 1000000000ull)

/* 0, or -ENOENT when the core gave us no store port (no control domain). */
int xenbus_init(void);
/* Reads path's value into buf, NUL-terminated; returns its length or -errno. */
int xenbus_read(const char *path, char *buf, size_t cap);
int xenbus_write(const char *path, const char *value);
int xenbus_watch(const char *path, const char *token);
/*
 * Waits for the next watch event (the first fires at once, as in Xen) and
 * copies its path; deadline_ns 0 waits forever. 0, -ETIMEDOUT or -errno.
 */
int xenbus_wait_watch(char *path, size_t cap, char *token, size_t tcap, uint64_t deadline_ns);

#endif
