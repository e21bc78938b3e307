// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the consumers of guest-owned rings, with the guest's side written
 * by the input between every step (as a hostile guest may at any moment):
 *  - the shared request/response ring's backend side (ring.h), as blkback and
 *    netback consume it: producer checks, slot reads, responses, final checks;
 *  - the byte rings of the console and xenstore (byte_ring.h), both directions;
 *  - the xenstore ring pump (xs_ring_server_pump) feeding a real connection.
 * Each ring lies in its own exact-size heap block so that ASan sees any access
 * outside it; every consumer must stop or report a broken ring.
 */
#include <splitvisor/byte_ring.h>
#include <splitvisor/ring.h>

#include "fuzz.h"
#include "xenstore.h"

#define FUZZ_STEPS    64u
#define FUZZ_PAGE     4096u
#define FUZZ_SLOT     112u /* blkif's slot size: an odd fit, 32 entries */
#define FUZZ_BRING_SZ 1024u

static void fz_shared_ring(struct fz_in *in, uint8_t *page, struct sv_back_ring *r)
{
	uint32_t prod, taken = 0;
	uint8_t sink = 0;

	if (sv_back_req_prod(r, &prod) < 0)
		return; /* the backend disconnects here */
	while (r->req_cons != prod) {
		const uint8_t *req = sv_back_req(r, r->req_cons++);
		uint8_t *rsp;

		/* Copy the request out once, as the backends do, then answer it. */
		for (uint32_t i = 0; i < FUZZ_SLOT; i++)
			sink ^= req[i];
		rsp = sv_back_next_rsp(r);
		memset(rsp, sink, FUZZ_SLOT);
		FZ_CHECK(++taken <= r->entries);
	}
	sv_back_push_responses(r);
	if (fz_u8(in) & 1)
		sv_back_final_check(r);
	FZ_CHECK(page == (uint8_t *)r->s);
}

static void fz_byte_ring(struct fz_in *in, char *arr, uint32_t *cons, uint32_t *prod)
{
	char buf[FUZZ_BRING_SZ * 2];
	size_t want = fz_u16(in) % sizeof(buf);
	long n;

	if (fz_u8(in) & 1) {
		n = sv_bring_read(arr, FUZZ_BRING_SZ, cons, prod, buf, want, fz_u8(in) & 1);
	} else {
		memset(buf, 'x', want);
		n = sv_bring_write(arr, FUZZ_BRING_SZ, cons, prod, buf, want);
	}
	FZ_CHECK(n == SV_BRING_EBADIDX || (n >= 0 && (size_t)n <= want && n <= FUZZ_BRING_SZ));
	n = sv_bring_used(FUZZ_BRING_SZ, cons, prod);
	FZ_CHECK(n == SV_BRING_EBADIDX || (n >= 0 && n <= FUZZ_BRING_SZ));
}

static void fz_xs_pump(struct xs_ring_page *ring, struct xs_conn **conn, struct xs_server *srv)
{
	int ret = xs_ring_server_pump(ring, *conn);

	FZ_CHECK(ret <= 1);
	if (ret < 0 || xs_conn_is_dead(*conn)) {
		/* The daemon drops a guest whose ring broke; a new one starts clean. */
		xs_conn_free(*conn);
		*conn = xs_conn_new(srv, 1);
		if (!*conn)
			abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	uint8_t *page = malloc(FUZZ_PAGE);
	char *barr = malloc(FUZZ_BRING_SZ);
	uint32_t *bidx = malloc(2 * sizeof(uint32_t));
	struct xs_ring_page *xring = malloc(sizeof(*xring));
	struct xs_server_config cfg;
	struct xs_server *srv;
	struct xs_conn *conn;
	struct sv_back_ring r;

	if (!page || !barr || !bidx || !xring)
		abort();
	memset(page, 0, FUZZ_PAGE);
	memset(barr, 0, FUZZ_BRING_SZ);
	memset(bidx, 0, 2 * sizeof(uint32_t));
	memset(xring, 0, sizeof(*xring));
	xs_server_config_default(&cfg);
	srv = xs_server_new(&cfg);
	if (!srv || xs_domain_introduce(srv, 1, NULL))
		abort();
	conn = xs_conn_new(srv, 1);
	if (!conn)
		abort();
	sv_ring_shared_init((struct sv_ring_shared *)page);
	sv_back_ring_init(&r, (struct sv_ring_shared *)page, FUZZ_PAGE, FUZZ_SLOT);

	for (unsigned int step = 0; step < FUZZ_STEPS && in.left; step++) {
		uint8_t op = fz_u8(&in);
		const uint8_t *p;
		size_t n;

		switch (op % 6) {
		case 0: /* the guest writes into the shared ring page, indices included */
		case 1: {
			uint32_t off = fz_u16(&in) % FUZZ_PAGE;

			n = fz_chunk(&in, &p, FUZZ_PAGE - off);
			memcpy(page + off, p, n);
			fz_shared_ring(&in, page, &r);
			break;
		}
		case 2: /* the guest moves the byte ring's indices */
			bidx[0] = fz_u32(&in);
			bidx[1] = fz_u32(&in);
			fz_byte_ring(&in, barr, &bidx[0], &bidx[1]);
			break;
		case 3:
			fz_byte_ring(&in, barr, &bidx[0], &bidx[1]);
			break;
		case 4: { /* the guest writes its xenstore ring page */
			uint32_t off = fz_u16(&in) % sizeof(*xring);

			n = fz_chunk(&in, &p, sizeof(*xring) - off);
			memcpy((uint8_t *)xring + off, p, n);
			fz_xs_pump(xring, &conn, srv);
			break;
		}
		default: /* the guest writes a request through its ring, as a client */
			n = fz_chunk(&in, &p, XS_MSG_MAX);
			xs_ring_client_write(xring, p, n);
			fz_xs_pump(xring, &conn, srv);
			break;
		}
	}
	xs_conn_free(conn);
	xs_server_free(srv);
	free(xring);
	free(bidx);
	free(barr);
	free(page);
	return 0;
}
