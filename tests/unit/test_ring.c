// SPDX-License-Identifier: MIT
/*
 * The generic shared ring on its own: requests and responses flow through,
 * notifications are asked for only when the peer's event index is passed,
 * the final check catches what arrived while arming it, indices wrap past
 * 2^32, and a backend refuses a request producer that ran ahead.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <splitvisor/ring.h>

#define RING_BYTES 4096u
#define SLOT_SIZE  112u /* blkif's: 32 slots per page */

struct slot {
	uint32_t val;
	uint8_t pad[SLOT_SIZE - 4];
};

_Static_assert(sizeof(struct slot) == SLOT_SIZE, "test slot size");

static union {
	struct sv_ring_shared s;
	uint8_t bytes[RING_BYTES];
} page;

static struct sv_front_ring fr;
static struct sv_back_ring br;

static void setup(void)
{
	memset(&page, 0xa5, sizeof(page));
	sv_front_ring_init(&fr, &page.s, RING_BYTES, SLOT_SIZE);
	sv_back_ring_init(&br, &page.s, RING_BYTES, SLOT_SIZE);
}

/* Moves every private index (and the shared producers) to start, as if after a long run. */
static void start_at(uint32_t start)
{
	fr.req_prod_pvt = fr.rsp_cons = start;
	br.req_cons = br.rsp_prod_pvt = start;
	page.s.req_prod = page.s.rsp_prod = start;
	page.s.req_event = page.s.rsp_event = start + 1;
}

static void front_put(uint32_t val)
{
	struct slot *sl = sv_front_next_req(&fr);

	sl->val = val;
}

/* The backend takes every request and answers each with val + 1000. */
static uint32_t back_serve(void)
{
	uint32_t prod, n = 0;

	ck_assert_int_eq(sv_back_req_prod(&br, &prod), 0);
	while (br.req_cons != prod) {
		struct slot req, *rsp;

		memcpy(&req, sv_back_req(&br, br.req_cons++), sizeof(req));
		rsp = sv_back_next_rsp(&br);
		rsp->val = req.val + 1000;
		n++;
	}
	return n;
}

static uint32_t front_take(uint32_t *vals, uint32_t max)
{
	uint32_t n = 0;

	while (sv_front_unconsumed(&fr) && n < max) {
		struct slot *sl = sv_front_rsp(&fr, fr.rsp_cons++);

		vals[n++] = sl->val;
	}
	return n;
}

START_TEST(entries_power_of_two)
{
	ck_assert_uint_eq(sv_ring_entries(4096, 112), 32);
	ck_assert_uint_eq(sv_ring_entries(4 * 4096, 112), 128);
	ck_assert_uint_eq(sv_ring_entries(4096, 12), 256);
	ck_assert_uint_eq(sv_ring_entries(4096, 8), 256);
	ck_assert_uint_eq(sv_ring_entries(64, 8), 0);
	ck_assert_uint_eq(sv_ring_entries(100, 112), 0);
	ck_assert_uint_eq(fr.entries, 32);
	ck_assert_uint_eq(page.s.req_prod, 0);
	ck_assert_uint_eq(page.s.req_event, 1);
	ck_assert_uint_eq(page.s.rsp_event, 1);
}
END_TEST

START_TEST(push_and_consume)
{
	uint32_t got[64];

	ck_assert_uint_eq(sv_front_free_slots(&fr), 32);
	for (uint32_t i = 0; i < 5; i++)
		front_put(i);
	ck_assert_uint_eq(sv_front_free_slots(&fr), 27);
	/* Not yet pushed: the backend sees nothing. */
	ck_assert_uint_eq(back_serve(), 0);
	ck_assert(sv_front_push_requests(&fr));
	ck_assert_uint_eq(back_serve(), 5);
	ck_assert_uint_eq(sv_front_unconsumed(&fr), 0); /* responses not pushed yet */
	ck_assert(sv_back_push_responses(&br));
	ck_assert_uint_eq(front_take(got, 64), 5);
	for (uint32_t i = 0; i < 5; i++)
		ck_assert_uint_eq(got[i], i + 1000);
	ck_assert_uint_eq(sv_front_free_slots(&fr), 32);
}
END_TEST

START_TEST(full_ring)
{
	for (uint32_t i = 0; i < 32; i++)
		front_put(i);
	ck_assert_uint_eq(sv_front_free_slots(&fr), 0);
	sv_front_push_requests(&fr);
	ck_assert_uint_eq(back_serve(), 32);
	sv_back_push_responses(&br);
	/* Slots come back only once the responses are consumed. */
	ck_assert_uint_eq(sv_front_free_slots(&fr), 0);
	fr.rsp_cons += 32;
	ck_assert_uint_eq(sv_front_free_slots(&fr), 32);
}
END_TEST

