/* SPDX-License-Identifier: MIT */
/*
 * A fake guest for host-side tests of the split drivers (blkback, blkfront,
 * netback), no KVM needed: memfd-backed RAM, a grant table inside it with the
 * guest's own grant/revoke rules, a page allocator, blkfront_ops over all
 * that, and temporary disk files. Single-threaded: call it from the test's thread.
 *
 *   struct bh_guest g;
 *   bh_guest_create(&g, 5, 0, 32 << 20);   guest domid 5, backend domid 0
 *   g.granter is what blkback_params.granter wants; &bh_blkfront_ops with
 *   opaque &g is a blkfront's environment; g.notified says it notified.
 */
#ifndef TESTS_BLK_HARNESS_H
#define TESTS_BLK_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitvisor/grant_table.h>

#include "blkfront.h"
#include "grant_access.h"

#define BH_PAGE		4096u
#define BH_TABLE_GPA	0x10000u /* first page a grant may not name lies below it */
#define BH_TABLE_FRAMES SV_GNTTAB_MAX_FRAMES
#define BH_NR_REFS	(BH_TABLE_FRAMES * SV_GNTTAB_ENTRIES_PER_FRAME)
#define BH_FIRST_DATA	(BH_TABLE_GPA + BH_TABLE_FRAMES * BH_PAGE)

struct bh_guest {
	int memfd;
	uint8_t *ram;
	uint64_t ram_size;
	uint16_t domid, backend_domid;
	struct gnt_granter granter; /* the backend's view: same mapping, table inside */
	uint8_t *page_used;	    /* one byte per frame */
	uint32_t nr_frames, next_frame;
	uint32_t *free_refs; /* LIFO of unused refs */
	uint32_t nr_free_refs;
	uint32_t pages_in_use, grants_in_use;
	bool notified;
	uint64_t notify_count;
	void (*on_notify)(void *arg); /* optional, called by the ops' notify */
	void *on_notify_arg;
};

int bh_guest_create(struct bh_guest *g, uint16_t domid, uint16_t backend_domid, uint64_t ram_size);
void bh_guest_destroy(struct bh_guest *g);

struct sv_grant_entry *bh_entry(struct bh_guest *g, uint32_t ref);
/* Zeroed pages; n > 1 gives a contiguous run. NULL when RAM is exhausted. */
void *bh_alloc_pages(struct bh_guest *g, uint32_t n);
void bh_free_pages(struct bh_guest *g, void *p, uint32_t n);
uint32_t bh_frame(const struct bh_guest *g, const void *p);
void *bh_page(const struct bh_guest *g, uint32_t frame);
/* Grants the page holding p to the backend (or to domid): a ref or -ENOSPC. */
int bh_grant(struct bh_guest *g, const void *p, bool readonly);
int bh_grant_to(struct bh_guest *g, uint16_t domid, uint32_t frame, bool readonly);
/* n zeroed pages, each granted to the backend into refs[i]; NULL when RAM or refs run out. */
void *bh_alloc_granted(struct bh_guest *g, uint32_t n, bool readonly, uint32_t *refs);
/* Revokes like the guest: -EBUSY while mapped (the ref stays granted then). */
int bh_end_grant(struct bh_guest *g, uint32_t ref);

/*
 * The core's side of a remote granter, for copy-mode tests: what svcored does
 * for a driver domain (GNT_MAP, GNT_UNMAP, GNT_COPY), done with the real grant
 * library on the guest's own (local) granter and a mapper that stands for the
 * core's checks. granter is what the backend gets: the guest's domid and these
 * ops, no RAM. Every call is counted (atomically: a device thread calls them).
 */
struct bh_remote {
	struct bh_guest *g;
	struct gnt_mapper *mapper; /* not owned */
	struct gnt_granter granter;
	uint32_t maps, unmaps, copy_batches;
	uint64_t copy_segs, copy_failed;
	uint64_t copy_bytes;
	uint32_t fail_copies; /* > 0: the next calls fail whole with -EIO (the core is gone) */
};

void bh_remote_init(struct bh_remote *r, struct bh_guest *g, struct gnt_mapper *mapper);
extern const struct gnt_remote_ops bh_remote_ops;

/* opaque: the struct bh_guest. */
extern const struct blkfront_ops bh_blkfront_ops;

/* Creates a sparse file of bytes bytes under $TMPDIR or /tmp, 0 or -errno; caller unlinks. */
int bh_temp_disk(char *path, size_t len, uint64_t bytes);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bh_now_ns(void);

#endif
