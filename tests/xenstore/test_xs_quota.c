// SPDX-License-Identifier: MIT
/* Per-domain quotas, each with its error, and dom0's exemption. */
#include "xs_test.h"

static struct xs_server *srv;
static struct xt_client *dom0, *d5;

static void setup(void)
{
	srv = xs_server_new(NULL);
	ck_assert_ptr_nonnull(srv);
	dom0 = xt_client(srv, 0);
	xt_make_domain_dir(dom0, 5);
	d5 = xt_client(srv, 5);
}

static void teardown(void)
{
	xt_client_free(d5);
	xt_client_free(dom0);
	xs_server_free(srv);
}

START_TEST(test_nodes)
{
	struct xs_quota q;
	struct xs_server_config cfg;
	char path[32];
	int i, ret = 0;

	xs_server_config_default(&cfg);
	q = cfg.quota;
	q.nodes = 10;
	ck_assert_int_eq(xs_domain_introduce(srv, 5, &q), 0);
	/* /local/domain/5 itself is one of the 10 */
	for (i = 0; i < 20 && !ret; i++) {
		snprintf(path, sizeof(path), "n%d", i);
		ret = xt_write(d5, 0, path, "v");
	}
	ck_assert_int_eq(ret, -ENOSPC);
	ck_assert_int_eq(i, 10);
	/* a write needing two new nodes fails whole */
	ck_assert_int_eq(xt_req(d5, XS_RM, 0, "n0", NULL), 0);
	ck_assert_int_eq(xt_write(d5, 0, "a/b", "v"), -ENOSPC);
	ck_assert_int_eq(xt_read(d5, 0, "a"), -ENOENT);
	ck_assert_int_eq(xt_write(d5, 0, "a", "v"), 0);
	/* changing an existing node needs no quota; dom0 has none */
	ck_assert_int_eq(xt_write(d5, 0, "a", "w"), 0);
	ck_assert_int_eq(xt_write(dom0, 0, "/local/domain/5/more/and/more", "v"), 0);
	/* removing frees quota */
	ck_assert_int_eq(xt_req(dom0, XS_RM, 0, "/local/domain/5/more", NULL), 0);
	ck_assert_int_eq(xt_req(d5, XS_RM, 0, "a", NULL), 0);
	ck_assert_int_eq(xt_write(d5, 0, "b", "v"), 0);
	/* also inside a transaction */
	{
		uint32_t t;

		ck_assert_int_eq(xt_txn_start(d5, &t), 0);
		ck_assert_int_eq(xt_write(d5, t, "c", "v"), -ENOSPC);
		ck_assert_int_eq(xt_txn_end(d5, t, false), 0);
	}
}
END_TEST

START_TEST(test_value_size)
{
	static char big[4000];

	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(xt_write_n(d5, 0, "v", big, 2048), 0);
	ck_assert_int_eq(xt_write_n(d5, 0, "v", big, 2049), -ENOSPC);
	ck_assert_int_eq(xt_write_n(dom0, 0, "/local/domain/5/v", big, sizeof(big)), 0);
	ck_assert_int_eq(xt_read(d5, 0, "v"), 0);
	ck_assert_uint_eq(d5->reply.hdr.len, sizeof(big));
}
END_TEST

START_TEST(test_watches)
{
	char path[32];

	for (int i = 0; i < 128; i++) {
		snprintf(path, sizeof(path), "w%d", i);
		ck_assert_int_eq(xt_req(d5, XS_WATCH, 0, path, "t", NULL), 0);
		d5->nr_events = 0;
	}
	ck_assert_int_eq(xt_req(d5, XS_WATCH, 0, "one-more", "t", NULL), -E2BIG);
	/* the quota is per domain, across connections */
	{
		struct xt_client *other = xt_client(srv, 5);

		ck_assert_int_eq(xt_req(other, XS_WATCH, 0, "x", "t", NULL), -E2BIG);
		xt_client_free(other);
	}
	ck_assert_int_eq(xt_req(d5, XS_UNWATCH, 0, "w0", "t", NULL), 0);
	ck_assert_int_eq(xt_req(d5, XS_WATCH, 0, "one-more", "t", NULL), 0);
	for (int i = 0; i < 200; i++) {
		snprintf(path, sizeof(path), "/w%d", i);
		ck_assert_int_eq(xt_req(dom0, XS_WATCH, 0, path, "t", NULL), 0);
		dom0->nr_events = 0;
	}
}
END_TEST

static size_t build_reads(char *buf, int count, uint32_t first_id)
{
	size_t off = 0;

	for (int i = 0; i < count; i++) {
		ssize_t n = xs_msg_encode(buf + off, 64, XS_READ, first_id + (uint32_t)i, 0,
					  "/local/domain/5", 16);

		ck_assert_int_gt(n, 0);
		off += (size_t)n;
	}
	return off;
}

