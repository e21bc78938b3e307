// SPDX-License-Identifier: MIT
/*
 * The network backend's xenbus half (netback_xenbus.c) driven through its
 * environment, as svdom0 or a driver domain hosts it (backend_env_fixture.h:
 * the real xenstore library, fake guests, eventfds for the core's event
 * channels), with a real network service whose thread moves the frames. The
 * test plays the toolstack (both directories) and each guest's frontend:
 * the keys and states of the handshake by hand, the rings with the real
 * netfront engine (frontend-drivers/netfront.c) over the fake guest's pages,
 * its notifications into the eventfd the backend was handed. Two guests
 * (domids 5 and 6, guest 5 with a second vif where three are needed) on one
 * switch, so every frame crosses the service's thread, the switch and two
 * grant-copy paths. Nothing sleeps blindly: every wait polls for its result
 * with a deadline, idling on the guests' raise eventfds.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <splitvisor/netif.h>
#include <splitvisor/xenbus.h>

#include "backend_env_fixture.h"
#include "blk_harness.h"
#include "net_service.h"
#include "netback_xenbus.h"
#include "netfront.h"

#define DOM_A	   5
#define DOM_B	   6
#define RAM	   (16u << 20)
#define SW	   "br0"
#define WAIT_MS	   5000 /* for a result the service thread owes us: far above what it takes */
#define MAX_FR	   4
#define ETHERTYPE  0x88b5 /* IEEE's local experimental type */
#define HDR	   23u	  /* Ethernet header, sender, seq, declared length */
#define OR_NONE(s) ((s) ? (s) : "(removed)")

/* One vif of a guest: the backend's device and the guest's frontend over it. */
struct front {
	unsigned int idx; /* in fronts[], carried in each frame it sends */
	struct bh_guest *g;
	uint16_t domid;
	uint32_t devid, port;
	char fe[64], be[64];
	uint8_t mac[6];
	struct netback_dev *d;
	struct netfront *nf;
	/* What its rx_fn saw, per sender. */
	uint64_t rx_from[MAX_FR];
	uint32_t rx_next[MAX_FR]; /* the least seq the sender's next frame may carry */
	uint64_t rx_bad;
	uint64_t rx_flooded; /* for another MAC: flooded by the switch, ignored */
	char why[160];	     /* the first bad frame's fault */
};

static struct bef host;
static struct net_service *ns;
static struct front fronts[MAX_FR];
static unsigned int nr_fronts;
static uint8_t frame_buf[NETIF_MAX_FRAME];

/* ---- the guest's side of netfront_ops, over the fake guest ---- */

static void *o_alloc_page(void *o)
{
	return bh_alloc_pages(((struct front *)o)->g, 1);
}

static void o_free_page(void *o, void *page)
{
	bh_free_pages(((struct front *)o)->g, page, 1);
}

static int o_grant(void *o, void *page, bool readonly)
{
	return bh_grant(((struct front *)o)->g, page, readonly);
}

static int o_end_grant(void *o, uint32_t ref)
{
	return bh_end_grant(((struct front *)o)->g, ref);
}

/* EVTCHNOP_send on the vif's port: the eventfd the fixture handed to the backend. */
static void o_notify(void *o)
{
	struct front *fr = o;

	bef_send(&host, fr->domid, fr->port);
}

static const struct netfront_ops front_ops = {
	.alloc_page = o_alloc_page,
	.free_page = o_free_page,
	.grant = o_grant,
	.end_grant = o_end_grant,
	.notify = o_notify,
};

/* ---- frames: self-describing, so a receiver checks every byte ---- */

