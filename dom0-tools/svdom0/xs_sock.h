/* SPDX-License-Identifier: MIT */
/*
 * Xenstore connections over a socket (xs_sock.c): svctl store and the other
 * clients of <rundir>/xenstore.sock (dom0), and each driver domain's own
 * connection (its domid, Xen's permissions), served the same way.
 */
#ifndef SV_SVDOM0_XS_SOCK_H
#define SV_SVDOM0_XS_SOCK_H

#include <stdbool.h>
#include <stdint.h>

struct dom0;
struct xs_sock;

/*
 * Serves fd (non-blocking, taken over) as a xenstore connection of domid on
 * svdom0's loop. owner (may be NULL) is cleared when the connection goes, so
 * a driver domain never holds a freed one. 0 or -errno (fd closed then).
 */
int xs_sock_add(struct dom0 *d0, int fd, uint16_t domid, struct xs_sock **owner);
/* Ends the connection *ref (NULL is fine): freed by the next xs_sock_service; *ref is NULL. */
void xs_sock_kill(struct xs_sock **ref);
/* An epoll event for x (its tag's kind is D0_XS_CLIENT). */
void xs_sock_io(struct xs_sock *x);
/* Moves bytes on every connection and frees the dead; returns how many of the accepted ones went. */
unsigned int xs_sock_service(struct dom0 *d0);
void xs_sock_free_all(struct dom0 *d0);

#endif
