// SPDX-License-Identifier: MIT
/* Malformed messages, split feeding and the deepest tree paths allow. */
#include "xs_test.h"

static struct xs_server *srv;
static struct xt_client *dom0, *d5, *bystander;

static void setup(void)
{
	srv = xs_server_new(NULL);
	ck_assert_ptr_nonnull(srv);
	dom0 = xt_client(srv, 0);
	xt_make_domain_dir(dom0, 5);
	xt_make_domain_dir(dom0, 6);
	d5 = xt_client(srv, 5);
	bystander = xt_client(srv, 6);
	ck_assert_int_eq(xt_req(bystander, XS_WATCH, 0, "k", "t", NULL), 0);
}

static void teardown(void)
{
	xt_client_free(bystander);
	xt_client_free(d5);
	xt_client_free(dom0);
	xs_server_free(srv);
}

/* The bystander's requests and events still work after d5 misbehaved. */
static void check_bystander(void)
{
	bystander->nr_events = 0;
	ck_assert_int_eq(xt_write(bystander, 0, "k", "fine"), 0);
	ck_assert_int_eq(xt_read(bystander, 0, "k"), 0);
	ck_assert_str_eq(bystander->reply.payload, "fine");
	ck_assert_int_eq(bystander->nr_events, 1);
}

START_TEST(test_bad_length)
{
	struct xs_msg_hdr hdr = { XS_READ, 1, 0, XS_PAYLOAD_MAX + 1 };
	const void *p;
	size_t len;

	ck_assert_int_eq(xs_conn_feed(d5->conn, &hdr, sizeof(hdr)), -EPIPE);
	ck_assert(xs_conn_is_dead(d5->conn));
	ck_assert_int_eq(xs_conn_feed(d5->conn, "x", 1), -EPIPE);
	xs_conn_output(d5->conn, &p, &len);
	ck_assert_uint_eq(len, 0);
	check_bystander();
	/* the largest legal payload is fine */
	{
		static char big[XS_PAYLOAD_MAX];

		memset(big, 'a', sizeof(big));
		memcpy(big, "big", 4);
		ck_assert_int_eq(xt_raw(dom0, XS_WRITE, 0, big, sizeof(big)), 0);
	}
}
END_TEST

START_TEST(test_bad_type)
{
	static const uint32_t types[] = { 20, 22, 99, 0xffffffffu, XS_WATCH_EVENT, XS_ERROR };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		ck_assert_int_eq(xt_raw(d5, types[i], 0, "k", 2), -EINVAL);
		ck_assert(!xs_conn_is_dead(d5->conn));
	}
	ck_assert_int_eq(xt_read(d5, 0, "/local/domain/5"), 0);
	check_bystander();
}
END_TEST

START_TEST(test_missing_nul_and_arg_count)
{
	ck_assert_int_eq(xt_raw(d5, XS_READ, 0, "abc", 3), -EINVAL);
	ck_assert_int_eq(xt_raw(d5, XS_READ, 0, "", 0), -EINVAL);
	ck_assert_int_eq(xt_raw(d5, XS_WRITE, 0, "k", 1), -EINVAL);
	ck_assert_int_eq(xt_raw(d5, XS_WATCH, 0, "k\0t", 3), -EINVAL);
	ck_assert_int_eq(xt_raw(d5, XS_READ, 0, "a\0b\0", 4), -EINVAL);	    /* too many */
	ck_assert_int_eq(xt_raw(d5, XS_WATCH, 0, "k\0", 2), -EINVAL);	    /* too few */
	ck_assert_int_eq(xt_raw(d5, XS_WATCH, 0, "k\0t\0x\0", 6), -EINVAL); /* too many */
	ck_assert_int_eq(xt_raw(d5, XS_MKDIR, 0, "k\0k\0", 4), -EINVAL);
	ck_assert_int_eq(xt_raw(d5, XS_TRANSACTION_START, 0, "x\0", 2), -EINVAL);
	ck_assert_int_eq(xt_raw(d5, XS_SET_PERMS, 0, "k\0n5", 4), -EINVAL);
	ck_assert_int_eq(xt_raw(dom0, XS_INTRODUCE, 0,
				"7\0"
				"1\0",
				4),
			 -EINVAL);
	ck_assert_int_eq(xt_raw(dom0, XS_INTRODUCE, 0,
				"0\0"
				"1\0"
				"1\0",
				6),
			 -EINVAL);
	ck_assert_int_eq(xt_raw(dom0, XS_INTRODUCE, 0,
				"65535\0"
				"1\0"
				"1\0",
				10),
			 -EINVAL);
	ck_assert(!xs_conn_is_dead(d5->conn));
	check_bystander();
}
END_TEST

