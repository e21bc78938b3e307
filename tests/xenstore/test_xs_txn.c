// SPDX-License-Identifier: MIT
/* Transactions: isolation, conflicts and retry, abort, watches at commit. */
#include "xs_test.h"

static struct xs_server *srv;
static struct xt_client *a, *b;

static void setup(void)
{
	srv = xs_server_new(NULL);
	ck_assert_ptr_nonnull(srv);
	a = xt_client(srv, 0);
	b = xt_client(srv, 0);
	ck_assert_int_eq(xt_write(a, 0, "/t/x", "0"), 0);
}

static void teardown(void)
{
	xt_client_free(b);
	xt_client_free(a);
	xs_server_free(srv);
}

/* Read-modify-write of /t/x under a transaction, retried on EAGAIN. */
static int increment(struct xt_client *c, struct xt_client *meddler, int *tries)
{
	uint32_t t;
	char val[32];
	int ret;

	do {
		(*tries)++;
		ck_assert_int_eq(xt_txn_start(c, &t), 0);
		ck_assert_int_eq(xt_read(c, t, "/t/x"), 0);
		snprintf(val, sizeof(val), "%ld", strtol(c->reply.payload, NULL, 10) + 1);
		if (meddler && *tries == 1)
			ck_assert_int_eq(xt_write(meddler, 0, "/t/x", "100"), 0);
		ck_assert_int_eq(xt_write(c, t, "/t/x", val), 0);
		ret = xt_txn_end(c, t, true);
	} while (ret == -EAGAIN && *tries < 5);
	return ret;
}

START_TEST(test_conflict_and_retry)
{
	int tries = 0;

	ck_assert_int_eq(increment(a, b, &tries), 0);
	ck_assert_int_eq(tries, 2);
	ck_assert_int_eq(xt_read(b, 0, "/t/x"), 0);
	ck_assert_str_eq(b->reply.payload, "101");
	tries = 0;
	ck_assert_int_eq(increment(a, NULL, &tries), 0);
	ck_assert_int_eq(tries, 1);
}
END_TEST

START_TEST(test_conflict_on_new_child)
{
	uint32_t t;

	ck_assert_int_eq(xt_txn_start(a, &t), 0);
	ck_assert_int_eq(xt_req(a, XS_DIRECTORY, t, "/t", NULL), 0);
	ck_assert_int_eq(xt_write(a, t, "/t/mine", "1"), 0);
	ck_assert_int_eq(xt_write(b, 0, "/t/theirs", "1"), 0);
	ck_assert_int_eq(xt_txn_end(a, t, true), -EAGAIN);
	ck_assert_int_eq(xt_read(b, 0, "/t/mine"), -ENOENT);
	/* a node the transaction saw missing and someone else created */
	ck_assert_int_eq(xt_txn_start(a, &t), 0);
	ck_assert_int_eq(xt_read(a, t, "/t/late"), -ENOENT);
	ck_assert_int_eq(xt_write(b, 0, "/t/late", "1"), 0);
	ck_assert_int_eq(xt_txn_end(a, t, true), -EAGAIN);
}
END_TEST

START_TEST(test_isolation_and_abort)
{
	uint32_t t;

	ck_assert_int_eq(xt_txn_start(a, &t), 0);
	ck_assert_int_eq(xt_write(a, t, "/t/new/deep", "n"), 0);
	ck_assert_int_eq(xt_read(a, t, "/t/new/deep"), 0);
	ck_assert_str_eq(a->reply.payload, "n");
	ck_assert_int_eq(xt_req(a, XS_DIRECTORY, t, "/t", NULL), 0);
	ck_assert_uint_eq(a->reply.hdr.len, 6);
	ck_assert_int_eq(memcmp(a->reply.payload, "x\0new\0", 6), 0);
	ck_assert_int_eq(xt_read(b, 0, "/t/new/deep"), -ENOENT);
	ck_assert_int_eq(xt_read(a, 0, "/t/new"), -ENOENT); /* outside the transaction */
	ck_assert_int_eq(xt_txn_end(a, t, false), 0);
	ck_assert_int_eq(xt_read(b, 0, "/t/new/deep"), -ENOENT);
	ck_assert_int_eq(xt_txn_end(a, t, true), -ENOENT); /* gone */
	ck_assert_int_eq(xt_read(a, t, "/t/x"), -ENOENT);
	ck_assert_int_eq(xt_read(b, 12345, "/t/x"), -ENOENT);
	/* another connection cannot use a's transaction */
	ck_assert_int_eq(xt_txn_start(a, &t), 0);
	ck_assert_int_eq(xt_read(b, t, "/t/x"), -ENOENT);
	ck_assert_int_eq(xt_req(a, XS_TRANSACTION_END, t, "X", NULL), -EINVAL);
	ck_assert_int_eq(xt_raw(a, XS_TRANSACTION_START, t, "", 1), -EBUSY);
	ck_assert_int_eq(xt_txn_end(a, t, false), 0);
}
END_TEST

