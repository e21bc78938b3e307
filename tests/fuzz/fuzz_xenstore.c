// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the xenstore server's wire protocol. Input: a sequence of steps,
 * each bytes fed to one of three connections (the control domain's and two
 * guests'; messages may be split anywhere) or a guest released and introduced
 * again. After every step each connection's output is taken whole and must be a
 * sequence of well-formed messages; a connection whose framing broke is
 * replaced, as the daemon closes it.
 */
#include <errno.h>

#include "fuzz.h"
#include "xenstore.h"

#define FUZZ_CONNS 3u
#define FUZZ_STEPS 256u
#define FUZZ_OUT   (1u << 20)

static const uint16_t conn_domid[FUZZ_CONNS] = { 0, 1, 2 };
static uint8_t out_buf[FUZZ_OUT];

/* Takes everything queued; it must decode into whole messages. */
static void fz_drain(struct xs_conn *c)
{
	size_t have = 0, off = 0, len;
	const void *p;

	for (xs_conn_output(c, &p, &len); len; xs_conn_output(c, &p, &len)) {
		if (have + len > sizeof(out_buf)) {
			/* Too much for one check: validate what is held, keep the rest. */
			xs_conn_consume(c, len);
			have = 0;
			off = 0;
			continue;
		}
		memcpy(out_buf + have, p, len);
		xs_conn_consume(c, len);
		have += len;
	}
	while (off < have) {
		struct xs_msg_hdr hdr;
		const void *payload;
		ssize_t n = xs_msg_decode(out_buf + off, have - off, &hdr, &payload);

		FZ_CHECK(n > 0);
		FZ_CHECK(hdr.len <= XS_PAYLOAD_MAX);
		FZ_CHECK(hdr.type < XS_TYPE_COUNT);
		off += (size_t)n;
	}
}

static struct xs_conn *fz_conn(struct xs_server *srv, unsigned int i)
{
	struct xs_conn *c = xs_conn_new(srv, conn_domid[i]);

	if (!c)
		abort();
	return c;
}

/* Feeds bytes the way the daemon does: what is not consumed waits for a drain. */
static void fz_feed(struct xs_server *srv, struct xs_conn **slot, unsigned int i, const uint8_t *p,
		    size_t n)
{
	unsigned int rounds = 0;

	while (n) {
		ssize_t used = xs_conn_feed(*slot, p, n);

		if (used < 0) {
			FZ_CHECK(used == -EPIPE);
			fz_drain(*slot);
			xs_conn_free(*slot);
			*slot = fz_conn(srv, i);
			return;
		}
		FZ_CHECK((size_t)used <= n);
		p += used;
		n -= (size_t)used;
		fz_drain(*slot);
		/* A connection that takes nothing even when drained would hang the daemon. */
		if (!used && ++rounds > 2)
			FZ_CHECK(!"connection stopped taking requests with nothing to drain");
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
	struct xs_conn *conns[FUZZ_CONNS];
	struct xs_server_config cfg;
	struct xs_server *srv;
	unsigned int i, step;

	xs_server_config_default(&cfg);
	srv = xs_server_new(&cfg);
	if (!srv)
		abort();
	for (i = 1; i < FUZZ_CONNS; i++)
		if (xs_domain_introduce(srv, conn_domid[i], NULL))
			abort();
	for (i = 0; i < FUZZ_CONNS; i++)
		conns[i] = fz_conn(srv, i);

	for (step = 0; step < FUZZ_STEPS && in.left; step++) {
		uint8_t sel = fz_u8(&in);
		const uint8_t *p;
		size_t n;

		i = (sel & 0x7f) % FUZZ_CONNS;
		if (sel & 0x80 && i) {
			/* The guest goes away and comes back, as a domain's release and rebirth. */
			int ret = xs_domain_release(srv, conn_domid[i]);

			/* The control domain may have released it already with XS_RELEASE. */
			FZ_CHECK(ret == 0 || ret == -ENOENT);
			fz_drain(conns[i]);
			xs_conn_free(conns[i]);
			ret = xs_domain_introduce(srv, conn_domid[i], NULL);
			FZ_CHECK(ret == 0 || ret == -EEXIST);
			conns[i] = fz_conn(srv, i);
			for (unsigned int j = 0; j < FUZZ_CONNS; j++)
				fz_drain(conns[j]);
			continue;
		}
		n = fz_chunk(&in, &p, 2 * XS_MSG_MAX);
		if (xs_conn_is_dead(conns[i])) {
			xs_conn_free(conns[i]);
			conns[i] = fz_conn(srv, i);
		}
		fz_feed(srv, &conns[i], i, p, n);
		for (unsigned int j = 0; j < FUZZ_CONNS; j++)
			fz_drain(conns[j]);
	}
	for (i = 0; i < FUZZ_CONNS; i++)
		xs_conn_free(conns[i]);
	xs_server_free(srv);
	return 0;
}
