// SPDX-License-Identifier: MIT
/*
 * svctl bench blk: a guest's blkbench through blkfront, the ring and svdom0's
 * blkback against a file in the host's page cache, beside pread/pwrite of the
 * same file by this process in the same run. The guest runs under private
 * daemons (a temporary run directory), driven by this same svctl binary as
 * child processes, so the bench exercises exactly what users run. Guest
 * figures are timed on the host clock between the "blkbench: start" and
 * "blkbench: end" lines of its console.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sysexits.h>

#include "bench.h"
#include "bench_dom.h"
#include "errmsg.h"
#include "util.h"

#define BLK_BS_SEQ  65536u
#define BLK_BS_RAND 4096u
#define BLK_QD	    32u

struct blk_bench {
	struct svb_dom d;
	char file[PATH_MAX + 16];
	uint64_t size;
	unsigned int rand_ops;
};

struct blk_result {
	unsigned long long bytes, ops, errors;
	bool seen;
};

static void bb_line(const char *line, void *data)
{
	struct blk_result *res = data;

	if (sscanf(line, "blkbench: rw=%*s bs=%*u qd=%*u bytes=%llu ns=%*u ops=%llu errors=%llu",
		   &res->bytes, &res->ops, &res->errors) != 3)
		return;
	res->seen = true;
	/* The guest's own counts (requests, notifications) explain the figure. */
	fprintf(stderr, "svctl bench blk: guest %s", line + strlen("blkbench: "));
}

/*
 * Boots a guest running cmdline and times its start..end markers on the host
 * clock; *bytes and *ops come from its result line.
 */
static int bb_guest(struct blk_bench *b, const char *cmdline, uint64_t *ns, uint64_t *bytes,
		    uint64_t *ops, char *err, size_t errlen)
{
	char dev[PATH_MAX + 256];
	struct blk_result res = { .errors = 1 };
	int ret;

	snprintf(dev, sizeof(dev),
		 "<disk type='file' device='disk'><driver name='file' cache='writeback'/>"
		 "<source file='%s'/><target dev='xvda' bus='xen'/></disk>",
		 b->file);
	ret = svb_guest(&b->d, "blkbench", cmdline, dev, "\n", bb_line, &res, ns, err, errlen);
	if (ret)
		return ret;
	if (!res.seen || res.errors)
		return errmsg_set(err, errlen, -EIO,
				  "the guest's blkbench (%s) printed no result or had errors",
				  cmdline);
	*bytes = res.bytes;
	*ops = res.ops;
	return 0;
}

int bench_blk_make_file(const char *path, uint64_t size, char *err, size_t errlen)
{
	static uint8_t buf[1 << 20];
	uint64_t off;
	int fd, ret = 0;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return errmsg_set(err, errlen, -errno, "cannot create %s", path);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	for (off = 0; off < size && !ret; off += sizeof(buf))
		if (pwrite(fd, buf, sizeof(buf), (off_t)off) != (ssize_t)sizeof(buf))
			ret = errmsg_set(err, errlen, -EIO, "cannot fill %s", path);
	close(fd);
	return ret;
}

/*
 * The host's own figure for workload w on the same file: what the guest is
 * measured against. Sequential passes cover the file; the first read pass
 * also warms the cache.
 */
