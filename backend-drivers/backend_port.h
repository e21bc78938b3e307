/* SPDX-License-Identifier: MIT */
/*
 * One of a guest's event channels bound for a backend, with the shared-info
 * page it is raised through. The core hands two eventfds per binding: notify
 * (the guest's sends make it readable, without a trip through the core's
 * userspace) and raise (an irqfd into the guest). Raising follows Xen's rules:
 * pending bit, then selector and upcall flag unless the port is masked.
 */
#ifndef SV_BACKEND_PORT_H
#define SV_BACKEND_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "backend_env.h"

struct sv_shared_info;

struct backend_port {
	uint32_t domid, port, vcpu;
	int notify_fd, raise_fd;
	/*
	 * In the guest's memory, mapped by the owner; NULL where the core sets the
	 * pending bit itself when raise_fd is written (SV_CTL_BIND_CORE_RAISES: a
	 * driver domain, which may not see the page, or a Linux PVH guest, which
	 * moved it).
	 */
	struct sv_shared_info *shinfo;
	const struct backend_faults *faults; /* the env's at bind time: drop-notify */
	/*
	 * System calls backend_port_raise made (writes of raise_fd): its one
	 * caller thread adds with a relaxed store, anyone reads with
	 * backend_port_syscalls.
	 */
	uint64_t raise_writes;
};

/* A port that holds nothing: closing it is a no-op. */
void backend_port_init(struct backend_port *bp);
/*
 * Asks the core to bind: op SV_CTL_EVTCHN_BIND with the frontend's port, or
 * SV_CTL_STORE_BIND / SV_CTL_CONSOLE_BIND (port 0: the core knows it). On
 * failure bp holds nothing.
 */
int backend_port_bind(struct backend_env *env, uint32_t op, uint32_t domid, uint32_t port,
		      struct sv_shared_info *shinfo, struct backend_port *bp, char *err,
		      size_t errlen);
/* Closes the fds; for SV_CTL_EVTCHN_BIND ports also tells the core (close_in_core). */
void backend_port_close(struct backend_env *env, struct backend_port *bp, bool close_in_core);
/* Empties the notify eventfd (nonblocking): call it before looking at the ring. */
void backend_port_drain(struct backend_port *bp);
/*
 * Sets the port pending and interrupts the guest when the rules say so (or has
 * the core do it, without shinfo); nothing while drop-notify is injected.
 * 0 or -errno.
 */
int backend_port_raise(struct backend_port *bp);
/* raise_writes, read from any thread. */
uint64_t backend_port_syscalls(const struct backend_port *bp);

#endif
