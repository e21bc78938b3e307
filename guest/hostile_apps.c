// SPDX-License-Identifier: MIT
/*
 * blkhostile: a hostile block frontend. It connects its first disk like any
 * guest, then writes requests into the ring itself that a backend must refuse
 * without touching anything of ours it was not given: a grant reference out of
 * the table, a page granted to another domain, a read (the backend writes)
 * into a readonly grant, a segment whose sectors run backwards, too many
 * segments. Each must be answered with BLKIF_RSP_ERROR. Then it breaks the
 * ring (req_prod far past anything the ring holds): the backend must give up
 * this device (Closing, with an error node) and go on serving everyone else,
 * which the test checks on the host. Prints "blkhostile: PASS" when every
 * refusal came, then "blkhostile: done"; exit 0 on PASS, 1 otherwise.
 */
#include <errno.h>
#include <string.h>

#include <splitvisor/blkif.h>
#include <splitvisor/ring.h>

#include "apps.h"
#include "arch.h"
#include "blkdev.h"
#include "blkfront_ring.h"
#include "console.h"
#include "evtchn.h"
#include "grant.h"
#include "ktime.h"
#include "page_alloc.h"
#include "xenbus_dev.h"

#define BH_WAIT_NS  (20 * NSEC_PER_SEC)
#define BH_BAD_ID   0xb4d0000000000000ull
#define BH_REF_HUGE 0x00ffff00u

struct bh_case {
	const char *what;
	uint8_t operation, nr_segments;
	uint8_t first_sect, last_sect;
	int grant; /* 0: BH_REF_HUGE, 1: to another domid, 2: readonly to the backend, 3: rw */
};

static const struct bh_case bh_cases[] = {
	{ "a grant reference outside the table", BLKIF_OP_READ, 1, 0, 7, 0 },
	{ "a page granted to another domain", BLKIF_OP_READ, 1, 0, 7, 1 },
	{ "a read into a readonly grant", BLKIF_OP_READ, 1, 0, 7, 2 },
	{ "sectors that run backwards", BLKIF_OP_WRITE, 1, 7, 0, 3 },
	{ "more segments than a request holds", BLKIF_OP_WRITE, BLKIF_MAX_SEGMENTS_PER_REQUEST + 1,
	  0, 7, 3 },
};

/* One raw request; the response it got (its status), or 1 when none came in time. */
static int bh_one(struct blkfront *bf, struct xenbus_dev *xb, const struct bh_case *c, uint32_t ref,
		  uint64_t id)
{
	struct sv_front_ring *r = &bf->ring;
	struct blkif_request *req = sv_front_next_req(r);
	uint64_t deadline = now_ns() + BH_WAIT_NS;

	memset(req, 0, sizeof(*req));
	req->operation = c->operation;
	req->nr_segments = c->nr_segments;
	req->id = id;
	req->sector_number = 0;
	for (uint32_t i = 0; i < c->nr_segments && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
		req->seg[i] = (struct blkif_request_segment){ .gref = ref,
							      .first_sect = c->first_sect,
							      .last_sect = c->last_sect };
	sv_front_push_requests(r);
	xbdev_notify(xb);
	while (now_ns() < deadline) {
		if (sv_front_unconsumed(r)) {
			struct blkif_response *rsp = sv_front_rsp(r, r->rsp_cons++);

			if (rsp->id == id)
				return rsp->status;
			continue;
		}
		evtchn_wait(xb->port, now_ns() + NSEC_PER_SEC / 10);
	}
	return 1;
}

static int bh_grant(struct xenbus_dev *xb, void *page, int kind)
{
	uint32_t frame = (uint32_t)((uintptr_t)page >> PAGE_SHIFT);

	switch (kind) {
	case 0:
		return (int)BH_REF_HUGE;
	case 1:
		return gnttab_grant_access(xb->backend_id ? 0 : 1, frame, 0);
	case 2:
		return gnttab_grant_access(xb->backend_id, frame, 1);
	default:
		return gnttab_grant_access(xb->backend_id, frame, 0);
	}
}

int blkhostile_main(int argc, char **argv)
{
	struct xenbus_dev *xb;
	struct blkfront *bf;
	struct blkdev *d;
	uint8_t *page;
	unsigned int refused = 0;
	uint64_t deadline;
	int ret, st = 0;

	(void)argc;
	(void)argv;
	ret = blkdev_open(NULL, &d);
	if (ret) {
		printk("blkhostile: no disk (%d)\n", ret);
		return 1;
	}
	bf = blkdev_frontend(d, &xb);
	page = alloc_pages(1);
	if (!page) {
		printk("blkhostile: no memory\n");
		return 1;
	}
	memset(page, 0x5a, PAGE_SIZE);
	for (size_t i = 0; i < sizeof(bh_cases) / sizeof(bh_cases[0]); i++) {
		const struct bh_case *c = &bh_cases[i];
		int ref = bh_grant(xb, page, c->grant);

		if (ref < 0) {
			printk("blkhostile: cannot grant for '%s' (%d)\n", c->what, ref);
			continue;
		}
		ret = bh_one(bf, xb, c, (uint32_t)ref, BH_BAD_ID + i);
		if (c->grant)
			gnttab_end_access((uint32_t)ref);
		printk("blkhostile: %s: %s\n", c->what,
		       ret == BLKIF_RSP_ERROR ? "refused"
		       : ret == 1	      ? "NO ANSWER"
					      : "ACCEPTED");
		refused += ret == BLKIF_RSP_ERROR;
	}
	/* A page the backend wrote into would no longer be all 0x5a. */
	for (size_t i = 0; i < PAGE_SIZE; i++)
		if (page[i] != 0x5a) {
			printk("blkhostile: the backend wrote into a page it was refused\n");
			refused = 0;
			break;
		}
	/* The ring itself: a producer far beyond what it holds. */
	bf->ring.s->req_prod = bf->ring.rsp_cons + 16 * bf->ring.entries;
	xbdev_notify(xb);
	deadline = now_ns() + BH_WAIT_NS;
	while (now_ns() < deadline) {
		st = xbdev_backend_state(xb);
		if (st >= XB_CLOSING || st == 0)
			break;
		evtchn_wait(xb->port, now_ns() + NSEC_PER_SEC / 10);
	}
	printk("blkhostile: broken ring: backend state %d\n", st);
	if (refused == sizeof(bh_cases) / sizeof(bh_cases[0]) && (st >= XB_CLOSING || st == 0))
		printk("blkhostile: PASS\n");
	printk("blkhostile: done\n");
	return refused == sizeof(bh_cases) / sizeof(bh_cases[0]) && st >= XB_CLOSING ? 0 : 1;
}
