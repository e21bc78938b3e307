/* SPDX-License-Identifier: MIT */
/*
 * Shared fixture of the blkback tests (test_blkback.c, test_blkback_stress.c):
 * a fake guest (blk_harness.h) and a grant mapper set up and torn down around
 * each test, a device (blkback over a temporary disk file, with its front
 * ring), and helpers to queue requests, push them and wait for responses.
 */
#ifndef TESTS_BLKBACK_FIXTURE_H
#define TESTS_BLKBACK_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitvisor/blkif.h>

#include "blk_harness.h"
#include "blkback.h"

#define BACKEND	  0
#define DISK_SECT 16384u /* 8 MiB */

extern struct bh_guest g;
extern struct gnt_mapper m;	/* map mode: the backend's; copy mode: the core's checks */
extern struct gnt_mapper dm;	/* copy mode: the backend's (a driver domain's) */
extern struct bh_remote remote; /* copy mode: the core's side, counting its calls */
extern const enum blkback_io_engine engines[2];

struct dev {
	char path[256];
	struct blk_disk disk;
	struct blkback *b;
	struct sv_front_ring fr;
	uint32_t refs[SV_BLKIF_MAX_RING_PAGES];
	uint32_t order;
	unsigned notified;
	uint64_t next_id;
	void (*on_notify)(struct dev *d); /* the frontend's upcall, run inside the backend */
};

struct dev_cfg {
	enum blkback_io_engine engine;
	uint32_t order;
	bool persistent, readonly;
	uint64_t sectors;
	enum blk_cache_mode cache;
	const uint32_t *ring_refs; /* a ring someone else (blkfront) made */
	bool copy;		   /* a driver domain's backend: grants through remote */
	const struct backend_faults *faults;
	const char *format; /* an image made with qemu-img (path kept: the test removes it) */
};

/* The checked fixture: a fresh guest and mapper for every test. */
void setup(void);
void teardown(void);

void dev_open(struct dev *d, const struct dev_cfg *c);
void dev_close(struct dev *d);
struct blkback_stats dev_stats(struct dev *d);
int dev_push(struct dev *d);
void dev_wait(struct dev *d, uint32_t n, struct blkif_response *out);
union blkif_slot *dev_slot(struct dev *d);
int dev_one(struct dev *d, const union blkif_slot *req);
union blkif_slot rw_req(uint8_t op, uint64_t sector, const uint32_t *refs, uint32_t n);
uint8_t *buf_pages(uint32_t n, uint32_t *refs, bool ro);
void fill(uint8_t *p, size_t len, uint32_t seed);
void file_read(struct dev *d, uint64_t off, void *buf, size_t len);

#endif
