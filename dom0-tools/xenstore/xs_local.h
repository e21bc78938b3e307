/* SPDX-License-Identifier: MIT */
/*
 * A synchronous xenstore client on an in-process connection of svdom0's own
 * server: a request is answered before xs_conn_feed returns, so a call is a
 * feed and a read. Watch events that come out meanwhile are kept, in order,
 * for xsl_next_event.
 */
#ifndef SV_XS_LOCAL_H
#define SV_XS_LOCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xs_server;
struct xs_local;

struct xs_local *xsl_new(struct xs_server *srv, uint16_t domid);
void xsl_free(struct xs_local *x);

/*
 * One request. The reply's payload goes to out (NUL-terminated, truncated to
 * cap) when out is not NULL; returns its length, or -errno (the server's error).
 */
int xsl_call(struct xs_local *x, uint32_t type, const char *path, const void *arg, size_t alen,
	     char *out, size_t cap);
int xsl_write(struct xs_local *x, const char *path, const char *value);
int xsl_printf(struct xs_local *x, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Reads path's value as text: its length, or -errno. */
int xsl_read(struct xs_local *x, const char *path, char *out, size_t cap);
/* Reads an unsigned decimal value; -EINVAL when it is not one. */
int xsl_read_u64(struct xs_local *x, const char *path, uint64_t *val);
int xsl_rm(struct xs_local *x, const char *path);
/* perms in the wire form, e.g. "n0\0r5\0" with plen bytes. */
int xsl_set_perms(struct xs_local *x, const char *path, const char *perms, size_t plen);
int xsl_watch(struct xs_local *x, const char *path, const char *token);
int xsl_unwatch(struct xs_local *x, const char *path, const char *token);

/* The next queued watch event: true with path and token filled. */
bool xsl_next_event(struct xs_local *x, char *path, size_t pcap, char *token, size_t tcap);

#endif
