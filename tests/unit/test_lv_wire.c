// SPDX-License-Identifier: MIT
/*
 * libvirt's RPC wire as svdom0 reads and writes it: the XDR codec (round trips,
 * padding, bounds on lengths and counts) and the packet framing on a socket
 * pair (split packets, hostile lengths, end of file, the bounded output queue).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lv_conn.h"
#include "lv_xdr.h"

START_TEST(xdr_round_trip)
{
	static const uint8_t uuid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	struct lv_xdr_out out;
	struct lv_xdr_in in;
	uint8_t got[16];
	char *s;

	lv_out_init(&out, 1024);
	lv_put_u32(&out, 0xdeadbeef);
	lv_put_i32(&out, -2);
	lv_put_u64(&out, 0x0102030405060708ull);
	lv_put_string(&out, "abcde");
	lv_put_fixed(&out, uuid, sizeof(uuid));
	lv_put_opt_string(&out, NULL);
	lv_put_opt_string(&out, "x");
	ck_assert_int_eq(out.err, 0);
	/* 4 + 4 + 8 + (4 + 8) + 16 + 4 + (4 + 4 + 4) */
	ck_assert_uint_eq(out.len, 60);
	/* big-endian, the string padded with zeros */
	ck_assert_int_eq(out.buf[0], 0xde);
	ck_assert_int_eq(out.buf[7], 0xfe);
	ck_assert_int_eq(out.buf[19], 5);
	ck_assert_int_eq(memcmp(out.buf + 20, "abcde\0\0\0", 8), 0);

	lv_in_init(&in, out.buf, out.len);
	ck_assert_uint_eq(lv_get_u32(&in), 0xdeadbeef);
	ck_assert_int_eq(lv_get_i32(&in), -2);
	ck_assert(lv_get_u64(&in) == 0x0102030405060708ull);
	s = lv_get_string(&in, 16);
	ck_assert_str_eq(s, "abcde");
	free(s);
	lv_get_fixed(&in, got, sizeof(got));
	ck_assert_int_eq(memcmp(got, uuid, 16), 0);
	ck_assert_uint_eq(lv_get_u32(&in), 0);
	ck_assert_uint_eq(lv_get_u32(&in), 1);
	s = lv_get_string(&in, 16);
	ck_assert_str_eq(s, "x");
	free(s);
	ck_assert(lv_in_done(&in));
	lv_out_free(&out);
}
END_TEST

/* A string of the given claimed length followed by n real bytes. */
static size_t string_claim(uint8_t *buf, uint32_t claim, size_t n)
{
	buf[0] = (uint8_t)(claim >> 24);
	buf[1] = (uint8_t)(claim >> 16);
	buf[2] = (uint8_t)(claim >> 8);
	buf[3] = (uint8_t)claim;
	memset(buf + 4, 'a', n);
	return 4 + n;
}

START_TEST(xdr_hostile_lengths)
{
	uint8_t buf[64];
	struct lv_xdr_in in;
	size_t len;

	/* a 4 GiB claim in a 12-byte message: refused before any allocation */
	len = string_claim(buf, 0xffffffffu, 8);
	lv_in_init(&in, buf, len);
	ck_assert_ptr_null(lv_get_string(&in, 1u << 30));
	ck_assert_int_eq(in.err, -EBADMSG);
	/* longer than the caller's bound, though present */
	len = string_claim(buf, 12, 12);
	lv_in_init(&in, buf, len);
	ck_assert_ptr_null(lv_get_string(&in, 8));
	ck_assert_int_eq(in.err, -EBADMSG);
	/* the padding missing */
	len = string_claim(buf, 5, 5);
	lv_in_init(&in, buf, len);
	ck_assert_ptr_null(lv_get_string(&in, 8));
	/* an embedded NUL */
	len = string_claim(buf, 4, 4);
	buf[5] = '\0';
	lv_in_init(&in, buf, len);
	ck_assert_ptr_null(lv_get_string(&in, 8));
	/* errors stick: later reads return zeros */
	ck_assert_uint_eq(lv_get_u32(&in), 0);
	ck_assert(!lv_in_done(&in));
	/* short input for a number */
	lv_in_init(&in, buf, 3);
	ck_assert_uint_eq(lv_get_u32(&in), 0);
	ck_assert_int_eq(in.err, -EBADMSG);
	/* trailing bytes: read fine, but not done */
	lv_in_init(&in, buf, 8);
	lv_get_u32(&in);
	ck_assert(!lv_in_done(&in));
}
END_TEST