static uint8_t pattern(uint32_t seq, unsigned int sender, size_t i)
{
	return (uint8_t)(seq * 31u + i * 7u + sender * 101u + (i >> 8));
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static size_t build_frame(const struct front *from, const struct front *to, uint32_t seq,
			  size_t len)
{
	ck_assert_uint_ge(len, HDR);
	ck_assert_uint_le(len, sizeof(frame_buf));
	memcpy(frame_buf, to->mac, 6);
	memcpy(frame_buf + 6, from->mac, 6);
	frame_buf[12] = ETHERTYPE >> 8;
	frame_buf[13] = ETHERTYPE & 0xff;
	frame_buf[14] = (uint8_t)from->idx;
	put32(frame_buf + 15, seq);
	put32(frame_buf + 19, (uint32_t)len);
	for (size_t i = HDR; i < len; i++)
		frame_buf[i] = pattern(seq, from->idx, i);
	return len;
}

/* What is wrong with a frame fr received (why filled in), or NULL when nothing is. */
static const char *frame_fault(const struct front *fr, const uint8_t *frame, size_t len, char *why,
			       size_t cap)
{
	unsigned int sender;
	uint32_t seq;

	if (len < HDR || frame[12] != ETHERTYPE >> 8 || frame[13] != (ETHERTYPE & 0xff)) {
		snprintf(why, cap, "not a test frame (%zu bytes)", len);
		return why;
	}
	sender = frame[14];
	seq = get32(frame + 15);
	if (sender >= nr_fronts || memcmp(frame + 6, fronts[sender].mac, 6)) {
		snprintf(why, cap, "unknown sender %u", sender);
		return why;
	}
	if (get32(frame + 19) != len) {
		snprintf(why, cap, "frame %u: %zu bytes of %u", seq, len, get32(frame + 19));
		return why;
	}
	/* One sender's frames cross one thread and one switch: never reordered. */
	if (seq < fr->rx_next[sender]) {
		snprintf(why, cap, "frame %u of vif %u after %u", seq, sender,
			 fr->rx_next[sender] - 1);
		return why;
	}
	for (size_t i = HDR; i < len; i++) {
		if (frame[i] != pattern(seq, sender, i)) {
			snprintf(why, cap, "frame %u of vif %u: byte %zu", seq, sender, i);
			return why;
		}
	}
	return NULL;
}

/* netfront's rx_fn: the frame must be for us, from a vif of ours, in order and intact. */
static void on_rx(void *arg, const uint8_t *frame, size_t len, unsigned int flags)
{
	struct front *fr = arg;
	char why[128];

	(void)flags;
	/* Unknown unicast is flooded until the switch learns where the MAC is: a NIC ignores it. */
	if (len >= 6 && memcmp(frame, fr->mac, 6)) {
		fr->rx_flooded++;
		return;
	}
	if (frame_fault(fr, frame, len, why, sizeof(why))) {
		if (!fr->rx_bad++)
			snprintf(fr->why, sizeof(fr->why), "vif %u/%u: %s", fr->domid, fr->devid,
				 why);
		return;
	}
	fr->rx_next[frame[14]] = get32(frame + 15) + 1;
	fr->rx_from[frame[14]]++;
}

/* ---- the guests' loop ---- */

/* Every frontend takes what the backends answered and delivered. */
static void pump(void)
{
	for (unsigned int i = 0; i < nr_fronts; i++)
		if (fronts[i].nf)
			while (netfront_poll(fronts[i].nf, on_rx, &fronts[i]) > 0)
				;
}

static uint64_t deadline(void)
{
	return bh_now_ns() + WAIT_MS * 1000000ull;
}

/* The guests idle until a raise (or a moment passes); false once the deadline is gone. */
static bool idle_until(uint64_t end)
{
	if (bh_now_ns() > end)
		return false;
	bef_wait_raise(&host, 2);
	return true;
}

static void send_frame(struct front *from, const struct front *to, uint32_t seq, size_t len)
{
	uint64_t end = deadline();
	int ret;

	build_frame(from, to, seq, len);
	/* A full ring or pool: take the responses the backend owes and try again. */
	while ((ret = netfront_send(from->nf, frame_buf, len)) == -EAGAIN) {
		pump();
		ck_assert_msg(idle_until(end), "vif %u/%u: TX stays full", from->domid,
			      from->devid);
	}
	ck_assert_msg(ret == 0, "vif %u/%u: send: %d", from->domid, from->devid, ret);
}

/* Waits until to got n frames from from (and no bad one). */
static void wait_rx(struct front *to, const struct front *from, uint64_t n)
{
	uint64_t end = deadline();

	for (;;) {
		pump();
		ck_assert_msg(!to->rx_bad, "%s", to->why);
		if (to->rx_from[from->idx] >= n)
			break;
		ck_assert_msg(idle_until(end), "vif %u/%u got %llu of %llu frames from vif %u/%u",
			      to->domid, to->devid, (unsigned long long)to->rx_from[from->idx],
			      (unsigned long long)n, from->domid, from->devid);
	}
	ck_assert_uint_eq(to->rx_from[from->idx], n);
}

static struct netback_dev_info info_of(const struct front *fr)
{
	struct netback_dev_info info;

	netback_dev_info(fr->d, &info);
	return info;
}

/* Waits until the backend took n frames off fr's TX ring and answered them all. */
static void wait_tx(struct front *fr, uint64_t n)
{
	uint64_t end = deadline();

	for (;;) {
		pump();
		if (info_of(fr).vif.vif.tx_frames >= n && !netfront_tx_inflight(fr->nf))
			break;
		ck_assert_msg(idle_until(end), "vif %u/%u: the backend took %llu of %llu frames",
			      fr->domid, fr->devid,
			      (unsigned long long)info_of(fr).vif.vif.tx_frames,
			      (unsigned long long)n);
	}
}

/* ---- the toolstack and the handshake ---- */

static struct front *front_add(uint16_t domid, uint32_t devid)
{
	struct front *fr;

	ck_assert_uint_lt(nr_fronts, MAX_FR);
	fr = &fronts[nr_fronts];
	memset(fr, 0, sizeof(*fr));
	fr->idx = nr_fronts++;
	fr->g = bef_guest(&host, domid);
	if (!fr->g)
		fr->g = bef_add_guest(&host, domid, RAM);
	fr->domid = domid;
	fr->devid = devid;
	fr->port = 10 + devid;
	snprintf(fr->fe, sizeof(fr->fe), "/local/domain/%u/device/vif/%u", domid, devid);
	snprintf(fr->be, sizeof(fr->be), "/local/domain/0/backend/vif/%u/%u", domid, devid);
	memcpy(fr->mac, (uint8_t[6]){ 0x00, 0x16, 0x3e, 0x00, (uint8_t)domid, (uint8_t)devid }, 6);
	return fr;
}

/* What svdom0's vif.c writes for an <interface type='bridge'>; frontend names the fe path. */
static void toolstack_dirs(const struct front *fr, const char *frontend)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%u", fr->domid);
	bef_put(&host, fr->be, "frontend", frontend);
	bef_put(&host, fr->be, "frontend-id", buf);
	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", fr->mac[0], fr->mac[1],
		 fr->mac[2], fr->mac[3], fr->mac[4], fr->mac[5]);
	bef_put(&host, fr->be, NETIF_KEY_MAC, buf);
	bef_put(&host, fr->fe, NETIF_KEY_MAC, buf);
	snprintf(buf, sizeof(buf), "%u", fr->devid);
	bef_put(&host, fr->be, NETIF_KEY_HANDLE, buf);
	bef_put(&host, fr->fe, NETIF_KEY_HANDLE, buf);
	bef_put(&host, fr->be, "type", "vif");
	bef_put(&host, fr->be, NETBACK_KEY_BRIDGE, SW);
	bef_put(&host, fr->be, "online", "1");
	bef_put(&host, fr->be, "state", "1");
	bef_put(&host, fr->fe, "backend", fr->be);
	bef_put(&host, fr->fe, "backend-id", "0");
	bef_put(&host, fr->fe, "state", "1");
}