START_TEST(test_paths)
{
	static char path[XS_ABS_PATH_MAX + 2];

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[XS_ABS_PATH_MAX + 1] = '\0';
	ck_assert_int_eq(xt_write(dom0, 0, path, "v"), -EINVAL); /* 3073 bytes */
	path[XS_ABS_PATH_MAX] = '\0';
	ck_assert_int_eq(xt_write(dom0, 0, path, "v"), 0); /* 3072 bytes */
	/* relative paths count with their /local/domain/5/ prefix */
	memset(path, 'b', XS_REL_PATH_MAX);
	path[XS_REL_PATH_MAX] = '\0';
	ck_assert_int_eq(xt_write(d5, 0, path, "v"), 0);
	path[XS_REL_PATH_MAX] = 'b';
	path[XS_REL_PATH_MAX + 1] = '\0';
	ck_assert_int_eq(xt_write(d5, 0, path, "v"), -EINVAL);

	static const char *const bad[] = { "/a b", "/a//b", "/a/",  "//", "/a\xff",
					   "/a.b", "/a*",   "a//b", "k/", "/a\tb" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(xt_write(d5, 0, bad[i], "v"), -EINVAL);
		ck_assert_int_eq(xt_read(d5, 0, bad[i]), -EINVAL);
		ck_assert_int_eq(xt_req(d5, XS_WATCH, 0, bad[i], "t", NULL), -EINVAL);
	}
	ck_assert_int_eq(xt_write(d5, 0, "ok-_@/Z9", "v"), 0);
	ck_assert_int_eq(xt_req(dom0, XS_DIRECTORY, 0, "/", NULL), 0);
	check_bystander();
}
END_TEST

/* One byte per feed call: framing state must survive any split. */
START_TEST(test_split_feed)
{
	char msg[128];
	ssize_t n = xs_msg_encode(msg, sizeof(msg), XS_WRITE, 77, 0, "k\0split", 7);
	ssize_t n2 = xs_msg_encode(msg + n, sizeof(msg) - (size_t)n, XS_READ, 78, 0, "k", 2);

	ck_assert_int_gt(n2, 0);
	for (ssize_t i = 0; i < n + n2; i++) {
		const void *p;
		size_t len;

		ck_assert_int_eq(xs_conn_feed(d5->conn, msg + i, 1), 1);
		xs_conn_output(d5->conn, &p, &len);
		ck_assert_uint_eq(len ? 1 : 0, i == n - 1 || i >= n + n2 - 1);
		if (i == n - 1) {
			d5->nr_replies = 0;
			xt_drain(d5);
			ck_assert_uint_eq(d5->reply.hdr.req_id, 77);
			ck_assert_str_eq(d5->reply.payload, "OK");
		}
	}
	d5->nr_replies = 0;
	xt_drain(d5);
	ck_assert_int_eq(d5->nr_replies, 1);
	ck_assert_uint_eq(d5->reply.hdr.req_id, 78);
	ck_assert_str_eq(d5->reply.payload, "split");
}
END_TEST

