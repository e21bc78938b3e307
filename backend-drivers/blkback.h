/* SPDX-License-Identifier: MIT */
/*
 * blkback: serves one frontend's blkif ring against a disk (a raw image or a
 * block device). It knows nothing of xenstore or sockets: the owner maps the
 * guest's memory, binds the event channel and runs the handshake, then calls
 * blkback_kick when the frontend notified and blkback_complete when
 * blkback_io_fd is readable. Every request is copied out of the ring once and
 * validated before anything is done; a bad one gets an error response, a
 * broken ring disconnects the device. Both with a log line and a counter.
 */
#ifndef SV_BLKBACK_H
#define SV_BLKBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend_env.h"
#include "grant_access.h"

/*
 * Copy mode (a remote granter: the host may not map guest RAM) serves
 * requests of at most this many segments, so that a ring's worth of them
 * (32 slots of a one-page ring) is one batch of 1024 copies: one request to
 * the core, SV_CTL_GNT_COPY_MAX segments.
 */
#define BLKBACK_COPY_MAX_SEGS 32u

enum blk_cache_mode {
	BLK_CACHE_DEFAULT,	/* page cache */
	BLK_CACHE_NONE,		/* O_DIRECT */
	BLK_CACHE_WRITETHROUGH, /* page cache */
	BLK_CACHE_WRITEBACK,	/* page cache */
	BLK_CACHE_DIRECTSYNC,	/* O_DIRECT */
	BLK_CACHE_UNSAFE,	/* page cache */
};

struct blk_image;

struct blk_disk {
	int fd;			 /* a raw file or block device; -1 for an image */
	struct blk_image *image; /* qcow2 and other formats: served by QEMU (blk_image.h) */
	bool readonly;
	bool is_blockdev;
	bool direct;
	uint64_t sectors; /* 512-byte sectors */
	uint32_t sector_size;
	bool discard; /* holes can be punched (files) or BLKDISCARD works (devices) */
};

/*
 * Opens path as the cache mode says; err gets a sentence naming the path.
 * With an env whose open_disk is set, its host opens it (a driver domain's
 * toolstack, for the device at be_path) with the flags decided here; a NULL
 * env or op opens it directly.
 */
int blk_disk_open(struct blk_disk *d, struct backend_env *env, const char *be_path,
		  const char *path, enum blk_cache_mode cache, bool readonly, char *err,
		  size_t errlen);
/*
 * The same for an image in format ("raw" or NULL: blk_disk_open; qcow2 and the
 * other formats QEMU reads: blk_image.h). A driver domain's host cannot serve
 * images yet: refused with a sentence.
 */
int blk_disk_open_format(struct blk_disk *d, struct backend_env *env, const char *be_path,
			 const char *path, const char *format, enum blk_cache_mode cache,
			 bool readonly, char *err, size_t errlen);
void blk_disk_close(struct blk_disk *d);

enum blkback_io_engine {
	BLKBACK_IO_AUTO, /* io_uring, else the thread pool */
	BLKBACK_IO_URING,
	BLKBACK_IO_THREADS,
};

struct blkback_params {
	/*
	 * The frontend's memory and table; outlives the device. A remote granter
	 * (granter->remote set) puts the device in copy mode: ring pages mapped
	 * through it, data through bounce pages and grant copies, no persistent
	 * grants, at most BLKBACK_COPY_MAX_SEGS segments a request.
	 */
	const struct gnt_granter *granter;
	struct gnt_mapper *mapper;
	const uint32_t *ring_refs;
	uint32_t ring_order;   /* ring pages = 1 << ring_order, at most SV_BLKIF_MAX_RING_ORDER */
	struct blk_disk *disk; /* not owned */
	bool persistent;       /* the frontend asked for feature-persistent */
	enum blkback_io_engine engine;
	void (*notify)(void *opaque); /* raise the frontend's event channel */
	void *opaque;
	const char *name;		     /* for log lines, e.g. "vbd 3/51712" */
	const struct backend_faults *faults; /* injected faults, or NULL; outlives the device */
};

struct blkback_stats {
	uint64_t requests, reads, writes, flushes, barriers, discards, indirect;
	uint64_t sectors_read, sectors_written;
	uint64_t notifications_in, notifications_out, batches;
	uint64_t persistent_hits, persistent_maps;
	uint64_t copy_batches, copy_segments; /* copy mode: gnt_copy_batch calls, segments copied */
	uint64_t faults;		      /* injected faults acted on */
	/* refusals: each got BLKIF_RSP_ERROR / EOPNOTSUPP, or disconnected the ring */
	uint64_t bad_op, bad_segments, bad_sector_range, bad_grant, readonly_write, io_errors;
	uint64_t ring_overflow; /* the request producer jumped: disconnected */
	uint64_t kick_yields;	/* kicks that ran out of budget and asked to be called again */
	/*
	 * System calls made for the device: its I/O engine's (blk_io_syscalls);
	 * the owner adds those of the thread that serves it (blkback_dev_info).
	 */
	uint64_t syscalls;
	/* Grant maps, unmaps and copies the mapper did for it; the owner fills it in. */
	uint64_t grant_ops;
};

struct blkback;

/* Maps the ring (grants checked by the mapper) and starts the I/O engine. */
int blkback_open(struct blkback **out, const struct blkback_params *p, char *err, size_t errlen);
/* Readable when I/O completed: then call blkback_complete. */
int blkback_io_fd(const struct blkback *b);
/*
 * Takes the requests the frontend produced (batching them into one
 * submission), answers the refused ones, and re-arms req_event with the final
 * check. At most two rings' worth of requests a call: a frontend re-arming as
 * fast as it is answered cannot keep the caller. 0; BLKBACK_KICK_MORE when the
 * budget ran out with work left (call again soon, after looking at what else
 * the thread must do: nothing re-arms meanwhile); or -EPROTO when the ring is
 * broken: the device is disconnected and every later call does nothing.
 */
#define BLKBACK_KICK_MORE 1
int blkback_kick(struct blkback *b);
/*
 * From any thread: the device's thread should stop. blkback_kick (and an
 * injected slow fault) returns within a few milliseconds and takes nothing more
 * from the ring; blkback_close must still be called, on the device's thread.
 */
void blkback_request_stop(struct blkback *b);
/* Reaps finished I/O and pushes the responses, notifying when rsp_event asks. */
int blkback_complete(struct blkback *b);
/* True once the ring broke. */
bool blkback_disconnected(const struct blkback *b);
uint32_t blkback_inflight(const struct blkback *b);
void blkback_get_stats(const struct blkback *b, struct blkback_stats *out);
/* Waits for I/O in flight, unmaps every grant (ring and persistent), frees. */
void blkback_close(struct blkback *b);

#endif