START_TEST(xdr_hostile_counts)
{
	uint8_t buf[8] = { 0x7f, 0xff, 0xff, 0xff };
	struct lv_xdr_in in;

	lv_in_init(&in, buf, sizeof(buf));
	ck_assert_uint_eq(lv_get_count(&in, 1024), 0);
	ck_assert_int_eq(in.err, -EBADMSG);
	memcpy(buf, "\0\0\0\3", 4);
	lv_in_init(&in, buf, 4);
	ck_assert_uint_eq(lv_get_count(&in, 3), 3);
	ck_assert(lv_in_done(&in));
}
END_TEST

START_TEST(xdr_writer_bounded)
{
	struct lv_xdr_out out;
	char big[100];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	lv_out_init(&out, 64);
	lv_put_string(&out, big);
	ck_assert_int_eq(out.err, -EMSGSIZE);
	lv_put_u32(&out, 1); /* sticky */
	ck_assert_int_eq(out.err, -EMSGSIZE);
	lv_out_free(&out);
}
END_TEST

START_TEST(frame_lengths)
{
	uint8_t b[4] = { 0, 0, 0, 28 };
	uint32_t len;

	ck_assert_int_eq(lv_frame_len(b, LV_IN_MAX, &len), 0);
	ck_assert_uint_eq(len, 28);
	b[3] = 27;
	ck_assert_int_eq(lv_frame_len(b, LV_IN_MAX, &len), -EMSGSIZE);
	b[3] = 0;
	ck_assert_int_eq(lv_frame_len(b, LV_IN_MAX, &len), -EMSGSIZE);
	memset(b, 0xff, 4);
	ck_assert_int_eq(lv_frame_len(b, LV_IN_MAX, &len), -EMSGSIZE);
}
END_TEST

static void pair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
}

/* A packet: header (prog, vers 1, proc, CALL, serial, OK) and payload bytes. */
static size_t build(uint8_t *buf, int32_t proc, uint32_t serial, const char *payload)
{
	struct lv_hdr h = { .prog = LV_PROGRAM, .vers = 1, .proc = proc, .serial = serial };
	struct lv_xdr_out out;
	size_t len;

	lv_out_init(&out, 4096);
	lv_frame_begin(&out, &h);
	lv_put_raw(&out, payload, strlen(payload));
	ck_assert_int_eq(lv_frame_end(&out), 0);
	len = out.len;
	memcpy(buf, out.buf, len);
	lv_out_free(&out);
	return len;
}

START_TEST(frame_split_and_back_to_back)
{
	uint8_t buf[256], *p;
	struct lv_xdr_in in;
	struct lv_conn c;
	struct lv_hdr h;
	size_t a, b;
	int sv[2];

	pair(sv);
	lv_conn_init(&c, sv[0]);
	a = build(buf, 66, 0, "");
	b = build(buf + a, 60, 1, "abcd");
	ck_assert_uint_eq(b, 32);
	/* one byte, then the rest of the length, then everything else */
	ck_assert_int_eq(write(sv[1], buf, 1), 1);
	ck_assert_int_eq(lv_conn_read(&c), 0);
	ck_assert_int_eq(write(sv[1], buf + 1, 5), 5);
	ck_assert_int_eq(lv_conn_read(&c), 0);
	ck_assert_int_eq(write(sv[1], buf + 6, a + b - 6), (ssize_t)(a + b - 6));
	ck_assert_int_eq(lv_conn_read(&c), 1);
	ck_assert_uint_eq(c.pkt_len, 28);
	lv_in_init(&in, c.pkt, c.pkt_len - LV_LEN_SIZE);
	lv_hdr_get(&in, &h);
	ck_assert_uint_eq(h.prog, LV_PROGRAM);
	ck_assert_int_eq(h.proc, 66);
	ck_assert(lv_in_done(&in));
	lv_conn_pop(&c);
	ck_assert_int_eq(lv_conn_read(&c), 1);
	p = c.pkt + LV_HDR_SIZE;
	ck_assert_int_eq(memcmp(p, "abcd", 4), 0);
	lv_conn_pop(&c);
	ck_assert_int_eq(lv_conn_read(&c), 0);
	ck_assert(!c.dead);
	lv_conn_close(&c);
	close(sv[1]);
}
END_TEST

