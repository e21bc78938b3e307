// SPDX-License-Identifier: MIT
/*
 * The learning switch on its own: ports are capture functions and time is
 * whatever the test says. Learning, forwarding to the learned port only,
 * flooding unknown unicast, broadcast and multicast, never back to the input
 * port, aging, the table's bound under a flood of random source addresses
 * (the oldest go, a station that keeps talking stays), and port removal.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net_switch.h"

#define SEC 1000000000ull

struct cap {
	uint32_t frames;
	size_t last_len;
	uint8_t last[64];
};

static void cap_tx(void *arg, const uint8_t *frame, size_t len)
{
	struct cap *c = arg;

	c->frames++;
	c->last_len = len;
	memcpy(c->last, frame, len < sizeof(c->last) ? len : sizeof(c->last));
}

static const uint8_t MA[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0a };
static const uint8_t MB[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0b };
static const uint8_t MC[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0c };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MCAST[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
static const uint8_t ZERO[6];

/* A switch with three capturing ports a, b, c. */
struct rig {
	struct net_switch *sw;
	struct cap cap[3];
	uint32_t port[3];
};

static void rig_init(struct rig *r, const struct net_switch_config *cfg)
{
	uint32_t i;

	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(net_switch_create(&r->sw, cfg), 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(net_switch_add_port(r->sw, cap_tx, &r->cap[i], &r->port[i]), 0);
		ck_assert_uint_ne(r->port[i], 0);
	}
}

/* Sends a 60-byte frame dst <- src into the port of index in. */
static void rig_send(struct rig *r, uint32_t in, const uint8_t *dst, const uint8_t *src,
		     uint64_t now)
{
	uint8_t f[60] = { 0 };

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	net_switch_input(r->sw, r->port[in], f, sizeof(f), now);
}

/* Asserts how many frames each port got since the last call, and resets the counts. */
static void expect_out(struct rig *r, uint32_t a, uint32_t b, uint32_t c)
{
	ck_assert_uint_eq(r->cap[0].frames, a);
	ck_assert_uint_eq(r->cap[1].frames, b);
	ck_assert_uint_eq(r->cap[2].frames, c);
	r->cap[0].frames = r->cap[1].frames = r->cap[2].frames = 0;
}

static struct net_switch_stats sstats(struct rig *r)
{
	struct net_switch_stats s;

	net_switch_get_stats(r->sw, &s);
	return s;
}

static int lookup(struct rig *r, const uint8_t *mac, uint64_t now, uint32_t *port)
{
	return net_switch_lookup(r->sw, mac, now, port);
}

START_TEST(learns_and_forwards)
{
	struct rig r;
	uint32_t port;

	rig_init(&r, NULL);
	/* b is unknown: flooded to b and c, never back to a; a is learned. */
	rig_send(&r, 0, MB, MA, 0);
	expect_out(&r, 0, 1, 1);
	ck_assert_int_eq(lookup(&r, MA, 0, &port), 0);
	ck_assert_uint_eq(port, r.port[0]);
	ck_assert_int_eq(lookup(&r, MB, 0, &port), -ENOENT);
	/* The reply goes to a alone, and b is learned from it. */
	rig_send(&r, 1, MA, MB, 1);
	expect_out(&r, 1, 0, 0);
	ck_assert_mem_eq(r.cap[0].last + 6, MB, 6);
	rig_send(&r, 0, MB, MA, 2);
	expect_out(&r, 0, 1, 0);
	rig_send(&r, 2, MB, MC, 3);
	expect_out(&r, 0, 1, 0);
	ck_assert_uint_eq(net_switch_nr_entries(r.sw), 3);
	ck_assert_uint_eq(sstats(&r).forwarded, 3);
	ck_assert_uint_eq(sstats(&r).flooded, 1);
	ck_assert_uint_eq(sstats(&r).learned, 3);
	/* a moves behind port c. */
	rig_send(&r, 2, BCAST, MA, 4);
	expect_out(&r, 1, 1, 0);
	ck_assert_int_eq(lookup(&r, MA, 4, &port), 0);
	ck_assert_uint_eq(port, r.port[2]);
	ck_assert_uint_eq(sstats(&r).moved, 1);
	net_switch_destroy(r.sw);
}
END_TEST

