// SPDX-License-Identifier: MIT
/*
 * The toolstack's driver-domain logic that runs without a daemon: the restart
 * throttle, the disk open flags, the fault names (dd_policy.c), and the device
 * directories a driver domain serves (devdir.c) over the real xenstore
 * library: who may read and write them, and that a driver domain restarted
 * with the same domid reads its guests' frontends again after the release
 * stripped it from every node (XSA-322).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <splitvisor/driver_domain.h>

#include "dd_policy.h"
#include "devdir.h"
#include "xenstore.h"
#include "xs_local.h"

#define SEC 1000000000ull

START_TEST(test_throttle)
{
	struct dd_throttle t = { { 0 }, 0 };
	unsigned int i;

	for (i = 0; i < DD_RESTART_MAX; i++)
		ck_assert(dd_throttle_allow(&t, 100 * SEC + i * SEC));
	/* The sixth within 10 s is refused, and refusing counts nothing. */
	ck_assert(!dd_throttle_allow(&t, 105 * SEC));
	ck_assert(!dd_throttle_allow(&t, 109 * SEC));
	/* The first one leaves the window at 110 s: one more is allowed, then none again. */
	ck_assert(dd_throttle_allow(&t, 110 * SEC));
	ck_assert(!dd_throttle_allow(&t, 110 * SEC + 1));
	/* A quiet minute later, five again. */
	for (i = 0; i < DD_RESTART_MAX; i++)
		ck_assert(dd_throttle_allow(&t, 200 * SEC + i));
	ck_assert(!dd_throttle_allow(&t, 200 * SEC + 10));
}
END_TEST

START_TEST(test_disk_flags)
{
	int ro = O_RDONLY | O_CLOEXEC, rw = O_RDWR | O_CLOEXEC;

	ck_assert_int_eq(dd_disk_open_flags(true, NULL), ro);
	ck_assert_int_eq(dd_disk_open_flags(false, NULL), rw);
	ck_assert_int_eq(dd_disk_open_flags(false, "default"), rw);
	ck_assert_int_eq(dd_disk_open_flags(false, "writeback"), rw);
	ck_assert_int_eq(dd_disk_open_flags(false, "unsafe"), rw);
	ck_assert_int_eq(dd_disk_open_flags(false, "none"), rw | O_DIRECT);
	ck_assert_int_eq(dd_disk_open_flags(false, "writethrough"), rw | O_DSYNC);
	ck_assert_int_eq(dd_disk_open_flags(true, "directsync"), ro | O_DIRECT | O_DSYNC);
	/* Whatever the record holds that is not a cache mode is refused, never guessed. */
	ck_assert_int_eq(dd_disk_open_flags(false, "None"), -EINVAL);
	ck_assert_int_eq(dd_disk_open_flags(false, ""), -EINVAL);
	ck_assert_int_eq(dd_disk_open_flags(false, "none;rm -rf"), -EINVAL);
}
END_TEST

START_TEST(test_fault_names)
{
	ck_assert_int_eq(dd_fault_parse("clear"), SV_DD_FAULT_CLEAR);
	ck_assert_int_eq(dd_fault_parse("slow"), SV_DD_FAULT_SLOW);
	ck_assert_int_eq(dd_fault_parse("corrupt-ring"), SV_DD_FAULT_CORRUPT_RING);
	ck_assert_int_eq(dd_fault_parse("drop-notify"), SV_DD_FAULT_DROP_NOTIFY);
	ck_assert_int_eq(dd_fault_parse("kill"), -EINVAL);
	ck_assert_int_eq(dd_fault_parse(""), -EINVAL);
}
END_TEST

#define DD    5u
#define GUEST 7u
#define OTHER 9u
#define BE    "/local/domain/5/backend/vbd/7/51712"
#define FE    "/local/domain/7/device/vbd/51712"

static struct xs_server *srv;
static struct xs_local *dom0, *dd, *guest, *other;