static void expect_refused(const uint8_t *bytes, size_t n)
{
	struct lv_conn c;
	int sv[2];

	pair(sv);
	lv_conn_init(&c, sv[0]);
	ck_assert_int_eq(write(sv[1], bytes, n), (ssize_t)n);
	ck_assert_int_lt(lv_conn_read(&c), 0);
	ck_assert(c.dead);
	/* nothing was allocated for the claimed packet */
	ck_assert_ptr_null(c.pkt);
	lv_conn_close(&c);
	close(sv[1]);
}

START_TEST(frame_hostile_lengths)
{
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
	static const uint8_t over[] = { 0x00, 0x20, 0x00, 0x01 }; /* LV_IN_MAX + 1 */
	static const uint8_t tiny[] = { 0, 0, 0, 4 };
	static const char garbage[] = "GET / HTTP/1.1\r\n\r\n";

	expect_refused(huge, sizeof(huge));
	expect_refused(over, sizeof(over));
	expect_refused(tiny, sizeof(tiny));
	expect_refused((const uint8_t *)garbage, strlen(garbage));
}
END_TEST

START_TEST(frame_truncated_then_eof)
{
	uint8_t buf[64];
	struct lv_conn c;
	size_t n;
	int sv[2];

	pair(sv);
	lv_conn_init(&c, sv[0]);
	n = build(buf, 1, 0, "0123456789");
	ck_assert_int_eq(write(sv[1], buf, n - 3), (ssize_t)(n - 3));
	ck_assert_int_eq(lv_conn_read(&c), 0);
	close(sv[1]);
	ck_assert_int_eq(lv_conn_read(&c), -EPIPE);
	ck_assert(c.dead);
	lv_conn_close(&c);
}
END_TEST

START_TEST(queue_bounded_for_a_peer_that_does_not_read)
{
	static uint8_t chunk[256 * 1024];
	struct lv_conn c;
	size_t total = 0;
	int sv[2];

	pair(sv);
	lv_conn_init(&c, sv[0]);
	while (!c.dead && total < 4 * (size_t)LV_OUT_MAX) {
		lv_conn_queue(&c, chunk, sizeof(chunk));
		lv_conn_flush(&c);
		total += sizeof(chunk);
	}
	ck_assert(c.dead);
	ck_assert_uint_le(c.out_bytes, LV_OUT_MAX);
	lv_conn_close(&c);
	close(sv[1]);
}
END_TEST

START_TEST(queue_delivers_in_order)
{
	uint8_t got[8];
	struct lv_conn c;
	int sv[2];

	pair(sv);
	lv_conn_init(&c, sv[0]);
	ck_assert_int_eq(lv_conn_queue(&c, "abcd", 4), 0);
	ck_assert_int_eq(lv_conn_queue(&c, "efgh", 4), 0);
	lv_conn_flush(&c);
	ck_assert_ptr_null(c.head);
	ck_assert_uint_eq(c.out_bytes, 0);
	ck_assert_int_eq(read(sv[1], got, sizeof(got)), 8);
	ck_assert_int_eq(memcmp(got, "abcdefgh", 8), 0);
	lv_conn_close(&c);
	close(sv[1]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lv_wire");
	TCase *tc = tcase_create("xdr");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, xdr_round_trip);
	tcase_add_test(tc, xdr_hostile_lengths);
	tcase_add_test(tc, xdr_hostile_counts);
	tcase_add_test(tc, xdr_writer_bounded);
	suite_add_tcase(s, tc);
	tc = tcase_create("framing");
	tcase_add_test(tc, frame_lengths);
	tcase_add_test(tc, frame_split_and_back_to_back);
	tcase_add_test(tc, frame_hostile_lengths);
	tcase_add_test(tc, frame_truncated_then_eof);
	tcase_add_test(tc, queue_bounded_for_a_peer_that_does_not_read);
	tcase_add_test(tc, queue_delivers_in_order);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
