// SPDX-License-Identifier: MIT
/*
 * blkback on qcow2 images served by QEMU's storage daemon (blk_image.c), with
 * the real daemon and libnbd, against the fake guest of blkback_fixture.h:
 * every operation, what reached the image (read back through qemu-img, which
 * also checks the image is consistent), read-only images, and images the
 * daemon refuses (a raw file called qcow2, a corrupt header, a missing file)
 * with a sentence. The cost against raw is in docs/benchmarks.md
 * (bench/blk_image_cost via this harness).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blk_image.h"
#include "blkback_fixture.h"
#include "util.h"

#define IMG_SECT 8192u /* 4 MiB */

/* The image's bytes [off, off + len) as a raw reader sees them, through qemu-img. */
static void image_bytes(const char *path, uint64_t off, void *buf, size_t len)
{
	char raw[300], cmd[700];
	int fd;

	ck_assert_int_lt(snprintf(raw, sizeof(raw), "%s.raw", path), (int)sizeof(raw));
	ck_assert_int_lt(
		snprintf(cmd, sizeof(cmd), "qemu-img convert -f qcow2 -O raw %s %s", path, raw),
		(int)sizeof(cmd));
	ck_assert_int_eq(system(cmd), 0);
	fd = open(raw, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
	unlink(raw);
}

static void image_check(const char *path)
{
	char cmd[400];

	ck_assert_int_lt(snprintf(cmd, sizeof(cmd), "qemu-img check -q -f qcow2 %s", path),
			 (int)sizeof(cmd));
	ck_assert_msg(system(cmd) == 0, "qemu-img check found errors in %s", path);
}

START_TEST(every_operation_on_qcow2)
{
	struct dev_cfg cfg = { .format = "qcow2", .sectors = IMG_SECT };
	uint32_t wref[11], rref[11], iref, i;
	uint8_t *w, *r, *ind, seen[11 * 4096];
	union blkif_slot s;
	struct dev d;

	dev_open(&d, &cfg);
	ck_assert_ptr_nonnull(d.disk.image);
	ck_assert_uint_eq(d.disk.sectors, IMG_SECT);
	w = buf_pages(11, wref, true);
	r = buf_pages(11, rref, false);
	fill(w, 11 * BH_PAGE, 7);

	s = rw_req(BLKIF_OP_WRITE, 64, wref, 11);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	s = rw_req(BLKIF_OP_READ, 64, rref, 11);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	ck_assert_mem_eq(r, w, 11 * BH_PAGE);

	/* Part of a page: sectors 2..5 of the segment. */
	s = rw_req(BLKIF_OP_WRITE, 1000, wref + 4, 1);
	s.req.seg[0].first_sect = 2;
	s.req.seg[0].last_sect = 5;
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);

	/* Indirect: 20 segments, the last of the disk. */
	ind = buf_pages(1, &iref, true);
	memset(&s, 0, sizeof(s));
	s.indirect.operation = BLKIF_OP_INDIRECT;
	s.indirect.indirect_op = BLKIF_OP_WRITE;
	s.indirect.nr_segments = 20;
	s.indirect.sector_number = IMG_SECT - 20 * 8;
	s.indirect.indirect_grefs[0] = iref;
	for (i = 0; i < 20; i++)
		((struct blkif_request_segment *)ind)[i] =
			(struct blkif_request_segment){ .gref = wref[i % 11], .last_sect = 7 };
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);

	s = rw_req(BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	/* Past the end: refused, the device goes on. */
	s = rw_req(BLKIF_OP_READ, IMG_SECT - 4, rref, 1);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_ERROR);
	ck_assert_uint_eq(dev_stats(&d).bad_sector_range, 1);
	ck_assert_uint_eq(dev_stats(&d).writes, 3);
	dev_close(&d);

	/* What the guest wrote is in the image, and the image is consistent. */
	image_check(d.path);
	image_bytes(d.path, 64 * 512, seen, sizeof(seen));
	ck_assert_mem_eq(seen, w, 11 * BH_PAGE);
	image_bytes(d.path, 1000 * 512, seen, 4 * 512);
	ck_assert_mem_eq(seen, w + 4 * BH_PAGE + 2 * 512, 4 * 512);
	image_bytes(d.path, (uint64_t)(IMG_SECT - 20 * 8) * 512, seen, BH_PAGE);
	ck_assert_mem_eq(seen, w, BH_PAGE);
	unlink(d.path);
}
END_TEST