/* Outstanding = replies queued and not yet drained; past 20 we stop reading. */
START_TEST(test_outstanding)
{
	static char buf[64 * 32];
	size_t len = build_reads(buf, 25, 1), msg = len / 25;
	const void *p;
	size_t olen;
	ssize_t used;

	used = xs_conn_feed(d5->conn, buf, len);
	ck_assert_int_eq(used, (ssize_t)(20 * msg));
	ck_assert_int_eq(xs_conn_feed(d5->conn, buf + used, len - (size_t)used), 0);
	/* dom0's connections are bounded too: only its own client waits */
	len = build_reads(buf, 25, 1);
	ck_assert_int_eq(xs_conn_feed(dom0->conn, buf, len), (ssize_t)(20 * msg));
	xt_drain(dom0);
	ck_assert_int_eq(xs_conn_feed(dom0->conn, buf + 20 * msg, 5 * msg), (ssize_t)(5 * msg));
	xt_drain(dom0);
	/* draining one reply lets one more request in */
	xs_conn_output(d5->conn, &p, &olen);
	xs_conn_consume(d5->conn, olen);
	len = build_reads(buf, 25, 1);
	ck_assert_int_eq(xs_conn_feed(d5->conn, buf + used, len - (size_t)used), (ssize_t)msg);
	d5->nr_replies = 0;
	xt_drain(d5);
	ck_assert_int_eq(d5->nr_replies, 20);
	ck_assert_uint_eq(d5->reply.hdr.req_id, 21);
	ck_assert_int_eq(xs_conn_feed(d5->conn, buf + used + msg, len - (size_t)used - msg),
			 (ssize_t)(4 * msg));
	d5->nr_replies = 0;
	xt_drain(d5);
	ck_assert_int_eq(d5->nr_replies, 4);
	ck_assert_uint_eq(d5->reply.hdr.req_id, 25);
}
END_TEST

START_TEST(test_transactions)
{
	uint32_t t[11];

	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(xt_txn_start(d5, &t[i]), 0);
	ck_assert_int_eq(xt_txn_start(d5, &t[10]), -ENOSPC);
	ck_assert_int_eq(xt_txn_end(d5, t[3], false), 0);
	ck_assert_int_eq(xt_txn_start(d5, &t[10]), 0);
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(xt_txn_start(dom0, &t[0]), 0);
}
END_TEST

START_TEST(test_txn_nodes)
{
	struct xs_server_config cfg;
	struct xs_quota q;
	char path[32];
	uint32_t t;
	int i, ret = 0;

	xs_server_config_default(&cfg);
	q = cfg.quota;
	q.txn_nodes = 8;
	ck_assert_int_eq(xs_domain_introduce(srv, 5, &q), 0);
	ck_assert_int_eq(xt_txn_start(d5, &t), 0);
	/* each write touches the node and, the first time, its parent */
	for (i = 0; i < 20 && !ret; i++) {
		snprintf(path, sizeof(path), "n%d", i);
		ret = xt_write(d5, t, path, "v");
	}
	ck_assert_int_eq(ret, -ENOSPC);
	ck_assert_int_eq(i, 8);
	ck_assert_int_eq(xt_txn_end(d5, t, false), 0);
}
END_TEST

START_TEST(test_perms_per_node)
{
	ck_assert_int_eq(xt_write(d5, 0, "p", "v"), 0);
	ck_assert_int_eq(xt_req(d5, XS_SET_PERMS, 0, "p", "n5", "r1", "r2", "r3", "r4", NULL), 0);
	ck_assert_int_eq(xt_req(d5, XS_SET_PERMS, 0, "p", "n5", "r1", "r2", "r3", "r4", "r6", NULL),
			 -ENOSPC);
	ck_assert_int_eq(xt_req(dom0, XS_SET_PERMS, 0, "/local/domain/5/p", "n5", "r1", "r2", "r3",
				"r4", "r6", "r7", NULL),
			 0);
}
END_TEST

/* Each transaction alone fits the node quota; together they must not exceed it. */
START_TEST(test_nodes_parallel_txns)
{
	struct xs_server_config cfg;
	struct xs_quota q;
	uint32_t t[10];
	char path[64];
	int ok = 0, full = 0;

	xs_server_config_default(&cfg);
	q = cfg.quota;
	q.nodes = 20;
	ck_assert_int_eq(xs_domain_introduce(srv, 5, &q), 0);
	/* 11 nodes: the home and one directory per transaction, so none conflicts */
	for (int i = 0; i < 10; i++) {
		snprintf(path, sizeof(path), "d%d", i);
		ck_assert_int_eq(xt_req(d5, XS_MKDIR, 0, path, NULL), 0);
	}
	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(xt_txn_start(d5, &t[i]), 0);
		for (int j = 0; j < 3; j++) {
			snprintf(path, sizeof(path), "d%d/n%d", i, j);
			ck_assert_int_eq(xt_write(d5, t[i], path, "v"), 0);
		}
	}
	for (int i = 0; i < 10; i++) {
		int ret = xt_txn_end(d5, t[i], true);

		ok += ret == 0;
		full += ret == -ENOSPC;
	}
	/* 11 + 3 * 3 = 20 */
	ck_assert_int_eq(ok, 3);
	ck_assert_int_eq(full, 7);
	ck_assert_int_eq(xt_read(d5, 0, "d2/n2"), 0);
	ck_assert_int_eq(xt_read(d5, 0, "d3/n0"), -ENOENT);
	ck_assert_int_eq(xt_write(d5, 0, "more", "v"), -ENOSPC);
	/* a transaction that frees nodes commits even at the quota */
	ck_assert_int_eq(xt_txn_start(d5, &t[0]), 0);
	ck_assert_int_eq(xt_req(d5, XS_RM, t[0], "d0", NULL), 0);
	ck_assert_int_eq(xt_txn_end(d5, t[0], true), 0);
	ck_assert_int_eq(xt_write(d5, 0, "more", "v"), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xenstore.quota");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_nodes);
	tcase_add_test(tc, test_nodes_parallel_txns);
	tcase_add_test(tc, test_value_size);
	tcase_add_test(tc, test_watches);
	tcase_add_test(tc, test_outstanding);
	tcase_add_test(tc, test_transactions);
	tcase_add_test(tc, test_txn_nodes);
	tcase_add_test(tc, test_perms_per_node);
	suite_add_tcase(s, tc);
	return xt_run(s);
}
