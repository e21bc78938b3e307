// SPDX-License-Identifier: MIT
/* Watches: every firing rule, unwatch, perms filtering, special paths, the event cap. */
#include "xs_local.h"
#include "xs_test.h"

static struct xs_server *srv;
static struct xt_client *dom0, *d5, *d6;

static void setup(void)
{
	struct xs_server_config cfg;

	xs_server_config_default(&cfg);
	cfg.event_cap = 8;
	srv = xs_server_new(&cfg);
	ck_assert_ptr_nonnull(srv);
	dom0 = xt_client(srv, 0);
	d5 = xt_client(srv, 5);
	d6 = xt_client(srv, 6);
	xt_make_domain_dir(dom0, 5);
	xt_make_domain_dir(dom0, 6);
}

static void teardown(void)
{
	xt_client_free(d6);
	xt_client_free(d5);
	xt_client_free(dom0);
	xs_server_free(srv);
}

START_TEST(test_register_and_changes)
{
	ck_assert_int_eq(xt_req(dom0, XS_WATCH, 0, "/w", "tok", NULL), 0);
	xt_check_event(dom0, 0, "/w", "tok"); /* once at registration, node absent or not */
	ck_assert_int_eq(dom0->nr_events, 1);
	ck_assert_int_eq(xt_write(dom0, 0, "/w", "1"), 0); /* create */
	xt_check_event(dom0, 1, "/w", "tok");
	ck_assert_int_eq(xt_write(dom0, 0, "/w", "2"), 0); /* change */
	xt_check_event(dom0, 2, "/w", "tok");
	ck_assert_int_eq(xt_write(dom0, 0, "/w/a/b", "3"), 0); /* child, via new parent */
	xt_check_event(dom0, 3, "/w/a/b", "tok");
	ck_assert_int_eq(dom0->nr_events, 4);
	ck_assert_int_eq(xt_write(dom0, 0, "/other", "1"), 0);
	ck_assert_int_eq(xt_write(dom0, 0, "/wx", "1"), 0); /* a prefix is not a parent */
	ck_assert_int_eq(dom0->nr_events, 4);
	ck_assert_int_eq(xt_req(dom0, XS_MKDIR, 0, "/w/m", NULL), 0);
	xt_check_event(dom0, 4, "/w/m", "tok");
	ck_assert_int_eq(xt_req(dom0, XS_MKDIR, 0, "/w/m", NULL), 0); /* no change */
	ck_assert_int_eq(dom0->nr_events, 5);
	ck_assert_int_eq(xt_req(dom0, XS_SET_PERMS, 0, "/w/m", "r0", NULL), 0);
	xt_check_event(dom0, 5, "/w/m", "tok");
	ck_assert_int_eq(dom0->nr_events, 6);
}
END_TEST

START_TEST(test_delete)
{
	ck_assert_int_eq(xt_write(dom0, 0, "/d/a/b/c", "1"), 0);
	ck_assert_int_eq(xt_req(dom0, XS_WATCH, 0, "/d", "top", NULL), 0);
	ck_assert_int_eq(xt_req(dom0, XS_WATCH, 0, "/d/a/b", "below", NULL), 0);
	ck_assert_int_eq(xt_req(dom0, XS_WATCH, 0, "/d/a/b/c", "leaf", NULL), 0);
	dom0->nr_events = 0;
	ck_assert_int_eq(xt_req(dom0, XS_RM, 0, "/d/a", NULL), 0);
	ck_assert_int_eq(dom0->nr_events, 3);
	xt_check_event(dom0, 0, "/d/a", "top");
	xt_check_event(dom0, 1, "/d/a/b", "below");
	xt_check_event(dom0, 2, "/d/a/b/c", "leaf");
	/* removing what is not there changes nothing */
	ck_assert_int_eq(xt_req(dom0, XS_RM, 0, "/d/a", NULL), 0);
	ck_assert_int_eq(dom0->nr_events, 3);
}
END_TEST

