/* SPDX-License-Identifier: MIT */
#ifndef SV_BENCH_H
#define SV_BENCH_H

#include <stdbool.h>
#include <stdio.h>

/* One measured figure; baseline <= 0 means it has none (no ratio printed). */
struct sv_bench_result {
	const char *name;
	double value;
	const char *unit;
	double baseline;
	const char *baseline_name;
	unsigned int samples;
};

/* JSON: one object for one result, an array for several. Text: one line each. */
void sv_bench_print(FILE *f, const struct sv_bench_result *r, unsigned int n, bool json);

struct sv_bench_opts {
	const char *kernel;
	unsigned int iterations; /* 0: the bench's default */
	unsigned int runs;	 /* 0: the bench's default */
};

int sv_bench_hypercall(const struct sv_bench_opts *o, struct sv_bench_result *r, char *err,
		       size_t errlen);
/* Fills r[0] boot.first_byte and r[1] boot.poweroff. */
int sv_bench_boot(const struct sv_bench_opts *o, struct sv_bench_result r[2], char *err,
		  size_t errlen);

#endif
