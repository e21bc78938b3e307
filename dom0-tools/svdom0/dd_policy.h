/* SPDX-License-Identifier: MIT */
/*
 * The driver domains' small decisions, kept pure so that a unit test runs
 * them without a daemon (tests/unit/test_dd_policy.c): how often a crashing
 * driver domain is restarted, how its toolstack opens a disk for it, which
 * names a fault injection takes.
 */
#ifndef SV_SVDOM0_DD_POLICY_H
#define SV_SVDOM0_DD_POLICY_H

#include <stdbool.h>
#include <stdint.h>

/* At most DD_RESTART_MAX restarts within DD_RESTART_WINDOW_NS, then it stays stopped. */
#define DD_RESTART_MAX	     5u
#define DD_RESTART_WINDOW_NS (10ull * 1000000000ull)

struct dd_throttle {
	uint64_t at[DD_RESTART_MAX]; /* the last restarts, oldest first */
	unsigned int n;
};

/* True (and the restart is counted) when a restart at now_ns is allowed. */
bool dd_throttle_allow(struct dd_throttle *t, uint64_t now_ns);

/*
 * The open(2) flags for a disk whose record says readonly and cache (libvirt's
 * <driver cache> name, NULL = default), as backend-drivers/blk_disk.c decides
 * them: O_DIRECT for none and directsync, O_DSYNC for writethrough and
 * directsync; -EINVAL for a cache name it does not know.
 */
int dd_disk_open_flags(bool readonly, const char *cache);

/* svctl inject's fault names: the enum sv_dd_fault, or -EINVAL. */
int dd_fault_parse(const char *name);

#endif