START_TEST(test_relative_watch)
{
	ck_assert_int_eq(xt_req(d5, XS_WATCH, 0, "dev", "rel", NULL), 0);
	xt_check_event(d5, 0, "dev", "rel");
	ck_assert_int_eq(xt_write(d5, 0, "dev/x", "1"), 0);
	xt_check_event(d5, 1, "dev/x", "rel");
	ck_assert_int_eq(xt_write(dom0, 0, "/local/domain/5/dev", "2"), 0);
	xt_drain(d5);
	xt_check_event(d5, 2, "dev", "rel");
	ck_assert_int_eq(d5->nr_events, 3);
}
END_TEST

START_TEST(test_unwatch)
{
	ck_assert_int_eq(xt_req(dom0, XS_WATCH, 0, "/u", "a", NULL), 0);
	ck_assert_int_eq(xt_req(dom0, XS_WATCH, 0, "/u", "a", NULL), -EEXIST);
	ck_assert_int_eq(xt_req(dom0, XS_WATCH, 0, "/u", "b", NULL), 0);
	ck_assert_int_eq(xt_req(dom0, XS_UNWATCH, 0, "/u", "a", NULL), 0);
	ck_assert_int_eq(xt_req(dom0, XS_UNWATCH, 0, "/u", "a", NULL), -ENOENT);
	dom0->nr_events = 0;
	ck_assert_int_eq(xt_write(dom0, 0, "/u", "1"), 0);
	ck_assert_int_eq(dom0->nr_events, 1);
	xt_check_event(dom0, 0, "/u", "b");
	ck_assert_int_eq(xt_req(dom0, XS_RESET_WATCHES, 0, NULL), 0);
	ck_assert_int_eq(xt_write(dom0, 0, "/u", "2"), 0);
	ck_assert_int_eq(dom0->nr_events, 1);
}
END_TEST

/* XSA-115: an event must not reveal a node the watcher cannot read. */
START_TEST(test_unreadable_not_revealed)
{
	ck_assert_int_eq(xt_req(d6, XS_WATCH, 0, "/local/domain/5", "spy", NULL), 0);
	ck_assert_int_eq(xt_req(d6, XS_WATCH, 0, "/", "root", NULL), 0);
	d6->nr_events = 0;
	ck_assert_int_eq(xt_write(d5, 0, "secret", "x"), 0);
	ck_assert_int_eq(xt_write(d5, 0, "secret", "y"), 0);
	ck_assert_int_eq(xt_req(d5, XS_RM, 0, "secret", NULL), 0);
	ck_assert_int_eq(xt_write(d5, 0, "open", "x"), 0);
	xt_drain(d6);
	ck_assert_int_eq(d6->nr_events, 0);
	/* granting read is a permission change d6 may see, with the new perms */
	ck_assert_int_eq(xt_req(d5, XS_SET_PERMS, 0, "open", "n5", "r6", NULL), 0);
	xt_drain(d6);
	ck_assert_int_eq(d6->nr_events, 2);
	xt_check_event(d6, 0, "/local/domain/5/open", "root"); /* outermost watch first */
	xt_check_event(d6, 1, "/local/domain/5/open", "spy");
	/* revoking it is seen too (readable under the old perms), then nothing more */
	ck_assert_int_eq(xt_req(d5, XS_SET_PERMS, 0, "open", "n5", NULL), 0);
	xt_drain(d6);
	ck_assert_int_eq(d6->nr_events, 4);
	ck_assert_int_eq(xt_write(d5, 0, "open", "z"), 0);
	ck_assert_int_eq(xt_req(d5, XS_RM, 0, "open", NULL), 0);
	xt_drain(d6);
	ck_assert_int_eq(d6->nr_events, 4);
}
END_TEST

