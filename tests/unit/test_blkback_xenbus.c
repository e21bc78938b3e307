// SPDX-License-Identifier: MIT
/*
 * The block backend's xenbus half driven through its environment interface,
 * the way a driver-domain process will host it (backend_env_fixture.h): a
 * real in-process xenstore (the server svdom0 embeds), a fake guest's memory
 * and grant table (blk_harness), eventfds standing in for the core's
 * event-channel binding.
 * The test plays toolstack and frontend: it writes the directories, the
 * frontend's keys and states, and checks what the backend answers in
 * xenstore and on the ring. A driver domain's host is the same host with
 * map_guest refused, grants through bh_remote (the core's side) and disks
 * opened by the host's open_disk.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <splitvisor/blkif.h>
#include <splitvisor/xenbus.h>

#include "backend_env_fixture.h"
#include "blk_harness.h"
#include "blkback_xenbus.h"

#define GUEST	  5
#define DEVID	  51712u
#define DISK_SIZE (4u << 20)
#define FE	  "/local/domain/5/device/vbd/51712"
#define BE	  "/local/domain/0/backend/vbd/5/51712"

/* The test's host (backend_env_fixture.h) and its one guest. */
static struct bef host;
static struct bh_guest *g;
static struct backend_env *env = &host.env;
static char disk_path[256];

static void dispatch(void)
{
	bef_dispatch(&host);
}

static void put(const char *dir, const char *key, const char *val)
{
	bef_put(&host, dir, key, val);
}

static int get(const char *dir, const char *key, char *out, size_t cap)
{
	return bef_get(&host, dir, key, out, cap);
}

static int be_state(void)
{
	return bef_be_state(&host, BE);
}

static void fe_state(int state)
{
	bef_fe_state(&host, FE, state);
}

/*
 * The host's loop until every device thread that was asked to stop has
 * finished and the loop has freed what it held (disconnect does not wait).
 */
static void settle(void)
{
	int i;

	for (i = 0; i < 500 && bef_nr_fds(&host); i++)
		bef_run_fds(&host, 10);
	ck_assert_uint_eq(bef_nr_fds(&host), 0);
	dispatch();
}

/* What the toolstack (svdom0's vbd.c) writes for one <disk>. */
static void toolstack_dirs(const char *params, const char *frontend)
{
	put(BE, "frontend", frontend);
	put(BE, "frontend-id", "5");
	put(BE, "params", params);
	put(BE, "dev", "xvda");
	put(BE, "mode", "w");
	put(BE, "online", "1");
	put(BE, "state", "1");
	put(FE, "backend", BE);
	put(FE, "backend-id", "0");
	put(FE, "virtual-device", "51712");
	put(FE, "state", "1");
}

static void setup(void)
{
	bef_setup(&host);
	g = bef_add_guest(&host, GUEST, 16u << 20);
	ck_assert_int_eq(bh_temp_disk(disk_path, sizeof(disk_path), DISK_SIZE), 0);
}

static void teardown(void)
{
	settle(); /* a device freed while its thread stopped goes now */
	unlink(disk_path);
	bef_teardown(&host);
}

static struct blkback_dev *probe_ok(void)
{
	struct blkback_dev *d = NULL;
	char err[256] = "";

	toolstack_dirs(disk_path, FE);
	ck_assert_msg(blkback_dev_probe(env, BE, &d, err, sizeof(err)) == 0, "%s", err);
	dispatch(); /* the watch fires once when set: the frontend is Initialising */
	ck_assert_int_eq(be_state(), XENBUS_STATE_INIT_WAIT);
	return d;
}

/* A ring page granted by the guest, initialised as its frontend would. */
static struct sv_front_ring front_ring(uint32_t *ref)
{
	struct sv_front_ring fr;
	void *page = bh_alloc_pages(g, 1);

	ck_assert_ptr_nonnull(page);
	*ref = (uint32_t)bh_grant(g, page, false);
	sv_front_ring_init(&fr, page, BH_PAGE, sizeof(union blkif_slot));
	return fr;
}

