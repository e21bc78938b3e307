// SPDX-License-Identifier: MIT
/*
 * The bootloader's partition scan on crafted disks in memory: a whole-disk filesystem, MBRs
 * and GPTs as partitioning tools write them, and tables that lie about sizes, counts and
 * checksums.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ext2fs/ext2_err.h>
#include <ext2fs/ext2fs.h>

#include "bl_internal.h"

#define DISK_SIZE (8u << 20)

static uint8_t *image;
static struct bl_disk disk;
static struct bl_part parts[BL_MAX_PARTS];
static size_t nparts;
static char err[512];

static int read_mem(void *ctx, uint64_t off, void *buf, size_t len)
{
	(void)ctx;
	if (off > DISK_SIZE || len > DISK_SIZE - off)
		return -EIO;
	memcpy(buf, image + off, len);
	return 0;
}

static void setup(void)
{
	image = calloc(1, DISK_SIZE);
	disk.read = read_mem;
	disk.size = DISK_SIZE;
}

static void teardown(void)
{
	free(image);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static void mbr_entry(int i, uint8_t type, uint32_t start, uint32_t count)
{
	uint8_t *e = image + 446 + 16 * i;

	e[4] = type;
	put32(e + 8, start);
	put32(e + 12, count);
	image[510] = 0x55;
	image[511] = 0xaa;
}

static void ext_magic_at(uint64_t off)
{
	image[off + 1080] = 0x53;
	image[off + 1081] = 0xef;
}

static int scan(void)
{
	err[0] = '\0';
	return bl_part_scan(&disk, parts, BL_MAX_PARTS, &nparts, err, sizeof(err));
}

START_TEST(test_whole_disk)
{
	ext_magic_at(0);
	ck_assert_int_eq(scan(), 0);
	ck_assert_uint_eq(nparts, 1);
	ck_assert_uint_eq(parts[0].number, 0);
	ck_assert_uint_eq(parts[0].size, DISK_SIZE);
	ck_assert_str_eq(bl_fs_probe(&disk, 0, DISK_SIZE), "ext2");
}
END_TEST

START_TEST(test_mbr)
{
	mbr_entry(0, 0x83, 2048, 4096);
	mbr_entry(1, 0x05, 8192, 100); /* extended: not followed */
	mbr_entry(3, 0x83, 6144, 2048);
	ck_assert_int_eq(scan(), 0);
	ck_assert_uint_eq(nparts, 2);
	ck_assert_uint_eq(parts[0].number, 1);
	ck_assert_uint_eq(parts[0].offset, 2048 * 512);
	ck_assert_uint_eq(parts[0].size, 4096 * 512);
	ck_assert_uint_eq(parts[1].number, 4);
	ck_assert_uint_eq(parts[1].offset, 6144 * 512);
}
END_TEST

START_TEST(test_mbr_past_end)
{
	mbr_entry(0, 0x83, 2048, 0xffffff00u);
	ck_assert_int_eq(scan(), -EINVAL);
	ck_assert_msg(strstr(err, "MBR partition 1") &&
			      strstr(err, "lies outside the 8388608-byte"),
		      "%s", err);
}
END_TEST

START_TEST(test_nothing)
{
	ck_assert_int_eq(scan(), -ENOENT);
	ck_assert_msg(strstr(err, "neither a partition table"), "%s", err);
	mbr_entry(0, 0, 0, 0);
	ck_assert_int_eq(scan(), -ENOENT);
	ck_assert_msg(strstr(err, "no primary partitions"), "%s", err);
	disk.size = 100;
	ck_assert_int_eq(scan(), -EINVAL);
	ck_assert_msg(strstr(err, "too small"), "%s", err);
}
END_TEST