static void probe_ok(struct front *fr)
{
	char err[256] = "";

	ck_assert_msg(netback_dev_probe(&host.env, ns, fr->be, &fr->d, err, sizeof(err)) == 0, "%s",
		      err);
	bef_dispatch(&host); /* the watch fires once when set: the frontend is Initialising */
	ck_assert_int_eq(bef_be_state(&host, fr->be), XENBUS_STATE_INIT_WAIT);
}

/* A vif on switch SW, probed: the backend waits for its frontend. */
static struct front *vif_new(uint16_t domid, uint32_t devid)
{
	struct front *fr = front_add(domid, devid);

	toolstack_dirs(fr, fr->fe);
	probe_ok(fr);
	return fr;
}

/*
 * The frontend's half of the handshake as a guest does it: the backend's
 * features read, the engine made (rings and buffers granted), its keys
 * written; the state is the caller's.
 */
static void front_publish(struct front *fr)
{
	struct netfront_features feat = { 0 };
	uint32_t tx_ref, rx_ref;
	char buf[32];

	if (bef_get(&host, fr->be, NETIF_KEY_FEATURE_SG, buf, sizeof(buf)) > 0)
		feat.sg = !strcmp(buf, "1");
	if (bef_get(&host, fr->be, NETIF_KEY_MTU, buf, sizeof(buf)) > 0)
		feat.mtu = (uint32_t)atoi(buf);
	ck_assert_int_eq(netfront_create(&front_ops, fr, &feat, &fr->nf), 0);
	netfront_ring_refs(fr->nf, &tx_ref, &rx_ref);
	snprintf(buf, sizeof(buf), "%u", tx_ref);
	bef_put(&host, fr->fe, NETIF_KEY_TX_RING_REF, buf);
	snprintf(buf, sizeof(buf), "%u", rx_ref);
	bef_put(&host, fr->fe, NETIF_KEY_RX_RING_REF, buf);
	snprintf(buf, sizeof(buf), "%u", fr->port);
	bef_put(&host, fr->fe, NETIF_KEY_EVENT_CHANNEL, buf);
	bef_put(&host, fr->fe, NETIF_KEY_REQUEST_RX_COPY, "1");
	bef_put(&host, fr->fe, NETIF_KEY_FEATURE_RX_NOTIFY, "1");
	bef_put(&host, fr->fe, NETIF_KEY_FEATURE_SG, feat.sg ? "1" : "0");
}

static void front_connect(struct front *fr)
{
	struct netback_dev_info info;

	front_publish(fr);
	bef_fe_state(&host, fr->fe, XENBUS_STATE_INITIALISED);
	ck_assert_int_eq(bef_be_state(&host, fr->be), XENBUS_STATE_CONNECTED);
	ck_assert(bef_port(&host, fr->domid, fr->port)->bound);
	netback_dev_info(fr->d, &info);
	ck_assert(info.connected);
	ck_assert_str_eq(info.sw, SW);
	bef_fe_state(&host, fr->fe, XENBUS_STATE_CONNECTED);
	ck_assert_int_eq(bef_be_state(&host, fr->be), XENBUS_STATE_CONNECTED);
}

