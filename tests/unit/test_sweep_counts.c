// SPDX-License-Identifier: MIT
/*
 * A sweep's counts per request or frame (sweep_counts.h): a domain's list
 * entry and its devices' counters summed, differences over units, and the
 * hostile cases that must give no figure (NaN) rather than a wrong one: a
 * counter that went back, a domain no longer running, a kernel without KVM's
 * exit count, a device a driver domain serves, no units.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sweep_counts.h"

static struct sv_ctl_dominfo dom(uint64_t exits, uint64_t hcalls, uint64_t notifies)
{
	struct sv_ctl_dominfo d;

	memset(&d, 0, sizeof(d));
	d.state = SV_CTL_STATE_RUNNING;
	d.stat_flags = SV_CTL_INFO_EXITS;
	d.exits = exits;
	d.hypercalls = hcalls;
	d.notifies = notifies;
	return d;
}

static struct sv_ts_dev_stats dev(uint64_t syscalls, uint64_t grant_ops, uint64_t events)
{
	struct sv_ts_dev_stats s;

	memset(&s, 0, sizeof(s));
	s.syscalls = syscalls;
	s.grant_ops = grant_ops;
	s.notifications = events;
	return s;
}

START_TEST(counts_sum_the_devices_and_divide_the_difference)
{
	struct sv_ctl_dominfo d0 = dom(1000, 50, 10), d1 = dom(5000, 250, 410);
	struct sv_ts_dev_stats a[2] = { dev(10, 100, 5), dev(1, 2, 0) };
	struct sv_ts_dev_stats b[2] = { dev(210, 500, 105), dev(11, 2, 0) };
	struct sweep_counts x, y;

	sweep_counts_from(&d0, a, 2, &x);
	sweep_counts_from(&d1, b, 2, &y);
	ck_assert(x.running && x.exits_ok && x.backend_ok);
	ck_assert_uint_eq(x.syscalls, 11);
	ck_assert_uint_eq(y.grant_ops, 502);
	ck_assert_double_eq_tol(sweep_counts_per(&x, &y, SWEEP_EXITS, 200), 20.0, 1e-9);
	ck_assert_double_eq_tol(sweep_counts_per(&x, &y, SWEEP_HYPERCALLS, 200), 1.0, 1e-9);
	ck_assert_double_eq_tol(sweep_counts_per(&x, &y, SWEEP_NOTIFIES, 200), 2.0, 1e-9);
	ck_assert_double_eq_tol(sweep_counts_per(&x, &y, SWEEP_SYSCALLS, 200), 1.05, 1e-9);
	ck_assert_double_eq_tol(sweep_counts_per(&x, &y, SWEEP_GRANT_OPS, 200), 2.0, 1e-9);
	ck_assert_double_eq_tol(sweep_counts_per(&x, &y, SWEEP_BE_EVENTS, 200), 0.5, 1e-9);
	/* No change is a count of zero, not a missing one. */
	ck_assert_double_eq(sweep_counts_per(&x, &x, SWEEP_EXITS, 10), 0.0);
}
END_TEST

START_TEST(two_guests_add_up_and_share_their_flags)
{
	struct sv_ctl_dominfo d = dom(100, 10, 1);
	struct sv_ts_dev_stats s = dev(7, 3, 2), remote = dev(0, 0, 0);
	struct sweep_counts x, y;

	remote.flags = SV_TS_DEV_REMOTE;
	sweep_counts_from(&d, &s, 1, &x);
	sweep_counts_from(&d, &s, 1, &y);
	sweep_counts_add(&x, &y);
	ck_assert_uint_eq(x.exits, 200);
	ck_assert_uint_eq(x.syscalls, 14);
	ck_assert(x.backend_ok && x.exits_ok);
	/* A second guest whose device a driver domain serves: no backend count for the pair. */
	sweep_counts_from(&d, &remote, 1, &y);
	sweep_counts_add(&x, &y);
	ck_assert(!x.backend_ok);
	ck_assert(x.exits_ok);
}
END_TEST

START_TEST(hostile_counts_give_no_figure)
{
	struct sv_ctl_dominfo d0 = dom(1000, 50, 10), d1 = dom(900, 60, 20);
	struct sv_ts_dev_stats a = dev(10, 10, 10), b = dev(20, 20, 20);
	struct sweep_counts x, y, z;

	sweep_counts_from(&d0, &a, 1, &x);
	sweep_counts_from(&d1, &b, 1, &y);
	/* exits went back: another domain (or a reset) since, not -0.5 per request. */
	ck_assert(isnan(sweep_counts_per(&x, &y, SWEEP_EXITS, 200)));
	ck_assert(!isnan(sweep_counts_per(&x, &y, SWEEP_HYPERCALLS, 200)));
	/* No units, negative, NaN or infinite ones. */
	ck_assert(isnan(sweep_counts_per(&x, &y, SWEEP_SYSCALLS, 0)));
	ck_assert(isnan(sweep_counts_per(&x, &y, SWEEP_SYSCALLS, -3)));
	ck_assert(isnan(sweep_counts_per(&x, &y, SWEEP_SYSCALLS, NAN)));
	ck_assert(isnan(sweep_counts_per(&x, &y, SWEEP_SYSCALLS, INFINITY)));
	/* A kernel without binary statistics: exits unknown, the rest still counted. */
	d1 = dom(5000, 60, 20);
	d1.stat_flags = 0;
	sweep_counts_from(&d1, &b, 1, &z);
	ck_assert(isnan(sweep_counts_per(&x, &z, SWEEP_EXITS, 200)));
	ck_assert(!isnan(sweep_counts_per(&x, &z, SWEEP_HYPERCALLS, 200)));
	/* A domain that ended: the core reports zeros, which are no counts. */
	d1 = dom(0, 0, 0);
	d1.state = SV_CTL_STATE_SHUTDOWN;
	sweep_counts_from(&d1, &b, 1, &z);
	ck_assert(!z.running && !z.exits_ok);
	ck_assert(isnan(sweep_counts_per(&x, &z, SWEEP_HYPERCALLS, 200)));
	ck_assert(isnan(sweep_counts_per(&x, &z, SWEEP_EXITS, 200)));
	/* No devices: no backend count, not zero per request. */
	sweep_counts_from(&d0, NULL, 0, &z);
	ck_assert(!z.backend_ok);
	ck_assert(isnan(sweep_counts_per(&z, &z, SWEEP_SYSCALLS, 10)));
	/* A kind that does not exist. */
	ck_assert(isnan(sweep_counts_per(&x, &x, (enum sweep_count_kind)99, 10)));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sweep_counts");
	TCase *tc = tcase_create("counts");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, counts_sum_the_devices_and_divide_the_difference);
	tcase_add_test(tc, two_guests_add_up_and_share_their_flags);
	tcase_add_test(tc, hostile_counts_give_no_figure);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
