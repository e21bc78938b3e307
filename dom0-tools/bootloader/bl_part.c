// SPDX-License-Identifier: MIT
/*
 * Where the filesystems of a disk image are: a whole-disk filesystem, or the primary
 * partitions of an MBR, or the entries of a GPT (512- or 4096-byte sectors). Every offset
 * and count comes from the image, so each is checked against the disk's size and our
 * bounds before it is used.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bl_internal.h"

#define MBR_SIZE	    512u
#define MBR_TABLE	    446u
#define MBR_TYPE_PROTECTIVE 0xeeu
#define GPT_HEADER_MIN	    92u
#define GPT_MAX_ENTRIES	    1024u
#define GPT_MAX_ENTRY_SIZE  4096u
#define EXT_MAGIC_OFFSET    1080u /* superblock at 1024, s_magic at +56 */

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* CRC-32 (IEEE, reflected), as GPT uses; bitwise, since the tables are small. */
static uint32_t crc32_update(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
	}
	return crc;
}

uint32_t bl_crc32(const void *buf, size_t len)
{
	return ~crc32_update(0xffffffffu, buf, len);
}

/* Reads within the disk only: a read past its end is a truncated image, not a crash. */
static int disk_read(const struct bl_disk *disk, uint64_t off, void *buf, size_t len)
{
	if (off > disk->size || len > disk->size - off)
		return -EIO;
	return disk->read(disk->ctx, off, buf, len);
}

static bool magic_at(const struct bl_disk *disk, uint64_t off, const void *magic, size_t len)
{
	uint8_t buf[16];

	return len <= sizeof(buf) && !disk_read(disk, off, buf, len) && !memcmp(buf, magic, len);
}

const char *bl_fs_probe(const struct bl_disk *disk, uint64_t off, uint64_t size)
{
	static const struct {
		uint64_t at;
		const char *magic;
		size_t len;
		const char *name;
	} others[] = {
		{ 0, "XFSB", 4, "xfs" },
		{ 0x10040, "_BHRfS_M", 8, "btrfs" },
		{ 0, "LUKS\xba\xbe", 6, "LUKS (encrypted)" },
		{ 512, "LABELONE", 8, "LVM physical volume" },
		{ 0x8001, "CD001", 5, "iso9660" },
		{ 0x52, "FAT32   ", 8, "vfat" },
		{ 0x36, "FAT1", 4, "vfat" },
		{ 0x3, "NTFS    ", 8, "ntfs" },
		{ 4086, "SWAPSPACE2", 10, "swap" },
		{ 0x10034, "ReIsEr", 6, "reiserfs" },
	};
	uint8_t sb[128];
	size_t i;

	if (size >= 2048 && !disk_read(disk, off + 1024, sb, sizeof(sb)) &&
	    le16(sb + 56) == 0xef53) {
		/* s_feature_compat at 92, s_feature_incompat at 96 */
		if (le32(sb + 96) &
		    (0x40u /* extents */ | 0x200u /* flex_bg */ | 0x80u /* 64bit */))
			return "ext4";
		return le32(sb + 92) & 0x4u /* has_journal */ ? "ext3" : "ext2";
	}
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		if (others[i].at + others[i].len <= size &&
		    magic_at(disk, off + others[i].at, others[i].magic, others[i].len))
			return others[i].name;
	}
	return NULL;
}

int bl_ext_claimed_bytes(const struct bl_disk *disk, uint64_t off, uint64_t *bytes)
{
	uint8_t sb[0x160];
	uint64_t blocks;
	uint32_t log_block;

	if (disk_read(disk, off + 1024, sb, sizeof(sb)) || le16(sb + 56) != 0xef53)
		return -EINVAL;
	log_block = le32(sb + 24);
	if (log_block > 6) /* 1 KiB << 6: 64 KiB blocks at most */
		return -EINVAL;
	blocks = le32(sb + 4);
	if (le32(sb + 96) & 0x80u) /* 64bit: s_blocks_count_hi */
		blocks |= (uint64_t)le32(sb + 0x150) << 32;
	*bytes = blocks << (10 + log_block);
	return 0;
}

static int add_part(struct bl_part *parts, size_t max, size_t *n, unsigned int number,
		    uint64_t offset, uint64_t size)
{
	if (*n >= max)
		return -E2BIG;
	parts[*n].number = number;
	parts[*n].offset = offset;
	parts[*n].size = size;
	(*n)++;
	return 0;
}

/* A partition must lie inside the disk; the caller says which one when it does not. */
static bool inside(const struct bl_disk *disk, uint64_t offset, uint64_t size)
{
	return size > 0 && offset <= disk->size && size <= disk->size - offset;
}