START_TEST(discard_reaches_the_image)
{
	struct dev_cfg cfg = { .format = "qcow2", .sectors = IMG_SECT };
	uint32_t wref[4], rref[4];
	union blkif_slot s;
	uint8_t *w, *r;
	struct dev d;

	dev_open(&d, &cfg);
	ck_assert(d.disk.discard);
	w = buf_pages(4, wref, true);
	r = buf_pages(4, rref, false);
	fill(w, 4 * BH_PAGE, 3);
	s = rw_req(BLKIF_OP_WRITE, 256, wref, 4);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	memset(&s, 0, sizeof(s));
	s.discard.operation = BLKIF_OP_DISCARD;
	s.discard.sector_number = 256;
	s.discard.nr_sectors = 128; /* one whole qcow2 cluster (64 KiB): partial ones stay */
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	s = rw_req(BLKIF_OP_READ, 256, rref, 4);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	/* qcow2 unmapped the cluster: it reads as zeroes. */
	for (uint32_t i = 0; i < 4 * BH_PAGE; i++)
		ck_assert_uint_eq(r[i], 0);
	ck_assert_uint_eq(dev_stats(&d).discards, 1);
	dev_close(&d);
	image_check(d.path);
	unlink(d.path);
}
END_TEST

START_TEST(readonly_image_refuses_writes)
{
	struct dev_cfg cfg = { .format = "qcow2", .sectors = IMG_SECT, .readonly = true };
	sigset_t term, old;
	uint64_t t0;
	uint32_t ref;
	union blkif_slot s;
	struct dev d;

	/* As svdom0 does (it reads SIGTERM through a signalfd): the daemon must not inherit it. */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &term, &old), 0);
	dev_open(&d, &cfg);
	buf_pages(1, &ref, false);
	s = rw_req(BLKIF_OP_WRITE, 0, &ref, 1);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_ERROR);
	ck_assert_uint_eq(dev_stats(&d).readonly_write, 1);
	s = rw_req(BLKIF_OP_READ, 0, &ref, 1);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	/* The daemon stops on SIGTERM, well before the 5 s after which it would be killed. */
	t0 = util_now_ns();
	dev_close(&d);
	ck_assert_uint_lt(util_now_ns() - t0, 4000000000ull);
	ck_assert_int_eq(sigprocmask(SIG_SETMASK, &old, NULL), 0);
	unlink(d.path);
}
END_TEST

/* Opens path as qcow2 and expects a refusal whose sentence holds want. */
static void expect_refused(const char *path, const char *want)
{
	struct blk_disk disk;
	char err[512] = "";
	int ret;

	ret = blk_disk_open_format(&disk, NULL, NULL, path, "qcow2", BLK_CACHE_DEFAULT, false, err,
				   sizeof(err));
	ck_assert_int_lt(ret, 0);
	ck_assert_msg(strstr(err, want), "'%s' lacks '%s'", err, want);
	ck_assert_msg(strstr(err, path), "'%s' does not name %s", err, path);
}

START_TEST(hostile_images_refused)
{
	char path[256];
	struct blk_disk disk;
	char err[512];
	int fd;

	/* A raw file declared qcow2: QEMU's own reason comes back. */
	ck_assert_int_eq(bh_temp_disk(path, sizeof(path), 1 << 20), 0);
	expect_refused(path, "qcow2");
	/* qcow2's magic and a header of garbage. */
	fd = open(path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "QFI\xfb\xff\xff\xff\xff\xff\xff\xff\xff", 12, 0), 12);
	close(fd);
	expect_refused(path, "could not open it");
	unlink(path);
	/* Gone, and a path QEMU's option syntax must not reinterpret. */
	expect_refused(path, "No such file");
	expect_refused("/tmp/sv-no-such\",\"driver\":\"null-co.qcow2", "No such file");
	/* Quotes, commas and backslashes are the file name's own (JSON-escaped to QEMU). */
	ck_assert_int_lt(snprintf(path, sizeof(path), "/tmp/sv-img-%d\",q\\x", (int)getpid()),
			 (int)sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	expect_refused(path, "qcow2");
	unlink(path);
	/* A format nobody offers. */
	ck_assert_int_eq(blk_disk_open_format(&disk, NULL, NULL, "/dev/null", "vmdk",
					      BLK_CACHE_DEFAULT, true, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "unknown disk format 'vmdk'"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("blk_image");
	TCase *tc = tcase_create("qcow2");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, every_operation_on_qcow2);
	tcase_add_test(tc, discard_reaches_the_image);
	tcase_add_test(tc, readonly_image_refuses_writes);
	tcase_add_test(tc, hostile_images_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
