// SPDX-License-Identifier: MIT
/*
 * Per-domain limits from <controller type='xenbus' maxGrantFrames maxEventChannels>: a grant
 * table larger than the domain's limit and event channels past its port limit are refused,
 * through the same hypercalls a guest makes, and the limits are what query_size reports.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include <splitvisor/event_channel.h>
#include <splitvisor/grant_table.h>
#include <splitvisor/start_info.h>

#include "evtchn.h"
#include "grant_table.h"
#include "hypercall.h"

#define RAM_SIZE (1u << 20)
#define ARG_GPA	 0x11000u
#define PAGE	 4096u

static struct guest_mem mem;
static struct gnttab gt;
static const struct hcall_ops no_ops;
static struct hcall_env env = { .mem = &mem, .nr_vcpus = 1, .ops = &no_ops, .gnttab = &gt };

static void setup(void)
{
	ck_assert_int_eq(guest_mem_create(&mem, "limits", RAM_SIZE), 0);
	memset(&gt, 0, sizeof(gt));
}

static void teardown(void)
{
	guest_mem_destroy(&mem);
}

static int64_t gnttab_call(uint64_t cmd)
{
	uint64_t arg[5] = { cmd, ARG_GPA, 0, 0, 0 };

	return hcall_dispatch(&env, SV_HC_grant_table_op, arg);
}

static int64_t setup_table(uint64_t gpa, uint32_t nr)
{
	struct gnttab_setup_table st = { .table_gpa = gpa, .nr_frames = nr };

	memcpy(mem.hva + ARG_GPA, &st, sizeof(st));
	return gnttab_call(GNTTABOP_setup_table);
}

static uint32_t query_max(void)
{
	struct gnttab_query_size qs;

	memset(mem.hva + ARG_GPA, 0xff, sizeof(qs));
	ck_assert_int_eq(gnttab_call(GNTTABOP_query_size), 0);
	memcpy(&qs, mem.hva + ARG_GPA, sizeof(qs));
	return qs.max_nr_frames;
}

START_TEST(grant_frames_over_the_domain_limit_refused)
{
	uint64_t gpa;
	uint32_t nr;

	gt.max_frames = 1; /* maxGrantFrames='1' */
	ck_assert_uint_eq(query_max(), 1);
	ck_assert_int_eq(setup_table(0x20000, 2), -EINVAL);
	ck_assert_int_eq(setup_table(0x20000, SV_GNTTAB_MAX_FRAMES), -EINVAL);
	ck_assert_int_eq(gnttab_get(&gt, &gpa, &nr), -ENOENT);
	ck_assert_int_eq(setup_table(0x20000, 1), 0);
	ck_assert_int_eq(gnttab_get(&gt, &gpa, &nr), 0);
	ck_assert_uint_eq(nr, 1);

	gt.max_frames = 4;
	ck_assert_uint_eq(query_max(), 4);
	ck_assert_int_eq(setup_table(0x30000, 5), -EINVAL);
	ck_assert_int_eq(setup_table(0x30000, 4), 0);
	ck_assert_int_eq(gnttab_get(&gt, &gpa, &nr), 0);
	ck_assert_uint_eq(gpa, 0x30000);
	ck_assert_uint_eq(nr, 4);
}
END_TEST

START_TEST(grant_frames_default_and_above_core_maximum)
{
	/* 0 is "not given"; a limit above the core's maximum never raises it. */
	ck_assert_uint_eq(query_max(), SV_GNTTAB_MAX_FRAMES);
	ck_assert_int_eq(setup_table(0x20000, SV_GNTTAB_MAX_FRAMES), 0);
	gt.max_frames = SV_GNTTAB_MAX_FRAMES * 4;
	ck_assert_uint_eq(query_max(), SV_GNTTAB_MAX_FRAMES);
	ck_assert_int_eq(setup_table(0x20000, SV_GNTTAB_MAX_FRAMES + 1), -EINVAL);
}
END_TEST

START_TEST(event_channels_over_the_domain_limit_refused)
{
	struct sv_shared_info *si = guest_ptr(&mem, SV_SHARED_INFO_GPA, sizeof(*si));
	struct evtchn_alloc_unbound au = { .dom = SV_DOMID_SELF, .remote_dom = 0 };
	uint64_t arg[5] = { EVTCHNOP_alloc_unbound, ARG_GPA, 0, 0, 0 };
	struct evtchn *e;
	uint32_t port, i;

	ck_assert_int_eq(evtchn_create(7, 1, si, NULL, NULL, &e), 0);
	ck_assert_int_eq(evtchn_set_limit(e, SV_EVTCHN_NR_PORTS), -EINVAL);
	ck_assert_int_eq(evtchn_set_limit(e, 4), 0); /* maxEventChannels='4' */
	for (i = 1; i <= 4; i++) {
		ck_assert_int_eq(evtchn_alloc_unbound(e, 0, &port), 0);
		ck_assert_uint_eq(port, i);
	}
	ck_assert_int_eq(evtchn_alloc_unbound(e, 0, &port), -ENOSPC);
	ck_assert_int_eq(evtchn_bind_virq(e, SV_VIRQ_TIMER, 0, &port), -ENOSPC);
	/* The guest's own hypercall gets the same answer. */
	memcpy(mem.hva + ARG_GPA, &au, sizeof(au));
	ck_assert_int_eq(evtchn_hypercall(e, &mem, arg[0], arg[1]), -ENOSPC);
	/* A freed port below the limit is handed out again. */
	ck_assert_int_eq(evtchn_close(e, 3), 0);
	ck_assert_int_eq(evtchn_alloc_unbound(e, 0, &port), 0);
	ck_assert_uint_eq(port, 3);
	/* 0 lifts the limit back to every port. */
	ck_assert_int_eq(evtchn_set_limit(e, 0), 0);
	ck_assert_int_eq(evtchn_alloc_unbound(e, 0, &port), 0);
	ck_assert_uint_eq(port, 5);
	evtchn_destroy(e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("domain-limits");
	TCase *tc = tcase_create("limits");
	SRunner *runner;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, grant_frames_over_the_domain_limit_refused);
	tcase_add_test(tc, grant_frames_default_and_above_core_maximum);
	tcase_add_test(tc, event_channels_over_the_domain_limit_refused);
	suite_add_tcase(s, tc);
	runner = srunner_create(s);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? 1 : 0;
}
