// SPDX-License-Identifier: MIT
/* Hypercall argument validation: nothing malformed reaches the domain. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hypercall.h"

#define RAM_SIZE (1u << 20)

struct calls {
	unsigned int console, shutdown, timer, block, up;
	size_t console_len;
	char console_buf[SV_CONSOLE_IO_MAX];
	unsigned int reason, vcpu;
	int code;
	uint64_t deadline;
	struct sv_vcpu_context ctx;
};

static struct guest_mem mem;
static struct calls calls;

static void rec_console(void *c, const char *buf, size_t len)
{
	struct calls *k = c;

	k->console++;
	k->console_len = len;
	memcpy(k->console_buf, buf, len);
}

static void rec_shutdown(void *c, unsigned int reason, int code)
{
	struct calls *k = c;

	k->shutdown++;
	k->reason = reason;
	k->code = code;
}

static int rec_timer(void *c, uint64_t deadline)
{
	struct calls *k = c;

	k->timer++;
	k->deadline = deadline;
	return 0;
}

static int rec_block(void *c)
{
	((struct calls *)c)->block++;
	return 0;
}

static int rec_up(void *c, unsigned int vcpu, const struct sv_vcpu_context *ctx)
{
	struct calls *k = c;

	k->up++;
	k->vcpu = vcpu;
	k->ctx = *ctx;
	return 0;
}

static const struct hcall_ops rec_ops = {
	.console_write = rec_console,
	.shutdown = rec_shutdown,
	.set_timer = rec_timer,
	.block = rec_block,
	.vcpu_up = rec_up,
};

static struct hcall_env env = { .mem = &mem, .nr_vcpus = 4, .ops = &rec_ops, .ctx = &calls };

static int64_t hc(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	uint64_t arg[5] = { a0, a1, a2, 0xdead, 0xbeef };

	return hcall_dispatch(&env, nr, arg);
}

static unsigned int total_calls(void)
{
	return calls.console + calls.shutdown + calls.timer + calls.block + calls.up;
}

static void setup(void)
{
	ck_assert_int_eq(guest_mem_create(&mem, "hc-test", RAM_SIZE), 0);
	memset(&calls, 0, sizeof(calls));
}

static void teardown(void)
{
	guest_mem_destroy(&mem);
}

START_TEST(unknown_numbers_are_enosys)
{
	static const uint64_t nrs[] = { 0, 1, 14, 16, 19, 63, 64, 1000, 0xffffffff, UINT64_MAX };
	unsigned int i;

	for (i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
		ck_assert_int_eq(hc(nrs[i], 0, 0, 0), -ENOSYS);
	ck_assert_uint_eq(total_calls(), 0);
}
END_TEST

START_TEST(version_and_features)
{
	ck_assert_int_eq(hc(SV_HC_xen_version, SV_VERSION_version, 0, 0), SV_ABI_VERSION);
	ck_assert_int_eq(hc(SV_HC_xen_version, SV_VERSION_features, 0, 0) & SV_FEAT_VCPU_UP,
			 SV_FEAT_VCPU_UP);
	ck_assert_int_eq(hc(SV_HC_xen_version, 99, 0, 0), -EINVAL);
}
END_TEST

START_TEST(console_write_checks_buffer)
{
	memcpy(mem.hva + 0x2000, "hello", 5);
	ck_assert_int_eq(hc(SV_HC_console_io, SV_CONSOLEIO_write, 5, 0x2000), 5);
	ck_assert_uint_eq(calls.console, 1);
	ck_assert_uint_eq(calls.console_len, 5);
	ck_assert_int_eq(memcmp(calls.console_buf, "hello", 5), 0);

	/* Past the end of RAM, straddling it, wrapping around, too long, bad command. */
	ck_assert_int_eq(hc(SV_HC_console_io, SV_CONSOLEIO_write, 5, RAM_SIZE), -EFAULT);
	ck_assert_int_eq(hc(SV_HC_console_io, SV_CONSOLEIO_write, 16, RAM_SIZE - 8), -EFAULT);
	ck_assert_int_eq(hc(SV_HC_console_io, SV_CONSOLEIO_write, 16, UINT64_MAX - 4), -EFAULT);
	ck_assert_int_eq(hc(SV_HC_console_io, SV_CONSOLEIO_write, SV_CONSOLE_IO_MAX + 1, 0),
			 -EINVAL);
	ck_assert_int_eq(hc(SV_HC_console_io, SV_CONSOLEIO_write, UINT64_MAX, 0x2000), -EINVAL);
	ck_assert_int_eq(hc(SV_HC_console_io, 7, 5, 0x2000), -EINVAL);
	ck_assert_uint_eq(calls.console, 1);
	/* The last byte of RAM is fine; zero length writes nothing. */
	ck_assert_int_eq(hc(SV_HC_console_io, SV_CONSOLEIO_write, 1, RAM_SIZE - 1), 1);
	ck_assert_int_eq(hc(SV_HC_console_io, SV_CONSOLEIO_write, 0, 0), 0);
	ck_assert_uint_eq(calls.console, 2);
}
END_TEST