START_TEST(probe_publishes_features)
{
	struct blkback_dev *d = probe_ok();
	char buf[64];

	ck_assert_int_gt(get(BE, BLKIF_KEY_SECTORS, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "8192");
	ck_assert_int_gt(get(BE, BLKIF_KEY_FEATURE_PERSISTENT, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "1");
	ck_assert_int_gt(get(BE, BLKIF_KEY_MODE, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "w");
	ck_assert_int_gt(get(BE, BLKIF_KEY_MAX_RING_ORDER, buf, sizeof(buf)), 0);
	blkback_dev_free(d);
	/* Freed: the watch is gone, a later frontend change reaches nobody. */
	fe_state(XENBUS_STATE_INITIALISED);
	ck_assert_int_eq(be_state(), XENBUS_STATE_INIT_WAIT);
}
END_TEST

START_TEST(probe_refuses_bad_directories)
{
	struct blkback_dev *d = NULL;
	char err[256] = "";

	toolstack_dirs("relative/disk.img", FE);
	ck_assert_int_eq(blkback_dev_probe(env, BE, &d, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(d);
	ck_assert_msg(strstr(err, "absolute path"), "%s", err);

	/* A frontend path that is not the frontend domain's own device. */
	toolstack_dirs(disk_path, "/local/domain/6/device/vbd/51712");
	ck_assert_int_eq(blkback_dev_probe(env, BE, &d, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "frontend is not"), "%s", err);

	toolstack_dirs(disk_path, FE);
	put(BE, "frontend-id", "5x");
	ck_assert_int_eq(blkback_dev_probe(env, BE, &d, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "frontend-id"), "%s", err);

	toolstack_dirs("/nonexistent/disk.img", FE);
	ck_assert_int_lt(blkback_dev_probe(env, BE, &d, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "/nonexistent/disk.img"), "%s", err);
	ck_assert_uint_eq(host.maps, 0);
}
END_TEST

START_TEST(connect_and_serve_a_read)
{
	struct blkback_dev *d = probe_ok();
	struct blkback_dev_info info;
	union blkif_slot *slot;
	struct blkif_response rsp;
	struct sv_front_ring fr;
	uint32_t ring_ref, data_ref;
	uint8_t *data, want[512];
	uint64_t raised = 0;
	char buf[32];
	FILE *disk;
	int i;

	/* A known sector 3 in the file. */
	for (i = 0; i < 512; i++)
		want[i] = (uint8_t)(i * 7 + 3);
	disk = fopen(disk_path, "r+");
	ck_assert_ptr_nonnull(disk);
	ck_assert_int_eq(fseek(disk, 3 * 512, SEEK_SET), 0);
	ck_assert_uint_eq(fwrite(want, 1, sizeof(want), disk), sizeof(want));
	fclose(disk);

	fr = front_ring(&ring_ref);
	snprintf(buf, sizeof(buf), "%u", ring_ref);
	put(FE, BLKIF_KEY_RING_REF, buf);
	put(FE, BLKIF_KEY_EVENT_CHANNEL, "17");
	put(FE, BLKIF_KEY_PROTOCOL, BLKIF_PROTOCOL_NATIVE);
	fe_state(XENBUS_STATE_INITIALISED);
	ck_assert_int_eq(be_state(), XENBUS_STATE_CONNECTED);
	ck_assert_uint_eq(host.bound_port, 17);
	ck_assert(bef_port(&host, GUEST, 17)->bound);
	blkback_dev_info(d, &info);
	ck_assert(info.connected);

	data = bh_alloc_pages(g, 1);
	data_ref = (uint32_t)bh_grant(g, data, false);
	slot = sv_front_next_req(&fr);
	memset(slot, 0, sizeof(*slot));
	slot->req.operation = BLKIF_OP_READ;
	slot->req.id = 42;
	slot->req.sector_number = 3;
	slot->req.nr_segments = 1;
	slot->req.seg[0] = (struct blkif_request_segment){ .gref = data_ref, .last_sect = 0 };
	sv_front_push_requests(&fr);
	bef_send(&host, GUEST, 17);

	/* The device thread answers; the raise eventfd says it interrupted the guest. */
	for (i = 0; i < 500 && !sv_front_unconsumed(&fr); i++)
		poll(NULL, 0, 10);
	ck_assert_uint_eq(sv_front_unconsumed(&fr), 1);
	memcpy(&rsp, sv_front_rsp(&fr, fr.rsp_cons), sizeof(rsp));
	ck_assert_uint_eq(rsp.id, 42);
	ck_assert_int_eq(rsp.status, BLKIF_RSP_OKAY);
	ck_assert_mem_eq(data, want, sizeof(want));
	for (i = 0; i < 100 && !(raised = bef_raised(&host, GUEST, 17)); i++)
		poll(NULL, 0, 10);
	ck_assert_uint_ge(raised, 1);

	/* The frontend closes: the backend lets go of everything and follows. */
	fe_state(XENBUS_STATE_CLOSING);
	ck_assert_int_eq(be_state(), XENBUS_STATE_CLOSING);
	blkback_dev_info(d, &info);
	ck_assert(!info.connected);
	settle();
	ck_assert_uint_eq(host.closes, 1);
	ck_assert(!bef_port(&host, GUEST, 17)->bound);
	ck_assert_uint_eq(host.maps, 0);
	ck_assert_int_eq(bh_end_grant(g, ring_ref), 0); /* no longer mapped */
	fe_state(XENBUS_STATE_CLOSED);
	ck_assert_int_eq(be_state(), XENBUS_STATE_CLOSED);
	ck_assert(!blkback_dev_removable(d)); /* not unplugged: it may come back */
	fe_state(XENBUS_STATE_INITIALISING);
	ck_assert_int_eq(be_state(), XENBUS_STATE_INIT_WAIT);
	blkback_dev_free(d);
}
END_TEST

/*
 * A frontend that breaks its ring (the producer far ahead) loses its device
 * visibly: the thread tells the loop, which writes error and goes Closing and
 * lets go of the ring.
 */
START_TEST(broken_ring_goes_closing)
{
	struct blkback_dev *d = probe_ok();
	struct blkback_dev_info info;
	struct sv_front_ring fr;
	uint32_t ring_ref;
	char buf[256];
	int i;

	fr = front_ring(&ring_ref);
	snprintf(buf, sizeof(buf), "%u", ring_ref);
	put(FE, BLKIF_KEY_RING_REF, buf);
	put(FE, BLKIF_KEY_EVENT_CHANNEL, "17");
	put(FE, BLKIF_KEY_PROTOCOL, BLKIF_PROTOCOL_NATIVE);
	fe_state(XENBUS_STATE_INITIALISED);
	ck_assert_int_eq(be_state(), XENBUS_STATE_CONNECTED);
	fr.s->req_prod = fr.rsp_cons + 16 * fr.entries;
	bef_send(&host, GUEST, 17);
	for (i = 0; i < 500 && be_state() != XENBUS_STATE_CLOSING; i++)
		bef_run_fds(&host, 10);
	ck_assert_int_eq(be_state(), XENBUS_STATE_CLOSING);
	settle();
	ck_assert_int_gt(bef_get(&host, BE, "error", buf, sizeof(buf)), 0);
	blkback_dev_info(d, &info);
	ck_assert(!info.connected);
	ck_assert_uint_eq(host.maps, 0);
	ck_assert_int_eq(bh_end_grant(g, ring_ref), 0); /* the ring is no longer mapped */
	blkback_dev_free(d);
}
END_TEST

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The loop never waits for a device thread (in svdom0 it serves every guest):
 * with the thread asleep in a slow kick (an injected 3 s), the frontend's
 * Closing is answered at once and the stop request ends the sleep. Closed, and
 * a reconnect, wait until the thread has let go of the ring.
 */
START_TEST(disconnect_does_not_wait_for_the_thread)
{
	struct backend_faults faults = { .slow_ms = 3000 };
	struct blkback_dev *d;
	uint64_t t0, took;
	uint32_t ring_ref;
	char buf[32];
	int i;

	host.env.faults = &faults;
	d = probe_ok();
	front_ring(&ring_ref);
	snprintf(buf, sizeof(buf), "%u", ring_ref);
	put(FE, BLKIF_KEY_RING_REF, buf);
	put(FE, BLKIF_KEY_EVENT_CHANNEL, "17");
	fe_state(XENBUS_STATE_INITIALISED);
	ck_assert_int_eq(be_state(), XENBUS_STATE_CONNECTED);
	poll(NULL, 0, 50); /* the thread's first kick is asleep by now */

	t0 = now_ms();
	fe_state(XENBUS_STATE_CLOSING);
	took = now_ms() - t0;
	ck_assert_int_eq(be_state(), XENBUS_STATE_CLOSING);
	ck_assert_msg(took < 1000, "the frontend's Closing kept the loop %llu ms",
		      (unsigned long long)took);
	/* The loop has not heard from the thread yet: the ring may still be in use. */
	fe_state(XENBUS_STATE_CLOSED);
	ck_assert_int_eq(be_state(), XENBUS_STATE_CLOSING);
	ck_assert_uint_eq(host.maps, 1);
	t0 = now_ms();
	settle();
	took = now_ms() - t0;
	ck_assert_msg(took < 1000, "the thread took %llu ms to stop", (unsigned long long)took);
	ck_assert_int_eq(be_state(), XENBUS_STATE_CLOSED);
	ck_assert_uint_eq(host.maps, 0);
	ck_assert_int_eq(bh_end_grant(g, ring_ref), 0);

	/* A frontend that starts over at once connects only after the old thread is gone. */
	ring_ref = 0;
	front_ring(&ring_ref);
	snprintf(buf, sizeof(buf), "%u", ring_ref);
	put(FE, BLKIF_KEY_RING_REF, buf);
	fe_state(XENBUS_STATE_INITIALISING);
	ck_assert_int_eq(be_state(), XENBUS_STATE_INIT_WAIT);
	fe_state(XENBUS_STATE_INITIALISED);
	ck_assert_int_eq(be_state(), XENBUS_STATE_CONNECTED);
	poll(NULL, 0, 50);
	fe_state(XENBUS_STATE_INITIALISING); /* without closing: taken down, not waited for */
	ck_assert_int_eq(be_state(), XENBUS_STATE_INIT_WAIT);
	fe_state(XENBUS_STATE_INITIALISED);
	ck_assert_int_eq(be_state(), XENBUS_STATE_INIT_WAIT);
	ck_assert_uint_eq(host.maps, 1); /* the old connection's */
	for (i = 0; i < 100 && be_state() != XENBUS_STATE_CONNECTED; i++)
		bef_run_fds(&host, 10);
	ck_assert_int_eq(be_state(), XENBUS_STATE_CONNECTED);
	ck_assert_uint_eq(host.maps, 1); /* the new one's */
	blkback_dev_free(d);		 /* its thread still stopping: freed once it has */
	ck_assert_uint_eq(host.maps, 1);
	settle();
	ck_assert_uint_eq(host.maps, 0);

	/* A host whose loop has ended waits for the thread instead, briefly. */
	bef_rm(&host, BE);
	d = probe_ok();
	fe_state(XENBUS_STATE_INITIALISING);
	fe_state(XENBUS_STATE_INITIALISED);
	ck_assert_int_eq(be_state(), XENBUS_STATE_CONNECTED);
	poll(NULL, 0, 50);
	t0 = now_ms();
	blkback_dev_free_wait(d);
	took = now_ms() - t0;
	ck_assert_msg(took < 1000, "the thread took %llu ms to stop", (unsigned long long)took);
	ck_assert_uint_eq(bef_nr_fds(&host), 0);
	ck_assert_uint_eq(host.maps, 0);
	host.env.faults = NULL;
}
END_TEST

/* Each hostile frontend key: an error node, Closing, nothing held, and no crash. */
START_TEST(hostile_frontend_keys)
{
	static const struct {
		const char *key, *val, *expect;
	} cases[] = {
		{ BLKIF_KEY_RING_REF, "abc", "is not a grant reference" },
		{ BLKIF_KEY_RING_REF, "-1", "is not a grant reference" },
		{ BLKIF_KEY_RING_REF, "99999999999", "is not a grant reference" },
		{ BLKIF_KEY_EVENT_CHANNEL, "0", "is not a port" },
		{ BLKIF_KEY_EVENT_CHANNEL, "4096", "is not a port" },
		{ BLKIF_KEY_EVENT_CHANNEL, "", "is not a port" },
		{ BLKIF_KEY_PROTOCOL, "x86_32-abi", "protocol" },
		{ BLKIF_KEY_RING_PAGE_ORDER, "9", "ring-page-order" },
		{ BLKIF_KEY_RING_REF, "7", "cannot map ring-ref 7" }, /* never granted */
	};
	struct blkback_dev *d;
	uint32_t ring_ref;
	char buf[256], ref[16];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bef_rm(&host, FE);
		bef_rm(&host, BE);
		d = probe_ok();
		front_ring(&ring_ref);
		snprintf(ref, sizeof(ref), "%u", ring_ref);
		put(FE, BLKIF_KEY_RING_REF, ref);
		put(FE, BLKIF_KEY_EVENT_CHANNEL, "17");
		put(FE, cases[i].key, cases[i].val);
		fe_state(XENBUS_STATE_INITIALISED);
		ck_assert_msg(be_state() == XENBUS_STATE_CLOSING, "%s=%s: state %d", cases[i].key,
			      cases[i].val, be_state());
		ck_assert_int_gt(get(BE, "error", buf, sizeof(buf)), 0);
		ck_assert_msg(strstr(buf, cases[i].expect), "%s=%s: error '%s'", cases[i].key,
			      cases[i].val, buf);
		ck_assert_uint_eq(host.maps, 0);
		ck_assert_int_eq(bh_end_grant(g, ring_ref), 0);
		blkback_dev_free(d);
	}
}
END_TEST

START_TEST(host_without_guest_memory)
{
	struct blkback_dev *d = probe_ok();
	uint32_t ring_ref;
	char buf[256], ref[16];

	/* A driver domain's host refuses to map guest RAM: the device says why and closes. */
	host.refuse_map = true;
	front_ring(&ring_ref);
	snprintf(ref, sizeof(ref), "%u", ring_ref);
	put(FE, BLKIF_KEY_RING_REF, ref);
	put(FE, BLKIF_KEY_EVENT_CHANNEL, "17");
	fe_state(XENBUS_STATE_INITIALISED);
	ck_assert_int_eq(be_state(), XENBUS_STATE_CLOSING);
	ck_assert_int_gt(get(BE, "error", buf, sizeof(buf)), 0);
	ck_assert_msg(strstr(buf, "may not map"), "%s", buf);
	blkback_dev_free(d);
}
END_TEST

/* ---- a driver domain's host: copy mode, disks opened by the toolstack ---- */

static struct gnt_mapper core_mapper;
static struct bh_remote rem;

/* What svdd sets: no guest RAM, every grant through the core. */
static void driver_domain_host(void)
{
	host.refuse_map = true;
	ck_assert_int_eq(gnt_mapper_init(&core_mapper, 0, 256), 0);
	bh_remote_init(&rem, g, &core_mapper);
	host.env.grant_remote = &bh_remote_ops;
	host.env.grant_remote_ctx = &rem;
}

static struct sv_front_ring wait_rsp(struct sv_front_ring fr, struct blkif_response *rsp)
{
	for (int i = 0; i < 500 && !sv_front_unconsumed(&fr); i++)
		poll(NULL, 0, 10);
	ck_assert_uint_eq(sv_front_unconsumed(&fr), 1);
	memcpy(rsp, sv_front_rsp(&fr, fr.rsp_cons++), sizeof(*rsp));
	return fr;
}

START_TEST(driver_domain_copy_mode)
{
	struct blkback_dev *d;
	struct blkback_dev_info info;
	struct blkif_response rsp;
	struct sv_front_ring fr;
	union blkif_slot *slot;
	uint32_t ring_ref, refs[2], i;
	uint8_t *data, want[2 * BH_PAGE];
	char buf[64];

	driver_domain_host();
	d = probe_ok();
	/* Copy mode offers no persistent grants, one-page rings, smaller indirect requests. */
	ck_assert_int_lt(get(BE, BLKIF_KEY_FEATURE_PERSISTENT, buf, sizeof(buf)), 0);
	ck_assert_int_gt(get(BE, BLKIF_KEY_MAX_RING_ORDER, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "0");
	ck_assert_int_gt(get(BE, BLKIF_KEY_FEATURE_INDIRECT, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(strtoul(buf, NULL, 10), BLKBACK_COPY_MAX_SEGS);

	fr = front_ring(&ring_ref);
	/*
	 * The test polls the ring: no event wanted (raising through the core, shinfo
	 * NULL, is backend_port's).
	 */
	fr.s->rsp_event = 1u << 31;
	snprintf(buf, sizeof(buf), "%u", ring_ref);
	put(FE, BLKIF_KEY_RING_REF, buf);
	put(FE, BLKIF_KEY_EVENT_CHANNEL, "17");
	put(FE, BLKIF_KEY_FEATURE_PERSISTENT, "1"); /* asked anyway: not used */
	fe_state(XENBUS_STATE_INITIALISED);
	ck_assert_int_eq(be_state(), XENBUS_STATE_CONNECTED);
	ck_assert_uint_eq(host.maps, 0); /* guest RAM never mapped */
	ck_assert_uint_eq(rem.maps, 1);	 /* the ring, through the core */

	data = bh_alloc_granted(g, 2, false, refs);
	ck_assert_ptr_nonnull(data);
	for (i = 0; i < sizeof(want); i++)
		want[i] = (uint8_t)(i * 13 + 1);
	memcpy(data, want, sizeof(want));
	slot = sv_front_next_req(&fr);
	memset(slot, 0, sizeof(*slot));
	slot->req.operation = BLKIF_OP_WRITE;
	slot->req.id = 1;
	slot->req.sector_number = 16;
	slot->req.nr_segments = 2;
	for (i = 0; i < 2; i++)
		slot->req.seg[i] =
			(struct blkif_request_segment){ .gref = refs[i], .last_sect = 7 };
	sv_front_push_requests(&fr);
	bef_send(&host, GUEST, 17);
	fr = wait_rsp(fr, &rsp);
	ck_assert_uint_eq(rsp.id, 1);
	ck_assert_int_eq(rsp.status, BLKIF_RSP_OKAY);
	ck_assert_uint_eq(rem.copy_batches, 1);

	memset(data, 0, sizeof(want));
	slot = sv_front_next_req(&fr);
	memset(slot, 0, sizeof(*slot));
	slot->req.operation = BLKIF_OP_READ;
	slot->req.id = 2;
	slot->req.sector_number = 16;
	slot->req.nr_segments = 2;
	for (i = 0; i < 2; i++)
		slot->req.seg[i] =
			(struct blkif_request_segment){ .gref = refs[i], .last_sect = 7 };
	sv_front_push_requests(&fr);
	bef_send(&host, GUEST, 17);
	fr = wait_rsp(fr, &rsp);
	ck_assert_uint_eq(rsp.id, 2);
	ck_assert_int_eq(rsp.status, BLKIF_RSP_OKAY);
	ck_assert_mem_eq(data, want, sizeof(want));
	ck_assert_uint_eq(rem.copy_batches, 2);
	ck_assert_uint_eq(rem.copy_segs, 4);
	blkback_dev_info(d, &info);
	ck_assert_uint_eq(info.stats.persistent_maps, 0);
	ck_assert_uint_eq(info.stats.copy_batches, 2);

	fe_state(XENBUS_STATE_CLOSING);
	ck_assert_int_eq(be_state(), XENBUS_STATE_CLOSING);
	settle();
	ck_assert_uint_eq(rem.unmaps, 1);
	ck_assert_int_eq(bh_end_grant(g, ring_ref), 0);
	ck_assert_int_eq(bh_end_grant(g, refs[0]), 0);
	blkback_dev_free(d);

	/* A multi-page ring cannot be one run of remote maps: refused as not offered. */
	bef_rm(&host, FE);
	bef_rm(&host, BE);
	d = probe_ok();
	front_ring(&ring_ref);
	snprintf(buf, sizeof(buf), "%u", ring_ref);
	put(FE, BLKIF_KEY_RING_PAGE_ORDER, "1");
	put(FE, BLKIF_KEY_RING_REF "0", buf);
	put(FE, BLKIF_KEY_RING_REF "1", buf);
	put(FE, BLKIF_KEY_EVENT_CHANNEL, "17");
	fe_state(XENBUS_STATE_INITIALISED);
	ck_assert_int_eq(be_state(), XENBUS_STATE_CLOSING);
	ck_assert_int_gt(get(BE, "error", buf, sizeof(buf)), 0);
	ck_assert_msg(strstr(buf, "is not 0..0"), "%s", buf);
	blkback_dev_free(d);
	gnt_unmap_all(&core_mapper);
	gnt_mapper_destroy(&core_mapper);
}
END_TEST

/* The toolstack's open_disk: what it was asked and what it answers. */
static struct {
	char be[128], params[256];
	int flags, calls, fail, force_flags;
} od;

static int t_open_disk(struct backend_env *e, const char *be_path, const char *params,
		       int open_flags, int *fd, char *err, size_t errlen)
{
	(void)e;
	od.calls++;
	snprintf(od.be, sizeof(od.be), "%s", be_path);
	snprintf(od.params, sizeof(od.params), "%s", params);
	od.flags = open_flags;
	if (od.fail) {
		snprintf(err, errlen, "toolstack: %s is not yours", params);
		return od.fail;
	}
	*fd = open(params, od.force_flags ? od.force_flags : open_flags);
	return *fd < 0 ? -errno : 0;
}

START_TEST(disk_opened_by_host)
{
	static struct backend_env_ops ops;
	const struct backend_env_ops *orig = host.env.ops;
	struct blkback_dev *d = NULL;
	char err[256] = "";

	ops = *orig;
	ops.open_disk = t_open_disk;
	host.env.ops = &ops;
	memset(&od, 0, sizeof(od));
	d = probe_ok();
	ck_assert_int_eq(od.calls, 1);
	ck_assert_str_eq(od.be, BE);
	ck_assert_str_eq(od.params, disk_path);
	ck_assert_int_eq(od.flags, O_RDWR | O_CLOEXEC);
	blkback_dev_free(d);

	/* Read-only and write-through: the flags are decided here, the host only opens. */
	put(BE, "mode", "r");
	put(BE, BLKBACK_KEY_CACHE, "writethrough");
	ck_assert_msg(blkback_dev_probe(env, BE, &d, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(od.flags, O_RDONLY | O_DSYNC | O_CLOEXEC);
	blkback_dev_free(d);

	/* The host refuses: its sentence is the probe's. */
	od.fail = -EACCES;
	ck_assert_int_eq(blkback_dev_probe(env, BE, &d, err, sizeof(err)), -EACCES);
	ck_assert_ptr_nonnull(strstr(err, "is not yours"));
	/* The host hands a read-only file for a writable disk: refused, not failing later. */
	od.fail = 0;
	od.force_flags = O_RDONLY | O_CLOEXEC;
	put(BE, "mode", "w");
	ck_assert_int_eq(blkback_dev_probe(env, BE, &d, err, sizeof(err)), -EBADF);
	ck_assert_msg(strstr(err, "read-write"), "%s", err);
	host.env.ops = orig;
}
END_TEST

START_TEST(unplug)
{
	struct blkback_dev *d = probe_ok();
	struct blkback_dev_info info;
	uint32_t ring_ref;
	char buf[16], ref[16];

	front_ring(&ring_ref);
	snprintf(ref, sizeof(ref), "%u", ring_ref);
	put(FE, BLKIF_KEY_RING_REF, ref);
	put(FE, BLKIF_KEY_EVENT_CHANNEL, "17");
	fe_state(XENBUS_STATE_CONNECTED);
	ck_assert_int_eq(be_state(), XENBUS_STATE_CONNECTED);

	blkback_dev_unplug(d);
	ck_assert_int_eq(be_state(), XENBUS_STATE_CLOSING);
	settle();
	ck_assert_int_gt(get(BE, "online", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "0");
	blkback_dev_info(d, &info);
	ck_assert(info.unplugged && !info.connected);
	ck_assert(!blkback_dev_removable(d)); /* until the frontend closes */
	fe_state(XENBUS_STATE_CLOSING);
	ck_assert(!blkback_dev_removable(d));
	fe_state(XENBUS_STATE_CLOSED);
	ck_assert(blkback_dev_removable(d));
	/* An unplugged device does not come back when the frontend starts over. */
	fe_state(XENBUS_STATE_INITIALISING);
	ck_assert_int_eq(be_state(), XENBUS_STATE_CLOSED);
	blkback_dev_free(d);

	/* One whose frontend never connected can go at once. */
	bef_rm(&host, FE);
	bef_rm(&host, BE);
	d = probe_ok();
	blkback_dev_unplug(d);
	ck_assert(blkback_dev_removable(d));
	blkback_dev_free(d);
}
END_TEST

START_TEST(frontend_state_garbage)
{
	struct blkback_dev *d = probe_ok();

	/* Not a number: read as Unknown, as Xen does, which closes the device. */
	put(FE, "state", "connected");
	dispatch();
	ck_assert_int_eq(be_state(), XENBUS_STATE_CLOSED);
	fe_state(XENBUS_STATE_INITIALISING);
	ck_assert_int_eq(be_state(), XENBUS_STATE_INIT_WAIT);
	/* A number that is no state, and InitWait (the backend's to say): ignored. */
	fe_state(99);
	ck_assert_int_eq(be_state(), XENBUS_STATE_INIT_WAIT);
	fe_state(XENBUS_STATE_INIT_WAIT);
	ck_assert_int_eq(be_state(), XENBUS_STATE_INIT_WAIT);
	/* The frontend's directory vanishes: Unknown again. */
	bef_rm(&host, FE);
	dispatch();
	ck_assert_int_eq(be_state(), XENBUS_STATE_CLOSED);
	blkback_dev_free(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("blkback_xenbus");
	TCase *tc = tcase_create("xenbus");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, probe_publishes_features);
	tcase_add_test(tc, probe_refuses_bad_directories);
	tcase_add_test(tc, connect_and_serve_a_read);
	tcase_add_test(tc, broken_ring_goes_closing);
	tcase_add_test(tc, disconnect_does_not_wait_for_the_thread);
	tcase_add_test(tc, hostile_frontend_keys);
	tcase_add_test(tc, host_without_guest_memory);
	tcase_add_test(tc, driver_domain_copy_mode);
	tcase_add_test(tc, disk_opened_by_host);
	tcase_add_test(tc, unplug);
	tcase_add_test(tc, frontend_state_garbage);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
