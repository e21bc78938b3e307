// SPDX-License-Identifier: MIT
/*
 * grant-offer DOMID: the guest half of tests/kvm/test_procdom_kvm.c, a guest
 * that offers pages and a port to a process domain (a driver domain) that may
 * reach them only through the core. Handshake, each step waiting for the last:
 *   guest: a secret page granted to nobody, ro (pattern) and rw (zero) granted
 *          to DOMID, a secret page granted to DOMID+1, the grant table and a
 *          core page granted to DOMID, a port offered to DOMID and one to
 *          DOMID+1; prints "ready" with all of them
 *   host:  its refusals, then copies and maps, binds port, writes a pattern at
 *          rw[256..512) by grant copy and MAGIC at rw[0] through its mapped page
 *   guest: sees both and the binding's event, writes MAGIC2 at rw[8], sends on
 *          port, prints "saw writes"
 *   host:  reads MAGIC2 through its map after the notify, raises port (send eventfd)
 *   guest: sees the event, prints "raised"
 *   host:  closes its connection
 *   guest: end_access(rw) succeeds once the map is undone and rw still holds
 *          what was written, prints "after close ok"
 *   host:  a new process domain with the same domid binds port again, raises it
 *   guest: sees the event, prints "done" and waits
 *   host:  maps ro and destroys the guest with that map outstanding
 */
#include <errno.h>
#include <string.h>
#include "apps.h"
#include "arch.h"
#include "console.h"
#include "evtchn.h"
#include "grant.h"
#include "kstring.h"
#include "ktime.h"
#include "page_alloc.h"

/* The host side uses the same values. */
#define OFFER_MAGIC	 0x3130524646455653ull /* "SVEFFR01" */
#define OFFER_MAGIC2	 0x3230524646455653ull /* "SVEFFR02" */
#define OFFER_SECRET	 0x5445524345535653ull /* "SVSECRET" */
#define OFFER_TIMEOUT_NS (300ull * NSEC_PER_SEC)

static uint8_t pattern_byte(uint32_t i)
{
	return (uint8_t)(i * 7 + 3);
}

static uint8_t copy_byte(uint32_t i)
{
	return (uint8_t)(i * 13 + 1);
}

static void fill_secret(uint8_t *page)
{
	for (uint32_t i = 0; i < PAGE_SIZE; i += 8)
		memcpy(page + i, &(uint64_t){ OFFER_SECRET }, 8);
}

static int wait_word(const uint64_t *word, uint64_t want)
{
	uint64_t deadline = now_ns() + OFFER_TIMEOUT_NS;

	while (__atomic_load_n(word, __ATOMIC_ACQUIRE) != want) {
		if (now_ns() > deadline)
			return -ETIMEDOUT;
		msleep(1);
	}
	return 0;
}

static int wait_end_access(int ref)
{
	uint64_t deadline = now_ns() + OFFER_TIMEOUT_NS;
	int ret;

	while ((ret = gnttab_end_access((uint32_t)ref)) == -EBUSY) {
		if (now_ns() > deadline)
			return -ETIMEDOUT;
		msleep(1);
	}
	return ret;
}

static uint32_t frame_of(const void *p)
{
	return (uint32_t)((uintptr_t)p >> PAGE_SHIFT);
}

int grant_offer_main(int argc, char **argv)
{
	uint8_t *secret = alloc_pages(1), *ro = alloc_pages(1), *rw = alloc_pages(1);
	uint8_t *other = alloc_pages(1);
	int ro_ref, rw_ref, other_ref, table_ref, core_ref, ret;
	uint32_t port, other_port;
	unsigned long long domid;

	if (argc != 2 || parse_u64(argv[1], &domid) || domid == 0 || domid >= 0x7fef) {
		printk("usage: grant-offer DOMID\n");
		return 2;
	}
	if (!secret || !ro || !rw || !other) {
		printk("grant-offer: out of pages\n");
		return 1;
	}
	fill_secret(secret);
	fill_secret(other);
	for (uint32_t i = 0; i < PAGE_SIZE; i++) {
		ro[i] = pattern_byte(i);
		rw[i] = 0;
	}
	ro_ref = gnttab_grant_access((uint16_t)domid, frame_of(ro), 1);
	rw_ref = gnttab_grant_access((uint16_t)domid, frame_of(rw), 0);
	other_ref = gnttab_grant_access((uint16_t)(domid + 1), frame_of(other), 0);
	table_ref = gnttab_grant_access((uint16_t)domid, gnttab_table_frame(), 0);
	core_ref = gnttab_grant_access((uint16_t)domid, 9 /* shared info */, 0);
	if (ro_ref < 0 || rw_ref < 0 || other_ref < 0 || table_ref < 0 || core_ref < 0) {
		printk("grant-offer: grant_access failed\n");
		return 1;
	}
	if (evtchn_alloc_unbound((uint16_t)domid, &port) ||
	    evtchn_alloc_unbound((uint16_t)(domid + 1), &other_port)) {
		printk("grant-offer: alloc_unbound failed\n");
		return 1;
	}
	printk("grant-offer: ro=%d rw=%d other=%d table=%d core=%d port=%u otherport=%u ready\n",
	       ro_ref, rw_ref, other_ref, table_ref, core_ref, port, other_port);

	if (wait_word((const uint64_t *)rw, OFFER_MAGIC)) {
		printk("grant-offer: no magic through the map\n");
		return 1;
	}
	for (uint32_t i = 256; i < 512; i++) {
		if (rw[i] != copy_byte(i)) {
			printk("grant-offer: rw[%u] is %u, not the copied byte\n", i, rw[i]);
			return 1;
		}
	}
	/* A new binding starts pending: this consumes that event. */
	if (evtchn_wait(port, now_ns() + OFFER_TIMEOUT_NS)) {
		printk("grant-offer: port %u was not bound\n", port);
		return 1;
	}
	__atomic_store_n((uint64_t *)(rw + 8), OFFER_MAGIC2, __ATOMIC_RELEASE);
	evtchn_send(port);
	printk("grant-offer: saw writes\n");
	if (evtchn_wait(port, now_ns() + OFFER_TIMEOUT_NS)) {
		printk("grant-offer: no event raised on port %u\n", port);
		return 1;
	}
	printk("grant-offer: raised\n");

	ret = wait_end_access(rw_ref);
	if (ret) {
		printk("grant-offer: end_access(rw) after close gave %d\n", ret);
		return 1;
	}
	if (*(uint64_t *)rw != OFFER_MAGIC || *(uint64_t *)(rw + 8) != OFFER_MAGIC2 ||
	    rw[300] != copy_byte(300)) {
		printk("grant-offer: rw lost what was written\n");
		return 1;
	}
	printk("grant-offer: after close ok\n");
	/* A new process domain with the same domid binds the port again and raises it. */
	if (evtchn_wait(port, now_ns() + OFFER_TIMEOUT_NS)) {
		printk("grant-offer: no event after the rebind\n");
		return 1;
	}
	printk("grant-offer: done\n");
	/* Up while the host maps a page and destroys us with the map outstanding. */
	evtchn_wait(port, now_ns() + OFFER_TIMEOUT_NS);
	return 0;
}
