/* SPDX-License-Identifier: MIT */
/*
 * Grant tables v1. A domain keeps its table in its own RAM (contiguous pages
 * it chooses) and tells the core where with grant_table_op(setup_table).
 * Entries 0-7 are reserved (0 console, 1 xenstore). To grant: write domid
 * and frame, write barrier, then flags. The mapper sets reading/writing with
 * compare-and-swap while it uses the page; the granter may revoke only while
 * neither is set.
 *
 * grant_table_op(cmd, arg): arg is the guest-physical address of the
 * command's struct; query_size writes its answer back there. setup_table may
 * be called again to move or grow the table (docs/abi.md, "Grant tables").
 */
#ifndef SPLITVISOR_GRANT_TABLE_H
#define SPLITVISOR_GRANT_TABLE_H

#include <stdint.h>

#define SV_HC_grant_table_op 20

#define GNTTABOP_setup_table 2
#define GNTTABOP_query_size  6

#define SV_GNTTAB_MAX_FRAMES	    16u
#define SV_GNTTAB_ENTRIES_PER_FRAME 512u
#define SV_GNTTAB_RESERVED_ENTRIES  8u
#define SV_GREF_CONSOLE		    0u
#define SV_GREF_XENSTORE	    1u

#define GTF_invalid	  0x0000u
#define GTF_permit_access 0x0001u
#define GTF_type_mask	  0x0003u
#define GTF_readonly	  0x0004u
#define GTF_reading	  0x0008u
#define GTF_writing	  0x0010u

struct sv_grant_entry {
	uint16_t flags;
	uint16_t domid; /* who may use it */
	uint32_t frame; /* guest frame number (gpa >> 12) of the granted page */
};

_Static_assert(sizeof(struct sv_grant_entry) == 8, "grant entry layout");

/*
 * The granter's side of the rule above, for every granter (the guest kernel,
 * the host tests' fake guests) to share rather than each re-deriving the
 * ordering. The mapper's side is the core's and the backends' business.
 */
#define SV_GNTTAB_END_TRIES 8
/* -EBUSY, spelled out as in byte_ring.h: the ABI headers include no errno.h. */
#define SV_GNTTAB_EBUSY (-16)

/* domid and frame first; the flags store publishes them (the mapper reads flags last). */
static inline void sv_gnttab_entry_grant(struct sv_grant_entry *e, uint16_t domid, uint32_t frame,
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
 * Bounded: a peer flipping bits cannot keep us here. 0 or SV_GNTTAB_EBUSY.
 */
static inline int sv_gnttab_entry_end(struct sv_grant_entry *e)
{
	uint16_t flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);

	for (int i = 0; i < SV_GNTTAB_END_TRIES; i++) {
		if (flags & (GTF_reading | GTF_writing))
			return SV_GNTTAB_EBUSY;
		if (__atomic_compare_exchange_n(&e->flags, &flags, 0, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return 0;
	}
	return SV_GNTTAB_EBUSY;
}

/* 1 while a mapper has the entry's page mapped, 0 if not. */
static inline int sv_gnttab_entry_in_use(const struct sv_grant_entry *e)
{
	return (__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) & (GTF_reading | GTF_writing)) != 0;
}

struct gnttab_setup_table {
	uint64_t table_gpa; /* page-aligned, nr_frames contiguous pages of RAM */
	uint32_t nr_frames; /* 1..SV_GNTTAB_MAX_FRAMES */
	uint32_t pad;
};

struct gnttab_query_size {
	uint32_t nr_frames;	/* out */
	uint32_t max_nr_frames; /* out */
};

#endif
