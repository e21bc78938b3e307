// SPDX-License-Identifier: MIT
/*
 * Null-hypercall round trip beside a bare port-I/O exit to userspace, both in
 * the same boot. The guest prints a marker before each loop and after the last;
 * the host timestamps the markers as they arrive, so the figures come from the
 * host's clock (the guest's own TSC figures, also printed, can be off under
 * nested virtualisation).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "runner.h"
#include "util.h"

#define HC_DEFAULT_ITERATIONS 200000u

static const char *const hc_markers[] = {
	"hcbench: phase io\n",
	"hcbench: phase hypercall\n",
	"hcbench: phase end\n",
};

#define HC_NR_MARKERS (sizeof(hc_markers) / sizeof(hc_markers[0]))

struct hc_console {
	struct runner_capture cap;
	uint64_t stamp[HC_NR_MARKERS];
};

static void hc_console_write(void *opaque, const char *buf, size_t len)
{
	struct hc_console *hc = opaque;
	uint64_t now = util_now_ns();
	unsigned int i;

	/* The guest flushes its console per line, so a marker is one whole write. */
	for (i = 0; i < HC_NR_MARKERS; i++)
		if (len == strlen(hc_markers[i]) && !memcmp(buf, hc_markers[i], len))
			hc->stamp[i] = now;
	runner_capture_write(&hc->cap, buf, len);
}

int bench_hypercall(const struct bench_opts *o, struct bench_result *r, char *err, size_t errlen)
{
	unsigned int n = o->iterations ? o->iterations : HC_DEFAULT_ITERATIONS;
	struct hc_console hc = { 0 };
	struct sv_domain_exit ex;
	char cmdline[64];
	struct sv_domain_params p = {
		.name = "bench-hypercall",
		.domid = 1,
		.memory_mib = 16,
		.vcpus = 1,
		.kernel = o->kernel,
		.cmdline = cmdline,
		.console = hc_console_write,
		.console_opaque = &hc,
	};
	int ret;

	snprintf(cmdline, sizeof(cmdline), "hcbench %u", n);
	ret = runner_run_console(&p, 300000, &ex, err, errlen);
	if (ret)
		goto out;
	if (ex.reason != SV_EXIT_POWEROFF || ex.code || !hc.stamp[0] || !hc.stamp[1] ||
	    !hc.stamp[2]) {
		snprintf(err, errlen, "hcbench guest gave no result (%s %d): %.200s",
			 sv_exit_reason_name(ex.reason), ex.code, hc.cap.buf ? hc.cap.buf : "");
		ret = -EPROTO;
		goto out;
	}
	*r = (struct bench_result){
		.name = "hypercall",
		.value = (double)(hc.stamp[2] - hc.stamp[1]) / n,
		.unit = "ns",
		.baseline = (double)(hc.stamp[1] - hc.stamp[0]) / n,
		.baseline_name = "bare port-I/O exit",
		.samples = n,
	};
out:
	runner_capture_free(&hc.cap);
	return ret;
}