/* The deepest tree a path allows: "/a/a/..." of 3072 bytes, 1536 levels. */
START_TEST(test_deep_tree)
{
	static char path[XS_ABS_PATH_MAX + 1];
	uint32_t t;

	for (size_t i = 0; i < XS_ABS_PATH_MAX; i += 2)
		memcpy(path + i, "/a", 2);
	path[XS_ABS_PATH_MAX] = '\0';
	ck_assert_int_eq(xt_req(dom0, XS_WATCH, 0, path, "leaf", NULL), 0);
	ck_assert_int_eq(xt_req(dom0, XS_WATCH, 0, "/a", "top", NULL), 0);
	ck_assert_int_eq(xt_write(dom0, 0, path, "deep"), 0);
	ck_assert_int_eq(xt_read(dom0, 0, path), 0);
	ck_assert_str_eq(dom0->reply.payload, "deep");
	/* removal inside a transaction, aborted, then for real */
	ck_assert_int_eq(xt_txn_start(dom0, &t), 0);
	ck_assert_int_eq(xt_req(dom0, XS_RM, t, "/a", NULL), 0);
	ck_assert_int_eq(xt_read(dom0, t, path), -ENOENT);
	ck_assert_int_eq(xt_txn_end(dom0, t, false), 0);
	ck_assert_int_eq(xt_read(dom0, 0, path), 0);
	dom0->nr_events = 0;
	ck_assert_int_eq(xt_req(dom0, XS_RM, 0, "/a", NULL), 0);
	ck_assert_int_eq(dom0->nr_events, 2);
	xt_check_event(dom0, 0, "/a", "top");
	xt_check_event(dom0, 1, path, "leaf");
	ck_assert_int_eq(xt_read(dom0, 0, path), -ENOENT);
	ck_assert_int_eq(xt_req(dom0, XS_DIRECTORY, 0, "/", NULL), 0);
	ck_assert_int_eq(memcmp(dom0->reply.payload, "local", 6), 0);
	ck_assert_uint_eq(dom0->reply.hdr.len, 6);
	/* and once more committed through a transaction */
	ck_assert_int_eq(xt_write(dom0, 0, path, "deep"), 0);
	ck_assert_int_eq(xt_txn_start(dom0, &t), 0);
	ck_assert_int_eq(xt_req(dom0, XS_RM, t, "/a", NULL), 0);
	ck_assert_int_eq(xt_txn_end(dom0, t, true), 0);
	ck_assert_int_eq(xt_read(dom0, 0, "/a"), -ENOENT);
}
END_TEST

START_TEST(test_wire_helpers)
{
	char buf[XS_MSG_MAX + 1];
	struct xs_msg_hdr hdr;
	const void *payload;

	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(xs_msg_encode(buf, sizeof(buf), XS_READ, 1, 0, buf, XS_PAYLOAD_MAX + 1),
			 -E2BIG);
	ck_assert_int_eq(xs_msg_encode(buf, 10, XS_READ, 1, 0, "x", 2), -ENOSPC);
	ck_assert_int_eq(xs_msg_encode(buf, sizeof(buf), XS_READ, 9, 3, "x", 2), 18);
	ck_assert_int_eq(xs_msg_decode(buf, 17, &hdr, &payload), 0);
	ck_assert_int_eq(xs_msg_decode(buf, 18, &hdr, &payload), 18);
	ck_assert_uint_eq(hdr.req_id, 9);
	ck_assert_uint_eq(hdr.tx_id, 3);
	hdr.len = XS_PAYLOAD_MAX + 1;
	memcpy(buf, &hdr, sizeof(hdr));
	ck_assert_int_eq(xs_msg_decode(buf, sizeof(buf), &hdr, &payload), -EPROTO);
	ck_assert_str_eq(xs_error_name(-EAGAIN), "EAGAIN");
	ck_assert_str_eq(xs_error_name(EPERM), "EPERM");
	ck_assert_str_eq(xs_error_name(-ENOTTY), "EINVAL");
	ck_assert_int_eq(xs_error_from_name("EACCES", 6), -EACCES);
	ck_assert_int_eq(xs_error_from_name("EBOGUS", 6), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xenstore.malformed");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bad_length);
	tcase_add_test(tc, test_bad_type);
	tcase_add_test(tc, test_missing_nul_and_arg_count);
	tcase_add_test(tc, test_paths);
	tcase_add_test(tc, test_split_feed);
	tcase_add_test(tc, test_deep_tree);
	tcase_add_test(tc, test_wire_helpers);
	suite_add_tcase(s, tc);
	return xt_run(s);
}
