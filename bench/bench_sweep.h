/* SPDX-License-Identifier: MIT */
/* What the blk and net sweeps share (bench_sweep.c): their samples, rows and output. */
#ifndef SV_BENCH_SWEEP_H
#define SV_BENCH_SWEEP_H

#include "bench.h"
#include "sweep.h"

/* One point of one configuration over the runs; NaN where a run has no figure. */
struct sweep_samples {
	double value[SWEEP_MAX_RUNS], baseline[SWEEP_MAX_RUNS];
	double extra[SWEEP_MAX_EXTRA][SWEEP_MAX_RUNS];
};

/* A benchmark's own checks of the points: 0, or EX_USAGE after saying why. */
typedef int sweep_check_fn(const struct bench_sweep_opts *o, const struct sweep_spec *points);

/*
 * Parses spec and compare against their keys and runs check (may be NULL), all
 * before looking for KVM, so a bad spec is refused anywhere; *samples gets
 * room for every point of every configuration. 0, or a sysexits code after
 * saying why.
 */
int sweep_setup(const struct bench_sweep_opts *o, const char *bench, const struct sweep_key *keys,
		unsigned int nr_keys, const struct sweep_key *cmp_keys, unsigned int nr_cmp_keys,
		sweep_check_fn *check, struct sweep_spec *points, struct sweep_spec *configs,
		struct sweep_samples **samples);

/*
 * Turns samples into rows (configuration-major) and writes them as o asks;
 * extra_keys name the extra figures (medians). 0 or a sysexits code.
 */
int sweep_finish(const struct bench_sweep_opts *o, struct sweep_report *r,
		 const struct sweep_spec *points, const struct sweep_spec *configs,
		 const struct sweep_samples *samples, const char *const *extra_keys,
		 unsigned int nr_extra);

#endif
