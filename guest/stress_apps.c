// SPDX-License-Identifier: MIT
/*
 * Apps for the isolation experiments: they keep I/O going while the host
 * kills, hangs or breaks a backend, and say in machine-readable lines what
 * the guest saw.
 *
 * blkverify [SECONDS] [DEVNAME] (default 30 s, 0: forever; it also ends at the
 * end of a cycle when control/shutdown asks for a poweroff): on the first disk
 * (or DEVNAME), writes 4 KiB blocks stamped with a generation (blk_pattern.h
 * with seed BV_SEED ^ generation) cycling through a region of up to 4 MiB,
 * BV_QD in flight, a flush every BV_FLUSH_EVERY writes; after each cycle it
 * drains, flushes and reads the cycle's blocks back, and at the end the
 * whole region. A write is "flushed" when a flush submitted after its
 * acknowledgement completed; "lost" counts flushed blocks that read back
 * other than their last flushed generation (it must stay 0). Every ~500 ms:
 *   blkverify: t=MS writes=W flushed=F reads=R errors=E reconnects=C lost=L stall_ms=S
 * and at the end the same fields after "blkverify: done"; stall_ms is the
 * longest time without any completion (a reconnect shows there). Exit 0 when
 * lost is 0, 1 otherwise, 2 for usage.
 */
#include <errno.h>
#include <string.h>

#include "apps.h"
#include "arch.h"
#include "blk_pattern.h"
#include "blkdev.h"
#include "console.h"
#include "kstring.h"
#include "ktime.h"
#include "page_alloc.h"

#define EXIT_USAGE	    2
#define BV_SEED		    0xb1c0ffee00000000ull
#define BV_BLOCK	    4096u
#define BV_SECTS	    (BV_BLOCK / BLK_PATTERN_SECTOR)
#define BV_MAX_BLOCKS	    1024u /* a 4 MiB region */
#define BV_QD		    8u
#define BV_FLUSH_EVERY	    16u
#define BV_CYCLE	    64u
#define BV_DEF_SECONDS	    30ull
#define BV_PROGRESS_NS	    (500 * NSEC_PER_MSEC)
#define BV_RETRY_MS	    100u
#define BV_SHUTDOWN_POLL_NS (2 * NSEC_PER_SEC)
#define BV_REPORT_LOSSES    8u

struct bv_slot {
	uint8_t *buf;
	uint32_t block, gen;
	bool busy;
};

static struct {
	struct blkdev *d;
	uint32_t nblocks;
	uint32_t acked_gen[BV_MAX_BLOCKS];   /* last generation acknowledged */
	uint64_t acked_seq[BV_MAX_BLOCKS];   /* when (in acknowledged writes) */
	uint32_t durable_gen[BV_MAX_BLOCKS]; /* last generation acknowledged and flushed */
	bool unknown[BV_MAX_BLOCKS];	     /* a write failed: either generation may be there */
	struct bv_slot slot[BV_QD];
	bool flush_busy;
	uint64_t flush_seq; /* acknowledged writes the flush in flight covers */
	uint64_t writes, flushed, reads, errors, lost;
	uint64_t start, last_done, last_print, max_gap;
} bv;

static void bv_completed(void)
{
	uint64_t now = now_ns();

	if (now - bv.last_done > bv.max_gap)
		bv.max_gap = now - bv.last_done;
	bv.last_done = now;
}

static void bv_line(const char *tag)
{
	struct blkfront_stats s;
	uint64_t now = now_ns(), gap = bv.max_gap;

	if (now - bv.last_done > gap)
		gap = now - bv.last_done;
	blkdev_get_stats(bv.d, &s);
	printk("blkverify: %st=%llu writes=%llu flushed=%llu reads=%llu errors=%llu "
	       "reconnects=%llu "
	       "lost=%llu stall_ms=%llu\n",
	       tag, (unsigned long long)((now - bv.start) / NSEC_PER_MSEC),
	       (unsigned long long)bv.writes, (unsigned long long)bv.flushed,
	       (unsigned long long)bv.reads, (unsigned long long)bv.errors,
	       (unsigned long long)s.reconnects, (unsigned long long)bv.lost,
	       (unsigned long long)(gap / NSEC_PER_MSEC));
	bv.last_print = now;
}

