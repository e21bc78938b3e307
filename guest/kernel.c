// SPDX-License-Identifier: MIT
/* kmain: check the start info, bring up the subsystems, run the app named on the command line. */
#include <errno.h>
#include <splitvisor/hypercall.h>
#include <splitvisor/limits.h>
#include "apic.h"
#include "apps.h"
#include "boot_info.h"
#include "console.h"
#include "evtchn.h"
#include "grant.h"
#include "heap.h"
#include "page_alloc.h"
#include "smp.h"
#include "ktime.h"
#include "panic.h"
#include "traps.h"

#define MAX_ARGS 16

static char cmdline[SV_MAX_CMDLINE];
static char default_app[] = "hello";

/* Everything after here trusts the start info, so check what it claims first. */
static int check_start_info(const struct sv_start_info *si)
{
	uint64_t image_end = (uint64_t)(uintptr_t)__bss_end;

	if (si->magic != SV_START_INFO_MAGIC) {
		printk("boot: bad start info magic 0x%llx (want 0x%llx)\n",
		       (unsigned long long)si->magic, SV_START_INFO_MAGIC);
		return -EINVAL;
	}
	/* Same major; a newer minor only adds things we do not use. */
	if (si->abi_version >> 16 != SV_ABI_MAJOR || si->abi_version < SV_ABI_VERSION) {
		printk("boot: ABI version %u.%u, this kernel needs %u.%u\n", si->abi_version >> 16,
		       si->abi_version & 0xffff, SV_ABI_MAJOR, SV_ABI_MINOR);
		return -EINVAL;
	}
	if (si->nr_vcpus < 1 || si->nr_vcpus > SV_MAX_VCPUS) {
		printk("boot: nr_vcpus %u out of range 1..%u\n", si->nr_vcpus, SV_MAX_VCPUS);
		return -EINVAL;
	}
	if (!si->tsc_khz) {
		printk("boot: tsc_khz is 0\n");
		return -EINVAL;
	}
	if (si->kernel_end < image_end || si->kernel_end >= si->mem_bytes) {
		printk("boot: kernel_end 0x%llx outside image end 0x%llx..memory 0x%llx\n",
		       (unsigned long long)si->kernel_end, (unsigned long long)image_end,
		       (unsigned long long)si->mem_bytes);
		return -EINVAL;
	}
	if (si->upcall_vector < 32 || si->upcall_vector > 0xfe) {
		printk("boot: upcall vector %u unusable\n", si->upcall_vector);
		return -EINVAL;
	}
	return 0;
}

static int split_args(char *s, char **argv, int max)
{
	int argc = 0;

	while (*s && argc < max) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			*s++ = '\0';
		if (!*s)
			break;
		argv[argc++] = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n')
			s++;
	}
	return argc;
}

void kmain(const struct sv_start_info *si);

void kmain(const struct sv_start_info *si)
{
	char *argv[MAX_ARGS + 1] = { 0 };
	const struct app *app;
	size_t len = 0;
	int argc, ret;

	/* this_cpu() works from here on: console, traps and time all use it. */
	smp_init_boot_cpu();
	start_info = si;
	if (check_start_info(si))
		kernel_shutdown(SV_SHUTDOWN_crash, 1);

	traps_init(si->upcall_vector);
	ret = apic_init_cpu();
	if (ret)
		panic("vcpu 0: cannot enable the local APIC (%d)", ret);
	time_init(si->tsc_khz);
	ret = evtchn_init();
	if (ret)
		panic("event channels: %d", ret);
	/* -ENOENT (no backend) keeps the hypercall; anything else is worth a line there. */
	ret = console_init();
	if (ret && ret != -ENOENT)
		printk("console ring: %d, staying on console_io\n", ret);
	ret = page_alloc_init(si->kernel_end, si->mem_bytes);
	if (ret)
		panic("page allocator: %d", ret);
	heap_init();
	/* Not fatal: a guest that grants nothing runs without a table. */
	ret = gnttab_init();
	if (ret)
		printk("grant table: setup failed (%d)\n", ret);

	/* The core's page is not ours to terminate: copy the command line out. */
	while (len < sizeof(cmdline) - 1 && len < sizeof(si->cmdline) && si->cmdline[len]) {
		cmdline[len] = si->cmdline[len];
		len++;
	}
	cmdline[len] = '\0';
	argc = split_args(cmdline, argv, MAX_ARGS);
	/* An empty command line says hello rather than failing. */
	if (!argc) {
		argv[0] = default_app;
		argc = 1;
	}

	app = app_find(argv[0]);
	if (!app) {
		printk("unknown app '%s'\n", argv[0]);
		poweroff(2);
	}
	ret = app->main(argc, argv);
	poweroff((uint32_t)ret);
}
