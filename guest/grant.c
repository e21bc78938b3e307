// SPDX-License-Identifier: MIT
/* Our grant table: a few pages from the page allocator and a free list of refs. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "arch.h"
#include "boot_info.h"
#include "grant.h"
#include "hypercall.h"
#include "page_alloc.h"
#include "spinlock.h"

#define NR_REFS (GNTTAB_GUEST_FRAMES * SV_GNTTAB_ENTRIES_PER_FRAME)
#define NO_REF	0xffffu

_Static_assert(NR_REFS < NO_REF, "refs must fit the free list's u16 links");
_Static_assert(SV_GNTTAB_EBUSY == -EBUSY, "gnttab_end_access passes the entry helper's busy on");

static struct spinlock gnt_lock = SPINLOCK_INIT;
static struct sv_grant_entry *table;
static uint16_t next_free[NR_REFS];
static bool granted[NR_REFS];
static uint16_t free_head = NO_REF;
static uint32_t nr_refs; /* of the frames the core allowed (maxGrantFrames) */

static long hc_grant_table_op(uint32_t cmd, void *arg)
{
	return hypercall3(SV_HC_grant_table_op, cmd, (uint64_t)(uintptr_t)arg, 0);
}

/* As Linux does: no more frames than the domain may have (<controller maxGrantFrames>). */
static uint32_t frames_allowed(void)
{
	struct gnttab_query_size qs = { 0 };

	if (hc_grant_table_op(GNTTABOP_query_size, &qs) || !qs.max_nr_frames ||
	    qs.max_nr_frames > GNTTAB_GUEST_FRAMES)
		return GNTTAB_GUEST_FRAMES;
	return qs.max_nr_frames;
}

int gnttab_init(void)
{
	struct gnttab_setup_table st = { .nr_frames = frames_allowed() };
	struct sv_grant_entry *t;
	long ret;

	t = alloc_pages(st.nr_frames);
	if (!t)
		return -ENOMEM;
	memset(t, 0, st.nr_frames * PAGE_SIZE);
	st.table_gpa = (uint64_t)(uintptr_t)t; /* RAM is identity-mapped */
	ret = hc_grant_table_op(GNTTABOP_setup_table, &st);
	if (ret) {
		free_pages(t, st.nr_frames);
		return (int)ret;
	}
	nr_refs = st.nr_frames * SV_GNTTAB_ENTRIES_PER_FRAME;
	/* Highest refs last, so the first grants get small numbers. */
	for (uint32_t ref = nr_refs - 1; ref >= SV_GNTTAB_RESERVED_ENTRIES; ref--) {
		next_free[ref] = free_head;
		free_head = (uint16_t)ref;
	}
	table = t;
	return 0;
}

int gnttab_probe_resize(void)
{
	struct gnttab_setup_table st = { .table_gpa = (uint64_t)(uintptr_t)table,
					 .nr_frames = GNTTAB_GUEST_FRAMES - 1 };
	long ret;

	if (!table)
		return -ENOENT;
	ret = hc_grant_table_op(GNTTABOP_setup_table, &st);
	if (!ret) {
		st.nr_frames = GNTTAB_GUEST_FRAMES;
		hc_grant_table_op(GNTTABOP_setup_table, &st);
	}
	return (int)ret;
}

uint32_t gnttab_table_frame(void)
{
	return (uint32_t)((uintptr_t)table >> PAGE_SHIFT);
}

int gnttab_grant_access(uint16_t domid, uint32_t frame, int readonly)
{
	uint64_t flags;
	uint32_t ref;

	if (!table)
		return -ENOENT;
	if (frame >= start_info->mem_bytes >> PAGE_SHIFT)
		return -EINVAL;
	flags = spin_lock_irqsave(&gnt_lock);
	ref = free_head;
	if (ref != NO_REF) {
		free_head = next_free[ref];
		granted[ref] = true;
	}
	spin_unlock_irqrestore(&gnt_lock, flags);
	if (ref == NO_REF)
		return -ENOSPC;
	sv_gnttab_entry_grant(&table[ref], domid, frame, readonly);
	return (int)ref;
}

static bool ref_valid(uint32_t ref)
{
	return table && ref >= SV_GNTTAB_RESERVED_ENTRIES && ref < nr_refs && granted[ref];
}

int gnttab_end_access(uint32_t ref)
{
	uint64_t flags;
	int ret;

	flags = spin_lock_irqsave(&gnt_lock);
	if (!ref_valid(ref)) {
		ret = -EINVAL;
		goto out;
	}
	ret = sv_gnttab_entry_end(&table[ref]);
	if (ret)
		goto out;
	granted[ref] = false;
	next_free[ref] = free_head;
	free_head = (uint16_t)ref;
out:
	spin_unlock_irqrestore(&gnt_lock, flags);
	return ret;
}

int gnttab_query_foreign_access(uint32_t ref)
{
	if (ref >= nr_refs || !table)
		return -EINVAL;
	return sv_gnttab_entry_in_use(&table[ref]);
}