static void bv_progress(void)
{
	if (now_ns() - bv.last_print >= BV_PROGRESS_NS)
		bv_line("");
}

static void write_done(void *arg, int status)
{
	struct bv_slot *s = arg;

	bv_completed();
	s->busy = false;
	if (status) {
		bv.errors++;
		bv.unknown[s->block] = true;
		return;
	}
	bv.writes++;
	bv.acked_gen[s->block] = s->gen;
	bv.acked_seq[s->block] = bv.writes;
	bv.unknown[s->block] = false;
}

static void flush_done(void *arg, int status)
{
	(void)arg;
	bv_completed();
	bv.flush_busy = false;
	if (status) {
		bv.errors++;
		return;
	}
	/* What was acknowledged before the flush went out is on the disk now. */
	for (uint32_t b = 0; b < bv.nblocks; b++) {
		if (bv.acked_seq[b] && bv.acked_seq[b] <= bv.flush_seq && !bv.unknown[b])
			bv.durable_gen[b] = bv.acked_gen[b];
	}
	if (bv.flush_seq > bv.flushed)
		bv.flushed = bv.flush_seq;
}

static void read_done(void *arg, int status)
{
	struct bv_slot *s = arg;
	uint32_t b = s->block;

	bv_completed();
	s->busy = false;
	if (status) {
		bv.errors++;
		return;
	}
	bv.reads++;
	/* Compared with what was durable when the read went out: nothing writes it meanwhile. */
	if (!s->gen || bv.unknown[b])
		return;
	for (uint32_t i = 0; i < BV_SECTS; i++) {
		int bad = blk_pattern_check(s->buf + i * BLK_PATTERN_SECTOR, BV_SEED ^ s->gen,
					    (uint64_t)b * BV_SECTS + i);

		if (bad < 0)
			continue;
		if (bv.lost++ < BV_REPORT_LOSSES)
			printk("blkverify: LOST block %u (sector %llu byte %d): generation %u "
			       "was flushed\n",
			       b, (unsigned long long)b * BV_SECTS + i, bad, s->gen);
		return;
	}
}

/* One round of waiting: completions, or a reconnect; a line every ~500 ms. */
static void bv_pump(void)
{
	int ret = blkdev_wait(bv.d);

	bv_progress();
	/* The backend stays away and nothing is in flight: do not spin. */
	if (ret < 0)
		msleep(BV_RETRY_MS);
}

static struct bv_slot *free_slot(void)
{
	for (;;) {
		for (uint32_t i = 0; i < BV_QD; i++) {
			if (!bv.slot[i].busy)
				return &bv.slot[i];
		}
		bv_pump();
	}
}

static bool bv_idle(void)
{
	for (uint32_t i = 0; i < BV_QD; i++) {
		if (bv.slot[i].busy)
			return false;
	}
	return !bv.flush_busy;
}

static void drain(void)
{
	while (!bv_idle())
		bv_pump();
}

static void submit_flush(void)
{
	int ret;

	if (bv.flush_busy)
		return;
	bv.flush_busy = true;
	bv.flush_seq = bv.writes;
	ret = blkdev_submit(bv.d, BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0, flush_done, NULL);
	if (ret) {
		bv.flush_busy = false;
		bv.errors++;
	}
}

static void submit_io(int op, uint32_t block, uint32_t gen)
{
	struct bv_slot *s = free_slot();
	int ret;

	s->block = block;
	s->gen = gen;
	s->busy = true;
	if (op == BLKIF_OP_WRITE) {
		for (uint32_t i = 0; i < BV_SECTS; i++)
			blk_pattern_fill(s->buf + i * BLK_PATTERN_SECTOR, BV_SEED ^ gen,
					 (uint64_t)block * BV_SECTS + i);
	}
	ret = blkdev_submit(bv.d, op, (uint64_t)block * BV_SECTS, s->buf, BV_BLOCK,
			    op == BLKIF_OP_WRITE ? write_done : read_done, s);
	if (ret) {
		s->busy = false;
		bv.errors++;
		if (op == BLKIF_OP_WRITE)
			bv.unknown[block] = true;
		bv_progress();
		msleep(BV_RETRY_MS);
	}
}

