// SPDX-License-Identifier: MIT
/* Domain create to first console byte, and to the poweroff of `hello`: medians over runs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "runner.h"
#include "util.h"

#define BOOT_DEFAULT_RUNS 20u

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int bench_boot(const struct bench_opts *o, struct bench_result r[2], char *err, size_t errlen)
{
	unsigned int i, runs = o->runs ? o->runs : BOOT_DEFAULT_RUNS;
	struct sv_domain_params p = {
		.name = "bench-boot",
		.domid = 1,
		.memory_mib = 32,
		.vcpus = 1,
		.kernel = o->kernel,
		.cmdline = "hello",
	};
	double *first = calloc(runs, sizeof(double));
	double *off = calloc(runs, sizeof(double));
	int ret = 0;

	if (!first || !off) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < runs; i++) {
		struct runner_capture cap = { 0 };
		struct sv_domain_exit ex;
		uint64_t t0 = util_now_ns(), t1;

		ret = runner_run_captured(&p, 10000, &cap, &ex, err, errlen);
		t1 = util_now_ns();
		if (!ret && (ex.reason != SV_EXIT_POWEROFF || !cap.first_byte_ns)) {
			snprintf(err, errlen, "hello did not power off cleanly (%s)",
				 sv_exit_reason_name(ex.reason));
			ret = -EPROTO;
		}
		if (!ret) {
			first[i] = (double)(cap.first_byte_ns - t0) / 1e6;
			off[i] = (double)(t1 - t0) / 1e6;
		}
		runner_capture_free(&cap);
		if (ret)
			goto out;
	}
	r[0] = (struct bench_result){ .name = "boot.first_byte",
				      .value = median(first, runs),
				      .unit = "ms",
				      .samples = runs };
	r[1] = (struct bench_result){
		.name = "boot.poweroff", .value = median(off, runs), .unit = "ms", .samples = runs
	};
out:
	free(first);
	free(off);
	return ret;
}
