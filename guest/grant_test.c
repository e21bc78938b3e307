// SPDX-License-Identifier: MIT
/*
 * grant-test: the guest half of tests/kvm/test_grant_kvm.c. Handshake, each
 * step waiting for the previous one so nothing depends on timing:
 *   guest: grants ro (pattern) and rw to domid 0, prints "ready"
 *   host:  maps both, checks, writes MAGIC into rw while keeping it mapped
 *   guest: sees MAGIC, end_access(rw) must be refused, prints "end refused"
 *   host:  unmaps both
 *   guest: end_access of both succeeds (polled), prints "ended", exit 0
 */
#include <errno.h>
#include "apps.h"
#include "arch.h"
#include "console.h"
#include "grant.h"
#include "ktime.h"
#include "page_alloc.h"

/* The host side uses the same values. */
#define GRANT_TEST_MAGIC      0x31304e4754475653ull /* "SVGTGN01" */
#define GRANT_TEST_TIMEOUT_MS 120000u

static uint8_t pattern_byte(uint32_t i)
{
	return (uint8_t)(i * 7 + 3);
}

/* Polls every millisecond until the step is done; 0 or -ETIMEDOUT. */
static int wait_for_magic(const uint64_t *word)
{
	for (uint32_t ms = 0; ms < GRANT_TEST_TIMEOUT_MS; ms++) {
		if (__atomic_load_n(word, __ATOMIC_ACQUIRE) == GRANT_TEST_MAGIC)
			return 0;
		msleep(1);
	}
	return -ETIMEDOUT;
}

static int wait_end_access(int ref)
{
	for (uint32_t ms = 0; ms < GRANT_TEST_TIMEOUT_MS; ms++) {
		int ret = gnttab_end_access((uint32_t)ref);

		if (ret != -EBUSY)
			return ret;
		msleep(1);
	}
	return -ETIMEDOUT;
}

int grant_test_main(int argc, char **argv)
{
	uint8_t *ro = alloc_pages(1), *rw = alloc_pages(1);
	int ro_ref, rw_ref, ret;

	(void)argc;
	(void)argv;
	if (!ro || !rw) {
		printk("grant-test: out of pages\n");
		return 1;
	}
	for (uint32_t i = 0; i < PAGE_SIZE; i++) {
		ro[i] = pattern_byte(i);
		rw[i] = 0;
	}
	ro_ref = gnttab_grant_access(0, (uint32_t)((uintptr_t)ro >> PAGE_SHIFT), 1);
	rw_ref = gnttab_grant_access(0, (uint32_t)((uintptr_t)rw >> PAGE_SHIFT), 0);
	if (ro_ref < 0 || rw_ref < 0) {
		printk("grant-test: grant_access failed: %d %d\n", ro_ref, rw_ref);
		return 1;
	}
	printk("grant-test: ro=%d rw=%d ready\n", ro_ref, rw_ref);

	if (wait_for_magic((const uint64_t *)rw)) {
		printk("grant-test: no magic from the host\n");
		return 1;
	}
	/* The host keeps rw mapped until it reads our next line: this must be refused. */
	if (gnttab_query_foreign_access((uint32_t)rw_ref) != 1) {
		printk("grant-test: rw not marked in use\n");
		return 1;
	}
	ret = gnttab_end_access((uint32_t)rw_ref);
	if (ret != -EBUSY) {
		printk("grant-test: end_access of a mapped grant gave %d\n", ret);
		return 1;
	}
	printk("grant-test: end refused\n");

	ret = wait_end_access(rw_ref);
	if (!ret)
		ret = wait_end_access(ro_ref);
	if (ret) {
		printk("grant-test: end_access after unmap gave %d\n", ret);
		return 1;
	}
	printk("grant-test: ended\n");
	return 0;
}
