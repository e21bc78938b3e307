// SPDX-License-Identifier: MIT
/*
 * svdom0's console log (dom0-tools/svdom0/console_log.c) with a small cap: the
 * file is rotated, never grows past its cap, keeps the newest output in order
 * across a restart, and counts (and says) what it could not write.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console_log.h"

#define CAP 1000u

static char dir[64], path[128], old_path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sv-conlog-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/console/dom.log", dir);
	snprintf(old_path, sizeof(old_path), "%s/console/dom.log.1", dir);
}

static void teardown(void)
{
	char sub[96];

	unlink(path);
	rmdir(old_path); /* the test's obstacle, if left */
	unlink(old_path);
	snprintf(sub, sizeof(sub), "%s/console", dir);
	rmdir(sub);
	rmdir(dir);
}

/* The whole file, NUL-terminated, and its size; -1 when absent. */
static long slurp(const char *p, char *out, size_t cap)
{
	FILE *f = fopen(p, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(out, 1, cap - 1, f);
	fclose(f);
	out[n] = '\0';
	return (long)n;
}

/* Line i of the guest's output: 20 bytes. */
static void line(char *out, unsigned int i)
{
	snprintf(out, 21, "line %014u\n", i);
}

static void emit(struct con_log *l, unsigned int from, unsigned int to)
{
	char buf[32];

	for (unsigned int i = from; i < to; i++) {
		line(buf, i);
		con_log_append(l, buf, 20);
	}
}

/* The two files together end with lines [.., to): the newest output, in order. */
static void expect_tail(unsigned int to, unsigned int at_least)
{
	static char a[4 * CAP], b[4 * CAP], both[8 * CAP];
	char want[32];
	long na, nb;
	unsigned int i, n;

	nb = slurp(old_path, b, sizeof(b));
	na = slurp(path, a, sizeof(a));
	ck_assert_int_ge(na, 0);
	ck_assert_int_le(na, CAP);
	ck_assert_int_le(nb, CAP);
	snprintf(both, sizeof(both), "%s%s", nb > 0 ? b : "", a);
	n = (unsigned int)strlen(both);
	ck_assert_uint_ge(n, at_least * 20);
	for (i = 1; i <= at_least; i++) {
		line(want, to - i);
		ck_assert_msg(!memcmp(both + n - 20 * i, want, 20), "line %u missing", to - i);
	}
}

START_TEST(capped_and_rotated)
{
	struct con_log l;
	struct stat st;

	ck_assert_int_eq(con_log_open(&l, dir, "dom", true, CAP), 0);
	emit(&l, 0, 40); /* 800 bytes: under the cap */
	ck_assert_int_eq(stat(old_path, &st), -1);
	emit(&l, 40, 500); /* 10000 bytes in all */
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_le(st.st_size, CAP);
	ck_assert_int_eq(stat(old_path, &st), 0);
	ck_assert_int_eq(st.st_size, CAP);
	ck_assert_uint_ge(l.rotations, 9);
	ck_assert_uint_eq(l.dropped, 0);
	expect_tail(500, CAP / 20);
	/* The memory tail has all of it (it is bigger than the cap). */
	ck_assert_uint_eq(l.mem.len, 500 * 20);
	con_log_close(&l);

	/* on_reboot: the same domain again, appending under the same cap. */
	ck_assert_int_eq(con_log_open(&l, dir, "dom", false, CAP), 0);
	ck_assert_uint_eq(l.file_size, (uint64_t)(stat(path, &st), st.st_size));
	emit(&l, 500, 700);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_le(st.st_size, CAP);
	expect_tail(700, CAP / 20);
	con_log_close(&l);

	/* A fresh domain of that name starts empty, without the older file. */
	ck_assert_int_eq(con_log_open(&l, dir, "dom", true, CAP), 0);
	ck_assert_int_eq(stat(old_path, &st), -1);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	con_log_close(&l);
}
END_TEST

/* A rotation that fails: the file stays at its cap, the loss is counted, then said. */
START_TEST(dropped_bytes_counted_and_said)
{
	static char a[4 * CAP];
	struct con_log l;
	struct stat st;
	char sub[160];
	const char *p;

	ck_assert_int_eq(con_log_open(&l, dir, "dom", true, CAP), 0);
	/* A non-empty directory where the older file goes: rename fails. */
	ck_assert_int_eq(mkdir(old_path, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/x", old_path);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	emit(&l, 0, 100); /* 2000 bytes: 1000 fit */
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, CAP);
	ck_assert_uint_eq(l.dropped, 2000 - CAP);
	ck_assert_uint_eq(l.dropped_noted, 0);
	emit(&l, 100, 110);
	ck_assert_uint_eq(l.dropped, 2000 - CAP + 200);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, CAP);

	/* The obstacle goes: the next output rotates and is preceded by the count. */
	ck_assert_int_eq(rmdir(sub), 0);
	ck_assert_int_eq(rmdir(old_path), 0);
	emit(&l, 110, 111);
	ck_assert_uint_eq(l.dropped_noted, l.dropped);
	ck_assert_int_gt(slurp(path, a, sizeof(a)), 0);
	ck_assert_msg(strstr(a, "[svdom0: 1200 bytes of console output lost"), "%s", a);
	p = strstr(a, "line 00000000000110\n");
	ck_assert_ptr_nonnull(p);
	ck_assert(strstr(a, "lost") < p); /* said before the output that follows */
	/* And `svctl console` (the memory tail) shows it too. */
	ck_assert_uint_gt(l.mem.len, 0);
	con_log_close(&l);
}
END_TEST

START_TEST(sizes)
{
	static const struct {
		const char *s;
		int ret;
		uint64_t v;
	} cases[] = {
		{ "4M", 0, 4u << 20 },
		{ "512K", 0, 512u << 10 },
		{ "512k", 0, 512u << 10 },
		{ "1G", 0, 1u << 30 },
		{ "65536", 0, 65536 },
		{ "4096", 0, 4096 },
		{ "4095", -ERANGE, 0 },
		{ "0", -ERANGE, 0 },
		{ "3K", -ERANGE, 0 },
		{ "2000G", -ERANGE, 0 },
		{ "99999999999999999999999", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ "M", -EINVAL, 0 },
		{ "-4M", -EINVAL, 0 },
		{ " 4M", -EINVAL, 0 },
		{ "4MB", -EINVAL, 0 },
		{ "4Q", -EINVAL, 0 },
		{ "4M ", -EINVAL, 0 },
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 7;
		ck_assert_msg(con_log_parse_size(cases[i].s, &v) == cases[i].ret, "'%s'",
			      cases[i].s);
		ck_assert_uint_eq(v, cases[i].ret ? 7 : cases[i].v);
	}
	ck_assert_int_eq(con_log_parse_size(NULL, &v), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("console_log");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, capped_and_rotated);
	tcase_add_test(tc, dropped_bytes_counted_and_said);
	tcase_add_test(tc, sizes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
