/* SPDX-License-Identifier: MIT */
/*
 * svdom0 as the host of its in-process backends: the backend_env they see
 * (backend-drivers/backend_env.h) on svdom0's own xenstore connection, core
 * client, guest-memory mapping and event loop.
 */
#ifndef SV_SVDOM0_BACKEND_HOST_H
#define SV_SVDOM0_BACKEND_HOST_H

#include <stdbool.h>

struct dom0;

/* The epoll tag of a backend's fd: the loop hands such events to backend_host_fd_event. */
#define D0_BACKEND_FD 0x42464400 /* "BFD" */

/* Fills d0->backend_env; needs d0->xs_self, d0->cc and d0->epfd. */
int backend_host_init(struct dom0 *d0);
void backend_host_free(struct dom0 *d0);
/* An epoll event whose tag says D0_BACKEND_FD. */
void backend_host_fd_event(void *tag);
/*
 * Runs the watch callbacks for the events svdom0's own connection holds, and
 * frees fds the backends gave up; true when any callback ran (pump the rings:
 * it may have written xenstore).
 */
bool backend_host_dispatch(struct dom0 *d0);

#endif
