/* SPDX-License-Identifier: MIT */
/* A guest's counts (sweep_counts.h) from the bench's private svdom0, over dom0.sock. */
#ifndef SV_BENCH_COUNTS_H
#define SV_BENCH_COUNTS_H

#include <stddef.h>

#include "bench_dom.h"
#include "sweep_counts.h"

/*
 * The counts of the domain called name now: the core's list entry (through
 * svdom0) and SV_TS_DEV_STATS. Two short requests, nothing on the data path
 * waits for them. 0, or -errno with err set (-ENOENT: no such domain).
 */
int svb_counts_read(const struct svb_dom *b, const char *name, struct sweep_counts *out, char *err,
		    size_t errlen);

#endif
