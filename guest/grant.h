/* SPDX-License-Identifier: MIT */
/*
 * Granting our pages to other domains. The entry helpers below are pure (no
 * kernel state) so the host's unit tests check the same revoke rule the
 * kernel runs.
 */
#ifndef GUEST_GRANT_H
#define GUEST_GRANT_H

#include <errno.h>
#include <stdint.h>
#include <splitvisor/grant_table.h>

#define GNTTAB_GUEST_FRAMES 4u
#define GNTTAB_END_TRIES    8

/* domid and frame first; the flags store publishes them (the mapper reads flags last). */
static inline void gnttab_entry_grant(struct sv_grant_entry *e, uint16_t domid, uint32_t frame,
				      int readonly)
{
	__atomic_store_n(&e->domid, domid, __ATOMIC_RELAXED);
	__atomic_store_n(&e->frame, frame, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&e->flags, (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
			 __ATOMIC_RELAXED);
}

/*
 * Revoke: flags go to 0 only from a value without reading/writing, by CAS, so
 * a mapper that sets them concurrently either wins (we say busy) or fails.
 * Bounded: a peer flipping bits cannot keep us here.
 */
static inline int gnttab_entry_end(struct sv_grant_entry *e)
{
	uint16_t flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);

	for (int i = 0; i < GNTTAB_END_TRIES; i++) {
		if (flags & (GTF_reading | GTF_writing))
			return -EBUSY;
		if (__atomic_compare_exchange_n(&e->flags, &flags, 0, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return 0;
	}
	return -EBUSY;
}

static inline int gnttab_entry_in_use(const struct sv_grant_entry *e)
{
	return (__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) & (GTF_reading | GTF_writing)) != 0;
}

/* Allocates the table, tells the core, fills the free list of refs (0-7 reserved). */
int gnttab_init(void);
/* A ref, or -ENOSPC (none free), -EINVAL (bad frame), -ENOENT (no table). */
int gnttab_grant_access(uint16_t domid, uint32_t frame, int readonly);
/* 0 and the ref is free again, -EBUSY while the mapper uses it, -EINVAL bad ref. */
int gnttab_end_access(uint32_t ref);
/* 1 while the mapper has it mapped, 0 if not, -EINVAL bad ref. */
int gnttab_query_foreign_access(uint32_t ref);

#endif
