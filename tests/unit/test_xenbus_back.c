// SPDX-License-Identifier: MIT
/*
 * The backend's xenbus state machine alone, with a device class that only
 * counts, on the test host of backend_env_fixture.c: the handshake, and what a
 * backend started again (its driver domain died) does with a frontend that
 * still says Connected to the backend before it, or starts over.
 */
#include <check.h>
#include <stdio.h>

#include <splitvisor/xenbus.h>

#include "backend_env_fixture.h"
#include "xenbus_back.h"

#define FE "/local/domain/5/device/vbd/51712"
#define BE "/local/domain/7/backend/vbd/5/51712"

struct counts {
	unsigned int connects, disconnects;
	bool connected;
};

static int c_connect(struct xenbus_back *xb, char *err, size_t errlen)
{
	struct counts *c = xb->priv;

	(void)err;
	(void)errlen;
	c->connects++;
	c->connected = true;
	return 0;
}

static void c_disconnect(struct xenbus_back *xb)
{
	struct counts *c = xb->priv;

	if (c->connected)
		c->disconnects++;
	c->connected = false;
}

static const struct xenbus_back_ops c_ops = { .connect = c_connect, .disconnect = c_disconnect };

static struct bef host;
static struct xenbus_back xb;
static struct counts cnt;

static void start_backend(int fe_state)
{
	char err[256] = "", buf[16];

	bef_put(&host, BE, "frontend", FE);
	bef_put(&host, BE, "frontend-id", "5");
	snprintf(buf, sizeof(buf), "%d", fe_state);
	bef_put(&host, FE, "state", buf);
	ck_assert_int_eq(
		xenbus_back_init(&xb, &host.env, "vbd", BE, &c_ops, &cnt, err, sizeof(err)), 0);
	ck_assert_int_eq(xenbus_back_start(&xb), 0);
	bef_dispatch(&host);
}

static void setup(void)
{
	bef_setup(&host);
	cnt = (struct counts){ 0 };
}

static void teardown(void)
{
	xenbus_back_stop(&xb);
	bef_teardown(&host);
}

START_TEST(test_handshake)
{
	start_backend(XENBUS_STATE_INITIALISING);
	ck_assert_int_eq(bef_be_state(&host, BE), XENBUS_STATE_INIT_WAIT);
	bef_fe_state(&host, FE, XENBUS_STATE_INITIALISED);
	ck_assert_int_eq(cnt.connects, 1);
	ck_assert_int_eq(bef_be_state(&host, BE), XENBUS_STATE_CONNECTED);
	bef_fe_state(&host, FE, XENBUS_STATE_CONNECTED);
	ck_assert_int_eq(cnt.connects, 1);
}
END_TEST

/* The frontend still talks to the dead backend: no connect to its old ring. */
START_TEST(test_stale_connected_waits)
{
	start_backend(XENBUS_STATE_CONNECTED);
	ck_assert_int_eq(cnt.connects, 0);
	ck_assert_int_eq(bef_be_state(&host, BE), XENBUS_STATE_INIT_WAIT);
	/* It noticed, closed, and starts over: now it connects, once. */
	bef_fe_state(&host, FE, XENBUS_STATE_CLOSED);
	ck_assert_int_eq(bef_be_state(&host, BE), XENBUS_STATE_CLOSED);
	bef_fe_state(&host, FE, XENBUS_STATE_INITIALISING);
	ck_assert_int_eq(bef_be_state(&host, BE), XENBUS_STATE_INIT_WAIT);
	bef_fe_state(&host, FE, XENBUS_STATE_INITIALISED);
	ck_assert_int_eq(cnt.connects, 1);
	ck_assert_int_eq(bef_be_state(&host, BE), XENBUS_STATE_CONNECTED);
}
END_TEST

/* Initialised at the first look is a fresh ring the frontend set up for us: connect. */
START_TEST(test_initialised_first_look_connects)
{
	start_backend(XENBUS_STATE_INITIALISED);
	ck_assert_int_eq(cnt.connects, 1);
	ck_assert_int_eq(bef_be_state(&host, BE), XENBUS_STATE_CONNECTED);
}
END_TEST

/* A connected frontend that starts over without closing is taken down first. */
START_TEST(test_restart_without_close)
{
	start_backend(XENBUS_STATE_INITIALISING);
	bef_fe_state(&host, FE, XENBUS_STATE_INITIALISED);
	bef_fe_state(&host, FE, XENBUS_STATE_CONNECTED);
	ck_assert_int_eq(cnt.connects, 1);
	bef_fe_state(&host, FE, XENBUS_STATE_INITIALISING);
	ck_assert_int_eq(cnt.disconnects, 1);
	ck_assert(!cnt.connected);
	ck_assert_int_eq(bef_be_state(&host, BE), XENBUS_STATE_INIT_WAIT);
	bef_fe_state(&host, FE, XENBUS_STATE_INITIALISED);
	ck_assert_int_eq(cnt.connects, 2);
	ck_assert_int_eq(bef_be_state(&host, BE), XENBUS_STATE_CONNECTED);
}
END_TEST

/* Garbage in the frontend's state counts as Unknown: closed, never connected. */
START_TEST(test_garbage_state)
{
	start_backend(XENBUS_STATE_INITIALISING);
	bef_put(&host, FE, "state", "4x");
	bef_dispatch(&host);
	ck_assert_int_eq(cnt.connects, 0);
	ck_assert_int_eq(bef_be_state(&host, BE), XENBUS_STATE_CLOSED);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xenbus_back");
	TCase *tc = tcase_create("states");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_handshake);
	tcase_add_test(tc, test_stale_connected_waits);
	tcase_add_test(tc, test_initialised_first_look_connects);
	tcase_add_test(tc, test_restart_without_close);
	tcase_add_test(tc, test_garbage_state);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
