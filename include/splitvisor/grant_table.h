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
