// SPDX-License-Identifier: MIT
/*
 * Fuzz target: netback's TX and RX paths, the way a hostile netfront drives
 * them: the input writes the TX ring (slots, extra infos, producer) and the
 * granted pages the slots point at, then kicks; it posts RX buffers through the
 * RX ring and has the switch hand the vif frames of any size. Against a fake
 * guest (tests/unit/blk_harness.c) and the real grant-access library.
 *
 * Grants are fixed so that seeds can name them: the TX ring is ref 8, the RX
 * ring ref 9, data pages refs 10..17. Invariants: a frame handed to the switch
 * has a plausible length; TX and RX answer with known errnos; closing unmaps
 * every grant; and ASan sees every access.
 */
#include <errno.h>

#include <splitvisor/netif.h>

#include "blk_harness.h"
#include "fuzz.h"
#include "log.h"
#include "netback.h"

#define FUZZ_GUEST     5u
#define FUZZ_RAM       (4u << 20)
#define FUZZ_TX_REF    8u
#define FUZZ_DATA      8u
#define FUZZ_STEPS     16u
#define FUZZ_FRAME_MAX (NETIF_MAX_FRAME + 64u)

static struct bh_guest g;
static struct gnt_mapper mapper;
static uint8_t *tx_page, *rx_page, *pages;
static uint32_t tx_req, rx_req;
static uint8_t frame_buf[FUZZ_FRAME_MAX];

static void fz_notify(void *opaque)
{
	(void)opaque;
}

static void fz_deliver(void *opaque, const uint8_t *frame, size_t len)
{
	uint8_t sink = 0;

	(void)opaque;
	FZ_CHECK(len >= NETIF_ETH_MIN_FRAME && len <= NETIF_MAX_FRAME);
	/* Read it whole, so that ASan checks the buffer netback handed over. */
	for (size_t i = 0; i < len; i++)
		sink ^= frame[i];
	FZ_CHECK(sink == sink);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Refusals are the point; their warnings would only slow the fuzzer down. */
	log_set_level(LOG_LEVEL_ERR);
	if (bh_guest_create(&g, FUZZ_GUEST, 0, FUZZ_RAM) || gnt_mapper_init(&mapper, 0, 1u << 12))
		abort();
	tx_page = bh_alloc_pages(&g, 1);
	rx_page = bh_alloc_pages(&g, 1);
	pages = bh_alloc_pages(&g, FUZZ_DATA);
	if (!tx_page || !rx_page || !pages)
		abort();
	/* The seeds name these refs: a change in the harness must not silently void them. */
	if (bh_grant(&g, tx_page, false) != FUZZ_TX_REF ||
	    bh_grant(&g, rx_page, false) != FUZZ_TX_REF + 1)
		abort();
	for (uint32_t i = 0; i < FUZZ_DATA; i++)
		if (bh_grant(&g, pages + i * BH_PAGE, false) != (int)(FUZZ_TX_REF + 2 + i))
			abort();
	return 0;
}

/* The guest writes part of a page: a ring's slots or data. */
static void fz_write(struct fz_in *in, uint8_t *base, size_t size)
{
	uint32_t off = fz_u32(in) % size;
	const uint8_t *p;
	size_t n = fz_chunk(in, &p, size - off);

	memcpy(base + off, p, n);
}

/* Mostly a plausible producer; sometimes anything at all. */
static uint32_t fz_prod(struct fz_in *in, uint32_t prod)
{
	uint8_t how = fz_u8(in);

	return how & 0x80 ? fz_u32(in) : prod + (how & 0x3f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	struct netback_params p;
	struct netback *nb;
	char err[256];
	uint8_t flags = fz_u8(&in);
	bool dead = false;

	memset(tx_page, 0, BH_PAGE);
	memset(rx_page, 0, BH_PAGE);
	memset(pages, 0, FUZZ_DATA * BH_PAGE);
	sv_ring_shared_init((struct sv_ring_shared *)tx_page);
	sv_ring_shared_init((struct sv_ring_shared *)rx_page);
	tx_req = rx_req = 0;
	p = (struct netback_params){ .granter = &g.granter,
				     .mapper = &mapper,
				     .tx_ring_ref = FUZZ_TX_REF,
				     .rx_ring_ref = FUZZ_TX_REF + 1,
				     .mac = { 0x00, 0x16, 0x3e, 0, 0, 1 },
				     .mtu = flags & 2 ? 9000 : 0,
				     .sg = flags & 1,
				     .notify = fz_notify,
				     .deliver = fz_deliver,
				     .name = "fuzz vif" };
	if (netback_open(&nb, &p, err, sizeof(err)))
		abort();

	for (unsigned int step = 0; step < FUZZ_STEPS && in.left && !dead; step++) {
		int ret;

		switch (fz_u8(&in) % 4) {
		case 0: /* TX slots, then the producer, then a kick */
			fz_write(&in, tx_page + SV_RING_HDR_SIZE, BH_PAGE - SV_RING_HDR_SIZE);
			tx_req = fz_prod(&in, tx_req);
			__atomic_store_n(&((struct sv_ring_shared *)tx_page)->req_prod, tx_req,
					 __ATOMIC_RELEASE);
			do
				ret = netback_tx_kick(nb);
			while (ret == 1);
			FZ_CHECK(ret == 0 || ret == -EPROTO);
			/*
			 * No check of the response index here: the guest may post its own
			 * ring page as an RX buffer, and then a frame rewrites it.
			 */
			dead = ret == -EPROTO;
			break;
		case 1: /* data the slots point at */
			fz_write(&in, pages, FUZZ_DATA * BH_PAGE);
			break;
		case 2: /* RX buffers posted */
			fz_write(&in, rx_page + SV_RING_HDR_SIZE, BH_PAGE - SV_RING_HDR_SIZE);
			rx_req = fz_prod(&in, rx_req);
			__atomic_store_n(&((struct sv_ring_shared *)rx_page)->req_prod, rx_req,
					 __ATOMIC_RELEASE);
			break;
		default: { /* the switch has a frame for the guest */
			size_t len = fz_u32(&in) % FUZZ_FRAME_MAX;
			const uint8_t *chunk;
			size_t n = fz_chunk(&in, &chunk, len);

			memcpy(frame_buf, chunk, n);
			memset(frame_buf + n, 0x5a, len - n);
			ret = netback_rx_frame(nb, frame_buf, len);
			FZ_CHECK(ret == 0 || ret == -ENOBUFS || ret == -EMSGSIZE ||
				 ret == -EINVAL || ret == -EFAULT || ret == -EPROTO ||
				 ret == -ENOTCONN);
			ret = netback_rx_flush(nb);
			FZ_CHECK(ret == 0 || ret == -ENOTCONN);
			/* RX responses follow frames, not posted buffers: nothing to compare. */
			dead = netback_disconnected(nb);
			break;
		}
		}
	}
	netback_close(nb);
	FZ_CHECK(gnt_unmap_all(&mapper) == 0);
	return 0;
}
