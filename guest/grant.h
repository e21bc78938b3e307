/* SPDX-License-Identifier: MIT */
/*
 * Granting our pages to other domains. The entries themselves are written
 * with the helpers in <splitvisor/grant_table.h>, which the host's unit tests
 * share, so they check the same revoke rule the kernel runs.
 */
#ifndef GUEST_GRANT_H
#define GUEST_GRANT_H

#include <stdint.h>
#include <splitvisor/grant_table.h>

#define GNTTAB_GUEST_FRAMES 4u

/* Allocates the table, tells the core, fills the free list of refs (0-7 reserved). */
int gnttab_init(void);
/* The table's first frame (0 before gnttab_init), for tests that grant it to see it refused. */
uint32_t gnttab_table_frame(void);
/*
 * Asks the core to shrink the table in place by a frame, and puts it back if
 * that worked: what the core answered (-EBUSY once dom0's backends cached the
 * table's location, docs/abi.md).
 */
int gnttab_probe_resize(void);
/* A ref, or -ENOSPC (none free), -EINVAL (bad frame), -ENOENT (no table). */
int gnttab_grant_access(uint16_t domid, uint32_t frame, int readonly);
/* 0 and the ref is free again, -EBUSY while the mapper uses it, -EINVAL bad ref. */
int gnttab_end_access(uint32_t ref);
/* 1 while the mapper has it mapped, 0 if not, -EINVAL bad ref. */
int gnttab_query_foreign_access(uint32_t ref);

#endif
