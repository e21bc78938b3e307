// SPDX-License-Identifier: MIT
/* Tree operations and permissions. */
#include "xs_test.h"

static struct xs_server *srv;
static struct xt_client *dom0;

static void setup(void)
{
	srv = xs_server_new(NULL);
	ck_assert_ptr_nonnull(srv);
	dom0 = xt_client(srv, 0);
	xt_make_domain_dir(dom0, 5);
}

static void teardown(void)
{
	xt_client_free(dom0);
	xs_server_free(srv);
}

START_TEST(test_basic_ops)
{
	static const char bin[] = { 'a', 0, 'b', 0, 0 };

	ck_assert_int_eq(xt_write(dom0, 0, "/a/b/c", "hello"), 0);
	ck_assert_int_eq(xt_read(dom0, 0, "/a/b/c"), 0);
	ck_assert_str_eq(dom0->reply.payload, "hello");
	ck_assert_int_eq(xt_read(dom0, 0, "/a/b"), 0); /* implicit parent, empty */
	ck_assert_uint_eq(dom0->reply.hdr.len, 0);
	ck_assert_int_eq(xt_req(dom0, XS_MKDIR, 0, "/a/d", NULL), 0);
	ck_assert_int_eq(xt_req(dom0, XS_MKDIR, 0, "/a/d", NULL), 0);
	ck_assert_int_eq(xt_req(dom0, XS_DIRECTORY, 0, "/a", NULL), 0);
	ck_assert_uint_eq(dom0->reply.hdr.len, 4);
	ck_assert_int_eq(memcmp(dom0->reply.payload, "b\0d\0", 4), 0);

	ck_assert_int_eq(xt_write_n(dom0, 0, "/bin", bin, sizeof(bin)), 0);
	ck_assert_int_eq(xt_read(dom0, 0, "/bin"), 0);
	ck_assert_uint_eq(dom0->reply.hdr.len, sizeof(bin));
	ck_assert_int_eq(memcmp(dom0->reply.payload, bin, sizeof(bin)), 0);

	ck_assert_int_eq(xt_req(dom0, XS_RM, 0, "/a/b", NULL), 0);
	ck_assert_int_eq(xt_read(dom0, 0, "/a/b/c"), -ENOENT);
	ck_assert_int_eq(xt_req(dom0, XS_DIRECTORY, 0, "/a", NULL), 0);
	ck_assert_int_eq(memcmp(dom0->reply.payload, "d\0", 2), 0);
	ck_assert_int_eq(xt_req(dom0, XS_RM, 0, "/a/gone", NULL), 0); /* parent exists */
	ck_assert_int_eq(xt_req(dom0, XS_RM, 0, "/nope/gone", NULL), -ENOENT);
	ck_assert_int_eq(xt_req(dom0, XS_RM, 0, "/", NULL), -EINVAL);
	ck_assert_int_eq(xt_read(dom0, 0, "/missing"), -ENOENT);

	ck_assert_int_eq(xt_req(dom0, XS_GET_DOMAIN_PATH, 0, "7", NULL), 0);
	ck_assert_str_eq(dom0->reply.payload, "/local/domain/7");
	ck_assert_int_eq(xt_req(dom0, XS_GET_DOMAIN_PATH, 0, "x7", NULL), -EINVAL);
	ck_assert_int_eq(xt_req(dom0, XS_CONTROL, 0, "x", NULL), -ENOSYS);
}
END_TEST

START_TEST(test_relative_paths)
{
	struct xt_client *d5 = xt_client(srv, 5);

	ck_assert_int_eq(xt_write(d5, 0, "data/x", "1"), 0);
	ck_assert_int_eq(xt_read(dom0, 0, "/local/domain/5/data/x"), 0);
	ck_assert_str_eq(dom0->reply.payload, "1");
	ck_assert_int_eq(xt_read(d5, 0, "data/x"), 0);
	xt_client_free(d5);
}
END_TEST

