// SPDX-License-Identifier: MIT
/*
 * Null-hypercall round trip beside a bare port-I/O exit to userspace, both
 * timed by the guest with its TSC in the same boot.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "toolkit.h"

#define HC_DEFAULT_ITERATIONS 200000u

int sv_bench_hypercall(const struct sv_bench_opts *o, struct sv_bench_result *r, char *err,
		       size_t errlen)
{
	unsigned int n = o->iterations ? o->iterations : HC_DEFAULT_ITERATIONS;
	struct sv_capture cap = { 0 };
	struct sv_domain_exit ex;
	char cmdline[64];
	struct sv_domain_params p = {
		.name = "bench-hypercall",
		.domid = 1,
		.memory_mib = 16,
		.vcpus = 1,
		.kernel = o->kernel,
		.cmdline = cmdline,
	};
	unsigned int got = 0;
	double io_ns = 0, hc_ns = 0;
	const char *line;
	int ret;

	snprintf(cmdline, sizeof(cmdline), "hcbench %u", n);
	ret = sv_run_captured(&p, 120000, &cap, &ex, err, errlen);
	if (ret)
		goto out;
	line = cap.buf ? strstr(cap.buf, "hcbench: ") : NULL;
	if (ex.reason != SV_EXIT_POWEROFF || ex.code || !line ||
	    sscanf(line, "hcbench: iterations=%u null_io_ns=%lf hypercall_ns=%lf", &got, &io_ns,
		   &hc_ns) != 3 ||
	    got != n || io_ns <= 0 || hc_ns <= 0) {
		snprintf(err, errlen, "hcbench guest gave no result (%s %d): %.200s",
			 sv_exit_reason_name(ex.reason), ex.code, cap.buf ? cap.buf : "");
		ret = -EPROTO;
		goto out;
	}
	*r = (struct sv_bench_result){
		.name = "hypercall",
		.value = hc_ns,
		.unit = "ns",
		.baseline = io_ns,
		.baseline_name = "bare port-I/O exit",
		.samples = n,
	};
out:
	sv_capture_free(&cap);
	return ret;
}
