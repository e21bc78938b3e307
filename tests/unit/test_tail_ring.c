// SPDX-License-Identifier: MIT
/* The console tail ring: keeps the newest bytes, counts what it drops, wraps correctly. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tail_ring.h"

static char storage[8];

static struct tail_ring ring(void)
{
	memset(storage, '?', sizeof(storage));
	return (struct tail_ring){ .buf = storage, .cap = sizeof(storage) };
}

static void expect(struct tail_ring *r, const char *want)
{
	char out[16] = { 0 };

	ck_assert_uint_eq(tail_ring_take(r, out, sizeof(out)), strlen(want));
	ck_assert_str_eq(out, want);
	ck_assert_uint_eq(r->len, 0);
}

START_TEST(keeps_bytes_in_order)
{
	struct tail_ring r = ring();

	ck_assert_uint_eq(tail_ring_put(&r, "abc", 3), 0);
	ck_assert_uint_eq(tail_ring_put(&r, "de", 2), 0);
	expect(&r, "abcde");
}
END_TEST

START_TEST(drops_the_oldest_and_counts)
{
	struct tail_ring r = ring();

	ck_assert_uint_eq(tail_ring_put(&r, "abcdef", 6), 0);
	ck_assert_uint_eq(tail_ring_put(&r, "ghij", 4), 2);
	expect(&r, "cdefghij");
	/* One write larger than the ring keeps its own tail. */
	ck_assert_uint_eq(tail_ring_put(&r, "0123456789AB", 12), 4);
	expect(&r, "456789AB");
	/* Longer than the ring with old bytes in it: both parts are counted. */
	ck_assert_uint_eq(tail_ring_put(&r, "xyz", 3), 0);
	ck_assert_uint_eq(tail_ring_put(&r, "0123456789", 10), 5);
	expect(&r, "23456789");
}
END_TEST

START_TEST(span_and_partial_take_across_the_wrap)
{
	struct tail_ring r = ring();
	const char *p;
	char out[4] = { 0 };

	tail_ring_put(&r, "abcdef", 6);
	ck_assert_uint_eq(tail_ring_take(&r, out, 3), 3);
	ck_assert_str_eq(out, "abc");
	tail_ring_put(&r, "ghijk", 5); /* def + ghijk: wraps after 'h' */
	ck_assert_uint_eq(tail_ring_span(&r, 0, &p), 5);
	ck_assert_int_eq(memcmp(p, "defgh", 5), 0);
	ck_assert_uint_eq(tail_ring_span(&r, 5, &p), 3);
	ck_assert_int_eq(memcmp(p, "ijk", 3), 0);
	ck_assert_uint_eq(tail_ring_span(&r, 8, &p), 0);
	expect(&r, "defghijk");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tail_ring");
	TCase *tc = tcase_create("ring");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, keeps_bytes_in_order);
	tcase_add_test(tc, drops_the_oldest_and_counts);
	tcase_add_test(tc, span_and_partial_take_across_the_wrap);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