START_TEST(notify_only_past_event)
{
	ck_assert(sv_ring_need_notify(0, 1, 1));
	ck_assert(sv_ring_need_notify(0, 5, 3));
	ck_assert(!sv_ring_need_notify(5, 9, 3)); /* the event was passed before */
	ck_assert(!sv_ring_need_notify(5, 5, 6)); /* nothing new */
	ck_assert(sv_ring_need_notify(5, 6, 6));
	ck_assert(!sv_ring_need_notify(5, 6, 7)); /* not reached yet */
	/* Across the wrap. */
	ck_assert(sv_ring_need_notify(UINT32_MAX - 1, 2, 0));
	ck_assert(sv_ring_need_notify(UINT32_MAX - 1, 2, UINT32_MAX));
	ck_assert(!sv_ring_need_notify(UINT32_MAX - 1, 2, 3));

	/* A busy backend that has not re-armed is not woken again. */
	front_put(1);
	ck_assert(sv_front_push_requests(&fr)); /* req_event 1 */
	front_put(2);
	ck_assert(!sv_front_push_requests(&fr));
	ck_assert_uint_eq(back_serve(), 2);
	ck_assert(!sv_back_final_check(&br)); /* arms req_event = 3 */
	ck_assert_uint_eq(page.s.req_event, 3);
	front_put(3);
	ck_assert(sv_front_push_requests(&fr));
	/* A backend that asked for batches (event further ahead) gets one kick. */
	page.s.req_event = 6;
	front_put(4);
	ck_assert(!sv_front_push_requests(&fr)); /* prod 4 */
	front_put(5);
	front_put(6);
	ck_assert(sv_front_push_requests(&fr)); /* 4 -> 6 passes 6 */
}
END_TEST

START_TEST(final_check_catches_late_work)
{
	/* Nothing waiting: arms rsp_event = cons + 1 and says sleep. */
	ck_assert(!sv_front_final_check(&fr));
	ck_assert_uint_eq(page.s.rsp_event, 1);
	front_put(7);
	sv_front_push_requests(&fr);
	back_serve();
	ck_assert(sv_back_push_responses(&br)); /* 0 -> 1 passes rsp_event 1 */
	ck_assert(sv_front_final_check(&fr));	/* work is there: do not sleep */
	fr.rsp_cons++;
	ck_assert(!sv_front_final_check(&fr));
	ck_assert_uint_eq(page.s.rsp_event, 2);

	/* Backend side: a request that lands before the re-check is seen. */
	ck_assert(!sv_back_final_check(&br));
	ck_assert_uint_eq(page.s.req_event, 2);
	front_put(8);
	ck_assert(sv_front_push_requests(&fr));
	ck_assert(sv_back_final_check(&br));
}
END_TEST

START_TEST(wraps_past_2_32)
{
	uint32_t got[64], total = 0;

	start_at(UINT32_MAX - 40);
	/* Three rounds of 20: the indices cross 2^32 in the middle. */
	for (uint32_t round = 0; round < 3; round++) {
		for (uint32_t i = 0; i < 20; i++)
			front_put(round * 100 + i);
		ck_assert_uint_eq(sv_front_free_slots(&fr), 12);
		sv_front_push_requests(&fr);
		ck_assert_uint_eq(back_serve(), 20);
		sv_back_push_responses(&br);
		ck_assert_uint_eq(sv_front_unconsumed(&fr), 20);
		ck_assert_uint_eq(front_take(got, 64), 20);
		for (uint32_t i = 0; i < 20; i++)
			ck_assert_uint_eq(got[i], round * 100 + i + 1000);
		total += 20;
		ck_assert(!sv_front_final_check(&fr));
		ck_assert(!sv_back_final_check(&br));
	}
	ck_assert_uint_eq(fr.req_prod_pvt, (uint32_t)(UINT32_MAX - 40 + total));
	ck_assert_uint_lt(fr.req_prod_pvt, 100); /* it did wrap */
	ck_assert_uint_eq(sv_front_free_slots(&fr), 32);
}
END_TEST

START_TEST(notify_across_wrap)
{
	start_at(UINT32_MAX);
	/* req_event = 0 (UINT32_MAX + 1); producing one request passes it. */
	front_put(1);
	ck_assert(sv_front_push_requests(&fr));
	ck_assert_uint_eq(page.s.req_prod, 0);
	ck_assert_uint_eq(back_serve(), 1);
	ck_assert(sv_back_push_responses(&br));
	ck_assert(sv_front_final_check(&fr));
}
END_TEST

START_TEST(back_refuses_runaway_producer)
{
	uint32_t prod = 0;

	start_at(UINT32_MAX - 3);
	page.s.req_prod = UINT32_MAX - 3 + 32; /* a full ring: fine */
	ck_assert_int_eq(sv_back_req_prod(&br, &prod), 0);
	ck_assert_uint_eq(prod, UINT32_MAX - 3 + 32);
	page.s.req_prod = UINT32_MAX - 3 + 33; /* one more than fits */
	ck_assert_int_eq(sv_back_req_prod(&br, &prod), -71);
	page.s.req_prod = UINT32_MAX - 10; /* behind the consumer: looks like ~2^32 ahead */
	ck_assert_int_eq(sv_back_req_prod(&br, &prod), -71);
	/* Consumed but unanswered requests count too: the ring holds 32 at most. */
	page.s.req_prod = UINT32_MAX - 3 + 20;
	ck_assert_int_eq(sv_back_req_prod(&br, &prod), 0);
	br.req_cons = prod;
	page.s.req_prod = prod + 13;
	ck_assert_int_eq(sv_back_req_prod(&br, &prod), -71);
	page.s.req_prod = UINT32_MAX - 3 + 32;
	ck_assert_int_eq(sv_back_req_prod(&br, &prod), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("ring");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, entries_power_of_two);
	tcase_add_test(tc, push_and_consume);
	tcase_add_test(tc, full_ring);
	tcase_add_test(tc, notify_only_past_event);
	tcase_add_test(tc, final_check_catches_late_work);
	tcase_add_test(tc, wraps_past_2_32);
	tcase_add_test(tc, notify_across_wrap);
	tcase_add_test(tc, back_refuses_runaway_producer);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