static int bb_host(struct blk_bench *b, int w, double *out)
{
	static uint8_t buf[BLK_BS_SEQ] __attribute__((aligned(4096)));
	uint64_t t0, off, x = 88172645463325252ull ^ b->d.seq;
	unsigned int i, blocks = (unsigned int)(b->size / BLK_BS_RAND);
	int fd = open(b->file, O_RDWR | O_CLOEXEC), ret = -EIO;

	if (fd < 0)
		return -errno;
	for (off = 0; w == 0 && off < b->size; off += BLK_BS_SEQ)
		if (pread(fd, buf, BLK_BS_SEQ, (off_t)off) != BLK_BS_SEQ)
			goto out;
	t0 = util_now_ns();
	if (w == 1) {
		for (i = 0; i < b->rand_ops; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if (pread(fd, buf, BLK_BS_RAND, (off_t)(x % blocks) * BLK_BS_RAND) !=
			    BLK_BS_RAND)
				goto out;
		}
		*out = (double)b->rand_ops / ((double)(util_now_ns() - t0) / 1e9);
		ret = 0;
		goto out;
	}
	for (off = 0; off < b->size; off += BLK_BS_SEQ) {
		if ((w == 0 ? pread(fd, buf, BLK_BS_SEQ, (off_t)off)
			    : pwrite(fd, buf, BLK_BS_SEQ, (off_t)off)) != BLK_BS_SEQ)
			goto out;
	}
	if (w == 2 && fdatasync(fd))
		goto out;
	*out = (double)b->size / 1e6 / ((double)(util_now_ns() - t0) / 1e9);
	ret = 0;
out:
	close(fd);
	return ret;
}

int bench_blk(const struct bench_blk_opts *o, bool json)
{
	static const char *const names[3] = { "blk.seq_read_64k", "blk.rand_read_4k",
					      "blk.seq_write_64k" };
	static const char *const units[3] = { "MB/s", "IOPS", "MB/s" };
	static const char *const bases[3] = { "host pread 64 KiB", "host pread 4 KiB, one thread",
					      "host pwrite 64 KiB + fdatasync" };
	struct blk_bench b = { .rand_ops = o->rand_ops };
	double host[3][BLK_MAX_RUNS], guest[3][BLK_MAX_RUNS];
	const char *np = o->persistent ? " --persistent" : "";
	struct bench_result r[3];
	char cmd[3][192], err[512] = "";
	uint64_t ns = 0, bytes = 0, ops = 0;
	int ret;

	b.size = (uint64_t)o->size_mb << 20;
	if (svb_open(&b.d, "blk", o->kernel))
		return EX_SOFTWARE;
	snprintf(b.file, sizeof(b.file), "%s/disk.img", b.d.dir);
	ret = bench_blk_make_file(b.file, b.size, err, sizeof(err));
	snprintf(cmd[0], sizeof(cmd[0]), "blkbench --wait-key --rw read --bs %u --qd %u --mb %u%s",
		 BLK_BS_SEQ, BLK_QD, o->size_mb, np);
	snprintf(cmd[1], sizeof(cmd[1]),
		 "blkbench --wait-key --rw randread --bs %u --qd %u --ops %u%s", BLK_BS_RAND,
		 BLK_QD, o->rand_ops, np);
	snprintf(cmd[2], sizeof(cmd[2]),
		 "blkbench --wait-key --rw write --bs %u --qd %u --mb %u --flush%s", BLK_BS_SEQ,
		 BLK_QD, o->size_mb, np);
	/* Host and guest take turns, so a noisy neighbour hits both alike. */
	for (unsigned int run = 0; run < o->runs && !ret; run++) {
		for (int w = 0; w < 3 && !ret; w++) {
			if (bb_host(&b, w, &host[w][run])) {
				ret = errmsg_set(err, sizeof(err), -EIO,
						 "host baseline on %s failed", b.file);
				break;
			}
			ret = bb_guest(&b, cmd[w], &ns, &bytes, &ops, err, sizeof(err));
			if (!ret)
				guest[w][run] = w == 1 ? (double)ops / ((double)ns / 1e9)
						       : (double)bytes / 1e6 / ((double)ns / 1e9);
		}
	}
	unlink(b.file);
	svb_close(&b.d);
	if (ret) {
		fprintf(stderr, "svctl bench blk: %s (logs in %s)\n", err, b.d.dir);
		return EX_SOFTWARE;
	}
	for (int w = 0; w < 3; w++)
		r[w] = (struct bench_result){ .name = names[w],
					      .value = svb_median(guest[w], o->runs),
					      .unit = units[w],
					      .baseline = svb_median(host[w], o->runs),
					      .baseline_name = bases[w],
					      .samples = o->runs };
	bench_print(stdout, r, 3, json);
	return 0;
}
