/* SPDX-License-Identifier: MIT */
/*
 * The shared ring every split driver uses, in Xen's model: a 64-byte header
 * (req_prod, req_event, rsp_prod, rsp_event) and then a power-of-two array of
 * fixed-size slots, each holding a request or, later, its response. Indices
 * run free as u32 and wrap; slot = index & (entries - 1).
 *
 * The event indices suppress notifications: a producer notifies only when its
 * new index passes the consumer's event index, and a consumer about to sleep
 * sets event = cons + 1 and looks once more (the final check), so nothing is
 * missed and a busy peer is not woken per entry.
 *
 * Freestanding: used by the guest kernel and by host code alike. Driver
 * headers wrap sv_ring_slot() in typed accessors.
 */
#ifndef SPLITVISOR_RING_H
#define SPLITVISOR_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SV_RING_HDR_SIZE 64u

struct sv_ring_shared {
	uint32_t req_prod;
	uint32_t req_event;
	uint32_t rsp_prod;
	uint32_t rsp_event;
	uint8_t pad[48];
};

_Static_assert(sizeof(struct sv_ring_shared) == SV_RING_HDR_SIZE, "ring header layout");

/* Slots that fit after the header in ring_bytes, rounded down to a power of two. */
static inline uint32_t sv_ring_entries(uint32_t ring_bytes, uint32_t slot_size)
{
	uint32_t n = (ring_bytes - SV_RING_HDR_SIZE) / slot_size;
	uint32_t p = 1;

	if (ring_bytes <= SV_RING_HDR_SIZE || n == 0)
		return 0;
	while (p * 2 <= n)
		p *= 2;
	return p;
}

static inline void *sv_ring_slot(struct sv_ring_shared *s, uint32_t entries, uint32_t slot_size,
				 uint32_t idx)
{
	return (uint8_t *)s + SV_RING_HDR_SIZE + (size_t)(idx & (entries - 1)) * slot_size;
}

/* The frontend (re)initialises the page: producers 0, event indices 1. */
static inline void sv_ring_shared_init(struct sv_ring_shared *s)
{
	__atomic_store_n(&s->req_prod, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->rsp_prod, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->req_event, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&s->rsp_event, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* True when moving a producer from old to new passes the peer's event index. */
static inline bool sv_ring_need_notify(uint32_t old, uint32_t new_idx, uint32_t event)
{
	return (uint32_t)(new_idx - event) < (uint32_t)(new_idx - old);
}

/* ---- frontend: produces requests, consumes responses ---- */

struct sv_front_ring {
	struct sv_ring_shared *s;
	uint32_t entries, slot_size;
	uint32_t req_prod_pvt; /* requests written but maybe not pushed */
	uint32_t rsp_cons;
};

static inline void sv_front_ring_init(struct sv_front_ring *r, struct sv_ring_shared *s,
				      uint32_t ring_bytes, uint32_t slot_size)
{
	r->s = s;
	r->slot_size = slot_size;
	r->entries = sv_ring_entries(ring_bytes, slot_size);
	r->req_prod_pvt = 0;
	r->rsp_cons = 0;
	sv_ring_shared_init(s);
}

static inline uint32_t sv_front_free_slots(const struct sv_front_ring *r)
{
	return r->entries - (r->req_prod_pvt - r->rsp_cons);
}

static inline void *sv_front_next_req(struct sv_front_ring *r)
{
	return sv_ring_slot(r->s, r->entries, r->slot_size, r->req_prod_pvt++);
}

/* Publishes the private requests; true when the backend must be notified. */
static inline bool sv_front_push_requests(struct sv_front_ring *r)
{
	uint32_t old = r->s->req_prod, new_idx = r->req_prod_pvt;

	__atomic_store_n(&r->s->req_prod, new_idx, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return sv_ring_need_notify(old, new_idx,
				   __atomic_load_n(&r->s->req_event, __ATOMIC_RELAXED));
}

/* Responses waiting, read with acquire so their contents are visible. */
static inline uint32_t sv_front_unconsumed(const struct sv_front_ring *r)
{
	return __atomic_load_n(&r->s->rsp_prod, __ATOMIC_ACQUIRE) - r->rsp_cons;
}

static inline void *sv_front_rsp(struct sv_front_ring *r, uint32_t idx)
{
	return sv_ring_slot(r->s, r->entries, r->slot_size, idx);
}

/* Before sleeping: asks for a notification at the next response, then looks again. */
static inline bool sv_front_final_check(struct sv_front_ring *r)
{
	if (sv_front_unconsumed(r))
		return true;
	__atomic_store_n(&r->s->rsp_event, r->rsp_cons + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return sv_front_unconsumed(r) != 0;
}

/* ---- backend: consumes requests, produces responses ---- */

struct sv_back_ring {
	struct sv_ring_shared *s;
	uint32_t entries, slot_size;
	uint32_t rsp_prod_pvt;
	uint32_t req_cons;
};

static inline void sv_back_ring_init(struct sv_back_ring *r, struct sv_ring_shared *s,
				     uint32_t ring_bytes, uint32_t slot_size)
{
	r->s = s;
	r->slot_size = slot_size;
	r->entries = sv_ring_entries(ring_bytes, slot_size);
	r->rsp_prod_pvt = 0;
	r->req_cons = 0;
}

/*
 * Reads the frontend's request producer once. A producer more than a ring
 * ahead of the responses we made is a broken or hostile peer (-EPROTO): the
 * caller disconnects instead of looping over garbage (XSA-39).
 */
static inline int sv_back_req_prod(const struct sv_back_ring *r, uint32_t *prod)
{
	uint32_t p = __atomic_load_n(&r->s->req_prod, __ATOMIC_ACQUIRE);

	if ((uint32_t)(p - r->rsp_prod_pvt) > r->entries ||
	    (uint32_t)(p - r->req_cons) > r->entries)
		return -71; /* EPROTO, without errno.h in freestanding builds */
	*prod = p;
	return 0;
}

static inline void *sv_back_req(struct sv_back_ring *r, uint32_t idx)
{
	return sv_ring_slot(r->s, r->entries, r->slot_size, idx);
}

static inline void *sv_back_next_rsp(struct sv_back_ring *r)
{
	return sv_ring_slot(r->s, r->entries, r->slot_size, r->rsp_prod_pvt++);
}

/* Publishes the private responses; true when the frontend must be notified. */
static inline bool sv_back_push_responses(struct sv_back_ring *r)
{
	uint32_t old = r->s->rsp_prod, new_idx = r->rsp_prod_pvt;

	__atomic_store_n(&r->s->rsp_prod, new_idx, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return sv_ring_need_notify(old, new_idx,
				   __atomic_load_n(&r->s->rsp_event, __ATOMIC_RELAXED));
}

/*
 * Before sleeping: asks for a notification at the next request and looks
 * again. True when requests are waiting (or the producer is broken, which the
 * next sv_back_req_prod reports).
 */
static inline bool sv_back_final_check(struct sv_back_ring *r)
{
	if (__atomic_load_n(&r->s->req_prod, __ATOMIC_ACQUIRE) != r->req_cons)
		return true;
	__atomic_store_n(&r->s->req_event, r->req_cons + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&r->s->req_prod, __ATOMIC_ACQUIRE) != r->req_cons;
}

#endif