/* The engine goes; every grant must come back, which it does only if the backend let go. */
static void front_destroy(struct front *fr)
{
	if (!fr->nf)
		return;
	netfront_disconnect(fr->nf);
	ck_assert_uint_eq(netfront_destroy(fr->nf), 0);
	fr->nf = NULL;
}

/* The frontend closes (Closing, then Closed); the backend follows and holds nothing. */
static void front_close(struct front *fr)
{
	bef_fe_state(&host, fr->fe, XENBUS_STATE_CLOSING);
	ck_assert_int_eq(bef_be_state(&host, fr->be), XENBUS_STATE_CLOSING);
	ck_assert(!info_of(fr).connected);
	ck_assert(!bef_port(&host, fr->domid, fr->port)->bound);
	front_destroy(fr);
	bef_fe_state(&host, fr->fe, XENBUS_STATE_CLOSED);
	ck_assert_int_eq(bef_be_state(&host, fr->be), XENBUS_STATE_CLOSED);
}

/* The guest's RAM mapped by the backends: one mapping per connected vif. */
static uint32_t guest_maps(uint16_t domid)
{
	for (unsigned int i = 0; i < host.nr_guests; i++)
		if (host.guests[i].g.domid == domid)
			return host.guests[i].maps;
	return 0;
}

static void setup(void)
{
	char err[256] = "";

	bef_setup(&host);
	nr_fronts = 0;
	ck_assert_msg(net_service_create(&ns, err, sizeof(err)) == 0, "%s", err);
}

static void teardown(void)
{
	for (unsigned int i = 0; i < nr_fronts; i++) {
		netback_dev_free(fronts[i].d);
		fronts[i].d = NULL;
		front_destroy(&fronts[i]);
	}
	net_service_destroy(ns);
	ns = NULL;
	bef_teardown(&host);
}

/* ---- probe ---- */

START_TEST(probe_publishes_features)
{
	struct front *a = vif_new(DOM_A, 0);
	struct netback_dev_info info;
	static const struct {
		const char *key, *val;
	} want[] = {
		{ NETIF_KEY_FEATURE_RX_COPY, "1" },
		{ NETIF_KEY_FEATURE_SG, "1" },
		{ NETIF_KEY_FEATURE_GSO_TCPV4, "0" },
		{ NETIF_KEY_FEATURE_SPLIT_EVTC, "0" },
		{ NETIF_KEY_MTU, "1500" },
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_msg(bef_get(&host, a->be, want[i].key, buf, sizeof(buf)) > 0, "no %s",
			      want[i].key);
		ck_assert_str_eq(buf, want[i].val);
	}
	netback_dev_info(a->d, &info);
	ck_assert_int_eq(info.state, XENBUS_STATE_INIT_WAIT);
	ck_assert(!info.connected && !info.unplugged);
	ck_assert_mem_eq(info.mac, a->mac, 6);
	ck_assert_str_eq(info.sw, SW);
	ck_assert_str_eq(info.tap, "");
	ck_assert_uint_eq(info.rate_out.bytes_per_s, 0);
	ck_assert_uint_eq(info.rate_in.bytes_per_s, 0);
	/* Nothing is taken before the frontend connects. */
	ck_assert_uint_eq(host.maps, 0);
	ck_assert_uint_eq(host.binds, 0);
	ck_assert_uint_eq(bef_nr_fds(&host), 0);
	netback_dev_free(a->d);
	a->d = NULL;
	/* Freed: the watch is gone, a later frontend change reaches nobody. */
	bef_fe_state(&host, a->fe, XENBUS_STATE_INITIALISED);
	ck_assert_int_eq(bef_be_state(&host, a->be), XENBUS_STATE_INIT_WAIT);
}
END_TEST

