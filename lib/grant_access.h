/* SPDX-License-Identifier: MIT */
/*
 * The one way a backend touches a page another domain granted it. Every map
 * checks the granter's entry (copied once) and marks it in use with
 * compare-and-swap; every refusal is an error with a counter, and nothing of
 * a refused access is performed.
 *
 * Errors: -EINVAL ref outside the table, copy range outside the page or a bad
 * batch; -EPERM entry not permit_access or granted to another domid; -EACCES
 * write to a readonly grant; -EFAULT frame outside the granter's RAM (or in its hole), in the
 * core's pages or inside the grant table itself, or the table outside RAM;
 * -EBUSY the entry kept changing under us (a guest flipping flags cannot
 * livelock the mapper), or the ref is still mapped from where the table was
 * before the granter moved it; -ENOENT unmap of a ref this mapper does not
 * hold; -ENOSPC too many distinct refs mapped at once.
 */
#ifndef SV_GRANT_ACCESS_H
#define SV_GRANT_ACCESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Attempts at setting the in-use bits before giving up with -EBUSY. */
#define SV_GNT_CAS_TRIES 8

/*
 * A backend's view of the granting domain. ram is the backend's mapping of the
 * granter's memfd and must stay mapped while any of its refs is. The owner may
 * update table_gpa/nr_frames whenever the granter moves its table; they are
 * re-validated on every call.
 */
struct gnt_remote_ops;

struct gnt_granter {
	uint16_t domid;
	uint8_t *ram;
	/* The memfd's size: where RAM ends, the hole of splitvisor/guest_ram.h inside. */
	uint64_t ram_size;
	uint64_t table_gpa;
	uint32_t nr_frames;
	/*
	 * A mapper that may not map the granter's RAM (a driver domain) sets remote
	 * instead of ram: every map, unmap and copy then goes to whoever may (the
	 * core), which checks the grant itself. Local stats count only what succeeded
	 * there and remote_failed what did not.
	 */
	const struct gnt_remote_ops *remote;
	void *remote_ctx;
};

struct gnt_stats {
	uint64_t maps, unmaps, copies; /* performed */
	uint64_t bad_ref;	       /* -EINVAL */
	uint64_t bad_copy;	       /* -EINVAL */
	uint64_t not_permitted;	       /* -EPERM: type is not permit_access */
	uint64_t wrong_domid;	       /* -EPERM */
	uint64_t readonly;	       /* -EACCES */
	uint64_t bad_frame;	       /* -EFAULT */
	uint64_t bad_table;	       /* -EFAULT */
	uint64_t busy;		       /* -EBUSY */
	uint64_t not_mapped;	       /* -ENOENT */
	uint64_t no_slot;	       /* -ENOSPC */
	uint64_t remote_failed;	       /* refused by the remote side, any reason */
};

struct gnt_slot;

/*
 * One per mapping domain per process. It counts this mapper's maps of each
 * (granter, ref) so that nested maps work: reading is cleared when the last
 * map of a ref goes, writing when the last writable one goes.
 */
struct gnt_mapper {
	uint16_t domid;
	pthread_mutex_t lock;
	struct gnt_slot *slots; /* open addressing, capacity a power of two */
	uint32_t capacity, free_slots;
	struct gnt_stats stats;
};

int gnt_mapper_init(struct gnt_mapper *m, uint16_t domid, uint32_t max_refs);
/*
 * Drops every map this mapper holds, clearing the in-use bits so the granters
 * can revoke (a dying backend must not pin guest pages). Call it while the
 * granters' RAM is still mapped; returns how many refs were released.
 */
uint32_t gnt_unmap_all(struct gnt_mapper *m);
/* Anything still mapped keeps its in-use bits: call gnt_unmap_all first. */
void gnt_mapper_destroy(struct gnt_mapper *m);
void gnt_stats_get(struct gnt_mapper *m, struct gnt_stats *out);
/* How many maps of ref this mapper holds (for tests and diagnostics). */
uint32_t gnt_map_count(struct gnt_mapper *m, const struct gnt_granter *g, uint32_t ref);

int gnt_map(struct gnt_mapper *m, const struct gnt_granter *g, uint32_t ref, bool readonly,
	    void **page);
/* readonly must match the map being undone. */
int gnt_unmap(struct gnt_mapper *m, const struct gnt_granter *g, uint32_t ref, bool readonly);

enum gnt_copy_dir {
	SV_GNT_COPY_FROM_GRANT, /* grant page -> buf: needs read access */
	SV_GNT_COPY_TO_GRANT,	/* buf -> grant page: needs write access */
};

int gnt_copy(struct gnt_mapper *m, const struct gnt_granter *g, uint32_t ref, enum gnt_copy_dir dir,
	     uint32_t offset, void *buf, uint32_t len);

/* Batches: each op gets its own status; the result is how many failed. */
struct gnt_map_op {
	uint32_t ref;
	bool readonly;
	void *page; /* out (map) */
	int status; /* out */
};

struct gnt_copy_op {
	uint32_t ref;
	enum gnt_copy_dir dir;
	uint32_t offset;
	uint32_t len;
	void *buf;
	int status; /* out */
};

/*
 * A remote granter's operations. copy_batch gets the whole batch in one call
 * (one request to the core per ring batch) and sets each op's status; all
 * return what the local functions would.
 */
struct gnt_remote_ops {
	int (*map)(void *ctx, uint16_t granter, uint32_t ref, bool readonly, void **page);
	int (*unmap)(void *ctx, uint16_t granter, uint32_t ref, bool readonly);
	int (*copy_batch)(void *ctx, uint16_t granter, struct gnt_copy_op *ops, size_t n);
	/*
	 * Optional: len bytes (page-aligned, zeroed) that the remote side copies to
	 * and from directly, with no copy of our own in between (a driver domain's
	 * area, which the core maps too). NULL when there is no room left: use
	 * ordinary memory, which costs a copy more per byte.
	 */
	void *(*alloc)(void *ctx, size_t len);
	void (*free)(void *ctx, void *p, size_t len);
};

int gnt_map_batch(struct gnt_mapper *m, const struct gnt_granter *g, struct gnt_map_op *ops,
		  size_t n);
int gnt_unmap_batch(struct gnt_mapper *m, const struct gnt_granter *g, struct gnt_map_op *ops,
		    size_t n);
int gnt_copy_batch(struct gnt_mapper *m, const struct gnt_granter *g, struct gnt_copy_op *ops,
		   size_t n);

#ifdef SV_GNT_TEST_HOOKS
/* Called between reading an entry and the compare-and-swap: lets a test be the racing guest. */
void gnt_test_set_race_hook(void (*fn)(void *entry, void *opaque), void *opaque);
#endif

#endif