START_TEST(test_perm_letters)
{
	struct xt_client *d[10];

	for (int i = 5; i < 10; i++)
		d[i] = xt_client(srv, (uint16_t)i);
	ck_assert_int_eq(xt_write(d[5], 0, "/local/domain/5/k", "v"), 0);
	ck_assert_int_eq(
		xt_req(d[5], XS_SET_PERMS, 0, "/local/domain/5/k", "n5", "r6", "w7", "b8", NULL),
		0);
	ck_assert_int_eq(xt_req(d[5], XS_GET_PERMS, 0, "/local/domain/5/k", NULL), 0);
	ck_assert_int_eq(memcmp(d[5]->reply.payload, "n5\0r6\0w7\0b8\0", 12), 0);
	/* read only */
	ck_assert_int_eq(xt_read(d[6], 0, "/local/domain/5/k"), 0);
	ck_assert_int_eq(xt_write(d[6], 0, "/local/domain/5/k", "x"), -EACCES);
	/* write only */
	ck_assert_int_eq(xt_read(d[7], 0, "/local/domain/5/k"), -EACCES);
	ck_assert_int_eq(xt_write(d[7], 0, "/local/domain/5/k", "x"), 0);
	/* both */
	ck_assert_int_eq(xt_read(d[8], 0, "/local/domain/5/k"), 0);
	ck_assert_str_eq(d[8]->reply.payload, "x");
	ck_assert_int_eq(xt_write(d[8], 0, "/local/domain/5/k", "y"), 0);
	/* not listed: the owner's letter, none */
	ck_assert_int_eq(xt_read(d[9], 0, "/local/domain/5/k"), -EACCES);
	ck_assert_int_eq(xt_write(d[9], 0, "/local/domain/5/k", "x"), -EACCES);
	ck_assert_int_eq(xt_req(d[9], XS_DIRECTORY, 0, "/local/domain/5/k", NULL), -EACCES);
	ck_assert_int_eq(xt_req(d[9], XS_GET_PERMS, 0, "/local/domain/5/k", NULL), -EACCES);
	ck_assert_int_eq(xt_req(d[9], XS_RM, 0, "/local/domain/5/k", NULL), -EACCES);
	/* owner's letter r: the default for everyone else becomes read */
	ck_assert_int_eq(xt_req(d[5], XS_SET_PERMS, 0, "/local/domain/5/k", "r5", NULL), 0);
	ck_assert_int_eq(xt_read(d[9], 0, "/local/domain/5/k"), 0);
	ck_assert_int_eq(xt_write(d[9], 0, "/local/domain/5/k", "x"), -EACCES);
	/* the owner has full access whatever its letter says */
	ck_assert_int_eq(xt_req(d[5], XS_SET_PERMS, 0, "/local/domain/5/k", "n5", NULL), 0);
	ck_assert_int_eq(xt_read(d[5], 0, "/local/domain/5/k"), 0);
	ck_assert_int_eq(xt_write(d[5], 0, "/local/domain/5/k", "z"), 0);
	/* dom0 bypasses every check */
	ck_assert_int_eq(xt_read(dom0, 0, "/local/domain/5/k"), 0);
	ck_assert_int_eq(xt_write(dom0, 0, "/local/domain/5/k", "0"), 0);
	ck_assert_int_eq(xt_req(dom0, XS_SET_PERMS, 0, "/local/domain/5/k", "n5", "r9", NULL), 0);
	ck_assert_int_eq(xt_read(d[9], 0, "/local/domain/5/k"), 0);
	/* bad perm strings */
	ck_assert_int_eq(xt_req(dom0, XS_SET_PERMS, 0, "/local/domain/5/k", "x5", NULL), -EINVAL);
	ck_assert_int_eq(xt_req(dom0, XS_SET_PERMS, 0, "/local/domain/5/k", "r", NULL), -EINVAL);
	ck_assert_int_eq(xt_req(dom0, XS_SET_PERMS, 0, "/local/domain/5/k", "r70000", NULL),
			 -EINVAL);
	ck_assert_int_eq(xt_req(dom0, XS_SET_PERMS, 0, "/local/domain/5/k", NULL), -EINVAL);
	for (int i = 5; i < 10; i++)
		xt_client_free(d[i]);
}
END_TEST

