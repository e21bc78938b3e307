/* SPDX-License-Identifier: MIT */
/*
 * Byte-stream rings on a shared page: an array whose size is a power of two
 * and a pair of free-running u32 indices (the slot is idx & (size - 1)). The
 * xenstore ring (xs_wire.h) and the console ring (console.h) are made of them.
 * One copy of the logic for every side: the guest's xenbus client and
 * console, the control domain's xenstore server and console backend.
 *
 * The peer may write anything into the page at any time, so each index is
 * loaded once and checked (prod - cons <= size) and every access is masked
 * into the array: garbage yields SV_BRING_EBADIDX, never an access outside it.
 * Freestanding: no errno.h, no string.h.
 */
#ifndef SPLITVISOR_BYTE_RING_H
#define SPLITVISOR_BYTE_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* -EIO, spelled out because freestanding builds have no errno.h. */
#define SV_BRING_EBADIDX (-5L)

static inline uint32_t sv_bring_idx_load(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void sv_bring_idx_store(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static inline void sv_bring_copy_out(const char *arr, uint32_t size, uint32_t idx, void *buf,
				     size_t n)
{
	size_t off = idx & (size - 1u);
	size_t first = n < size - off ? n : size - off;

	__builtin_memcpy(buf, arr + off, first);
	__builtin_memcpy((char *)buf + first, arr, n - first);
}

static inline void sv_bring_copy_in(char *arr, uint32_t size, uint32_t idx, const void *buf,
				    size_t n)
{
	size_t off = idx & (size - 1u);
	size_t first = n < size - off ? n : size - off;

	__builtin_memcpy(arr + off, buf, first);
	__builtin_memcpy(arr, (const char *)buf + first, n - first);
}

/*
 * Consumer side: copies up to len bytes, advancing *cons_p unless peek.
 * Returns the bytes copied (0 when empty) or SV_BRING_EBADIDX.
 */
static inline long sv_bring_read(const char *arr, uint32_t size, uint32_t *cons_p,
				 const uint32_t *prod_p, void *buf, size_t len, bool peek)
{
	uint32_t cons = sv_bring_idx_load(cons_p);
	uint32_t prod = sv_bring_idx_load(prod_p);
	uint32_t avail = prod - cons;
	size_t n;

	if (avail > size)
		return SV_BRING_EBADIDX;
	/* Read the bytes only after seeing the producer index that covers them. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	n = avail < len ? avail : len;
	sv_bring_copy_out(arr, size, cons, buf, n);
	if (!peek && n) {
		/* Finish reading before handing the space back to the producer. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		sv_bring_idx_store(cons_p, cons + (uint32_t)n);
	}
	return (long)n;
}

/* Consumer side, after a peek that returned at least n bytes. */
static inline void sv_bring_advance(uint32_t *cons_p, size_t n)
{
	uint32_t cons = sv_bring_idx_load(cons_p);

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	sv_bring_idx_store(cons_p, cons + (uint32_t)n);
}

/*
 * Producer side: copies as much of buf as fits and publishes it. Returns the
 * bytes written (0 when full) or SV_BRING_EBADIDX.
 */
static inline long sv_bring_write(char *arr, uint32_t size, const uint32_t *cons_p,
				  uint32_t *prod_p, const void *buf, size_t len)
{
	uint32_t cons = sv_bring_idx_load(cons_p);
	uint32_t prod = sv_bring_idx_load(prod_p);
	uint32_t used = prod - cons;
	size_t n;

	if (used > size)
		return SV_BRING_EBADIDX;
	/* Do not overwrite bytes before the consumer's index said it is done with them. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	n = size - used < len ? size - used : len;
	sv_bring_copy_in(arr, size, prod, buf, n);
	if (n) {
		/* The bytes must be visible before the index that publishes them. */
		__atomic_thread_fence(__ATOMIC_RELEASE);
		sv_bring_idx_store(prod_p, prod + (uint32_t)n);
	}
	return (long)n;
}

/* Bytes waiting for the consumer, or SV_BRING_EBADIDX. */
static inline long sv_bring_used(uint32_t size, const uint32_t *cons_p, const uint32_t *prod_p)
{
	uint32_t used = sv_bring_idx_load(prod_p) - sv_bring_idx_load(cons_p);

	return used > size ? SV_BRING_EBADIDX : (long)used;
}

#endif
