/* SPDX-License-Identifier: MIT */
/*
 * Counts beside a sweep's throughput that do not depend on the machine: a
 * domain's VM exits, hypercalls and notify kicks (the core's, in its list)
 * and its devices' backend system calls, grant operations and events
 * (SV_TS_DEV_STATS), read before and after a point's timed run and divided
 * by its requests or frames. Pure: bench_counts.c does the reading.
 */
#ifndef SV_SWEEP_COUNTS_H
#define SV_SWEEP_COUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitvisor/control.h>
#include <splitvisor/toolstack.h>

struct sweep_counts {
	bool running;	 /* listed and running: the core's counters are live */
	bool exits_ok;	 /* exits is KVM's count */
	bool backend_ok; /* at least one device, every one served by svdom0 */
	uint64_t exits, hypercalls, notifies;
	uint64_t syscalls, grant_ops, be_events;
};

/*
 * A domain's counts from its list entry and its devices' (n entries, NULL
 * when n is 0). A device served by a driver domain has no counters here:
 * backend_ok is then false, not a count that is too low.
 */
void sweep_counts_from(const struct sv_ctl_dominfo *info, const struct sv_ts_dev_stats *devs,
		       size_t n, struct sweep_counts *out);
/* Adds b's counts to a (two guests of one point); each flag holds only if it holds in both. */
void sweep_counts_add(struct sweep_counts *a, const struct sweep_counts *b);

enum sweep_count_kind {
	SWEEP_EXITS,
	SWEEP_HYPERCALLS,
	SWEEP_NOTIFIES,
	SWEEP_SYSCALLS,
	SWEEP_GRANT_OPS,
	SWEEP_BE_EVENTS
};
/*
 * (after - before) of one count over units: NaN when either side does not
 * know it, the counter went back (another domain or device since), or units
 * is not a positive number.
 */
double sweep_counts_per(const struct sweep_counts *before, const struct sweep_counts *after,
			enum sweep_count_kind kind, double units);

#endif