START_TEST(test_rm_and_perms_in_txn)
{
	uint32_t t;

	ck_assert_int_eq(xt_write(a, 0, "/t/tree/a/b", "1"), 0);
	ck_assert_int_eq(xt_write(a, 0, "/t/tree/c", "1"), 0);
	ck_assert_int_eq(xt_txn_start(a, &t), 0);
	ck_assert_int_eq(xt_req(a, XS_RM, t, "/t/tree", NULL), 0);
	ck_assert_int_eq(xt_read(a, t, "/t/tree/a/b"), -ENOENT);
	ck_assert_int_eq(xt_read(b, 0, "/t/tree/a/b"), 0);
	ck_assert_int_eq(xt_write(a, t, "/t/tree/c", "again"), 0);
	ck_assert_int_eq(xt_req(a, XS_SET_PERMS, t, "/t/tree/c", "r5", NULL), 0);
	ck_assert_int_eq(xt_req(b, XS_GET_PERMS, 0, "/t/tree/c", NULL), 0);
	ck_assert_str_eq(b->reply.payload, "n0");
	ck_assert_int_eq(xt_txn_end(a, t, true), 0);
	ck_assert_int_eq(xt_read(b, 0, "/t/tree/a"), -ENOENT);
	ck_assert_int_eq(xt_read(b, 0, "/t/tree/c"), 0);
	ck_assert_str_eq(b->reply.payload, "again");
	ck_assert_int_eq(xt_req(b, XS_GET_PERMS, 0, "/t/tree/c", NULL), 0);
	ck_assert_str_eq(b->reply.payload, "r5");
	ck_assert_int_eq(xt_req(b, XS_DIRECTORY, 0, "/t/tree", NULL), 0);
	ck_assert_uint_eq(b->reply.hdr.len, 2);
}
END_TEST

START_TEST(test_watches_fire_at_commit)
{
	uint32_t t;

	ck_assert_int_eq(xt_write(a, 0, "/t/gone/child", "1"), 0);
	ck_assert_int_eq(xt_req(b, XS_WATCH, 0, "/t", "w", NULL), 0);
	ck_assert_int_eq(xt_req(b, XS_WATCH, 0, "/t/gone/child", "c", NULL), 0);
	b->nr_events = 0;
	ck_assert_int_eq(xt_txn_start(a, &t), 0);
	ck_assert_int_eq(xt_write(a, t, "/t/x", "1"), 0);
	ck_assert_int_eq(xt_write(a, t, "/t/y/z", "1"), 0);
	ck_assert_int_eq(xt_req(a, XS_RM, t, "/t/gone", NULL), 0);
	xt_drain(b);
	ck_assert_int_eq(b->nr_events, 0);
	ck_assert_int_eq(xt_txn_end(a, t, true), 0);
	xt_drain(b);
	ck_assert_int_eq(b->nr_events, 4);
	xt_check_event(b, 0, "/t/x", "w");
	xt_check_event(b, 1, "/t/y/z", "w");
	xt_check_event(b, 2, "/t/gone", "w");
	xt_check_event(b, 3, "/t/gone/child", "c");
	/* an aborted transaction fires nothing */
	ck_assert_int_eq(xt_txn_start(a, &t), 0);
	ck_assert_int_eq(xt_write(a, t, "/t/x", "2"), 0);
	ck_assert_int_eq(xt_txn_end(a, t, false), 0);
	xt_drain(b);
	ck_assert_int_eq(b->nr_events, 4);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xenstore.txn");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_conflict_and_retry);
	tcase_add_test(tc, test_conflict_on_new_child);
	tcase_add_test(tc, test_isolation_and_abort);
	tcase_add_test(tc, test_rm_and_perms_in_txn);
	tcase_add_test(tc, test_watches_fire_at_commit);
	suite_add_tcase(s, tc);
	return xt_run(s);
}
