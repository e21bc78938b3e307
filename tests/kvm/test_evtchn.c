// SPDX-License-Identifier: MIT
/*
 * Event channels on real KVM: a guest's evtchn-ping against an echo in this
 * process over the fast path (ioeventfd, irqfd), closing and rebinding the
 * process end under a running guest, the guest-side ABI test, and the
 * process-side API's refusals and fd accounting.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "runner.h"

#define PING_ROUNDS 100000u

static unsigned int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static struct bench_evtchn_ping *ping(unsigned int rounds, unsigned int close_after)
{
	struct bench_evtchn_ping *p = calloc(1, sizeof(*p));
	char err[512] = "";
	int ret;

	ck_assert_ptr_nonnull(p);
	p->kernel = SV_GUEST_KERNEL;
	p->rounds = rounds;
	p->close_after = close_after;
	p->timeout_ms = 1500000;
	ret = bench_evtchn_ping_run(p, err, sizeof(err));
	ck_assert_msg(ret == 0, "%s\n%s", err, p->console);
	ck_assert_msg(p->ex.reason == SV_EXIT_POWEROFF && p->ex.code == 0, "%s %d: %s\n%s",
		      sv_exit_reason_name(p->ex.reason), p->ex.code, p->ex.detail, p->console);
	ck_assert_uint_eq(p->guest_rounds, rounds);
	return p;
}

START_TEST(ping_fast_path)
{
	unsigned int fds = count_fds();
	struct bench_evtchn_ping *p = ping(PING_ROUNDS, 0);

	ck_assert_uint_eq(p->events, PING_ROUNDS);
	printf("evtchn-ping: %u rounds, host rtt %.0f ns, guest rtt %llu ns, %.1f s\n",
	       p->guest_rounds, (double)(p->last_ns - p->first_ns) / (double)(p->events - 1),
	       p->guest_rtt_ns, (double)(p->last_ns - p->first_ns) / 1e9);
	free(p);
	ck_assert_uint_eq(count_fds(), fds);
}
END_TEST

/* Each close lets the guest send once on the unbound port (dropped); the rebind wakes it. */
START_TEST(close_and_rebind_process_end)
{
	unsigned int fds = count_fds();
	struct bench_evtchn_ping *p = ping(300, 100);

	ck_assert_uint_ge(p->rebinds, 2);
	ck_assert_uint_lt(p->events, 300);
	free(p);
	ck_assert_uint_eq(count_fds(), fds);
}
END_TEST

START_TEST(guest_abi_test)
{
	struct sv_domain_params dp = {
		.name = "evtchn-test",
		.domid = 4,
		.memory_mib = 16,
		.vcpus = 2,
		.kernel = SV_GUEST_KERNEL,
		.cmdline = "evtchn-test",
	};
	struct runner_capture cap = { 0 };
	struct sv_domain_exit ex;
	char err[512];

	ck_assert_int_eq(runner_run_captured(&dp, 120000, &cap, &ex, err, sizeof(err)), 0);
	ck_assert_msg(ex.reason == SV_EXIT_POWEROFF && ex.code == 0, "%s", cap.buf);
	ck_assert_ptr_nonnull(strstr(cap.buf, "evtchn-test: PASS"));
	runner_capture_free(&cap);
}
END_TEST

START_TEST(process_api_refusals_and_fds)
{
	struct sv_domain_params dp = {
		.name = "evtchn-api",
		.domid = 5,
		.memory_mib = 16,
		.vcpus = 2,
		.kernel = SV_GUEST_KERNEL,
		.cmdline = "hello",
	};
	unsigned int fds = count_fds();
	struct sv_domain *d;
	uint32_t port, kept;
	int nfd, rfd, i;
	char err[512];

	ck_assert_int_eq(sv_domain_create(&dp, &d, err, sizeof(err)), 0);
	ck_assert_int_eq(sv_evtchn_alloc_unbound(d, 0, &port), 0);
	ck_assert_int_eq(sv_evtchn_bind_process(d, port, 7, &nfd, &rfd), -EPERM);
	ck_assert_int_eq(sv_evtchn_bind_process(d, 0, 0, &nfd, &rfd), -EINVAL);
	ck_assert_int_eq(sv_evtchn_bind_process(d, 4096, 0, &nfd, &rfd), -EINVAL);
	ck_assert_int_eq(sv_evtchn_bind_process(d, port + 1, 0, &nfd, &rfd), -EINVAL);
	ck_assert_int_eq(sv_evtchn_close_process(d, port), -EINVAL);
	ck_assert_int_eq(sv_evtchn_bind_process(d, port, 0, &nfd, &rfd), 0);
	ck_assert_int_eq(sv_evtchn_bind_process(d, port, 0, &nfd, &rfd), -EINVAL);
	ck_assert_int_eq(sv_evtchn_port_vcpu(d, port), 0);
	ck_assert_int_eq(sv_evtchn_close_process(d, port), 0);
	ck_assert_int_eq(sv_evtchn_close_process(d, port), -EINVAL);
	close(nfd);
	close(rfd);
	/* Bound ports left for the destroy to tear down. */
	for (i = 0; i < 50; i++) {
		ck_assert_int_eq(sv_evtchn_alloc_unbound(d, 0, &kept), 0);
		ck_assert_int_eq(sv_evtchn_bind_process(d, kept, 0, &nfd, &rfd), 0);
		close(nfd);
		close(rfd);
	}
	ck_assert_int_eq(sv_domain_start(d), 0);
	ck_assert_int_eq(sv_domain_wait(d, 30000, NULL), 0);
	sv_domain_free(d);
	ck_assert_uint_eq(count_fds(), fds);
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;
	char why[256];
	SRunner *sr;
	int failed;

	if (sv_kvm_probe(why, sizeof(why))) {
		printf("SKIP: %s\n", why);
		return 77;
	}
	/* Probe first: a skipped run must not leave Check's allocations behind. */
	s = suite_create("evtchn-kvm");
	tc = tcase_create("kvm");
	tcase_set_timeout(tc, 1500);
	tcase_add_test(tc, process_api_refusals_and_fds);
	tcase_add_test(tc, guest_abi_test);
	tcase_add_test(tc, close_and_rebind_process_end);
	tcase_add_test(tc, ping_fast_path);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