/* A GPT at LBA 1 with n entries of 128 bytes at LBA 2; the first two are filled in. */
static void make_gpt(uint32_t n)
{
	uint8_t *hdr = image + 512, *ent = image + 1024;

	mbr_entry(0, 0xee, 1, DISK_SIZE / 512 - 1);
	memcpy(hdr, "EFI PART", 8);
	put32(hdr + 8, 0x00010000);
	put32(hdr + 12, 92);
	put64(hdr + 72, 2);
	put32(hdr + 80, n);
	put32(hdr + 84, 128);
	memset(ent, 0x11, 16); /* some type GUID */
	put64(ent + 32, 2048);
	put64(ent + 40, 4095);
	memset(ent + 128, 0x22, 16);
	put64(ent + 128 + 32, 4096);
	put64(ent + 128 + 40, 8191);
	put32(hdr + 88, bl_crc32(ent, (size_t)n * 128));
	put32(hdr + 16, 0);
	put32(hdr + 16, bl_crc32(hdr, 92));
}

static void reseal(void)
{
	put32(image + 512 + 16, 0);
	put32(image + 512 + 16, bl_crc32(image + 512, 92));
}

START_TEST(test_gpt)
{
	make_gpt(128);
	ck_assert_int_eq(scan(), 0);
	ck_assert_uint_eq(nparts, 2);
	ck_assert_uint_eq(parts[0].number, 1);
	ck_assert_uint_eq(parts[0].offset, 2048 * 512);
	ck_assert_uint_eq(parts[0].size, 2048 * 512);
	ck_assert_uint_eq(parts[1].number, 2);
	ck_assert_uint_eq(parts[1].offset, 4096 * 512);
}
END_TEST

START_TEST(test_gpt_bad_checksums)
{
	make_gpt(128);
	image[512 + 40]++; /* backup LBA changed, header CRC not */
	ck_assert_int_eq(scan(), -EINVAL);
	ck_assert_msg(strstr(err, "GPT header checksum"), "%s", err);
	make_gpt(128);
	image[1024 + 40]++; /* an entry changed, entries' CRC not */
	ck_assert_int_eq(scan(), -EINVAL);
	ck_assert_msg(strstr(err, "entries' checksum"), "%s", err);
}
END_TEST

START_TEST(test_gpt_lies)
{
	make_gpt(128);
	put32(image + 512 + 80, 100000); /* entries */
	reseal();
	ck_assert_int_eq(scan(), -EINVAL);
	ck_assert_msg(strstr(err, "GPT has 100000 entries of 128 bytes"), "%s", err);
	make_gpt(128);
	put32(image + 512 + 84, 100); /* entry size */
	reseal();
	ck_assert_int_eq(scan(), -EINVAL);
	make_gpt(128);
	put64(image + 512 + 72, DISK_SIZE / 512 - 1); /* table at the last sector */
	reseal();
	ck_assert_int_eq(scan(), -EINVAL);
	ck_assert_msg(strstr(err, "past the end"), "%s", err);
	make_gpt(128);
	put32(image + 512 + 12, 4000); /* header size */
	ck_assert_int_eq(scan(), -EINVAL);
	ck_assert_msg(strstr(err, "header size 4000"), "%s", err);
	/* a partition past the disk's end, checksums right */
	make_gpt(4);
	put64(image + 1024 + 40, (uint64_t)1 << 40);
	put32(image + 512 + 88, bl_crc32(image + 1024, 4 * 128));
	reseal();
	ck_assert_int_eq(scan(), -EINVAL);
	ck_assert_msg(strstr(err, "GPT partition 1") && strstr(err, "lies outside"), "%s", err);
	/* a protective MBR without a GPT */
	memset(image + 512, 0, 512);
	ck_assert_int_eq(scan(), -EINVAL);
	ck_assert_msg(strstr(err, "protective MBR without a GPT"), "%s", err);
}
END_TEST

START_TEST(test_probe)
{
	memcpy(image + 1024 * 1024, "XFSB", 4);
	ck_assert_str_eq(bl_fs_probe(&disk, 1024 * 1024, 1024 * 1024), "xfs");
	ck_assert_ptr_null(bl_fs_probe(&disk, 2048 * 1024, 1024 * 1024));
	ext_magic_at(3 << 20);
	image[(3 << 20) + 1024 + 96] = 0x40; /* extents */
	ck_assert_str_eq(bl_fs_probe(&disk, 3 << 20, 1 << 20), "ext4");
	/* a partition that ends before the superblock's place is not probed past its end */
	ck_assert_ptr_null(bl_fs_probe(&disk, 3 << 20, 1024));
}
END_TEST