START_TEST(sched_op_validates)
{
	ck_assert_int_eq(hc(SV_HC_sched_op, SV_SCHEDOP_shutdown, 42, 0), -EINVAL);
	ck_assert_int_eq(hc(SV_HC_sched_op, SV_SCHEDOP_shutdown, SV_SHUTDOWN_suspend, 0), -EINVAL);
	ck_assert_int_eq(hc(SV_HC_sched_op, 77, 0, 0), -EINVAL);
	ck_assert_uint_eq(calls.shutdown, 0);
	ck_assert_int_eq(hc(SV_HC_sched_op, SV_SCHEDOP_yield, 0, 0), 0);
	ck_assert_int_eq(hc(SV_HC_sched_op, SV_SCHEDOP_block, 0, 0), 0);
	ck_assert_uint_eq(calls.block, 1);
	ck_assert_int_eq(hc(SV_HC_sched_op, SV_SCHEDOP_shutdown, SV_SHUTDOWN_poweroff, 7), 0);
	ck_assert_uint_eq(calls.shutdown, 1);
	ck_assert_uint_eq(calls.reason, SV_SHUTDOWN_poweroff);
	ck_assert_int_eq(calls.code, 7);
	ck_assert_int_eq(hc(SV_HC_sched_op, SV_SCHEDOP_shutdown, SV_SHUTDOWN_crash, (uint64_t)-3),
			 0);
	ck_assert_int_eq(calls.code, -3);
}
END_TEST

START_TEST(vcpu_up_validates)
{
	struct sv_vcpu_context c = { .rip = 0x100000, .rsp = 0x200000, .rdi = 5 };

	memcpy(mem.hva + 0x3000, &c, sizeof(c));
	ck_assert_int_eq(hc(SV_HC_vcpu_op, SV_VCPUOP_up, 4, 0x3000), -ENOENT);
	ck_assert_int_eq(hc(SV_HC_vcpu_op, SV_VCPUOP_up, UINT64_MAX, 0x3000), -ENOENT);
	ck_assert_int_eq(hc(SV_HC_vcpu_op, SV_VCPUOP_up, 1, RAM_SIZE - 8), -EFAULT);
	ck_assert_int_eq(hc(SV_HC_vcpu_op, 9, 1, 0x3000), -EINVAL);
	ck_assert_uint_eq(calls.up, 0);
	ck_assert_int_eq(hc(SV_HC_vcpu_op, SV_VCPUOP_up, 3, 0x3000), 0);
	ck_assert_uint_eq(calls.up, 1);
	ck_assert_uint_eq(calls.vcpu, 3);
	ck_assert_uint_eq(calls.ctx.rip, 0x100000);
	ck_assert_uint_eq(calls.ctx.rsp, 0x200000);
	ck_assert_uint_eq(calls.ctx.rdi, 5);
}
END_TEST

START_TEST(timer_passes_deadline)
{
	ck_assert_int_eq(hc(SV_HC_set_timer_op, 123456789, 0, 0), 0);
	ck_assert_uint_eq(calls.timer, 1);
	ck_assert_uint_eq(calls.deadline, 123456789);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hypercall");
	TCase *tc = tcase_create("dispatch");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, unknown_numbers_are_enosys);
	tcase_add_test(tc, version_and_features);
	tcase_add_test(tc, console_write_checks_buffer);
	tcase_add_test(tc, sched_op_validates);
	tcase_add_test(tc, vcpu_up_validates);
	tcase_add_test(tc, timer_passes_deadline);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