START_TEST(probe_refuses_bad_directories)
{
	static const struct {
		const char *key, *val; /* in the backend directory; NULL val: removed */
		const char *expect;
	} cases[] = {
		{ NETIF_KEY_MAC, "00:16:3e:00:05", "is not a MAC address" },
		{ NETIF_KEY_MAC, "00:16:3e:00:05:0g", "is not a MAC address" },
		{ NETIF_KEY_MAC, "00:16:3e:00:05:00:", "is not a MAC address" },
		{ NETIF_KEY_MAC, " 0:16:3e:00:05:00", "is not a MAC address" },
		{ NETIF_KEY_MAC, NULL, "is not a MAC address" },
		{ NETIF_KEY_MAC, "01:00:5e:00:00:01", "is a multicast address" },
		{ NETIF_KEY_MAC, "ff:ff:ff:ff:ff:ff", "is a multicast address" },
		{ NETBACK_KEY_BRIDGE, NULL, "no bridge or vifname" },
		{ NETBACK_KEY_BRIDGE, "", "no bridge or vifname" },
		{ NETBACK_KEY_BRIDGE, "tap:eth0", "no bridge or vifname" }, /* an ethernet's own */
		{ NETBACK_KEY_VIFNAME, "bad/name", "is not a network interface name" },
		{ NETBACK_KEY_RATE_OUT, "fast", "bandwidth-out 'fast' is not" },
		{ NETBACK_KEY_RATE_OUT, "1000", "bandwidth-out '1000' is not" },
		{ NETBACK_KEY_RATE_OUT, "0,0", "bandwidth-out '0,0' is not" },
		{ NETBACK_KEY_RATE_OUT, "-1,0", "bandwidth-out '-1,0' is not" },
		{ NETBACK_KEY_RATE_OUT, "1000,10x", "bandwidth-out '1000,10x' is not" },
		{ NETBACK_KEY_RATE_OUT, "99999999999999999,0", "bandwidth-out" },
		{ NETBACK_KEY_RATE_OUT, "", "bandwidth-out '' is not" },
		{ NETBACK_KEY_RATE_IN, "1,2,3", "bandwidth-in '1,2,3' is not" },
		{ "frontend-id", "5x", "frontend-id" },
	};
	struct front *a = front_add(DOM_A, 0);
	struct netback_dev *d;
	char err[256], path[128], buf[16];
	int ret;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bef_rm(&host, a->be);
		bef_rm(&host, a->fe);
		toolstack_dirs(a, a->fe);
		if (cases[i].val) {
			bef_put(&host, a->be, cases[i].key, cases[i].val);
		} else {
			snprintf(path, sizeof(path), "%s/%s", a->be, cases[i].key);
			bef_rm(&host, path);
		}
		d = (struct netback_dev *)1;
		err[0] = '\0';
		ret = netback_dev_probe(&host.env, ns, a->be, &d, err, sizeof(err));
		ck_assert_msg(ret == -EINVAL, "%s=%s: %d (%s)", cases[i].key, OR_NONE(cases[i].val),
			      ret, err);
		ck_assert_ptr_null(d);
		ck_assert_msg(strstr(err, cases[i].expect), "%s=%s: '%s'", cases[i].key,
			      OR_NONE(cases[i].val), err);
		/* Refused before anything was published or taken. */
		ck_assert_int_lt(bef_get(&host, a->be, NETIF_KEY_FEATURE_RX_COPY, buf, sizeof(buf)),
				 0);
		ck_assert_int_eq(bef_be_state(&host, a->be), XENBUS_STATE_INITIALISING);
	}

	/* A frontend path that is not the frontend domain's own device. */
	bef_rm(&host, a->be);
	toolstack_dirs(a, "/local/domain/6/device/vif/0");
	ck_assert_int_eq(netback_dev_probe(&host.env, ns, a->be, &d, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "frontend is not /local/domain/5/device/vif/0"), "%s", err);
	toolstack_dirs(a, "/local/domain/5/device/vbd/0");
	ck_assert_int_eq(netback_dev_probe(&host.env, ns, a->be, &d, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "frontend is not"), "%s", err);
	ck_assert_uint_eq(host.maps, 0);
	ck_assert_uint_eq(host.binds, 0);
	ck_assert_uint_eq(bef_nr_fds(&host), 0);
}
END_TEST

/* ---- connect and frames ---- */

/* Sizes that take one slot, several slots (feature-sg) and the largest frame. */
static const size_t sizes[] = { 60, 342, 1514, 4200, 9014, HDR, 65535, 2000 };
#define NR_SIZES (sizeof(sizes) / sizeof(sizes[0]))

/* n frames each way between a and b, interleaved, checked byte for byte. */
static void exchange(struct front *a, struct front *b, uint32_t n, uint32_t *seq_a, uint32_t *seq_b)
{
	uint64_t a_got = a->rx_from[b->idx], b_got = b->rx_from[a->idx];
	uint32_t i;

	for (i = 0; i < n; i++) {
		send_frame(a, b, (*seq_a)++, sizes[i % NR_SIZES]);
		send_frame(b, a, (*seq_b)++, sizes[(i + 3) % NR_SIZES]);
		/* Bursts stay within the 256 RX buffers each guest posted. */
		if (i % 8 == 7) {
			wait_rx(b, a, b_got + i + 1);
			wait_rx(a, b, a_got + i + 1);
		}
	}
	wait_rx(b, a, b_got + n);
	wait_rx(a, b, a_got + n);
}