static int scan_gpt(const struct bl_disk *disk, uint32_t sector, struct bl_part *parts, size_t max,
		    size_t *n, char *err, size_t errlen)
{
	uint8_t hdr[512], entry[GPT_MAX_ENTRY_SIZE];
	uint32_t hsize, count, esize, i, crc;
	uint64_t table, first, last, bytes;
	int ret;

	ret = disk_read(disk, sector, hdr, sizeof(hdr));
	if (ret)
		goto short_disk;
	hsize = le32(hdr + 12);
	if (hsize < GPT_HEADER_MIN || hsize > sizeof(hdr)) {
		snprintf(err, errlen, "GPT header size %u is out of range (%u-%zu)", hsize,
			 GPT_HEADER_MIN, sizeof(hdr));
		return -EINVAL;
	}
	crc = le32(hdr + 16);
	memset(hdr + 16, 0, 4);
	if (bl_crc32(hdr, hsize) != crc) {
		snprintf(err, errlen, "GPT header checksum does not match");
		return -EINVAL;
	}
	table = le64(hdr + 72);
	count = le32(hdr + 80);
	esize = le32(hdr + 84);
	if (count > GPT_MAX_ENTRIES || esize < 128 || esize > GPT_MAX_ENTRY_SIZE || esize % 8) {
		snprintf(err, errlen, "GPT has %u entries of %u bytes: at most %u of 128-%u bytes",
			 count, esize, GPT_MAX_ENTRIES, GPT_MAX_ENTRY_SIZE);
		return -EINVAL;
	}
	if (table > disk->size / sector)
		goto short_disk;
	table *= sector;
	bytes = (uint64_t)count * esize;
	if (!inside(disk, table, bytes) && count)
		goto short_disk;
	crc = 0xffffffffu;
	for (i = 0; i < count; i++) {
		ret = disk_read(disk, table + (uint64_t)i * esize, entry, esize);
		if (ret)
			goto short_disk;
		crc = crc32_update(crc, entry, esize);
		first = le64(entry + 32);
		last = le64(entry + 40);
		if (!memcmp(entry, (uint8_t[16]){ 0 }, 16))
			continue;
		if (last < first || last >= disk->size / sector ||
		    !inside(disk, first * sector, (last - first + 1) * sector)) {
			snprintf(err, errlen,
				 "GPT partition %u (sectors %llu-%llu) lies outside the %llu-byte "
				 "disk (truncated image?)",
				 i + 1, (unsigned long long)first, (unsigned long long)last,
				 (unsigned long long)disk->size);
			return -EINVAL;
		}
		ret = add_part(parts, max, n, i + 1, first * sector, (last - first + 1) * sector);
		if (ret) {
			snprintf(err, errlen, "GPT has more than %zu partitions", max);
			return ret;
		}
	}
	if (~crc != le32(hdr + 88)) {
		snprintf(err, errlen, "GPT partition entries' checksum does not match");
		return -EINVAL;
	}
	return 0;
short_disk:
	snprintf(err, errlen, "GPT reaches past the end of the %llu-byte disk (truncated image?)",
		 (unsigned long long)disk->size);
	return -EINVAL;
}

static bool is_extended(uint8_t type)
{
	return type == 0x05 || type == 0x0f || type == 0x85;
}

int bl_part_scan(const struct bl_disk *disk, struct bl_part *parts, size_t max, size_t *n,
		 char *err, size_t errlen)
{
	uint8_t mbr[MBR_SIZE];
	const uint8_t *e;
	uint64_t start, count;
	unsigned int i;

	*n = 0;
	if (disk->size < MBR_SIZE) {
		snprintf(err, errlen,
			 "the disk is %llu bytes: too small for a partition table or "
			 "a filesystem",
			 (unsigned long long)disk->size);
		return -EINVAL;
	}
	if (bl_fs_probe(disk, 0, disk->size))
		return add_part(parts, max, n, 0, 0, disk->size);
	if (disk_read(disk, 0, mbr, sizeof(mbr)) || mbr[510] != 0x55 || mbr[511] != 0xaa) {
		snprintf(err, errlen,
			 "the disk has neither a partition table (MBR or GPT) nor a "
			 "filesystem that starts at its first byte");
		return -ENOENT;
	}
	for (i = 0; i < 4; i++) {
		if (mbr[MBR_TABLE + 16 * i + 4] == MBR_TYPE_PROTECTIVE) {
			if (magic_at(disk, 512, "EFI PART", 8))
				return scan_gpt(disk, 512, parts, max, n, err, errlen);
			if (magic_at(disk, 4096, "EFI PART", 8))
				return scan_gpt(disk, 4096, parts, max, n, err, errlen);
			snprintf(err, errlen, "protective MBR without a GPT header at sector 1");
			return -EINVAL;
		}
	}
	for (i = 0; i < 4; i++) {
		e = mbr + MBR_TABLE + 16 * i;
		start = le32(e + 8);
		count = le32(e + 12);
		if (!e[4] || is_extended(e[4]) || !count)
			continue;
		if (!inside(disk, start * 512, count * 512)) {
			snprintf(err, errlen,
				 "MBR partition %u (sectors %llu-%llu) lies outside the %llu-byte "
				 "disk (truncated image?)",
				 i + 1, (unsigned long long)start,
				 (unsigned long long)(start + count - 1),
				 (unsigned long long)disk->size);
			return -EINVAL;
		}
		add_part(parts, max, n, i + 1, start * 512, count * 512);
	}
	if (!*n) {
		snprintf(err, errlen, "the MBR has no primary partitions");
		return -ENOENT;
	}
	return 0;
}
