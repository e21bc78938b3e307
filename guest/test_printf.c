// SPDX-License-Identifier: MIT
/* Host-side unit test of the guest's formatter, compared against what C specifies. */
#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "printf.h"

#define CHECK_FMT(expect, ...)                                       \
	do {                                                         \
		char buf_[128];                                      \
		int n_ = ksnprintf(buf_, sizeof(buf_), __VA_ARGS__); \
		ck_assert_str_eq(buf_, expect);                      \
		ck_assert_int_eq(n_, (int)strlen(expect));           \
	} while (0)

START_TEST(test_integers)
{
	CHECK_FMT("0", "%d", 0);
	CHECK_FMT("-42 42", "%d %i", -42, 42);
	CHECK_FMT("-2147483648", "%d", INT_MIN);
	CHECK_FMT("4294967295", "%u", UINT_MAX);
	CHECK_FMT("deadbeef DEADBEEF", "%x %X", 0xdeadbeefu, 0xdeadbeefu);
	CHECK_FMT("ffffffffffffffff", "%lx", ~0ul);
	CHECK_FMT("18446744073709551615", "%llu", ~0ull);
	CHECK_FMT("-9223372036854775808", "%lld", LLONG_MIN);
	CHECK_FMT("12345", "%zu", (size_t)12345);
	CHECK_FMT("-3", "%zd", (ssize_t)-3);
	CHECK_FMT("255 -1", "%hhu %hhd", 255, 255);
	CHECK_FMT("65535", "%hu", 65535);
	CHECK_FMT("17", "%o", 15);
	CHECK_FMT("017 0x1f 0X1F 0", "%#o %#x %#X %#x", 15, 31, 31, 0);
}
END_TEST

START_TEST(test_widths)
{
	CHECK_FMT("   42", "%5d", 42);
	CHECK_FMT("42   |", "%-5d|", 42);
	CHECK_FMT("00042", "%05d", 42);
	CHECK_FMT("-0042", "%05d", -42);
	CHECK_FMT("+42| 42", "%+d|% d", 42, 42);
	CHECK_FMT("0000000000001000", "%016llx", 0x1000ull);
	CHECK_FMT("  007", "%5.3d", 7);
	CHECK_FMT("", "%.0d", 0);
	CHECK_FMT("   ab", "%*x", 5, 0xab);
	CHECK_FMT("ab   |", "%*x|", -5, 0xab);
	CHECK_FMT("4.07", "%llu.%02llu", 4ull, 7ull);
}
END_TEST

START_TEST(test_strings_chars)
{
	/* volatile: keeps GCC from diagnosing the deliberate NULL at compile time */
	const char *volatile no_string = NULL;

	CHECK_FMT("hello", "%s", "hello");
	CHECK_FMT("  hi|hi  |", "%4s|%-4s|", "hi", "hi");
	CHECK_FMT("hel", "%.3s", "hello");
	CHECK_FMT("(null)", "%s", no_string);
	CHECK_FMT("x y", "%c %c", 'x', 'y');
	CHECK_FMT("100%", "100%%");
	CHECK_FMT("0x1000", "%p", (void *)0x1000);
}
END_TEST

START_TEST(test_truncation)
{
	char buf[8];
	int n;

	memset(buf, 'x', sizeof(buf));
	n = ksnprintf(buf, sizeof(buf), "%s", "0123456789");
	ck_assert_int_eq(n, 10);
	ck_assert_str_eq(buf, "0123456");

	memset(buf, 'x', sizeof(buf));
	n = ksnprintf(buf, 1, "abc");
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(buf[0], '\0');

	n = ksnprintf(NULL, 0, "%d", 12345);
	ck_assert_int_eq(n, 5);
}
END_TEST

/* Cross-check a spread of conversions against the host's own snprintf. */
START_TEST(test_against_libc)
{
	static const char *const fmts[] = { "%d",  "%5d",  "%-7d|", "%07d", "%+d", "%x",
					    "%#x", "%08X", "%.3d",  "%u",   "%o",  "%#o" };
	static const int values[] = { 0, 1, -1, 42, -42, 0x7fffffff, INT_MIN, 0x1234 };
	char ours[64], theirs[64];

	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
		for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
			int a = ksnprintf(ours, sizeof(ours), fmts[f], values[v]);
			int b = snprintf(theirs, sizeof(theirs), fmts[f], values[v]);

			ck_assert_msg(a == b && !strcmp(ours, theirs),
				      "format \"%s\" value %d: ours \"%s\", libc \"%s\"", fmts[f],
				      values[v], ours, theirs);
		}
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guest_printf");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_integers);
	tcase_add_test(tc, test_widths);
	tcase_add_test(tc, test_strings_chars);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_against_libc);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