START_TEST(connect_two_guests_exchange_frames)
{
	struct front *a = vif_new(DOM_A, 0), *b = vif_new(DOM_B, 0);
	struct netfront_stats fs;
	struct netback_dev_info ia, ib;
	uint32_t seq_a = 0, seq_b = 0;

	front_connect(a);
	front_connect(b);
	ck_assert_uint_eq(guest_maps(DOM_A), 1);
	ck_assert_uint_eq(guest_maps(DOM_B), 1);
	ck_assert_uint_eq(bef_nr_fds(&host), 2); /* each vif's failure eventfd */

	exchange(a, b, 64, &seq_a, &seq_b);
	wait_tx(a, 64);
	wait_tx(b, 64);
	ia = info_of(a);
	ib = info_of(b);
	ck_assert_uint_eq(ia.vif.vif.tx_frames, 64);
	ck_assert_uint_eq(ia.vif.vif.rx_frames, 64);
	ck_assert_uint_eq(ib.vif.vif.tx_frames, 64);
	ck_assert_uint_eq(ib.vif.vif.rx_frames, 64);
	ck_assert_uint_eq(ia.vif.vif.rx_no_buffer + ib.vif.vif.rx_no_buffer, 0);
	ck_assert_uint_eq(ia.vif.rate_drops_out + ib.vif.rate_drops_in, 0);
	for (int i = 0; i < 2; i++) {
		netfront_get_stats(i ? b->nf : a->nf, &fs);
		ck_assert_uint_eq(fs.tx_errors + fs.rx_errors + fs.bad_rsp + fs.bad_id, 0);
		ck_assert_uint_eq(fs.stale_id + fs.ring_overflow, 0);
	}
	/* The backend interrupted each guest for what it wrote into their rings. */
	ck_assert_uint_gt(ia.vif.vif.notifications_out, 0);
	ck_assert_uint_gt(ib.vif.vif.notifications_out, 0);
	/* The service read each vif's notifications and raised its channel: system calls. */
	ck_assert_uint_gt(ia.vif.syscalls, 0);
	ck_assert_uint_gt(ib.vif.syscalls, 0);

	front_close(a);
	ck_assert_uint_eq(guest_maps(DOM_A), 0);
	ck_assert_uint_eq(bef_nr_fds(&host), 1);
	front_close(b);
	ck_assert_uint_eq(host.maps, 0);
	ck_assert_uint_eq(host.closes, host.binds);
	ck_assert_uint_eq(bef_nr_fds(&host), 0);
}
END_TEST

/* A frontend whose keys we cannot use: an error node, Closing, nothing held. */
START_TEST(frontend_refusals)
{
	static const struct {
		const char *key, *val; /* written over the good keys; NULL val: removed */
		const char *expect;
	} cases[] = {
		{ NETIF_KEY_REQUEST_RX_COPY, NULL, "did not ask for request-rx-copy" },
		{ NETIF_KEY_REQUEST_RX_COPY, "0", "did not ask for request-rx-copy" },
		{ NETIF_KEY_REQUEST_RX_COPY, "yes", "request-rx-copy 'yes' is not 0..1" },
		{ NETIF_KEY_EVENT_CHANNEL_TX, "12", "split event channels were not offered" },
		{ NETIF_KEY_EVENT_CHANNEL, "0", "event-channel '0' is not 1..4095" },
		{ NETIF_KEY_EVENT_CHANNEL, "4096", "event-channel '4096' is not 1..4095" },
		{ NETIF_KEY_EVENT_CHANNEL, NULL, "frontend has no event-channel" },
		{ NETIF_KEY_TX_RING_REF, "7", "cannot map tx-ring-ref 7" }, /* never granted */
		{ NETIF_KEY_RX_RING_REF, "99999", "cannot map rx-ring-ref 99999" },
		{ NETIF_KEY_TX_RING_REF, "abc", "tx-ring-ref 'abc' is not" },
		{ NETIF_KEY_TX_RING_REF, "-1", "tx-ring-ref '-1' is not" },
		{ NETIF_KEY_RX_RING_REF, NULL, "frontend has no rx-ring-ref" },
		{ NETIF_KEY_FEATURE_SG, "2", "feature-sg '2' is not 0..1" },
	};
	struct front *a = front_add(DOM_A, 0);
	char buf[256], path[128], ref[16];
	uint32_t tx_ref, rx_ref;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) + 2; i++) {
		const char *key, *val, *expect;

		bef_rm(&host, a->be);
		bef_rm(&host, a->fe);
		toolstack_dirs(a, a->fe);
		probe_ok(a);
		front_publish(a);
		netfront_ring_refs(a->nf, &tx_ref, &rx_ref);
		if (i == sizeof(cases) / sizeof(cases[0])) {
			/* One page as both rings: each would overwrite the other's indices. */
			key = NETIF_KEY_RX_RING_REF;
			snprintf(ref, sizeof(ref), "%u", tx_ref);
			val = ref;
			expect = "are one page";
		} else if (i > sizeof(cases) / sizeof(cases[0])) {
			/* A driver domain's host may not map guest RAM: the vif says why. */
			host.refuse_map = true;
			key = NULL;
			val = NULL;
			expect = "may not map domain 5's memory";
		} else {
			key = cases[i].key;
			val = cases[i].val;
			expect = cases[i].expect;
		}
		if (key && val) {
			bef_put(&host, a->fe, key, val);
		} else if (key) {
			snprintf(path, sizeof(path), "%s/%s", a->fe, key);
			bef_rm(&host, path);
		}
		bef_fe_state(&host, a->fe, XENBUS_STATE_INITIALISED);
		ck_assert_msg(bef_be_state(&host, a->be) == XENBUS_STATE_CLOSING, "%s=%s: state %d",
			      OR_NONE(key), OR_NONE(val), bef_be_state(&host, a->be));
		ck_assert_int_gt(bef_get(&host, a->be, "error", buf, sizeof(buf)), 0);
		ck_assert_msg(strstr(buf, expect), "%s=%s: error '%s'", OR_NONE(key), OR_NONE(val),
			      buf);
		ck_assert(!info_of(a).connected);
		ck_assert_uint_eq(host.maps, 0);
		ck_assert_uint_eq(host.closes, host.binds);
		ck_assert_uint_eq(bef_nr_fds(&host), 0);
		/* The rings were let go: netfront revokes every grant. */
		front_destroy(a);
		/* Closing stays until the frontend closes too. */
		bef_fe_state(&host, a->fe, XENBUS_STATE_CONNECTED);
		ck_assert_int_eq(bef_be_state(&host, a->be), XENBUS_STATE_CLOSING);
		netback_dev_free(a->d);
		a->d = NULL;
		host.refuse_map = false;
	}
}
END_TEST