/* Everything acknowledged so far made durable, then blocks [from, from + n) read back. */
static void verify(uint32_t from, uint32_t n)
{
	drain();
	submit_flush();
	drain();
	for (uint32_t k = 0; k < n; k++) {
		uint32_t b = (from + k) % bv.nblocks;

		submit_io(BLKIF_OP_READ, b, bv.durable_gen[b]);
	}
	drain();
}

static bool time_left(uint64_t deadline)
{
	return !deadline || now_ns() < deadline;
}

int blkverify_main(int argc, char **argv)
{
	unsigned long long secs = BV_DEF_SECONDS;
	const struct blkdev_info *in;
	uint64_t w = 0, deadline = 0, next_check = 0;
	uint32_t cycle;
	int ret;

	if (argc > 3 || (argc > 1 && parse_u64(argv[1], &secs))) {
		printk("usage: blkverify [SECONDS (0: forever)] [DEVNAME]\n");
		return EXIT_USAGE;
	}
	memset(&bv, 0, sizeof(bv));
	ret = blkdev_open(argc > 2 ? argv[2] : NULL, &bv.d);
	if (ret) {
		printk("blkverify: FAIL no disk (%d)\n", ret);
		return 1;
	}
	in = blkdev_info(bv.d);
	bv.nblocks = (uint32_t)(in->sectors / BV_SECTS < BV_MAX_BLOCKS ? in->sectors / BV_SECTS
								       : BV_MAX_BLOCKS);
	if (!bv.nblocks || in->readonly || BV_BLOCK % in->sector_size || !in->flush) {
		printk("blkverify: FAIL %s must be writable, offer flush and hold 4 KiB blocks\n",
		       in->name);
		blkdev_close(bv.d);
		return 1;
	}
	for (uint32_t i = 0; i < BV_QD; i++) {
		bv.slot[i].buf = alloc_pages(1);
		if (!bv.slot[i].buf) {
			printk("blkverify: FAIL no memory\n");
			return 1;
		}
	}
	printk("blkverify: %s, %u blocks of 4 KiB, %u in flight, flush every %u writes, %llu s\n",
	       in->name, bv.nblocks, BV_QD, BV_FLUSH_EVERY, secs);
	bv.start = bv.last_done = bv.last_print = now_ns();
	if (secs)
		deadline = bv.start + secs * NSEC_PER_SEC;
	/* No block twice in a cycle: two writes of one block in flight may land in any order. */
	cycle = bv.nblocks < BV_CYCLE ? bv.nblocks : BV_CYCLE;
	while (time_left(deadline)) {
		uint64_t from = w;

		/* Between cycles, so that every write of a cycle is verified before we stop. */
		if (now_ns() >= next_check) {
			if (app_shutdown_requested("blkverify"))
				break;
			next_check = now_ns() + BV_SHUTDOWN_POLL_NS;
		}

		for (uint32_t k = 0; k < cycle; k++, w++) {
			submit_io(BLKIF_OP_WRITE, (uint32_t)(w % bv.nblocks),
				  (uint32_t)(w / bv.nblocks) + 1);
			if ((k + 1) % BV_FLUSH_EVERY == 0)
				submit_flush();
			bv_progress();
		}
		verify((uint32_t)(from % bv.nblocks), cycle);
	}
	verify(0, bv.nblocks);
	bv_line("done ");
	for (uint32_t i = 0; i < BV_QD; i++)
		free_pages(bv.slot[i].buf, 1);
	blkdev_close(bv.d);
	return bv.lost ? 1 : 0;
}
