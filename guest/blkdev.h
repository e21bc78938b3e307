/* SPDX-License-Identifier: MIT */
/*
 * A guest disk: the xenbus handshake with its backend and a blkfront ring,
 * with waiting that halts on the event channel. One user at a time (the app
 * on vCPU 0); completions run from blkdev_wait, never from an interrupt.
 */
#ifndef GUEST_BLKDEV_H
#define GUEST_BLKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blkfront.h"

struct blkdev_info {
	char name[16]; /* the `dev` key, e.g. "xvda" */
	uint32_t devid;
	uint16_t backend_id; /* 0: svdom0 serves it */
	uint64_t sectors;    /* 512-byte sectors */
	uint32_t sector_size;
	bool readonly, flush, barrier, discard, persistent;
	uint32_t max_indirect_segments, ring_order;
	size_t max_op_bytes; /* the largest single read or write */
};

struct blkdev;

/*
 * Connects the disk called name (its dev key, e.g. "xvda", or its devid) or,
 * with NULL, the first one listed. 0 or -errno (-ENOENT no such disk,
 * -ETIMEDOUT the backend did not answer), with a console line saying why.
 */
int blkdev_open(const char *name, struct blkdev **out);
/* Whether the next blkdev_open asks for persistent grants when offered (default no). */
void blkdev_set_persistent(bool on);
/*
 * For benchmarks that compare configurations (blkbench --ring-order,
 * --no-indirect): the ring order asked for is at most max_ring_order, and
 * with indirect false the backend's indirect segments go unused. Before open.
 */
void blkdev_set_limits(uint32_t max_ring_order, bool indirect);
const struct blkdev_info *blkdev_info(const struct blkdev *d);
/*
 * The ring engine and the xenbus side underneath, for an app that plays a
 * hostile frontend (blkhostile) and writes the ring itself; nothing else.
 */
struct blkfront;
struct xenbus_dev;
struct blkfront *blkdev_frontend(struct blkdev *d, struct xenbus_dev **xb);

/*
 * Queues an operation (see blkfront_submit); when the ring is full it waits
 * for completions first. done runs later, from blkdev_wait.
 */
int blkdev_submit(struct blkdev *d, int op, uint64_t sector, void *buf, size_t len,
		  blkfront_done_fn *done, void *arg);
/*
 * Pushes what was queued and waits until at least one operation completes:
 * how many did, 0 when none is in flight. A backend that goes away or breaks
 * the ring is reconnected to meanwhile (docs/abi.md, "Backend loss"): the
 * operations without a response are re-issued to it; if it is not back within
 * 30 s they complete with -EIO, and later calls say -EIO while it stays away.
 * -ENODEV once the device was unplugged (every pending operation has then
 * completed with -ENODEV).
 */
int blkdev_wait(struct blkdev *d);
/* One operation, start to end: 0 or its error. */
int blkdev_io(struct blkdev *d, int op, uint64_t sector, void *buf, size_t len);
uint32_t blkdev_inflight(const struct blkdev *d);
void blkdev_get_stats(const struct blkdev *d, struct blkfront_stats *out);
/* Waits for what is in flight, says Closing then Closed, frees everything. */
void blkdev_close(struct blkdev *d);

#endif
