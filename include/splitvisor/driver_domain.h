/* SPDX-License-Identifier: MIT */
/*
 * How svdom0 starts a driver domain (svdd) and what the two say to each other.
 *
 * svdom0 execs svdd with these fds open and nothing else: its core.sock
 * connection (SV_CTL_PROCDOM_CREATE), its xenstore connection (a socket whose
 * every request svdom0's xenstore serves as the driver domain's domid, with
 * Xen's permissions), a socket on which svdd asks its toolstack for what it
 * may not open itself (disk images, TAP devices), and a socket on which the
 * toolstack asks svdd (fault injection). Both sockets use the control
 * socket's framing (control.h) with the ops below. svdd finds the devices it
 * serves the way Xen's driver domains do: it watches
 * /local/domain/<its domid>/backend/{vbd,vif} and probes what appears.
 */
#ifndef SPLITVISOR_DRIVER_DOMAIN_H
#define SPLITVISOR_DRIVER_DOMAIN_H

#include <stdint.h>

#define SV_DD_FD_CORE	   3 /* core.sock connection of the process domain */
#define SV_DD_FD_XENSTORE  4 /* xenstore connection as the driver domain's domid */
#define SV_DD_FD_TOOLSTACK 5 /* svdd's requests to svdom0 */
#define SV_DD_FD_CONTROL   6 /* svdom0's requests to svdd */

#define SV_DD_PATH_SIZE 256u

/*
 * Started as root, svdd runs as uid and gid SV_DD_UID_BASE + its domid, with
 * no supplementary groups: a range no distribution hands out, so a driver
 * domain owns no file of the host and shares no uid with another one.
 */
#define SV_DD_UID_BASE 0x5d000u

enum sv_dd_op {
	/* svdd -> svdom0 (SV_DD_FD_TOOLSTACK) */
	SV_DD_OPEN_DISK = 1, /* sv_dd_device -> sv_dd_disk_reply + the source's fd */
	SV_DD_OPEN_TAP = 2,  /* sv_dd_device -> empty + the TAP device's fd (nonblocking) */
	/* svdom0 -> svdd (SV_DD_FD_CONTROL) */
	SV_DD_INJECT = 16, /* sv_dd_inject -> empty */
	SV_DD_OP_COUNT,
};

/* A device this driver domain serves: its backend directory in xenstore. */
struct sv_dd_device {
	char backend_path[SV_DD_PATH_SIZE];
};

/*
 * The toolstack opens the source it wrote in the device's params itself, with
 * the mode and cache the domain's XML gave; the flags say how (O_* bits).
 */
struct sv_dd_disk_reply {
	uint32_t open_flags;
	uint32_t pad;
};

enum sv_dd_fault {
	SV_DD_FAULT_CLEAR = 0,	      /* undo slow, drop-notify */
	SV_DD_FAULT_SLOW = 1,	      /* arg: milliseconds before each ring batch */
	SV_DD_FAULT_CORRUPT_RING = 2, /* the next response of every ring is garbage */
	SV_DD_FAULT_DROP_NOTIFY = 3,  /* raise no more events */
};

struct sv_dd_inject {
	uint32_t fault; /* enum sv_dd_fault */
	uint32_t arg;
};

#endif