START_TEST(floods_group_addresses)
{
	struct rig r;
	uint32_t port;

	rig_init(&r, NULL);
	rig_send(&r, 1, MA, MB, 0); /* so that a is not what is flooded */
	expect_out(&r, 1, 0, 1);
	rig_send(&r, 0, BCAST, MA, 0);
	expect_out(&r, 0, 1, 1);
	rig_send(&r, 1, MCAST, MB, 0);
	expect_out(&r, 1, 0, 1);
	ck_assert_uint_eq(sstats(&r).flooded, 3);
	/* A group or all-zero source is nobody's address: not learned, still forwarded. */
	rig_send(&r, 2, MB, MCAST, 0);
	expect_out(&r, 0, 1, 0);
	rig_send(&r, 2, MB, ZERO, 0);
	expect_out(&r, 0, 1, 0);
	ck_assert_int_eq(lookup(&r, MCAST, 0, &port), -ENOENT);
	ck_assert_int_eq(lookup(&r, ZERO, 0, &port), -ENOENT);
	ck_assert_uint_eq(net_switch_nr_entries(r.sw), 2);
	net_switch_destroy(r.sw);
}
END_TEST

START_TEST(never_back_to_input)
{
	uint8_t runt[13] = { 0 };
	struct rig r;

	rig_init(&r, NULL);
	/* To itself: learned on a, destination on a, dropped. */
	rig_send(&r, 0, MA, MA, 0);
	expect_out(&r, 0, 0, 0);
	/* b learned on b; another station behind b sending to b: dropped too. */
	rig_send(&r, 1, BCAST, MB, 0);
	expect_out(&r, 1, 0, 1);
	rig_send(&r, 1, MB, MC, 0);
	expect_out(&r, 0, 0, 0);
	ck_assert_uint_eq(sstats(&r).dropped_to_self, 2);
	/* Runts and unknown ports. */
	net_switch_input(r.sw, r.port[0], runt, sizeof(runt), 0);
	net_switch_input(r.sw, r.port[0], runt, 0, 0);
	net_switch_input(r.sw, 0, runt, sizeof(runt), 0);
	net_switch_input(r.sw, 12345, runt, sizeof(runt), 0);
	expect_out(&r, 0, 0, 0);
	ck_assert_uint_eq(sstats(&r).dropped_runt, 2);
	ck_assert_uint_eq(sstats(&r).dropped_bad_port, 2);
	net_switch_destroy(r.sw);
}
END_TEST

START_TEST(entries_age_out)
{
	struct net_switch_config cfg = { .aging_ns = 10 * SEC };
	struct rig r;
	uint32_t port;

	rig_init(&r, &cfg);
	rig_send(&r, 0, BCAST, MA, 0);
	rig_send(&r, 1, BCAST, MB, 0);
	expect_out(&r, 1, 1, 2);
	rig_send(&r, 2, MA, MC, 9 * SEC);
	expect_out(&r, 1, 0, 0);
	/* b talks again at 9 s; a does not. At 10 s a is gone, b is not. */
	rig_send(&r, 1, BCAST, MB, 9 * SEC);
	expect_out(&r, 1, 0, 1);
	ck_assert_int_eq(lookup(&r, MA, 10 * SEC - 1, &port), 0);
	ck_assert_int_eq(lookup(&r, MA, 10 * SEC, &port), -ENOENT);
	rig_send(&r, 2, MA, MC, 10 * SEC);
	expect_out(&r, 1, 1, 0); /* flooded */
	rig_send(&r, 2, MB, MC, 18 * SEC);
	expect_out(&r, 0, 1, 0);
	ck_assert_uint_eq(sstats(&r).aged, 1);
	ck_assert_uint_eq(net_switch_nr_entries(r.sw), 2);
	/* The default is 300 s; the setter changes it for what is already learned too. */
	net_switch_set_aging(r.sw, 0);
	ck_assert_int_eq(lookup(&r, MB, 300 * SEC, &port), 0);
	ck_assert_int_eq(lookup(&r, MB, 309 * SEC, &port), -ENOENT);
	/* At 1 s, b (9 s) and c (18 s) are old by 20 s: c is unknown again, a is learned. */
	net_switch_set_aging(r.sw, SEC);
	rig_send(&r, 0, MC, MA, 20 * SEC);
	expect_out(&r, 0, 1, 1);
	ck_assert_uint_eq(net_switch_nr_entries(r.sw), 1);
	ck_assert_uint_eq(sstats(&r).aged, 3);
	net_switch_destroy(r.sw);
}
END_TEST