START_TEST(test_special_watches)
{
	ck_assert_int_eq(xt_req(dom0, XS_WATCH, 0, "@introduceDomain", "in", NULL), 0);
	ck_assert_int_eq(xt_req(dom0, XS_WATCH, 0, "@releaseDomain", "out", NULL), 0);
	ck_assert_int_eq(xt_req(d5, XS_WATCH, 0, "@releaseDomain", "out5", NULL), 0);
	ck_assert_int_eq(xt_req(d5, XS_WATCH, 0, "@bogus", "x", NULL), -EINVAL);
	dom0->nr_events = d5->nr_events = 0;
	ck_assert_int_eq(xt_req(dom0, XS_INTRODUCE, 0, "9", "1", "2", NULL), 0);
	xt_check_event(dom0, 0, "@introduceDomain", "in");
	ck_assert_int_eq(xt_req(dom0, XS_RELEASE, 0, "9", NULL), 0);
	xt_check_event(dom0, 1, "@releaseDomain", "out");
	xt_drain(d5);
	ck_assert_int_eq(d5->nr_events, 0); /* special nodes default to n0 */
	ck_assert_int_eq(xt_req(d5, XS_SET_PERMS, 0, "@releaseDomain", "r0", NULL), -EACCES);
	ck_assert_int_eq(xt_req(dom0, XS_SET_PERMS, 0, "@releaseDomain", "n0", "r5", NULL), 0);
	ck_assert_int_eq(xt_req(d5, XS_GET_PERMS, 0, "@releaseDomain", NULL), 0);
	ck_assert_int_eq(xt_req(dom0, XS_INTRODUCE, 0, "9", "1", "2", NULL), 0);
	ck_assert_int_eq(xt_req(dom0, XS_RELEASE, 0, "9", NULL), 0);
	xt_drain(d5);
	ck_assert_int_eq(d5->nr_events, 1);
	xt_check_event(d5, 0, "@releaseDomain", "out5");
}
END_TEST

