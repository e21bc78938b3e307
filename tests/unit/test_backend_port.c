// SPDX-License-Identifier: MIT
/*
 * backend_port without the shared-info page (a driver domain's ports): the
 * raise is one write of the core's send eventfd, and injected drop-notify
 * (svctl inject) keeps it from happening. The core's EVTCHN_BIND is answered
 * by the test's env with two eventfds, as svcored passes them.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <splitvisor/control.h>
#include <splitvisor/event_channel.h>

#include "backend_env.h"
#include "backend_port.h"

static int send_fd = -1;     /* the core's end: what it polls to raise the port */
static uint32_t reply_flags; /* what the core's bind reply says */

static int t_core_call(struct backend_env *env, uint32_t op, const void *req, size_t len,
		       void *reply, size_t cap, int *fds, size_t nfds, char *err, size_t errlen)
{
	struct sv_ctl_store_bind_reply r = { .port = 9, .vcpu = 0, .flags = reply_flags };

	(void)env;
	(void)req;
	(void)len;
	(void)err;
	(void)errlen;
	if (op == SV_CTL_EVTCHN_CLOSE)
		return 0;
	ck_assert_uint_eq(op, SV_CTL_EVTCHN_BIND);
	ck_assert_uint_ge(nfds, 2);
	ck_assert_uint_eq(cap, sizeof(r));
	memcpy(reply, &r, sizeof(r));
	fds[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	send_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fds[1] = dup(send_fd);
	return 0;
}

static const struct backend_env_ops t_ops = { .core_call = t_core_call };

static uint64_t sent(void)
{
	uint64_t n = 0;

	if (read(send_fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

START_TEST(raise_without_shinfo)
{
	struct backend_faults faults = { 0 };
	struct backend_env env = { .ops = &t_ops, .domid = 7, .faults = &faults };
	struct backend_port bp;
	char err[128];

	ck_assert_int_eq(
		backend_port_bind(&env, SV_CTL_EVTCHN_BIND, 3, 9, NULL, &bp, err, sizeof(err)), 0);
	ck_assert_ptr_eq(bp.faults, &faults);
	ck_assert_int_eq(backend_port_raise(&bp), 0);
	ck_assert_int_eq(backend_port_raise(&bp), 0);
	ck_assert_uint_eq(sent(), 2);
	__atomic_store_n(&faults.drop_notify, 1, __ATOMIC_RELAXED);
	ck_assert_int_eq(backend_port_raise(&bp), 0);
	ck_assert_uint_eq(sent(), 0);
	__atomic_store_n(&faults.drop_notify, 0, __ATOMIC_RELAXED);
	ck_assert_int_eq(backend_port_raise(&bp), 0);
	ck_assert_uint_eq(sent(), 1);
	backend_port_close(&env, &bp, true);
	ck_assert_int_eq(bp.raise_fd, -1);
	close(send_fd);
}
END_TEST

/*
 * A Linux PVH guest moved its shared info: the core says so in the bind reply, and the
 * backend must raise through the eventfd alone, never writing the page it mapped at the
 * old place (Linux's RAM or a stale copy).
 */
START_TEST(core_raises_for_pvh)
{
	struct backend_env env = { .ops = &t_ops, .domid = 0 };
	struct sv_shared_info *page = calloc(1, sizeof(*page));
	struct backend_port bp;
	char err[128];

	ck_assert_ptr_nonnull(page);
	reply_flags = SV_CTL_BIND_CORE_RAISES;
	ck_assert_int_eq(
		backend_port_bind(&env, SV_CTL_EVTCHN_BIND, 3, 9, page, &bp, err, sizeof(err)), 0);
	ck_assert_ptr_null(bp.shinfo);
	ck_assert_int_eq(backend_port_raise(&bp), 0);
	ck_assert_int_eq(backend_port_raise(&bp), 0);
	ck_assert_uint_eq(sent(), 2);
	ck_assert_uint_eq(page->evtchn_pending[0], 0);
	ck_assert_uint_eq(page->vcpu_info[0].upcall_pending, 0);
	backend_port_close(&env, &bp, true);
	close(send_fd);
	/* Without the flag the page is used, as for our own guests. */
	reply_flags = 0;
	ck_assert_int_eq(
		backend_port_bind(&env, SV_CTL_EVTCHN_BIND, 3, 9, page, &bp, err, sizeof(err)), 0);
	ck_assert_ptr_eq(bp.shinfo, page);
	ck_assert_int_eq(backend_port_raise(&bp), 0);
	ck_assert_uint_eq(page->evtchn_pending[0], 1ull << 9);
	ck_assert_uint_eq(sent(), 1);
	backend_port_close(&env, &bp, true);
	close(send_fd);
	free(page);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("backend_port");
	TCase *tc = tcase_create("backend_port");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, raise_without_shinfo);
	tcase_add_test(tc, core_raises_for_pvh);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