static void xs_setup(void)
{
	struct xs_server_config cfg;

	xs_server_config_default(&cfg);
	srv = xs_server_new(&cfg);
	ck_assert_ptr_nonnull(srv);
	dom0 = xsl_new(srv, 0);
	ck_assert_int_eq(xs_domain_introduce(srv, DD, NULL), 0);
	ck_assert_int_eq(xs_domain_introduce(srv, GUEST, NULL), 0);
	ck_assert_int_eq(xs_domain_introduce(srv, OTHER, NULL), 0);
	dd = xsl_new(srv, DD);
	guest = xsl_new(srv, GUEST);
	other = xsl_new(srv, OTHER);
	ck_assert(dom0 && dd && guest && other);
}

static void xs_teardown(void)
{
	xsl_free(dom0);
	xsl_free(dd);
	xsl_free(guest);
	xsl_free(other);
	xs_server_free(srv);
}

static int rd(struct xs_local *x, const char *path)
{
	char buf[256];

	return xsl_read(x, path, buf, sizeof(buf));
}

START_TEST(test_devdir_driver_domain)
{
	const struct devdir_key be_keys[] = { { "params", "/img" }, { NULL, NULL } };
	const struct devdir_key fe_keys[] = { { "virtual-device", "51712" }, { NULL, NULL } };
	char buf[64];

	ck_assert_int_eq(devdir_write(dom0, BE, FE, GUEST, DD, be_keys, fe_keys), 0);
	/* The driver domain owns its backend directory; the guest reads it, no one else. */
	ck_assert_int_ge(rd(dd, BE "/params"), 0);
	ck_assert_int_ge(xsl_write(dd, BE "/state", "2"), 0);
	ck_assert_int_ge(rd(guest, BE "/state"), 0);
	ck_assert_int_eq(xsl_write(guest, BE "/params", "/etc/shadow"), -EACCES);
	ck_assert_int_eq(rd(other, BE "/params"), -EACCES);
	/* The frontend's: the guest's, readable by the driver domain only. */
	ck_assert_int_ge(xsl_read(dd, FE "/backend", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, BE);
	ck_assert_int_ge(xsl_read(dd, FE "/backend-id", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "5");
	ck_assert_int_eq(xsl_write(dd, FE "/state", "4"), -EACCES);
	ck_assert_int_eq(rd(other, FE "/state"), -EACCES);
	ck_assert_int_ge(xsl_write(guest, FE "/ring-ref", "8"), 0);
	ck_assert_int_ge(rd(dd, FE "/ring-ref"), 0);

	/* svdd died: released, it is stripped from every node. */
	xsl_free(dd);
	ck_assert_int_eq(xs_domain_release(srv, DD), 0);
	ck_assert_int_eq(xs_domain_introduce(srv, DD, NULL), 0);
	dd = xsl_new(srv, DD);
	ck_assert_int_eq(rd(dd, FE "/ring-ref"), -EACCES);
	/* The restart: the guest's directory and what it wrote are readable again. */
	ck_assert_int_eq(devdir_grant(dom0, FE, GUEST, DD), 0);
	ck_assert_int_ge(rd(dd, FE "/ring-ref"), 0);
	ck_assert_int_ge(rd(dd, FE "/state"), 0);
	ck_assert_int_eq(rd(other, FE "/ring-ref"), -EACCES);
	ck_assert_int_ge(xsl_write(guest, FE "/ring-ref", "9"), 0);
	/* And its backend directory again, its own. */
	ck_assert_int_eq(xsl_rm(dom0, "/local/domain/5/backend") < 0, 0);
	ck_assert_int_eq(devdir_write_backend(dom0, BE, FE, GUEST, DD, be_keys), 0);
	ck_assert_int_ge(xsl_write(dd, BE "/state", "2"), 0);
	ck_assert_int_eq(xsl_write(guest, BE "/state", "4"), -EACCES);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dd_policy");
	TCase *tc = tcase_create("policy");
	TCase *xs = tcase_create("devdir");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_throttle);
	tcase_add_test(tc, test_disk_flags);
	tcase_add_test(tc, test_fault_names);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(xs, xs_setup, xs_teardown);
	tcase_add_test(xs, test_devdir_driver_domain);
	suite_add_tcase(s, xs);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
