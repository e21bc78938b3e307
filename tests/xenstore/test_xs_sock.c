// SPDX-License-Identifier: MIT
/*
 * svdom0's xenstore.sock connections (xs_sock.c) over the real library: a client that
 * writes requests and never reads its replies costs a bounded amount, and the other
 * clients keep being served.
 */
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "svdom0.h"
#include "xs_internal.h"
#include "xs_sock.h"
#include "xs_test.h"

static struct dom0 d0;

static void setup(void)
{
	memset(&d0, 0, sizeof(d0));
	d0.epfd = epoll_create1(EPOLL_CLOEXEC);
	ck_assert_int_ge(d0.epfd, 0);
	d0.xs = xs_server_new(NULL);
	ck_assert_ptr_nonnull(d0.xs);
}

static void teardown(void)
{
	xs_sock_free_all(&d0);
	xs_server_free(d0.xs);
	close(d0.epfd);
}

/* A connected client; the server's end joins svdom0's connections as dom0. */
static int client_connect(void)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	ck_assert_int_eq(xs_sock_add(&d0, sv[1], 0, NULL), 0);
	return sv[0];
}

/* What the server holds queued for its connections: replies and bytes. */
static void queued(unsigned int *max_replies, size_t *bytes)
{
	*max_replies = 0;
	*bytes = 0;
	for (struct xs_conn *c = d0.xs->conns; c; c = c->next) {
		if (c->out_replies > *max_replies)
			*max_replies = c->out_replies;
		for (struct xs_outmsg *m = c->out_head; m; m = m->next)
			*bytes += m->len;
	}
}

START_TEST(test_reader_that_never_reads)
{
	static char value[2048], req[64];
	unsigned int max_replies;
	size_t bytes, rlen = 0;
	long sent = 0;
	int flood, good;
	ssize_t n;

	memset(value, 'v', sizeof(value));
	{
		struct xt_client *admin = xt_client(d0.xs, 0);

		ck_assert_int_eq(xt_write_n(admin, 0, "/big", value, sizeof(value)), 0);
		xt_client_free(admin);
	}
	n = xs_msg_encode(req, sizeof(req), XS_READ, 7, 0, "/big", 5);
	ck_assert_int_gt(n, 0);
	rlen = (size_t)n;
	flood = client_connect();
	good = client_connect();
	/* 20000 reads of 2 KiB each: 40 MiB of replies if nothing holds the client back */
	for (int round = 0; round < 20000 && sent < 20000; round++) {
		while (sent < 20000 && send(flood, req, rlen, MSG_DONTWAIT) == (ssize_t)rlen)
			sent++;
		xs_sock_service(&d0);
	}
	queued(&max_replies, &bytes);
	ck_assert_uint_le(max_replies, 20);
	ck_assert_uint_le(bytes, 20 * (XS_HDR_SIZE + sizeof(value)));
	/* the flooder is held back, not served to the end */
	ck_assert_int_lt(sent, 20000);
	/* another client is still answered */
	{
		struct xs_msg_hdr h;
		const void *payload;
		static char buf[XS_MSG_MAX];
		size_t have = 0;

		ck_assert_int_eq(send(good, req, rlen, 0), (ssize_t)rlen);
		for (int i = 0; i < 100 && have < XS_HDR_SIZE + sizeof(value); i++) {
			xs_sock_service(&d0);
			n = recv(good, buf + have, sizeof(buf) - have, MSG_DONTWAIT);
			if (n > 0)
				have += (size_t)n;
		}
		ck_assert_int_eq(xs_msg_decode(buf, have, &h, &payload),
				 (ssize_t)(XS_HDR_SIZE + sizeof(value)));
		ck_assert_uint_eq(h.type, XS_READ);
		ck_assert_uint_eq(h.req_id, 7);
	}
	/* once the flooder reads, it is served again */
	{
		static char sink[1 << 16];
		long got = 0;

		for (int i = 0; i < 100000 && got < sent * (long)(XS_HDR_SIZE + sizeof(value));
		     i++) {
			xs_sock_service(&d0);
			while ((n = recv(flood, sink, sizeof(sink), MSG_DONTWAIT)) > 0)
				got += n;
		}
		ck_assert_int_eq(got, sent * (long)(XS_HDR_SIZE + sizeof(value)));
	}
	close(flood);
	close(good);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xenstore.sock");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reader_that_never_reads);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return xt_run(s);
}
