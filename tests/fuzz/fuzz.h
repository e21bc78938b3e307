/* SPDX-License-Identifier: MIT */
/*
 * Shared by the coverage-guided fuzz targets (tests/fuzz/fuzz_*.c). Each target
 * is built twice: with libFuzzer (SV_FUZZ=ON, clang) for scripts/fuzz.sh, and
 * with replay_main.c in every build so that its corpus (seeds and the crashes
 * found so far) runs as a regression test, ASan build included.
 *
 * A target aborts on a broken invariant, never merely on refused input: every
 * refusal is the feature under test.
 */
#ifndef SV_TESTS_FUZZ_H
#define SV_TESTS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads the input front to back; reads past the end give zeros, so every input is usable. */
struct fz_in {
	const uint8_t *p;
	size_t left;
};

static inline void fz_take(struct fz_in *in, void *out, size_t n)
{
	size_t have = n < in->left ? n : in->left;

	memcpy(out, in->p, have);
	memset((uint8_t *)out + have, 0, n - have);
	in->p += have;
	in->left -= have;
}

static inline uint8_t fz_u8(struct fz_in *in)
{
	uint8_t v;

	fz_take(in, &v, sizeof(v));
	return v;
}

static inline uint16_t fz_u16(struct fz_in *in)
{
	uint16_t v;

	fz_take(in, &v, sizeof(v));
	return v;
}

static inline uint32_t fz_u32(struct fz_in *in)
{
	uint32_t v;

	fz_take(in, &v, sizeof(v));
	return v;
}

static inline uint64_t fz_u64(struct fz_in *in)
{
	uint64_t v;

	fz_take(in, &v, sizeof(v));
	return v;
}

/* Up to max bytes, as many as the next u16 says (bounded by what is left). */
static inline size_t fz_chunk(struct fz_in *in, const uint8_t **p, size_t max)
{
	size_t n = fz_u16(in);

	if (n > max)
		n = max;
	if (n > in->left)
		n = in->left;
	*p = in->p;
	in->p += n;
	in->left -= n;
	return n;
}

#define FZ_CHECK(cond)                                                                       \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, \
				#cond);                                                      \
			abort();                                                             \
		}                                                                            \
	} while (0)

#endif