START_TEST(test_ext_claimed)
{
	uint64_t bytes = 0;

	ext_magic_at(0);
	put32(image + 1024 + 4, 8192); /* s_blocks_count */
	put32(image + 1024 + 24, 2);   /* 4 KiB blocks */
	ck_assert_int_eq(bl_ext_claimed_bytes(&disk, 0, &bytes), 0);
	ck_assert_uint_eq(bytes, 8192ull * 4096);
	image[1024 + 96] = 0x80; /* 64bit: the high half counts */
	put32(image + 1024 + 0x150, 1);
	ck_assert_int_eq(bl_ext_claimed_bytes(&disk, 0, &bytes), 0);
	ck_assert_uint_eq(bytes, ((1ull << 32) + 8192) * 4096);
	put32(image + 1024 + 24, 40); /* a block size no ext has */
	ck_assert_int_eq(bl_ext_claimed_bytes(&disk, 0, &bytes), -EINVAL);
	ck_assert_int_eq(bl_ext_claimed_bytes(&disk, DISK_SIZE - 512, &bytes), -EINVAL);
}
END_TEST

/*
 * libext2fs's reads through bl_io.c: byte-exact across its windows from a partition that
 * starts off a window boundary, and never outside the partition.
 */
START_TEST(test_bl_io)
{
	struct bl_io_source src = { &disk, 1536 * 512 + 512, 3u << 20 };
	uint8_t *buf = malloc(600u << 10);
	io_channel ch = NULL;
	char name[64];
	size_t i;

	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < DISK_SIZE; i++)
		image[i] = (uint8_t)(i * 7 + (i >> 12));
	ck_assert_int_eq(bl_io_name(&src, name, sizeof(name)), 0);
	ck_assert_int_eq(bl_io_manager()->open(name, IO_FLAG_RW, &ch), EXT2_ET_RO_FILSYS);
	ck_assert_int_eq(bl_io_manager()->open("bl-disk:(nil)", 0, &ch), EXT2_ET_BAD_DEVICE_NAME);
	ck_assert_int_eq(bl_io_manager()->open(name, 0, &ch), 0);
	ck_assert_int_eq(io_channel_set_blksize(ch, 4096), 0);
	/* 600 KiB from block 50: three windows and parts of two more, twice (cached). */
	for (int pass = 0; pass < 2; pass++) {
		memset(buf, 0, 600u << 10);
		ck_assert_int_eq(io_channel_read_blk64(ch, 50, -(int)(600u << 10), buf), 0);
		ck_assert(!memcmp(buf, image + src.offset + 50 * 4096, 600u << 10));
	}
	ck_assert_int_eq(io_channel_read_blk64(ch, 0, 1, buf), 0);
	ck_assert(!memcmp(buf, image + src.offset, 4096));
	/* The partition's last block reads; one past it, or straddling its end, does not. */
	ck_assert_int_eq(io_channel_read_blk64(ch, (3u << 20) / 4096 - 1, 1, buf), 0);
	ck_assert(!memcmp(buf, image + src.offset + (3u << 20) - 4096, 4096));
	ck_assert_int_ne(io_channel_read_blk64(ch, (3u << 20) / 4096, 1, buf), 0);
	ck_assert_int_ne(io_channel_read_blk64(ch, (3u << 20) / 4096 - 1, 2, buf), 0);
	ck_assert_int_ne(io_channel_read_blk64(ch, ~0ull / 2, 1, buf), 0);
	ck_assert_int_eq(io_channel_write_blk64(ch, 0, 1, buf), EXT2_ET_RO_FILSYS);
	io_channel_close(ch);
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bootloader-part");
	TCase *tc = tcase_create("scan");
	SRunner *runner;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_whole_disk);
	tcase_add_test(tc, test_mbr);
	tcase_add_test(tc, test_mbr_past_end);
	tcase_add_test(tc, test_nothing);
	tcase_add_test(tc, test_gpt);
	tcase_add_test(tc, test_gpt_bad_checksums);
	tcase_add_test(tc, test_gpt_lies);
	tcase_add_test(tc, test_probe);
	tcase_add_test(tc, test_ext_claimed);
	tcase_add_test(tc, test_bl_io);
	suite_add_tcase(s, tc);
	runner = srunner_create(s);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