/* XSA-326/416: a watcher that never reads its events costs a bounded amount. */
START_TEST(test_event_cap)
{
	const void *p;
	size_t len;

	ck_assert_int_eq(xt_req(d6, XS_WATCH, 0, "/local/domain/6", "t", NULL), 0);
	xt_drain(d6);
	/* d6 now stops reading: events pile up to the cap of 8, the rest are dropped */
	for (int i = 0; i < 100; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/local/domain/6/k%d", i % 4);
		ck_assert_int_eq(xt_write(dom0, 0, path, "v"), 0);
	}
	ck_assert_uint_eq(xs_conn_dropped_events(d6->conn), 92);
	/* its own requests still get replies, and others are unaffected */
	ck_assert_int_eq(xt_read(d5, 0, "/local/domain/5"), 0);
	d6->nr_events = 0;
	ck_assert_int_eq(xt_read(d6, 0, "/local/domain/6/k1"), 0);
	ck_assert_int_eq(d6->nr_events, 8);
	xs_conn_output(d6->conn, &p, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(xt_write(dom0, 0, "/local/domain/6/k1", "again"), 0);
	xt_drain(d6);
	ck_assert_int_eq(d6->nr_events, 9);
}
END_TEST

/* Tokens are bounded so that every event fits one message (XSA-324). */
START_TEST(test_event_size)
{
	static char token[XS_WATCH_TOKEN_MAX + 2];
	static char path[XS_ABS_PATH_MAX + 1];

	memset(token, 't', XS_WATCH_TOKEN_MAX + 1);
	ck_assert_int_eq(xt_req(dom0, XS_WATCH, 0, "/big", token, NULL), -E2BIG);
	token[XS_WATCH_TOKEN_MAX] = '\0';
	ck_assert_int_eq(xt_req(dom0, XS_WATCH, 0, "/big", token, NULL), 0);
	memset(path, 'p', XS_ABS_PATH_MAX);
	memcpy(path, "/big/", 5);
	dom0->nr_events = 0;
	ck_assert_int_eq(xt_write(dom0, 0, path, "v"), 0);
	ck_assert_int_eq(dom0->nr_events, 1);
	ck_assert_uint_eq(dom0->events[0].hdr.len, XS_PAYLOAD_MAX);
	ck_assert_uint_eq(xs_conn_dropped_events(dom0->conn), 0);
}
END_TEST

/*
 * XSA-349 class: svdom0's in-process connection serves every backend's watches. One
 * guest's transaction that fires hundreds of events under a watched frontend must not
 * crowd out another guest's event, and what one guest can queue there is bounded.
 */
START_TEST(test_guest_burst_spares_dom0)
{
	struct xs_server *s = xs_server_new(NULL);
	struct xt_client *admin, *g5, *g6;
	struct xs_local *self;
	char path[XS_ABS_PATH_MAX], token[64];
	int from5 = 0, from6 = 0, mine = 0;
	uint32_t t;

	ck_assert_ptr_nonnull(s);
	admin = xt_client(s, 0);
	xt_make_domain_dir(admin, 5);
	xt_make_domain_dir(admin, 6);
	g5 = xt_client(s, 5);
	g6 = xt_client(s, 6);
	self = xsl_new(s, 0);
	ck_assert_ptr_nonnull(self);
	ck_assert_int_eq(xsl_watch(self, "/local/domain/5", "fe5"), 0);
	ck_assert_int_eq(xsl_watch(self, "/local/domain/6", "fe6"), 0);
	while (xsl_next_event(self, path, sizeof(path), token, sizeof(token)))
		;
	/* guest 5: one transaction, 600 children, nobody drains dom0 meanwhile */
	ck_assert_int_eq(xt_txn_start(g5, &t), 0);
	for (int i = 0; i < 600; i++) {
		snprintf(path, sizeof(path), "c%d", i);
		ck_assert_int_eq(xt_write(g5, t, path, "x"), 0);
	}
	ck_assert_int_eq(xt_txn_end(g5, t, true), 0);
	/* guest 6's frontend moves on: dom0 must hear it */
	ck_assert_int_eq(xt_write(g6, 0, "/local/domain/6/state", "3"), 0);
	/* and dom0's own changes are never lost, however many */
	for (int i = 0; i < 600; i++) {
		snprintf(path, sizeof(path), "/local/domain/6/d%d", i);
		ck_assert_int_eq(xt_write(admin, 0, path, "y"), 0);
	}
	while (xsl_next_event(self, path, sizeof(path), token, sizeof(token))) {
		if (!strcmp(token, "fe5"))
			from5++;
		else if (!strcmp(path, "/local/domain/6/state") && !strcmp(token, "fe6"))
			from6++;
		else if (!strcmp(token, "fe6"))
			mine++;
	}
	ck_assert_int_eq(from6, 1);
	ck_assert_int_eq(mine, 600);
	/* guest 5's excess is dropped and counted against guest 5 */
	ck_assert_int_eq(from5, 256);
	ck_assert_uint_eq(xs_domain_dropped_events(s, 5), 600 - 256);
	ck_assert_uint_eq(xs_domain_dropped_events(s, 6), 0);
	/* once dom0 took them, guest 5's budget is free again */
	ck_assert_int_eq(xt_write(g5, 0, "c0", "z"), 0);
	ck_assert(xsl_next_event(self, path, sizeof(path), token, sizeof(token)));
	ck_assert_str_eq(path, "/local/domain/5/c0");
	xsl_free(self);
	xt_client_free(g6);
	xt_client_free(g5);
	xt_client_free(admin);
	xs_server_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xenstore.watch");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_register_and_changes);
	tcase_add_test(tc, test_delete);
	tcase_add_test(tc, test_relative_watch);
	tcase_add_test(tc, test_unwatch);
	tcase_add_test(tc, test_unreadable_not_revealed);
	tcase_add_test(tc, test_special_watches);
	tcase_add_test(tc, test_event_cap);
	tcase_add_test(tc, test_event_size);
	suite_add_tcase(s, tc);
	tc = tcase_create("dom0");
	tcase_add_test(tc, test_guest_burst_spares_dom0);
	suite_add_tcase(s, tc);
	return xt_run(s);
}