START_TEST(test_owner_change)
{
	struct xt_client *d5 = xt_client(srv, 5), *d6 = xt_client(srv, 6);

	ck_assert_int_eq(xt_write(d5, 0, "k", "v"), 0);
	ck_assert_int_eq(xt_req(d5, XS_SET_PERMS, 0, "k", "n6", NULL), -EPERM);
	ck_assert_int_eq(xt_req(d5, XS_SET_PERMS, 0, "k", "n5", "b6", NULL), 0);
	/* write access is not ownership */
	ck_assert_int_eq(xt_req(d6, XS_SET_PERMS, 0, "/local/domain/5/k", "n5", NULL), -EACCES);
	ck_assert_int_eq(xt_req(dom0, XS_SET_PERMS, 0, "/local/domain/5/k", "n6", NULL), 0);
	ck_assert_int_eq(xt_req(d6, XS_SET_PERMS, 0, "/local/domain/5/k", "r6", NULL), 0);
	ck_assert_int_eq(xt_read(d5, 0, "k"), 0);
	xt_client_free(d5);
	xt_client_free(d6);
}
END_TEST

START_TEST(test_inheritance)
{
	struct xt_client *d5 = xt_client(srv, 5), *d6 = xt_client(srv, 6);

	ck_assert_int_eq(xt_req(d5, XS_SET_PERMS, 0, "/local/domain/5", "n5", "r6", NULL), 0);
	ck_assert_int_eq(xt_write(d5, 0, "a/b", "1"), 0);
	ck_assert_int_eq(xt_req(dom0, XS_GET_PERMS, 0, "/local/domain/5/a", NULL), 0);
	ck_assert_int_eq(memcmp(dom0->reply.payload, "n5\0r6\0", 6), 0);
	ck_assert_int_eq(xt_req(dom0, XS_GET_PERMS, 0, "/local/domain/5/a/b", NULL), 0);
	ck_assert_int_eq(memcmp(dom0->reply.payload, "n5\0r6\0", 6), 0);
	/* dom0 creating keeps the inherited owner */
	ck_assert_int_eq(xt_write(dom0, 0, "/local/domain/5/c", "1"), 0);
	ck_assert_int_eq(xt_req(dom0, XS_GET_PERMS, 0, "/local/domain/5/c", NULL), 0);
	ck_assert_int_eq(memcmp(dom0->reply.payload, "n5\0r6\0", 6), 0);
	/* another domain creating with write access becomes the owner */
	ck_assert_int_eq(xt_req(d5, XS_SET_PERMS, 0, "a", "n5", "w6", NULL), 0);
	ck_assert_int_eq(xt_write(d6, 0, "/local/domain/5/a/x/y", "1"), 0);
	ck_assert_int_eq(xt_req(dom0, XS_GET_PERMS, 0, "/local/domain/5/a/x/y", NULL), 0);
	ck_assert_int_eq(memcmp(dom0->reply.payload, "n6\0w6\0", 6), 0);
	/* creating needs write access to the closest existing parent */
	ck_assert_int_eq(xt_write(d6, 0, "/local/domain/5/z/q", "1"), -EACCES);
	ck_assert_int_eq(xt_write(d6, 0, "/top", "1"), -EACCES);
	ck_assert_int_eq(xt_read(dom0, 0, "/local/domain/5/z"), -ENOENT);
	xt_client_free(d5);
	xt_client_free(d6);
}
END_TEST

