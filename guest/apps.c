// SPDX-License-Identifier: MIT
/* The small apps; selftest has its own file. */
#include <string.h>
#include <splitvisor/hypercall.h>
#include "apps.h"
#include "arch.h"
#include "array_size.h"
#include "boot_info.h"
#include "console.h"
#include "hypercall.h"
#include "kstring.h"
#include "ktime.h"

#define EXIT_USAGE	   2
#define HCBENCH_DEFAULT	   10000ull
#define HCBENCH_WARMUP	   64ull
#define NONCANONICAL_ADDR  0xdead000000000000ull
#define UNMAPPED_4GIB_ADDR 0x100000000ull

static int hello_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printk("Hello from Splitvisor: domid %u, %llu MiB, %u vCPUs\n", start_info->domid,
	       (unsigned long long)(start_info->mem_bytes >> 20), start_info->nr_vcpus);
	return 0;
}

/* `crash` or `crash gp`: #GP on a non-canonical load; `crash pf`: #PF above 4 GiB. */
static int crash_main(int argc, char **argv)
{
	uint64_t addr = NONCANONICAL_ADDR;

	if (argc > 1 && !strcmp(argv[1], "pf"))
		addr = UNMAPPED_4GIB_ADDR;
	else if (argc > 1 && strcmp(argv[1], "gp")) {
		printk("usage: crash [gp|pf]\n");
		return EXIT_USAGE;
	}
	printk("crash: reading 0x%llx\n", (unsigned long long)addr);
	(void)*(volatile uint64_t *)(uintptr_t)addr;
	printk("crash: still alive?\n");
	return 1;
}

static int spin_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printk("spin: looping\n");
	console_flush();
	irq_disable();
	for (;;)
		asm volatile("" ::: "memory");
	return 0;
}

static int exit_main(int argc, char **argv)
{
	unsigned long long code = 0;

	if (argc > 1 && (parse_u64(argv[1], &code) || code > 255)) {
		printk("exit: bad exit code '%s' (0..255)\n", argv[1]);
		return EXIT_USAGE;
	}
	return (int)code;
}

static void null_io_loop(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		outl(SV_NULL_IO_PORT, 0);
}

static void null_hypercall_loop(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		hc_xen_version(SV_VERSION_version);
}

/* Per-iteration cost in hundredths of a nanosecond. */
static uint64_t time_loop(void (*loop)(uint64_t), uint64_t n)
{
	uint64_t t0, t1;

	loop(n < HCBENCH_WARMUP ? n : HCBENCH_WARMUP);
	t0 = rdtsc();
	loop(n);
	t1 = rdtsc();
	return tsc_cycles_to_scaled_ns(t1 - t0, 100) / n;
}

static int hcbench_main(int argc, char **argv)
{
	unsigned long long n = HCBENCH_DEFAULT;
	uint64_t io_cns, hc_cns;

	if (argc > 1 && (parse_u64(argv[1], &n) || n == 0)) {
		printk("usage: hcbench [iterations >= 1]\n");
		return EXIT_USAGE;
	}
	irq_disable();
	/* The host timestamps these markers, so it measures with its own clock too. */
	printk("hcbench: phase io\n");
	io_cns = time_loop(null_io_loop, n);
	printk("hcbench: phase hypercall\n");
	hc_cns = time_loop(null_hypercall_loop, n);
	printk("hcbench: phase end\n");
	printk("hcbench: iterations=%llu null_io_ns=%llu.%02llu hypercall_ns=%llu.%02llu\n", n,
	       (unsigned long long)(io_cns / 100), (unsigned long long)(io_cns % 100),
	       (unsigned long long)(hc_cns / 100), (unsigned long long)(hc_cns % 100));
	return 0;
}

static const struct app apps[] = {
	{ "hello", hello_main },
	{ "selftest", selftest_main },
	{ "crash", crash_main },
	{ "spin", spin_main },
	{ "exit", exit_main },
	{ "hcbench", hcbench_main },
	{ "grant-test", grant_test_main },
	{ "grant-offer", grant_offer_main },
	{ "evtchn-ping", evtchn_ping_main },
	{ "evtchn-test", evtchn_test_main },
	{ "xenstore-test", xenstore_test_main },
	{ "idle", idle_main },
	{ "xswatch", xswatch_main },
	{ "blktest", blktest_main },
	{ "blkbench", blkbench_main },
	{ "console-echo", console_echo_main },
	{ "console-bad", console_bad_main },
	{ "xsbench", xsbench_main },
	{ "xsflood", xsflood_main },
	{ "ping", ping_main },
	{ "udp-echo", udp_echo_main },
	{ "netbench", netbench_main },
	{ "blkverify", blkverify_main },
	{ "blkhostile", blkhostile_main },
	{ "netverify", netverify_main },
	{ "wallclock", wallclock_main },
	{ "xenabi", xenabi_main },
};

const struct app *app_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(apps); i++) {
		if (!strcmp(apps[i].name, name))
			return &apps[i];
	}
	return NULL;
}
