// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the control socket's wire format as svcored and svdom0 read it:
 * any byte stream, in pieces of any size, through a real socket into the
 * non-blocking connection (wire_conn_read, wire_conn_next) and every complete
 * request through the validation that runs before any handler
 * (wire_check_request). Invariants: a message handed out fits the limits;
 * a refusal comes with a sentence; broken framing is reported, never skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl_wire.h"
#include "fuzz.h"

#define FUZZ_STEPS 64u

/* Handles what is complete; false once the framing is lost (the daemon closes). */
static bool fz_handle(struct wire_conn *c)
{
	struct sv_ctl_hdr h;
	const void *payload;
	int ret;

	while ((ret = wire_conn_next(c, &h, &payload)) == 1) {
		char err[256] = "";
		int chk;

		FZ_CHECK(h.len <= SV_CTL_PAYLOAD_MAX);
		chk = wire_check_request(&h, payload, err, sizeof(err));
		FZ_CHECK(chk <= 0);
		if (chk)
			FZ_CHECK(err[0] != '\0');
		wire_conn_pop(c);
	}
	if (ret < 0) {
		FZ_CHECK(ret == -EMSGSIZE);
		return false;
	}
	return true;
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
	struct wire_conn *c = malloc(sizeof(*c));
	int sv[2];

	if (!c || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		abort();
	wire_conn_init(c, sv[0]);
	for (unsigned int step = 0; step < FUZZ_STEPS && in.left; step++) {
		const uint8_t *p;
		size_t n = fz_chunk(&in, &p, 2 * SV_CTL_MSG_MAX);

		if (n && write(sv[1], p, n) != (ssize_t)n)
			break; /* the socket is full: the peer stopped reading, as it would */
		if (wire_conn_read(c) < 0 || !fz_handle(c))
			break;
	}
	wire_conn_close(c);
	close(sv[1]);
	free(c);
	return 0;
}
