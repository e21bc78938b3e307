/* SPDX-License-Identifier: MIT */
#ifndef SV_BENCH_H
#define SV_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "svcore.h"

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

/* evtchn.rtt: guest <-> process-domain echo over the event-channel fast path. */
int sv_bench_evtchn(const struct sv_bench_opts *o, struct sv_bench_result *r, char *err,
		    size_t errlen);

/*
 * Boots `evtchn-ping rounds` and answers its events from this thread through
 * sv_evtchn_bind_process, as a process domain would. With close_after, the
 * process end is closed (and bound again 20 ms later) after every close_after
 * events. Returns 0 once the domain ended (see ex), or -errno.
 */
struct sv_evtchn_ping {
	const char *kernel;
	unsigned int rounds;
	int timeout_ms;
	unsigned int close_after;
	struct sv_domain_exit ex;
	uint64_t events, first_ns, last_ns; /* host CLOCK_MONOTONIC of the echo's events */
	unsigned int guest_rounds, rebinds;
	unsigned long long guest_rtt_ns; /* the guest's own TSC figure */
	char console[4096];
};
int sv_evtchn_ping_run(struct sv_evtchn_ping *p, char *err, size_t errlen);

#endif
