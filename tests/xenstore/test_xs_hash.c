// SPDX-License-Identifier: MIT
/*
 * The table hash is keyed per process: a guest that learns the hash of paths in one
 * svdom0 cannot precompute chains that collide in the next one.
 */
#include <inttypes.h>
#include <unistd.h>

#include "xs_internal.h"
#include "xs_test.h"

#define PROBE "/local/domain/5/device/vbd/51712/state"

/* The probe's hash, as printed by a fresh process (this binary with --hash). */
static uint32_t hash_in_new_process(void)
{
	char cmd[4200], line[64];
	ssize_t n = readlink("/proc/self/exe", cmd, sizeof(cmd) - 64);
	unsigned long v;
	FILE *f;

	ck_assert_int_gt(n, 0);
	snprintf(cmd + n, sizeof(cmd) - (size_t)n, " --hash");
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_int_eq(pclose(f), 0);
	v = strtoul(line, NULL, 10);
	ck_assert_uint_le(v, UINT32_MAX);
	return (uint32_t)v;
}

START_TEST(test_key_differs_per_process)
{
	uint32_t a = hash_in_new_process(), b = hash_in_new_process();

	/* equal by chance once in 2^32 runs */
	ck_assert_uint_ne(a, b);
}
END_TEST

/* Within one process the hash is a function; prefix hashing agrees with a whole hash. */
START_TEST(test_stable_in_process)
{
	const char *p = PROBE;
	uint64_t h = xs_hash_start();

	for (size_t i = 0; i < strlen(p); i++)
		h = xs_hash_step(h, (unsigned char)p[i]);
	ck_assert_uint_eq(xs_hash_end(h), xs_hash(p, strlen(p)));
	ck_assert_uint_eq(xs_hash(p, strlen(p)), xs_hash(p, strlen(p)));
	ck_assert_uint_ne(xs_hash(p, strlen(p)), xs_hash(p, strlen(p) - 1));
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s;
	TCase *tc;

	if (argc == 2 && !strcmp(argv[1], "--hash")) {
		printf("%" PRIu32 "\n", xs_hash(PROBE, strlen(PROBE)));
		return 0;
	}
	s = suite_create("xenstore.hash");
	tc = tcase_create("core");
	tcase_add_test(tc, test_key_differs_per_process);
	tcase_add_test(tc, test_stable_in_process);
	suite_add_tcase(s, tc);
	return xt_run(s);
}
