// SPDX-License-Identifier: MIT
/*
 * wallclock: prints the time of day the core gives this domain (shared info's wall clock plus
 * system time) and the grant-table limit it was given, for the host to compare with its own.
 */
#include <stdint.h>
#include <splitvisor/event_channel.h>
#include <splitvisor/grant_table.h>
#include <splitvisor/hypercall.h>

#include "apps.h"
#include "boot_info.h"
#include "hypercall.h"
#include "ktime.h"
#include "console.h"

/* A consistent copy: wc_version is odd while the core writes, and changes after. */
static void read_wallclock(uint64_t *sec, uint32_t *nsec)
{
	const volatile struct sv_shared_info *si =
		(const volatile struct sv_shared_info *)(uintptr_t)start_info->shared_info_gpa;
	uint32_t version;

	do {
		version = __atomic_load_n(&si->wc_version, __ATOMIC_ACQUIRE);
		*sec = si->wc_sec;
		*nsec = si->wc_nsec;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((version & 1) || version != si->wc_version);
}

int wallclock_main(int argc, char **argv)
{
	struct gnttab_query_size qs = { 0 };
	uint64_t sec, ns;
	uint32_t nsec;
	long ret;

	(void)argc;
	(void)argv;
	read_wallclock(&sec, &nsec);
	ns = now_ns() + nsec;
	printk("wallclock: %llu.%09llu\n", (unsigned long long)(sec + ns / NSEC_PER_SEC),
	       (unsigned long long)(ns % NSEC_PER_SEC));
	ret = hypercall3(SV_HC_grant_table_op, GNTTABOP_query_size, (uint64_t)(uintptr_t)&qs, 0);
	if (ret) {
		printk("wallclock: query_size failed: %ld\n", ret);
		return 1;
	}
	printk("wallclock: grant frames %u of at most %u\n", qs.nr_frames, qs.max_nr_frames);
	return 0;
}
