/* SPDX-License-Identifier: MIT */
/*
 * blkback's asynchronous I/O engine: io_uring (one submission per batch, an
 * eventfd raised on completions), or a small pool of threads doing the same
 * system calls synchronously when io_uring is unavailable. The engine does not
 * order requests: whoever needs ordering (flushes, barriers) waits for the
 * completions first. Short transfers are resubmitted for the rest inside the
 * engine, so a completion is all of the request or an error.
 *
 * One thread queues, submits and reaps; the pool's workers are internal.
 */
#ifndef SV_BLK_IO_H
#define SV_BLK_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "blkback.h"

enum blk_io_op {
	BLK_IO_READ,
	BLK_IO_WRITE,
	BLK_IO_FLUSH,	/* fdatasync, or fsync for a block device */
	BLK_IO_DISCARD, /* punch a hole (file) or BLKDISCARD (block device) */
};

struct blk_io_req {
	enum blk_io_op op;
	int fd;
	struct blk_image *image; /* instead of fd: an image served by QEMU (threads only) */
	bool blockdev;
	uint64_t offset; /* bytes */
	uint64_t len;	 /* discard only: bytes */
	struct iovec *iov;
	int iovcnt;
	int result; /* out: 0 when it all happened, or -errno */
	/* engine-private */
	uint64_t done_bytes;
	bool sync_done; /* the result is known already (a discard done at prep) */
	struct blk_io_req *next;
};

struct blk_io;

/* depth: the most requests ever in flight at once. */
int blk_io_create(struct blk_io **out, enum blkback_io_engine engine, uint32_t depth, char *err,
		  size_t errlen);
/* "io_uring" or "threads". */
const char *blk_io_engine_name(const struct blk_io *io);
/* Readable when blk_io_reap has something. */
int blk_io_fd(const struct blk_io *io);
/* Queues r; nothing starts before blk_io_submit. r must stay valid until reaped. */
void blk_io_queue(struct blk_io *io, struct blk_io_req *r);
/* Starts everything queued: one system call for io_uring. Returns how many started. */
int blk_io_submit(struct blk_io *io);
/*
 * Moves up to max finished requests into done; returns how many. With wait,
 * blocks until at least one finished (or nothing is in flight).
 */
int blk_io_reap(struct blk_io *io, struct blk_io_req **done, int max, bool wait);
uint32_t blk_io_inflight(const struct blk_io *io);
/*
 * System calls made so far for its requests (io_uring_enter, eventfd reads and
 * writes, poll; with the pool its workers' preadv/pwritev/fdatasync too), from
 * any thread.
 */
uint64_t blk_io_syscalls(const struct blk_io *io);
/* Waits for everything in flight (its completions are dropped), then frees. */
void blk_io_destroy(struct blk_io *io);

#endif