/*
 * A guest sending from random source addresses: the table stays at its
 * bound, the oldest entries go, and a station that keeps talking stays.
 */
START_TEST(table_is_bounded)
{
	struct net_switch_config cfg = { .hash_seed = 0x1234 };
	uint64_t rng = 88172645463325252ull, i, flood = 200000;
	uint8_t src[6];
	struct rig r;
	uint32_t port;

	rig_init(&r, &cfg);
	for (i = 0; i < flood; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		memcpy(src, &rng, 6);
		src[0] &= 0xfe; /* unicast */
		rig_send(&r, 0, MC, src, i);
		if (i % 100 == 0)
			rig_send(&r, 1, MC, MB, i);
		ck_assert_uint_le(net_switch_nr_entries(r.sw), NET_SWITCH_MAX_ENTRIES_DEFAULT);
	}
	ck_assert_uint_eq(net_switch_nr_entries(r.sw), NET_SWITCH_MAX_ENTRIES_DEFAULT);
	ck_assert_uint_eq(sstats(&r).evictions,
			  sstats(&r).learned - NET_SWITCH_MAX_ENTRIES_DEFAULT);
	ck_assert_uint_ge(sstats(&r).evictions, flood - 2 * NET_SWITCH_MAX_ENTRIES_DEFAULT);
	ck_assert_int_eq(lookup(&r, MB, flood, &port), 0);
	ck_assert_uint_eq(port, r.port[1]);
	ck_assert_int_eq(lookup(&r, src, flood, &port), 0); /* the newest */
	ck_assert_uint_eq(port, r.port[0]);
	net_switch_destroy(r.sw);
}
END_TEST

START_TEST(port_removal_forgets)
{
	struct rig r;
	uint32_t port, old_a, i, ids[NET_SWITCH_MAX_PORTS];
	struct cap extra;

	rig_init(&r, NULL);
	rig_send(&r, 0, BCAST, MA, 0);
	rig_send(&r, 0, BCAST, MC, 0); /* two stations behind a */
	rig_send(&r, 1, BCAST, MB, 0);
	expect_out(&r, 1, 2, 3);
	old_a = r.port[0];
	ck_assert_int_eq(net_switch_del_port(r.sw, old_a), 0);
	ck_assert_int_eq(net_switch_del_port(r.sw, old_a), -ENOENT);
	ck_assert_uint_eq(net_switch_nr_entries(r.sw), 1);
	ck_assert_int_eq(lookup(&r, MA, 0, &port), -ENOENT);
	ck_assert_int_eq(lookup(&r, MC, 0, &port), -ENOENT);
	ck_assert_int_eq(lookup(&r, MB, 0, &port), 0);
	/* To a now floods to who is left; the old id is no port. */
	rig_send(&r, 1, MA, MB, 0);
	expect_out(&r, 0, 0, 1);
	rig_send(&r, 0, BCAST, MA, 0);
	expect_out(&r, 0, 0, 0);
	ck_assert_uint_eq(sstats(&r).dropped_bad_port, 1);
	/* A new port takes the slot under a new id. */
	ck_assert_int_eq(net_switch_add_port(r.sw, cap_tx, &r.cap[0], &r.port[0]), 0);
	ck_assert_uint_ne(r.port[0], old_a);
	net_switch_input(r.sw, old_a, r.cap[1].last, 60, 0);
	ck_assert_uint_eq(sstats(&r).dropped_bad_port, 2);
	rig_send(&r, 0, BCAST, MA, 0);
	expect_out(&r, 0, 1, 1);
	/* Ports are bounded too. */
	for (i = 3; i < NET_SWITCH_MAX_PORTS; i++)
		ck_assert_int_eq(net_switch_add_port(r.sw, cap_tx, &extra, &ids[i]), 0);
	ck_assert_int_eq(net_switch_add_port(r.sw, cap_tx, &extra, &port), -ENOSPC);
	ck_assert_int_eq(net_switch_del_port(r.sw, ids[100]), 0);
	ck_assert_int_eq(net_switch_add_port(r.sw, cap_tx, &extra, &port), 0);
	net_switch_destroy(r.sw);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("net_switch");
	TCase *tc = tcase_create("basic");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, learns_and_forwards);
	tcase_add_test(tc, floods_group_addresses);
	tcase_add_test(tc, never_back_to_input);
	tcase_add_test(tc, entries_age_out);
	tcase_add_test(tc, table_is_bounded);
	tcase_add_test(tc, port_removal_forgets);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
