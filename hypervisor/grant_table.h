/* SPDX-License-Identifier: MIT */
/*
 * Where each domain keeps its grant table. The core only records the location
 * (the entries live in the guest's RAM and are checked by the mapper, see
 * lib/grant_access.h); a move is one atomic store, so readers
 * never see a gpa from one setup and a size from another. dom0's backends map
 * guest RAM and cache the location from connect: once one asked (SV_CTL_GNTTAB)
 * the table is pinned, and a setup_table that would move or resize it is -EBUSY.
 */
#ifndef SV_GRANT_TABLE_H
#define SV_GRANT_TABLE_H

#include <stdint.h>

#include "guest_mem.h"

struct gnttab {
	uint64_t loc; /* table gpa | pinned bit | nr_frames (gpa is page-aligned); 0 = no table */
	/* The domain's limit (<controller type='xenbus' maxGrantFrames>), set before it runs;
	 * 0 = SV_GNTTAB_MAX_FRAMES. */
	uint32_t max_frames;
};

/* grant_table_op(cmd, arg gpa): a result for the guest's rax. */
int64_t gnttab_op(struct gnttab *gt, const struct guest_mem *mem, uint64_t cmd, uint64_t arg_gpa);
/*
 * A Linux PVH guest's table: every frame the domain may have, at gpa in RAM the
 * core reserved, from the first add_to_physmap on (frames the guest has not
 * mapped yet read as zeros: no grants). 0 when it is there already; -EBUSY when
 * another table is; -EINVAL when gpa is not page-aligned RAM.
 */
int gnttab_place_fixed(struct gnttab *gt, const struct guest_mem *mem, uint64_t gpa);
/* 0, or -ENOENT before the guest set its table up. */
int gnttab_get(const struct gnttab *gt, uint64_t *gpa, uint32_t *nr_frames);
/* gnttab_get for a backend that caches the answer: the table stays there from now on. */
int gnttab_get_pinned(struct gnttab *gt, uint64_t *gpa, uint32_t *nr_frames);

#endif
