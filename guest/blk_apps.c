// SPDX-License-Identifier: MIT
/*
 * blktest [DEVNAME]: the whole disk written with a pattern and read back,
 * random mixed I/O against a shadow of a window, flush, discard; on a
 * read-only disk, reads work and a write is refused. Ends "blktest: PASS"
 * (exit 0) or "blktest: FAIL <what>" (exit 1).
 * blktest fill SEED [DEVNAME] / blktest verify SEED [DEVNAME]: write or
 * check the whole disk with blk_pattern.h, so a host tool can check or
 * prepare the same bytes.
 *
 * blkbench [--rw read|write|randread|randwrite] [--bs BYTES] [--qd N]
 * [--mb TOTAL_MB | --ops N] [--flush] [--dev NAME]: keeps QD operations in
 * flight and prints one machine-readable result line; "blkbench: start" and
 * "blkbench: end" bracket the timed loop for hosts that time the console.
 */
#include <errno.h>
#include <string.h>
#include "apps.h"
#include "arch.h"
#include "blk_pattern.h"
#include "blkdev.h"
#include "grant.h"
#include "console.h"
#include "kstring.h"
#include "ktime.h"
#include "page_alloc.h"

#define EXIT_USAGE	  2
#define SECT		  512u
#define TEST_SEED	  0xb10c7e57ull
#define WHOLE_CHUNK	  (128u * 1024u)
#define WHOLE_QD	  8u
#define WINDOW_MAX	  (4u * 1024u * 1024u)
#define RAND_OPS	  1500u
#define RAND_QD		  8u
#define RAND_MAX_SECTS	  128u /* 64 KiB; indirect when the backend offers it */
#define DISCARD_BYTES	  (64u * 1024u)
#define BENCH_MAX_QD	  64u
#define BENCH_KEY_WAIT_NS (60ull * 1000000000ull)
#define BENCH_HOLD_NS	  (60ull * 1000000000ull)
#define BENCH_DEF_BS	  65536u
#define BENCH_DEF_QD	  32u
#define BENCH_DEF_MB	  64u

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static size_t pages_for(size_t bytes)
{
	return (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* ---- whole-disk passes: fill with the pattern, or verify it ---- */

struct chunk {
	uint8_t *buf;
	uint64_t sector;
	size_t len;
	bool busy;
};

static struct {
	uint64_t seed;
	bool verify;
	int error;	     /* first I/O error */
	uint64_t bad_sector; /* first mismatch, or UINT64_MAX */
	int bad_byte;
	uint64_t done_sects;
} pass;

static void chunk_done(void *arg, int status)
{
	struct chunk *c = arg;

	c->busy = false;
	if (status && !pass.error)
		pass.error = status;
	if (!status && pass.verify) {
		for (size_t s = 0; s < c->len / SECT; s++) {
			int b = blk_pattern_check(c->buf + s * SECT, pass.seed, c->sector + s);

			if (b >= 0 && pass.bad_sector == UINT64_MAX) {
				pass.bad_sector = c->sector + s;
				pass.bad_byte = b;
			}
		}
	}
	pass.done_sects += c->len / SECT;
}

static int whole_disk(struct blkdev *d, bool verify, uint64_t seed, const char *tag)
{
	const struct blkdev_info *in = blkdev_info(d);
	size_t chunk = WHOLE_CHUNK;
	struct chunk c[WHOLE_QD] = { 0 };
	uint64_t next = 0, quarter = in->sectors / 4 + 1, shown = 0;
	int ret = 0;

	if (chunk > in->max_op_bytes)
		chunk = in->max_op_bytes / in->sector_size * in->sector_size;
	pass.seed = seed;
	pass.verify = verify;
	pass.error = 0;
	pass.bad_sector = UINT64_MAX;
	pass.done_sects = 0;
	for (uint32_t i = 0; i < WHOLE_QD; i++) {
		c[i].buf = alloc_pages(pages_for(chunk));
		if (!c[i].buf) {
			ret = -ENOMEM;
			goto out;
		}
	}
	printk("%s: %s %llu sectors, seed %llu\n", tag, verify ? "verifying" : "writing",
	       (unsigned long long)in->sectors, (unsigned long long)seed);
	while (next < in->sectors || pass.done_sects < in->sectors) {
		for (uint32_t i = 0; i < WHOLE_QD && next < in->sectors && !pass.error; i++) {
			if (c[i].busy)
				continue;
			c[i].sector = next;
			c[i].len = in->sectors - next < chunk / SECT ? (in->sectors - next) * SECT
								     : chunk;
			if (!verify) {
				for (size_t s = 0; s < c[i].len / SECT; s++)
					blk_pattern_fill(c[i].buf + s * SECT, seed, next + s);
			}
			c[i].busy = true;
			ret = blkdev_submit(d, verify ? BLKIF_OP_READ : BLKIF_OP_WRITE, next,
					    c[i].buf, c[i].len, chunk_done, &c[i]);
			if (ret) {
				c[i].busy = false;
				goto out;
			}
			next += c[i].len / SECT;
		}
		if (pass.error)
			break;
		ret = blkdev_wait(d);
		if (ret < 0)
			goto out;
		ret = 0;
		if (pass.done_sects / quarter > shown) {
			shown = pass.done_sects / quarter;
			printk("%s: %s %llu%%\n", tag, verify ? "verified" : "written",
			       (unsigned long long)(pass.done_sects * 100 / in->sectors));
		}
	}
out:
	while (blkdev_inflight(d) && blkdev_wait(d) >= 0)
		;
	for (uint32_t i = 0; i < WHOLE_QD; i++) {
		if (c[i].buf)
			free_pages(c[i].buf, pages_for(chunk));
	}
	if (!ret && pass.error)
		ret = pass.error;
	if (ret)
		printk("blktest: FAIL %s: I/O error %d\n", tag, ret);
	else if (pass.bad_sector != UINT64_MAX) {
		printk("blktest: FAIL %s: sector %llu byte %d does not match seed %llu\n", tag,
		       (unsigned long long)pass.bad_sector, pass.bad_byte,
		       (unsigned long long)seed);
		ret = -EIO;
	}
	return ret;
}

/* ---- random mixed I/O against a shadow of the first window bytes ---- */

struct rop {
	uint8_t *mem; /* MAX + one page, so the buffer can start mid-page */
	uint8_t *buf;
	uint64_t sector;
	uint32_t nsect;
	int op;
	bool busy;
};

static struct {
	uint8_t *shadow;
	int error;
	uint64_t bad_sector;
	uint32_t reads, writes;
} rnd_state;

static void rop_done(void *arg, int status)
{
	struct rop *r = arg;

	r->busy = false;
	if (status && !rnd_state.error)
		rnd_state.error = status;
	if (status || r->op != BLKIF_OP_READ)
		return;
	/* Nothing overlapping was submitted meanwhile, so the shadow is still the truth. */
	if (memcmp(r->buf, rnd_state.shadow + r->sector * SECT, r->nsect * SECT) &&
	    rnd_state.bad_sector == UINT64_MAX)
		rnd_state.bad_sector = r->sector;
}

static bool overlaps(const struct rop *r, uint32_t n, uint64_t sector, uint32_t nsect)
{
	for (uint32_t i = 0; i < n; i++) {
		if (r[i].busy && r[i].sector < sector + nsect && sector < r[i].sector + r[i].nsect)
			return true;
	}
	return false;
}

static int random_io(struct blkdev *d, uint64_t window_sects)
{
	const struct blkdev_info *in = blkdev_info(d);
	uint32_t align = in->sector_size / SECT, max = RAND_MAX_SECTS;
	size_t mem_pages = pages_for(RAND_MAX_SECTS * SECT) + 1;
	struct rop r[RAND_QD] = { 0 };
	uint32_t issued = 0;
	int ret = 0;

	if (max * SECT > in->max_op_bytes)
		max = (uint32_t)(in->max_op_bytes / SECT);
	for (uint32_t i = 0; i < RAND_QD; i++) {
		r[i].mem = alloc_pages(mem_pages);
		if (!r[i].mem) {
			ret = -ENOMEM;
			goto out;
		}
	}
	rnd_state.error = 0;
	rnd_state.bad_sector = UINT64_MAX;
	while (issued < RAND_OPS && !rnd_state.error && rnd_state.bad_sector == UINT64_MAX) {
		for (uint32_t i = 0; i < RAND_QD && issued < RAND_OPS; i++) {
			uint32_t nsect = (uint32_t)(1 + rnd() % max);
			uint64_t sector;

			if (r[i].busy)
				continue;
			nsect = (nsect + align - 1) / align * align;
			if (nsect > max)
				nsect = max / align * align;
			sector = rnd() % (window_sects - nsect + 1) / align * align;
			if (overlaps(r, RAND_QD, sector, nsect))
				continue;
			r[i].sector = sector;
			r[i].nsect = nsect;
			r[i].op = (rnd() & 1) ? BLKIF_OP_READ : BLKIF_OP_WRITE;
			/* A buffer that starts mid-page makes segments that do too. */
			r[i].buf = r[i].mem + (in->sector_size == SECT ? (rnd() % 8) * SECT : 0);
			if (r[i].op == BLKIF_OP_WRITE) {
				uint8_t v = (uint8_t)rnd();

				memset(r[i].buf, v, nsect * SECT);
				for (uint32_t s = 0; s < nsect; s++)
					memcpy(r[i].buf + s * SECT, &issued, sizeof(issued));
				memcpy(rnd_state.shadow + sector * SECT, r[i].buf, nsect * SECT);
				rnd_state.writes++;
			} else {
				rnd_state.reads++;
			}
			r[i].busy = true;
			ret = blkdev_submit(d, r[i].op, sector, r[i].buf, nsect * SECT, rop_done,
					    &r[i]);
			if (ret) {
				r[i].busy = false;
				goto out;
			}
			issued++;
		}
		ret = blkdev_wait(d);
		if (ret < 0)
			goto out;
		ret = 0;
	}
out:
	while (blkdev_inflight(d) && blkdev_wait(d) >= 0)
		;
	for (uint32_t i = 0; i < RAND_QD; i++) {
		if (r[i].mem)
			free_pages(r[i].mem, mem_pages);
	}
	if (!ret && rnd_state.error)
		ret = rnd_state.error;
	if (ret)
		printk("blktest: FAIL random I/O: error %d\n", ret);
	else if (rnd_state.bad_sector != UINT64_MAX) {
		printk("blktest: FAIL random I/O: read at sector %llu differs from what was "
		       "written\n",
		       (unsigned long long)rnd_state.bad_sector);
		ret = -EIO;
	}
	return ret;
}

/* Reads the window back in one pass and compares it with the shadow. */
static int check_window(struct blkdev *d, uint64_t window_sects, const char *what)
{
	size_t step = WHOLE_CHUNK < blkdev_info(d)->max_op_bytes ? WHOLE_CHUNK
								 : blkdev_info(d)->max_op_bytes;
	uint8_t *buf = alloc_pages(pages_for(step));
	int ret = 0;

	step = step / blkdev_info(d)->sector_size * blkdev_info(d)->sector_size;
	if (!buf)
		return -ENOMEM;
	for (uint64_t s = 0; s < window_sects && !ret; s += step / SECT) {
		size_t n = window_sects - s < step / SECT ? (window_sects - s) * SECT : step;

		ret = blkdev_io(d, BLKIF_OP_READ, s, buf, n);
		if (!ret && memcmp(buf, rnd_state.shadow + s * SECT, n)) {
			printk("blktest: FAIL %s: window differs near sector %llu\n", what,
			       (unsigned long long)s);
			ret = -EIO;
		}
	}
	free_pages(buf, pages_for(step));
	return ret;
}

static int test_discard(struct blkdev *d, uint64_t window_sects)
{
	uint64_t sector = window_sects / 2 / (DISCARD_BYTES / SECT) * (DISCARD_BYTES / SECT);
	int ret;

	if (window_sects < 2 * DISCARD_BYTES / SECT) {
		printk("blktest: window too small for the discard test, skipped\n");
		return 0;
	}
	ret = blkdev_io(d, BLKIF_OP_DISCARD, sector, NULL, DISCARD_BYTES);
	if (ret) {
		printk("blktest: FAIL discard: %d\n", ret);
		return ret;
	}
	memset(rnd_state.shadow + sector * SECT, 0, DISCARD_BYTES);
	ret = check_window(d, window_sects, "discard (expected zeros)");
	if (!ret)
		printk("blktest: discard of %u KiB at sector %llu reads back as zeros\n",
		       DISCARD_BYTES / 1024, (unsigned long long)sector);
	return ret;
}

static int test_readonly(struct blkdev *d)
{
	const struct blkdev_info *in = blkdev_info(d);
	uint8_t *buf = alloc_pages(1);
	int ret;

	if (!buf)
		return -ENOMEM;
	printk("blktest: %s is read-only\n", in->name);
	ret = blkdev_io(d, BLKIF_OP_READ, 0, buf, PAGE_SIZE);
	if (!ret)
		ret = blkdev_io(d, BLKIF_OP_READ, in->sectors - PAGE_SIZE / SECT, buf, PAGE_SIZE);
	if (ret) {
		printk("blktest: FAIL read from the read-only disk: %d\n", ret);
		goto out;
	}
	ret = blkdev_io(d, BLKIF_OP_WRITE, 0, buf, PAGE_SIZE);
	if (!ret) {
		printk("blktest: FAIL a write to the read-only disk succeeded\n");
		ret = -EIO;
		goto out;
	}
	printk("blktest: read-only disk: reads work, a write is refused (%d)\n", ret);
	ret = 0;
out:
	free_pages(buf, 1);
	return ret;
}

static int full_test(struct blkdev *d)
{
	const struct blkdev_info *in = blkdev_info(d);
	uint64_t window = in->sectors * SECT < WINDOW_MAX ? in->sectors * SECT : WINDOW_MAX;
	uint64_t free_bytes = (uint64_t)page_alloc_free_count() * PAGE_SIZE;
	int ret;

	/* The shadow must fit beside the I/O buffers: a quarter of free memory at most. */
	if (window > free_bytes / 4)
		window = free_bytes / 4;
	window = window / in->sector_size * in->sector_size;
	ret = whole_disk(d, false, TEST_SEED, "blktest write");
	if (!ret)
		ret = whole_disk(d, true, TEST_SEED, "blktest verify");
	if (ret)
		return ret;
	rnd_state.shadow = alloc_pages(pages_for(window));
	if (!rnd_state.shadow || window < RAND_MAX_SECTS * SECT) {
		printk("blktest: FAIL no memory for a %llu KiB shadow\n",
		       (unsigned long long)(window >> 10));
		return -ENOMEM;
	}
	for (uint64_t s = 0; s < window / SECT; s++)
		blk_pattern_fill(rnd_state.shadow + s * SECT, TEST_SEED, s);
	printk("blktest: random I/O: %u operations, up to %u in flight, %llu KiB window\n",
	       RAND_OPS, RAND_QD, (unsigned long long)(window >> 10));
	ret = random_io(d, window / SECT);
	if (!ret)
		printk("blktest: random I/O: %u reads, %u writes matched\n", rnd_state.reads,
		       rnd_state.writes);
	if (!ret && (in->flush || in->barrier)) {
		ret = blkdev_io(d, BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0);
		printk("blktest: flush: %d\n", ret);
		if (ret)
			printk("blktest: FAIL flush\n");
	}
	if (!ret)
		ret = check_window(d, window / SECT, "after random I/O");
	if (!ret && in->discard)
		ret = test_discard(d, window / SECT);
	free_pages(rnd_state.shadow, pages_for(window));
	return ret;
}

int blktest_main(int argc, char **argv)
{
	unsigned long long seed = 0;
	const char *mode = NULL, *name = NULL;
	struct blkdev *d;
	struct blkfront_stats st;
	int ret;

	/* Per-request grants by default (blkdev.c says why); this covers the other mode. */
	if (argc > 1 && !strcmp(argv[1], "--persistent")) {
		blkdev_set_persistent(true);
		argc--;
		argv++;
	}
	if (argc > 1 && (!strcmp(argv[1], "fill") || !strcmp(argv[1], "verify"))) {
		if (argc < 3 || argc > 4 || parse_u64(argv[2], &seed)) {
			printk("usage: blktest [--persistent] [fill|verify SEED] [DEVNAME]\n");
			return EXIT_USAGE;
		}
		mode = argv[1];
		name = argc > 3 ? argv[3] : NULL;
	} else if (argc > 2) {
		printk("usage: blktest [--persistent] [fill|verify SEED] [DEVNAME]\n");
		return EXIT_USAGE;
	} else {
		name = argc > 1 ? argv[1] : NULL;
	}
	ret = blkdev_open(name, &d);
	if (ret) {
		printk("blktest: FAIL no disk (%d)\n", ret);
		return 1;
	}
	/* svdom0's backend read the table's location once: the core keeps it there. */
	if (!blkdev_info(d)->backend_id) {
		ret = gnttab_probe_resize();
		printk("blktest: %s grant table resize under svdom0's backend (%d)\n",
		       ret == -EBUSY ? "refused" : "FAIL allowed", ret);
		if (ret != -EBUSY) {
			blkdev_close(d);
			return 1;
		}
	}
	if (mode && !strcmp(mode, "verify"))
		ret = whole_disk(d, true, seed, "blktest verify");
	else if (blkdev_info(d)->readonly)
		ret = mode ? -EROFS : test_readonly(d);
	else if (mode)
		ret = whole_disk(d, false, seed, "blktest fill");
	else
		ret = full_test(d);
	if (!ret && mode && !strcmp(mode, "fill") &&
	    (blkdev_info(d)->flush || blkdev_info(d)->barrier))
		ret = blkdev_io(d, BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0);
	blkdev_get_stats(d, &st);
	printk("blktest: %llu requests (%llu indirect), %llu notifications, %llu bad responses, "
	       "%llu reconnects\n",
	       (unsigned long long)st.requests, (unsigned long long)st.indirect_requests,
	       (unsigned long long)st.notifications,
	       (unsigned long long)(st.bad_id + st.stale_id + st.bad_rsp_op + st.bad_status +
				    st.ring_overflow),
	       (unsigned long long)st.reconnects);
	blkdev_close(d);
	if (ret == -EROFS && mode)
		printk("blktest: FAIL %s on a read-only disk\n", mode);
	if (ret)
		return 1;
	printk("blktest: PASS\n");
	return 0;
}

/* ---- blkbench ---- */

struct bslot {
	uint8_t *buf;
	bool busy;
};

static struct {
	uint64_t done, errors;
} bench;

static void bench_done(void *arg, int status)
{
	struct bslot *s = arg;

	s->busy = false;
	bench.done++;
	if (status)
		bench.errors++;
}

struct bench_args {
	const char *rw, *dev;
	unsigned long long bs, qd, mb, ops, ring_order;
	bool flush, random, write, persistent, wait_key, no_indirect, hold;
};

static int bench_parse(int argc, char **argv, struct bench_args *a)
{
	*a = (struct bench_args){ .rw = "read",
				  .bs = BENCH_DEF_BS,
				  .qd = BENCH_DEF_QD,
				  .ring_order = SV_BLKIF_MAX_RING_ORDER };
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = 0;

		if (!strcmp(opt, "--flush")) {
			a->flush = true;
			continue;
		}
		if (!strcmp(opt, "--persistent")) {
			a->persistent = true;
			continue;
		}
		if (!strcmp(opt, "--wait-key")) {
			a->wait_key = true;
			continue;
		}
		if (!strcmp(opt, "--no-indirect")) {
			a->no_indirect = true;
			continue;
		}
		if (!strcmp(opt, "--hold")) {
			a->hold = true;
			continue;
		}
		if (!val)
			return -EINVAL;
		i++;
		if (!strcmp(opt, "--rw"))
			a->rw = val;
		else if (!strcmp(opt, "--dev"))
			a->dev = val;
		else if (!strcmp(opt, "--bs"))
			bad = parse_u64(val, &a->bs);
		else if (!strcmp(opt, "--qd"))
			bad = parse_u64(val, &a->qd);
		else if (!strcmp(opt, "--mb"))
			bad = parse_u64(val, &a->mb);
		else if (!strcmp(opt, "--ops"))
			bad = parse_u64(val, &a->ops);
		else if (!strcmp(opt, "--ring-order"))
			bad = parse_u64(val, &a->ring_order) ||
			      a->ring_order > SV_BLKIF_MAX_RING_ORDER;
		else
			return -EINVAL;
		if (bad)
			return -EINVAL;
	}
	if (!strcmp(a->rw, "read") || !strcmp(a->rw, "randread"))
		a->write = false;
	else if (!strcmp(a->rw, "write") || !strcmp(a->rw, "randwrite"))
		a->write = true;
	else
		return -EINVAL;
	a->random = a->rw[0] == 'r' && a->rw[1] == 'a';
	if (!a->bs || a->bs % SECT || !a->qd || a->qd > BENCH_MAX_QD || (a->mb && a->ops))
		return -EINVAL;
	if (!a->ops)
		a->ops = ((a->mb ? a->mb : BENCH_DEF_MB) << 20) / a->bs;
	return a->ops ? 0 : -EINVAL;
}

static int bench_run(struct blkdev *d, const struct bench_args *a, struct bslot *s,
		     uint64_t *ns_out)
{
	const struct blkdev_info *in = blkdev_info(d);
	uint64_t span = in->sectors / (a->bs / SECT), next = 0, issued = 0, t0;
	int op = a->write ? BLKIF_OP_WRITE : BLKIF_OP_READ, ret = 0;

	bench.done = bench.errors = 0;
	/*
	 * A host that times the markers (svctl bench blk) sends a key once it follows the
	 * console; starting earlier would let it see both markers late, from the log.
	 */
	if (a->wait_key) {
		printk("blkbench: ready, waiting for a key\n");
		console_flush();
		if (console_getc(now_ns() + BENCH_KEY_WAIT_NS) < 0)
			printk("blkbench: no key, starting anyway\n");
	}
	printk("blkbench: start\n");
	console_flush();
	t0 = now_ns();
	while (bench.done < a->ops) {
		for (uint32_t i = 0; i < a->qd && issued < a->ops; i++) {
			uint64_t blk = a->random ? rnd() % span : next++ % span;

			if (s[i].busy)
				continue;
			s[i].busy = true;
			ret = blkdev_submit(d, op, blk * (a->bs / SECT), s[i].buf, a->bs,
					    bench_done, &s[i]);
			if (ret) {
				s[i].busy = false;
				goto out;
			}
			issued++;
		}
		ret = blkdev_wait(d);
		if (ret < 0)
			goto out;
		ret = 0;
	}
	if (a->flush)
		ret = blkdev_io(d, BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0);
out:
	*ns_out = now_ns() - t0;
	printk("blkbench: end\n");
	while (blkdev_inflight(d) && blkdev_wait(d) >= 0)
		;
	return ret;
}

int blkbench_main(int argc, char **argv)
{
	struct bslot s[BENCH_MAX_QD] = { 0 };
	struct bench_args a;
	struct blkdev *d;
	struct blkfront_stats st;
	uint64_t ns = 0, bytes, kbps;
	int ret;

	if (bench_parse(argc, argv, &a)) {
		printk("usage: blkbench [--rw read|write|randread|randwrite] [--bs BYTES] "
		       "[--qd 1..%u] [--mb TOTAL_MB | --ops N] [--flush] [--persistent] "
		       "[--wait-key] [--hold] [--ring-order N] [--no-indirect] "
		       "[--dev NAME]\n",
		       BENCH_MAX_QD);
		return EXIT_USAGE;
	}
	blkdev_set_persistent(a.persistent);
	blkdev_set_limits((uint32_t)a.ring_order, !a.no_indirect);
	ret = blkdev_open(a.dev, &d);
	if (ret)
		return 1;
	if (a.bs > blkdev_info(d)->max_op_bytes || a.bs % blkdev_info(d)->sector_size ||
	    a.bs / SECT > blkdev_info(d)->sectors || (a.write && blkdev_info(d)->readonly)) {
		printk("blkbench: --bs %llu does not fit this disk (at most %llu, multiple of "
		       "%u)%s\n",
		       a.bs, (unsigned long long)blkdev_info(d)->max_op_bytes,
		       blkdev_info(d)->sector_size, blkdev_info(d)->readonly ? ", read-only" : "");
		ret = -EINVAL;
		goto out;
	}
	for (uint32_t i = 0; i < a.qd; i++) {
		s[i].buf = alloc_pages(pages_for(a.bs));
		if (!s[i].buf) {
			printk("blkbench: no memory for %llu buffers of %llu bytes\n", a.qd, a.bs);
			ret = -ENOMEM;
			goto out;
		}
		memset(s[i].buf, 0x5a + (int)i, a.bs);
	}
	ret = bench_run(d, &a, s, &ns);
	if (ret) {
		printk("blkbench: I/O failed: %d\n", ret);
		goto out;
	}
	bytes = bench.done * a.bs;
	if (!ns)
		ns = 1;
	blkdev_get_stats(d, &st);
	printk("blkbench: rw=%s bs=%llu qd=%llu bytes=%llu ns=%llu ops=%llu errors=%llu "
	       "requests=%llu notifications=%llu ring_order=%u indirect=%u persistent=%u\n",
	       a.rw, a.bs, a.qd, (unsigned long long)bytes, (unsigned long long)ns,
	       (unsigned long long)bench.done, (unsigned long long)bench.errors,
	       (unsigned long long)st.requests, (unsigned long long)st.notifications,
	       blkdev_info(d)->ring_order, blkdev_info(d)->max_indirect_segments,
	       blkdev_info(d)->persistent ? 1u : 0u);
	kbps = bytes * 1000000ull / (ns / 1000 ? ns / 1000 : 1) / 1000; /* kB/s */
	printk("blkbench: %llu.%01llu MB/s, %llu IOPS\n", (unsigned long long)(kbps / 1000),
	       (unsigned long long)(kbps % 1000 / 100),
	       (unsigned long long)(bench.done * NSEC_PER_SEC / ns));
	if (bench.errors)
		ret = -EIO;
	/*
	 * The disk stays connected, so a host can read the backend's and the core's
	 * counters of the run (svctl bench blk --sweep): they go with the device
	 * and the domain. Until a key, a minute, or the host destroys us.
	 */
	if (a.hold) {
		printk("blkbench: holding\n");
		console_flush();
		console_getc(now_ns() + BENCH_HOLD_NS);
	}
out:
	for (uint32_t i = 0; i < a.qd && i < BENCH_MAX_QD; i++) {
		if (s[i].buf)
			free_pages(s[i].buf, pages_for(a.bs));
	}
	blkdev_close(d);
	return ret ? 1 : 0;
}