START_TEST(test_release_forgets_domain)
{
	struct xt_client *d7;

	ck_assert_int_eq(xt_req(dom0, XS_INTRODUCE, 0, "7", "1234", "3", NULL), 0);
	ck_assert_int_eq(xt_req(dom0, XS_INTRODUCE, 0, "7", "1234", "3", NULL), -EEXIST);
	ck_assert_int_eq(xt_req(dom0, XS_IS_DOMAIN_INTRODUCED, 0, "7", NULL), 0);
	ck_assert_str_eq(dom0->reply.payload, "T");
	d7 = xt_client(srv, 7);
	ck_assert_int_eq(xt_req(d7, XS_INTRODUCE, 0, "8", "1", "1", NULL), -EACCES);
	ck_assert_int_eq(xt_req(d7, XS_RELEASE, 0, "7", NULL), -EACCES);
	xt_make_domain_dir(dom0, 7);
	ck_assert_int_eq(xt_req(dom0, XS_SET_PERMS, 0, "/local/domain/7", "n7", "r7", "b5", NULL),
			 0);
	ck_assert_int_eq(xt_req(dom0, XS_RELEASE, 0, "7", NULL), 0);
	ck_assert(xs_conn_is_dead(d7->conn));
	ck_assert_int_eq(xt_req(dom0, XS_RELEASE, 0, "7", NULL), -ENOENT);
	ck_assert_int_eq(xt_req(dom0, XS_IS_DOMAIN_INTRODUCED, 0, "7", NULL), 0);
	ck_assert_str_eq(dom0->reply.payload, "F");
	/* a new domain 7 inherits nothing (XSA-322) */
	ck_assert_int_eq(xt_req(dom0, XS_GET_PERMS, 0, "/local/domain/7", NULL), 0);
	ck_assert_uint_eq(dom0->reply.hdr.len, 6);
	ck_assert_int_eq(memcmp(dom0->reply.payload, "n0\0b5\0", 6), 0);
	xt_client_free(d7);
}
END_TEST

/*
 * XSA-322/417 class: a transaction that copied a node before its domain was released
 * must not commit the released domid's permissions back.
 */
START_TEST(test_release_conflicts_old_txn)
{
	uint32_t t, quiet;

	ck_assert_int_eq(xt_req(dom0, XS_INTRODUCE, 0, "7", "1234", "3", NULL), 0);
	ck_assert_int_eq(xt_write(dom0, 0, "/shared", "v"), 0);
	ck_assert_int_eq(xt_req(dom0, XS_SET_PERMS, 0, "/shared", "n0", "r7", NULL), 0);
	ck_assert_int_eq(xt_write(dom0, 0, "/other", "v"), 0);
	ck_assert_int_eq(xt_txn_start(dom0, &t), 0);
	ck_assert_int_eq(xt_write(dom0, t, "/shared", "w"), 0);
	ck_assert_int_eq(xt_txn_start(dom0, &quiet), 0);
	ck_assert_int_eq(xt_write(dom0, quiet, "/other", "w"), 0);
	ck_assert_int_eq(xt_req(dom0, XS_RELEASE, 0, "7", NULL), 0);
	/* the copy still says r7: its commit conflicts; one that saw no such node commits */
	ck_assert_int_eq(xt_txn_end(dom0, t, true), -EAGAIN);
	ck_assert_int_eq(xt_txn_end(dom0, quiet, true), 0);
	ck_assert_int_eq(xt_req(dom0, XS_GET_PERMS, 0, "/shared", NULL), 0);
	ck_assert_uint_eq(dom0->reply.hdr.len, 3);
	ck_assert_int_eq(memcmp(dom0->reply.payload, "n0\0", 3), 0);
	ck_assert_int_eq(xt_read(dom0, 0, "/shared"), 0);
	ck_assert_str_eq(dom0->reply.payload, "v");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xenstore.perms");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_basic_ops);
	tcase_add_test(tc, test_relative_paths);
	tcase_add_test(tc, test_perm_letters);
	tcase_add_test(tc, test_owner_change);
	tcase_add_test(tc, test_inheritance);
	tcase_add_test(tc, test_release_forgets_domain);
	tcase_add_test(tc, test_release_conflicts_old_txn);
	suite_add_tcase(s, tc);
	return xt_run(s);
}
