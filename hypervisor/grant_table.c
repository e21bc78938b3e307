// SPDX-License-Identifier: MIT
/* grant_table_op: the guest says where its table is; the core checks and records it. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <splitvisor/grant_table.h>
#include <splitvisor/start_info.h>

#include "grant_table.h"

#define PAGE_SIZE 4096u

/* loc's low bits: nr_frames, and the pin (a backend caches the location). */
#define GNTTAB_PINNED (PAGE_SIZE >> 1)
_Static_assert(SV_GNTTAB_MAX_FRAMES < GNTTAB_PINNED, "nr_frames must fit below the pin bit");

static uint32_t max_frames(const struct gnttab *gt)
{
	return gt->max_frames && gt->max_frames < SV_GNTTAB_MAX_FRAMES ? gt->max_frames
								       : SV_GNTTAB_MAX_FRAMES;
}

static int64_t setup_table(struct gnttab *gt, const struct guest_mem *mem, uint64_t arg_gpa)
{
	struct gnttab_setup_table st;
	uint64_t len, want, old;
	const void *p;

	p = guest_ptr(mem, arg_gpa, sizeof(st));
	if (!p)
		return -EFAULT;
	/* One copy: another vCPU may rewrite the struct while we check it. */
	memcpy(&st, p, sizeof(st));
	if (st.pad || st.table_gpa % PAGE_SIZE || !st.nr_frames || st.nr_frames > max_frames(gt))
		return -EINVAL;
	len = (uint64_t)st.nr_frames * PAGE_SIZE;
	/* The core's own pages (page tables, start info, rings) are not the guest's to share. */
	if (st.table_gpa < SV_RESERVED_END || !guest_ptr(mem, st.table_gpa, len))
		return -EFAULT;
	want = st.table_gpa | st.nr_frames;
	old = __atomic_load_n(&gt->loc, __ATOMIC_ACQUIRE);
	do {
		/* dom0's backends read the table where it was when they connected. */
		if ((old & GNTTAB_PINNED) && (old & ~(uint64_t)GNTTAB_PINNED) != want)
			return -EBUSY;
	} while (!__atomic_compare_exchange_n(&gt->loc, &old, want | (old & GNTTAB_PINNED), false,
					      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	return 0;
}

static int64_t query_size(const struct gnttab *gt, const struct guest_mem *mem, uint64_t arg_gpa)
{
	struct gnttab_query_size qs = { .max_nr_frames = max_frames(gt) };
	uint64_t gpa;
	void *p;

	p = guest_ptr(mem, arg_gpa, sizeof(qs));
	if (!p)
		return -EFAULT;
	if (gnttab_get(gt, &gpa, &qs.nr_frames))
		qs.nr_frames = 0;
	memcpy(p, &qs, sizeof(qs));
	return 0;
}

int64_t gnttab_op(struct gnttab *gt, const struct guest_mem *mem, uint64_t cmd, uint64_t arg_gpa)
{
	switch (cmd) {
	case GNTTABOP_setup_table:
		return setup_table(gt, mem, arg_gpa);
	case GNTTABOP_query_size:
		return query_size(gt, mem, arg_gpa);
	default:
		return -EINVAL;
	}
}

int gnttab_place_fixed(struct gnttab *gt, const struct guest_mem *mem, uint64_t gpa)
{
	uint64_t want, old = 0;

	if (gpa % PAGE_SIZE || !guest_ptr(mem, gpa, (uint64_t)max_frames(gt) * PAGE_SIZE))
		return -EINVAL;
	want = gpa | max_frames(gt);
	if (__atomic_compare_exchange_n(&gt->loc, &old, want, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return 0;
	return (old & ~(uint64_t)GNTTAB_PINNED) == want ? 0 : -EBUSY;
}

int gnttab_get(const struct gnttab *gt, uint64_t *gpa, uint32_t *nr_frames)
{
	uint64_t loc = __atomic_load_n(&gt->loc, __ATOMIC_ACQUIRE);

	if (!loc)
		return -ENOENT;
	*gpa = loc & ~(uint64_t)(PAGE_SIZE - 1);
	*nr_frames = (uint32_t)(loc & (GNTTAB_PINNED - 1));
	return 0;
}

int gnttab_get_pinned(struct gnttab *gt, uint64_t *gpa, uint32_t *nr_frames)
{
	uint64_t loc = __atomic_load_n(&gt->loc, __ATOMIC_ACQUIRE);

	/* One compare-and-swap: the location handed out is the one pinned, never an older one. */
	do {
		if (!loc)
			return -ENOENT;
	} while (!__atomic_compare_exchange_n(&gt->loc, &loc, loc | GNTTAB_PINNED, false,
					      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	*gpa = loc & ~(uint64_t)(PAGE_SIZE - 1);
	*nr_frames = (uint32_t)(loc & (GNTTAB_PINNED - 1));
	return 0;
}
