// SPDX-License-Identifier: MIT
/*
 * Fuzz target: blkback's request handling, the way a hostile blkfront drives it:
 * the input writes the shared ring (slots and the producer index) and the pages
 * a request may name as indirect descriptor pages or data, then kicks; a few
 * rounds of that per device. The device serves a real temporary disk file with
 * io_uring against a fake guest (tests/unit/blk_harness.c) through the real
 * grant-access library.
 *
 * Grants are fixed so that seeds can name them: the ring is ref 8, data pages
 * are refs 9..16 (writable) and 17..18 (read-only), frames known to the
 * harness. Invariants: a kick either takes the ring or disconnects the device;
 * every request taken completes (nothing in flight after a drain); closing
 * unmaps every grant; and ASan sees every access, the I/O engine's included.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <splitvisor/blkif.h>

#include "blk_harness.h"
#include "blkback.h"
#include "fuzz.h"
#include "log.h"

#define FUZZ_GUEST    5u
#define FUZZ_RAM      (8u << 20)
#define FUZZ_DISK     (1u << 20)
#define FUZZ_RING_REF 8u
#define FUZZ_RW_PAGES 8u
#define FUZZ_RO_PAGES 2u
#define FUZZ_PAGES    (FUZZ_RW_PAGES + FUZZ_RO_PAGES)
#define FUZZ_ROUNDS   4u

static struct bh_guest g;
static struct gnt_mapper mapper;
static struct blk_disk disk;
static uint8_t *ring_page, *pages;
static uint32_t ring_ref;
static unsigned int notified;

static void fz_notify(void *opaque)
{
	(void)opaque;
	notified++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[256], err[256];
	uint32_t i;

	(void)argc;
	(void)argv;
	/* Refusals are the point; their warnings would only slow the fuzzer down. */
	log_set_level(LOG_LEVEL_ERR);
	if (bh_guest_create(&g, FUZZ_GUEST, 0, FUZZ_RAM) || gnt_mapper_init(&mapper, 0, 1u << 12))
		abort();
	if (bh_temp_disk(path, sizeof(path), FUZZ_DISK) ||
	    blk_disk_open(&disk, NULL, NULL, path, BLK_CACHE_DEFAULT, false, err, sizeof(err)))
		abort();
	unlink(path);
	ring_page = bh_alloc_pages(&g, 1);
	pages = bh_alloc_pages(&g, FUZZ_PAGES);
	if (!ring_page || !pages)
		abort();
	ring_ref = (uint32_t)bh_grant(&g, ring_page, false);
	/* The seeds name these refs: a change in the harness must not silently void them. */
	if (ring_ref != FUZZ_RING_REF)
		abort();
	for (i = 0; i < FUZZ_PAGES; i++)
		if (bh_grant(&g, pages + i * BH_PAGE, i >= FUZZ_RW_PAGES) !=
		    (int)(FUZZ_RING_REF + 1 + i))
			abort();
	return 0;
}

/* Runs the completion side until nothing is in flight. */
static void fz_drain(struct blkback *b)
{
	struct pollfd pfd = { .fd = blkback_io_fd(b), .events = POLLIN };
	unsigned int idle = 0;

	FZ_CHECK(blkback_complete(b) == 0);
	while (blkback_inflight(b)) {
		if (poll(&pfd, 1, 1000) == 0)
			FZ_CHECK(++idle < 10); /* ten idle seconds: the device lost a request */
		FZ_CHECK(blkback_complete(b) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	struct sv_ring_shared *s = (struct sv_ring_shared *)ring_page;
	struct blkback_params p;
	struct blkback *b = NULL;
	uint32_t req_prod = 0;
	int ret;
	char err[256];
	uint8_t flags = fz_u8(&in);

	memset(ring_page, 0, BH_PAGE);
	memset(pages, 0, FUZZ_PAGES * BH_PAGE);
	sv_ring_shared_init(s);
	p = (struct blkback_params){ .granter = &g.granter,
				     .mapper = &mapper,
				     .ring_refs = &ring_ref,
				     .ring_order = 0,
				     .disk = &disk,
				     .persistent = flags & 1,
				     .engine = BLKBACK_IO_URING,
				     .notify = fz_notify,
				     .name = "fuzz vbd" };
	if (blkback_open(&b, &p, err, sizeof(err)))
		abort();

	for (unsigned int round = 0; round < FUZZ_ROUNDS && in.left; round++) {
		const uint8_t *chunk;
		uint32_t off = fz_u16(&in) % (BH_PAGE - SV_RING_HDR_SIZE);
		size_t n = fz_chunk(&in, &chunk, BH_PAGE - SV_RING_HDR_SIZE - off);
		uint8_t more = fz_u8(&in);

		/* Slots first, then pages that requests may point at, then the producer. */
		memcpy(ring_page + SV_RING_HDR_SIZE + off, chunk, n);
		off = fz_u32(&in) % (FUZZ_PAGES * BH_PAGE);
		n = fz_chunk(&in, &chunk, FUZZ_PAGES * BH_PAGE - off);
		memcpy(pages + off, chunk, n);
		/* Mostly a plausible producer; sometimes anything at all. */
		if (more & 0x80)
			req_prod = fz_u32(&in);
		else
			req_prod += more & 0x3f;
		__atomic_store_n(&s->req_prod, req_prod, __ATOMIC_RELEASE);
		/* A kick is bounded: the device thread kicks again while it says more. */
		do
			ret = blkback_kick(b);
		while (ret == BLKBACK_KICK_MORE);
		if (ret == -EPROTO) {
			FZ_CHECK(blkback_disconnected(b));
			break;
		}
		FZ_CHECK(ret == 0);
		/*
		 * Nothing on the ring page is checked afterwards: a read into the
		 * guest's own ring page (its grant is writable) may rewrite it.
		 */
		fz_drain(b);
	}
	fz_drain(b);
	blkback_close(b);
	/* The device unmapped everything it mapped, the ring included. */
	FZ_CHECK(gnt_unmap_all(&mapper) == 0);
	return 0;
}