/* ---- the device's life ---- */

START_TEST(close_reconnect_unplug)
{
	struct front *a = vif_new(DOM_A, 0), *b = vif_new(DOM_B, 0);
	uint32_t seq_a = 0, seq_b = 0;
	char buf[16];

	front_connect(a);
	front_connect(b);
	exchange(a, b, 8, &seq_a, &seq_b);

	/* Closed, then back as a new frontend (a guest's driver reloaded): frames pass again. */
	front_close(a);
	ck_assert(!netback_dev_removable(a->d)); /* not unplugged: it may come back */
	bef_fe_state(&host, a->fe, XENBUS_STATE_INITIALISING);
	ck_assert_int_eq(bef_be_state(&host, a->be), XENBUS_STATE_INIT_WAIT);
	front_connect(a);
	/* The new vif's frames, from seq 0 again, are in order for the receiver. */
	b->rx_next[a->idx] = 0;
	seq_a = 0;
	exchange(a, b, 8, &seq_a, &seq_b);

	/* The toolstack unplugs a connected vif: it lets go, says online 0 and Closing. */
	netback_dev_unplug(a->d);
	ck_assert_int_eq(bef_be_state(&host, a->be), XENBUS_STATE_CLOSING);
	ck_assert_int_gt(bef_get(&host, a->be, "online", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "0");
	ck_assert(info_of(a).unplugged && !info_of(a).connected);
	ck_assert_uint_eq(guest_maps(DOM_A), 0);
	ck_assert(!bef_port(&host, DOM_A, a->port)->bound);
	ck_assert(!netback_dev_removable(a->d)); /* until the frontend closes */
	bef_fe_state(&host, a->fe, XENBUS_STATE_CLOSING);
	ck_assert(!netback_dev_removable(a->d));
	front_destroy(a);
	bef_fe_state(&host, a->fe, XENBUS_STATE_CLOSED);
	ck_assert(netback_dev_removable(a->d));
	/* An unplugged vif does not come back when the frontend starts over. */
	bef_fe_state(&host, a->fe, XENBUS_STATE_INITIALISING);
	ck_assert_int_eq(bef_be_state(&host, a->be), XENBUS_STATE_CLOSED);
	netback_dev_free(a->d);
	a->d = NULL;

	/* The frontend's directory vanishes (the guest died): read as Unknown, Closed. */
	bef_rm(&host, b->fe);
	bef_dispatch(&host);
	ck_assert_int_eq(bef_be_state(&host, b->be), XENBUS_STATE_CLOSED);
	ck_assert(!info_of(b).connected);
	ck_assert_uint_eq(host.maps, 0);
	front_destroy(b);
	/* One whose frontend never connected can go at once. */
	netback_dev_unplug(b->d);
	ck_assert(netback_dev_removable(b->d));
	netback_dev_free(b->d);
	b->d = NULL;
	ck_assert_uint_eq(host.closes, host.binds);
	ck_assert_uint_eq(bef_nr_fds(&host), 0);
}
END_TEST

START_TEST(broken_ring_closes_only_that_vif)
{
	struct front *a = vif_new(DOM_A, 0), *b = vif_new(DOM_B, 0), *c = vif_new(DOM_A, 1);
	uint32_t seq_a = 0, seq_b = 0, seq_c = 0, tx_ref, rx_ref;
	struct sv_ring_shared *ring;
	uint64_t end;
	char buf[256];
	int ran = 0;

	front_connect(a);
	front_connect(b);
	front_connect(c);
	ck_assert_uint_eq(guest_maps(DOM_A), 2);
	exchange(a, b, 8, &seq_a, &seq_b);

	/* Guest 5 writes a TX producer far past a ring's worth into a's shared ring. */
	netfront_ring_refs(a->nf, &tx_ref, &rx_ref);
	ring = bh_page(a->g, bh_entry(a->g, tx_ref)->frame);
	__atomic_store_n(&ring->req_prod, ring->req_prod + 1000, __ATOMIC_RELEASE);
	bef_send(&host, a->domid, a->port);

	/* The service writes a's failure eventfd; the host's loop runs its callback. */
	end = deadline();
	while (!ran) {
		ran = bef_run_fds(&host, 10);
		ck_assert_msg(ran || bh_now_ns() < end, "the service never reported the ring");
	}
	ck_assert_int_eq(ran, 1);
	ck_assert_int_eq(bef_be_state(&host, a->be), XENBUS_STATE_CLOSING);
	ck_assert_int_gt(bef_get(&host, a->be, "error", buf, sizeof(buf)), 0);
	ck_assert_msg(strstr(buf, "broke its rings"), "%s", buf);
	ck_assert(!info_of(a).connected);
	ck_assert(!bef_port(&host, DOM_A, a->port)->bound);
	ck_assert_uint_eq(guest_maps(DOM_A), 1); /* c's */
	ck_assert_uint_eq(bef_nr_fds(&host), 2); /* b's and c's */

	/* The other vifs, one of them of the same guest, go on: b and c both ways. */
	exchange(b, c, 24, &seq_b, &seq_c);
	/* a's first frame, for a MAC not learned yet, was flooded to c as well. */
	ck_assert_uint_gt(c->rx_flooded, 0);
	ck_assert_int_eq(bef_be_state(&host, b->be), XENBUS_STATE_CONNECTED);
	ck_assert_int_eq(bef_be_state(&host, c->be), XENBUS_STATE_CONNECTED);
	ck_assert_uint_eq(info_of(c).vif.vif.ring_overflow, 0);

	/* a's guest sees Closing and closes; its grants all come back. */
	bef_fe_state(&host, a->fe, XENBUS_STATE_CLOSING);
	front_destroy(a);
	bef_fe_state(&host, a->fe, XENBUS_STATE_CLOSED);
	ck_assert_int_eq(bef_be_state(&host, a->be), XENBUS_STATE_CLOSED);
	front_close(b);
	front_close(c);
	ck_assert_uint_eq(host.maps, 0);
	ck_assert_uint_eq(host.closes, host.binds);
}
END_TEST

/* ---- bandwidth ---- */

START_TEST(bandwidth_out_drops_over_the_rate)
{
	struct front *a = front_add(DOM_A, 0), *b = front_add(DOM_B, 0);
	struct netback_dev_info ia, ib;
	uint32_t seq_a = 0, seq_b = 0;
	const uint32_t n = 200;

	/* 2 KiB/s with the smallest bucket (64 KiB): about 65 of 200 KB get through. */
	toolstack_dirs(a, a->fe);
	bef_put(&host, a->be, NETBACK_KEY_RATE_OUT, "2048,0");
	probe_ok(a);
	toolstack_dirs(b, b->fe);
	probe_ok(b);
	ia = info_of(a);
	ck_assert_uint_eq(ia.rate_out.bytes_per_s, 2048);
	ck_assert_uint_eq(ia.rate_out.burst, 0);
	ck_assert_uint_eq(ia.rate_in.bytes_per_s, 0);
	front_connect(a);
	front_connect(b);

	/* In bursts that b's posted buffers hold, so that only the policer drops. */
	for (uint32_t i = 0; i < n; i++) {
		send_frame(a, b, seq_a++, 1000);
		if (i % 32 == 31)
			wait_tx(a, i + 1);
	}
	wait_tx(a, n);
	ia = info_of(a);
	ck_assert_uint_eq(ia.vif.vif.tx_frames, n);
	ck_assert_uint_gt(ia.vif.rate_drops_out, 0);
	ck_assert_uint_lt(ia.vif.rate_drops_out, n);
	wait_rx(b, a, n - ia.vif.rate_drops_out);
	ck_assert_uint_le(b->rx_from[a->idx], 75);
	ib = info_of(b);
	ck_assert_uint_eq(ib.vif.vif.rx_no_buffer, 0);
	ck_assert_uint_eq(ib.vif.rate_drops_in, 0);

	/* b has no limit: every one of its frames arrives. */
	for (uint32_t i = 0; i < n; i++) {
		send_frame(b, a, seq_b++, 1000);
		if (i % 32 == 31)
			wait_rx(a, b, i + 1);
	}
	wait_rx(a, b, n);
	ib = info_of(b);
	ck_assert_uint_eq(ib.vif.vif.tx_frames, n);
	ck_assert_uint_eq(ib.vif.rate_drops_out, 0);
	ck_assert_uint_eq(info_of(a).vif.rate_drops_in, 0);
	front_close(a);
	front_close(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("netback_xenbus");
	TCase *tc = tcase_create("xenbus");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, probe_publishes_features);
	tcase_add_test(tc, probe_refuses_bad_directories);
	tcase_add_test(tc, connect_two_guests_exchange_frames);
	tcase_add_test(tc, frontend_refusals);
	tcase_add_test(tc, close_reconnect_unplug);
	tcase_add_test(tc, broken_ring_closes_only_that_vif);
	tcase_add_test(tc, bandwidth_out_drops_over_the_rate);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
