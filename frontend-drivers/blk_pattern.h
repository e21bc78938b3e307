/* SPDX-License-Identifier: MIT */
/*
 * The test pattern of a disk: byte i of 512-byte sector s for a seed, a pure
 * function so that the guest's blktest and host tools (tests/kvm) write and
 * check the same bytes. Each sector differs from every other and from the
 * same sector under another seed, so misplaced or stale data shows.
 * Freestanding: no libc, no floating point.
 */
#ifndef SV_BLK_PATTERN_H
#define SV_BLK_PATTERN_H

#include <stdint.h>

#define BLK_PATTERN_SECTOR 512u

/* One 64-bit word of the pattern: a splitmix64-style mix of seed, sector and word index. */
static inline uint64_t blk_pattern_word(uint64_t seed, uint64_t sector, uint32_t word)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + sector * 0xd1b54a32d192ed03ull + word + 1;

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/* Byte i (0..511) of sector for seed: the words are stored little-endian. */
static inline uint8_t blk_pattern_byte(uint64_t seed, uint64_t sector, uint32_t i)
{
	return (uint8_t)(blk_pattern_word(seed, sector, i / 8) >> ((i % 8) * 8));
}

/* Fills one 512-byte sector. */
static inline void blk_pattern_fill(uint8_t *dst, uint64_t seed, uint64_t sector)
{
	for (uint32_t w = 0; w < BLK_PATTERN_SECTOR / 8; w++) {
		uint64_t x = blk_pattern_word(seed, sector, w);

		for (uint32_t b = 0; b < 8; b++)
			dst[w * 8 + b] = (uint8_t)(x >> (b * 8));
	}
}

/* Checks one 512-byte sector: the index of the first wrong byte, or -1 when it matches. */
static inline int blk_pattern_check(const uint8_t *src, uint64_t seed, uint64_t sector)
{
	for (uint32_t w = 0; w < BLK_PATTERN_SECTOR / 8; w++) {
		uint64_t x = blk_pattern_word(seed, sector, w);

		for (uint32_t b = 0; b < 8; b++) {
			if (src[w * 8 + b] != (uint8_t)(x >> (b * 8)))
				return (int)(w * 8 + b);
		}
	}
	return -1;
}

#endif
