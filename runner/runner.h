/* SPDX-License-Identifier: MIT */
/* Helpers shared by svctl's commands and the benchmarks. */
#ifndef SV_TOOLKIT_H
#define SV_TOOLKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitvisor/core.h>

/* Console output kept in memory, with the time of its first byte. */
struct runner_capture {
	char *buf;
	size_t len;
	size_t cap;
	uint64_t first_byte_ns; /* CLOCK_MONOTONIC, 0 until a byte arrives */
	bool echo;		/* also copy to stdout */
};

void runner_capture_write(void *opaque, const char *buf, size_t len);
void runner_capture_free(struct runner_capture *c);

/*
 * Boots a domain, waits up to timeout_ms for its end (destroying it then), and
 * returns its console and exit. -ETIMEDOUT when it had to be destroyed.
 */
int runner_run_captured(const struct sv_domain_params *p, int timeout_ms,
			struct runner_capture *cap, struct sv_domain_exit *ex, char *err,
			size_t errlen);

/* The same with the console callback of p. */
int runner_run_console(const struct sv_domain_params *p, int timeout_ms, struct sv_domain_exit *ex,
		       char *err, size_t errlen);

/* The guest kernel next to this build: $SPLITVISOR_GUEST or <exe dir>/../guest/splitvisor-guest. */
const char *runner_default_kernel(void);

#endif
