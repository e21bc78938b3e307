// SPDX-License-Identifier: MIT
/*
 * A guest disk's xenbus side, Xen's protocol. The toolstack made our
 * directory /local/domain/<domid>/device/vbd/<devid>/ (backend, backend-id,
 * state 1, virtual-device, dev) and the backend's, where the backend
 * publishes its features and goes InitWait. We then make the ring and the
 * event channel, publish ring-ref (or ring-page-order and ring-ref0..N-1),
 * event-channel, protocol and feature-persistent with state Initialised in
 * one transaction, wait for the backend to be Connected, read the disk's
 * size again and say Connected ourselves.
 *
 * When the backend goes away or breaks the ring we reconnect (docs/abi.md,
 * "Backend loss"): a watch event on its directory or state, a state other than
 * Connected seen every BLKDEV_CHECK_NS without a completion, or blkfront
 * declaring the ring broken starts it. We go Closing then Closed as Xen's
 * dance asks (a live backend unmaps), keep every operation without a response
 * (blkfront_suspend), wait for the backend (the same directory, written again
 * by the toolstack for a restarted driver domain) to show InitWait, say
 * Initialising, and connect a new ring and event channel exactly as the first
 * time; blkfront then re-issues what it kept, in order. A backend that is not
 * back within BLKDEV_LOST_FAIL_NS fails the kept operations with -EIO; the
 * device stays and reconnects whenever the backend returns.
 */
#include <errno.h>
#include <string.h>
#include "arch.h"
#include "blkdev.h"
#include "boot_info.h"
#include "console.h"
#include "evtchn.h"
#include "grant.h"
#include "heap.h"
#include "kstring.h"
#include "ktime.h"
#include "page_alloc.h"
#include "printf.h"
#include "xenbus.h"
#include "xenbus_dev.h"

#define PATH_LEN	    160u
#define VAL_LEN		    64u
#define LIST_LEN	    1024u
#define HANDSHAKE_WAIT_NS   (10 * NSEC_PER_SEC)
#define CLOSE_WAIT_NS	    (5 * NSEC_PER_SEC)
#define BLKDEV_CHECK_NS	    (250 * NSEC_PER_MSEC)
#define BLKDEV_STALL_WARN_S 30u
#define BLKDEV_LOST_FAIL_NS (30 * NSEC_PER_SEC)
#define BLKDEV_LOST_TICK_NS NSEC_PER_SEC

struct blkdev {
	struct blkdev_info info;
	struct xenbus_dev xb; /* directories, backend, port */
	uint32_t ring_refs[SV_BLKIF_MAX_RING_PAGES];
	struct blkfront *bf;
	struct blkfront_ops ops;
	bool dead;
	/* Reconnecting: */
	bool lost;	  /* the ring is not used; reconnecting */
	bool ring_down;	  /* blkfront suspended and the port closed */
	bool expired;	  /* the kept operations failed: the backend stayed away too long */
	uint64_t lost_at; /* now_ns() when it started */
};

/* ---- what blkfront needs from the kernel ---- */

/* ---- finding the disk ---- */

static int find_disk(struct blkdev *d, const char *name)
{
	char list[LIST_LEN], dir[PATH_LEN], dev[VAL_LEN];
	int len, ret = -ENOENT;

	ksnprintf(dir, sizeof(dir), "/local/domain/%u/device/vbd", start_info->domid);
	len = xenbus_directory(dir, list, sizeof(list));
	if (len < 0)
		return len == -ENOENT ? -ENOENT : len;
	for (int off = 0; off < len; off += (int)strlen(list + off) + 1) {
		const char *id = list + off;
		unsigned long long devid;

		if (parse_u64(id, &devid) || devid > UINT32_MAX)
			continue;
		ksnprintf(d->xb.fe, sizeof(d->xb.fe), "%s/%s", dir, id);
		if (xbdev_read(d->xb.fe, "dev", dev, sizeof(dev)) < 0)
			ksnprintf(dev, sizeof(dev), "vbd%s", id);
		if (name && strcmp(name, dev) && strcmp(name, id))
			continue;
		d->info.devid = (uint32_t)devid;
		ksnprintf(d->info.name, sizeof(d->info.name), "%s", dev);
		ksnprintf(d->xb.name, sizeof(d->xb.name), "blkdev %s", dev);
		ret = 0;
		break;
	}
	return ret;
}

/* ---- the handshake ---- */

/* Publishes our half of the connection; runs again in a new transaction on EAGAIN. */
static int publish(uint32_t tx, void *data)
{
	struct blkdev *d = data;
	char key[24], val[24];
	int ret = 0;

	if (d->info.ring_order == 0) {
		ksnprintf(val, sizeof(val), "%u", d->ring_refs[0]);
		ret = xbdev_write_tx(tx, d->xb.fe, BLKIF_KEY_RING_REF, val);
	} else {
		ksnprintf(val, sizeof(val), "%u", d->info.ring_order);
		ret = xbdev_write_tx(tx, d->xb.fe, BLKIF_KEY_RING_PAGE_ORDER, val);
		for (uint32_t i = 0; !ret && i < (1u << d->info.ring_order); i++) {
			ksnprintf(key, sizeof(key), BLKIF_KEY_RING_REF "%u", i);
			ksnprintf(val, sizeof(val), "%u", d->ring_refs[i]);
			ret = xbdev_write_tx(tx, d->xb.fe, key, val);
		}
	}
	ksnprintf(val, sizeof(val), "%u", d->xb.port);
	if (!ret)
		ret = xbdev_write_tx(tx, d->xb.fe, BLKIF_KEY_EVENT_CHANNEL, val);
	if (!ret)
		ret = xbdev_write_tx(tx, d->xb.fe, BLKIF_KEY_PROTOCOL, BLKIF_PROTOCOL_NATIVE);
	if (!ret)
		ret = xbdev_write_tx(tx, d->xb.fe, BLKIF_KEY_FEATURE_PERSISTENT,
				     d->info.persistent ? "1" : "0");
	if (!ret)
		ret = xbdev_write_tx(tx, d->xb.fe, "state", "3");
	return ret;
}

/* What the backend offers; sizes are read again once it is Connected. */
static int read_features(struct blkdev *d, struct blkfront_features *f)
{
	unsigned long long v[9];
	char mode[8] = "w";
	int ret;

	ret = xbdev_read_u64(d->xb.be, BLKIF_KEY_SECTORS, 0, &v[0]);
	if (!ret)
		ret = xbdev_read_u64(d->xb.be, BLKIF_KEY_SECTOR_SIZE, BLKIF_SECTOR_SIZE, &v[1]);
	if (!ret)
		ret = xbdev_read_u64(d->xb.be, BLKIF_KEY_INFO, 0, &v[2]);
	if (!ret)
		ret = xbdev_read_u64(d->xb.be, BLKIF_KEY_FEATURE_FLUSH, 0, &v[3]);
	if (!ret)
		ret = xbdev_read_u64(d->xb.be, BLKIF_KEY_FEATURE_BARRIER, 0, &v[4]);
	if (!ret)
		ret = xbdev_read_u64(d->xb.be, BLKIF_KEY_FEATURE_DISCARD, 0, &v[5]);
	if (!ret)
		ret = xbdev_read_u64(d->xb.be, BLKIF_KEY_FEATURE_PERSISTENT, 0, &v[6]);
	if (!ret)
		ret = xbdev_read_u64(d->xb.be, BLKIF_KEY_FEATURE_INDIRECT, 0, &v[7]);
	if (!ret)
		ret = xbdev_read_u64(d->xb.be, BLKIF_KEY_MAX_RING_ORDER, 0, &v[8]);
	if (ret)
		return ret;
	xbdev_read(d->xb.be, BLKIF_KEY_MODE, mode, sizeof(mode));
	if (v[1] > UINT32_MAX || v[7] > UINT32_MAX)
		return -EINVAL;
	*f = (struct blkfront_features){
		.sectors = v[0],
		.sector_size = (uint32_t)v[1],
		.readonly = (v[2] & VDISK_READONLY) || !strcmp(mode, "r"),
		.flush = v[3] != 0,
		.barrier = v[4] != 0,
		.discard = v[5] != 0,
		.persistent = v[6] != 0,
		.max_indirect_segments = (uint32_t)v[7],
		.max_ring_order =
			v[8] > SV_BLKIF_MAX_RING_ORDER ? SV_BLKIF_MAX_RING_ORDER : (uint32_t)v[8],
	};
	return 0;
}

/*
 * Persistent grants are off unless an app asks (blktest/blkbench --persistent):
 * Xen has them to save the backend a grant map and a TLB flush per page, but
 * our backend already maps all our RAM, so a "map" is one compare-and-swap on
 * the grant entry and persistent grants would only add a copy per segment
 * (docs/benchmarks.md has the figures).
 */
static bool want_persistent;

void blkdev_set_persistent(bool on)
{
	want_persistent = on;
}

static uint32_t cap_ring_order = SV_BLKIF_MAX_RING_ORDER;
static bool use_indirect = true;

void blkdev_set_limits(uint32_t max_ring_order, bool indirect)
{
	cap_ring_order = max_ring_order;
	use_indirect = indirect;
}

/*
 * From the backend's InitWait to both Connected: features, a ring (again:
 * a new one in the suspended blkfront), a port, our keys, the backend's
 * Connected, the sizes again.
 */
static int handshake(struct blkdev *d, uint64_t wait_ns)
{
	struct blkfront_features f;
	bool again = d->bf != NULL;
	int ret;

	ret = xbdev_wait_backend(&d->xb, XB_INITWAIT, wait_ns);
	if (ret < 0)
		goto out;
	ret = read_features(d, &f);
	if (ret)
		goto out;
	d->info.ring_order = f.max_ring_order < cap_ring_order ? f.max_ring_order : cap_ring_order;
	d->info.persistent = f.persistent && want_persistent;
	if (again)
		ret = blkfront_new_ring(d->bf, d->info.ring_order, d->ring_refs);
	else
		ret = blkfront_create(&d->bf, &d->ops, &d->xb, d->info.ring_order, d->ring_refs);
	if (ret)
		goto out;
	ret = evtchn_alloc_unbound(d->xb.backend_id, &d->xb.port);
	if (ret)
		goto out;
	ret = xenbus_transaction_run(publish, d);
	if (ret)
		goto out;
	d->xb.fe_state = XB_INITIALISED;
	ret = xbdev_wait_backend(&d->xb, XB_CONNECTED, HANDSHAKE_WAIT_NS);
	if (ret < 0)
		goto out;
	/* The size may have changed while we were getting ready; the backend's word now counts. */
	ret = read_features(d, &f);
	if (ret)
		goto out;
	f.persistent = d->info.persistent;
	if (!use_indirect)
		f.max_indirect_segments = 0;
	ret = blkfront_connect(d->bf, &f);
	if (ret)
		goto out;
	d->info.backend_id = (uint16_t)d->xb.backend_id;
	d->info.sectors = f.sectors;
	d->info.sector_size = f.sector_size;
	d->info.readonly = f.readonly;
	d->info.flush = f.flush;
	d->info.barrier = f.barrier;
	d->info.discard = f.discard;
	d->info.max_indirect_segments = f.max_indirect_segments;
	d->info.max_op_bytes = blkfront_max_op_bytes(d->bf);
	ret = xbdev_write_state(&d->xb, XB_CONNECTED);
	xbdev_drain_watches();
out:
	if (ret > 0)
		ret = 0;
	if (ret && again) {
		/* Back to waiting: blkfront keeps its requests, the new ring and port go. */
		blkfront_suspend(d->bf);
		if (d->xb.port)
			evtchn_close(d->xb.port);
		d->xb.port = 0;
	}
	return ret;
}

static int connect(struct blkdev *d)
{
	char val[VAL_LEN];
	int ret;

	ret = xbdev_read_backend(&d->xb);
	if (ret < 0)
		goto out;
	ksnprintf(val, sizeof(val), "vbd%u", d->info.devid);
	/*
	 * Fires for state and every other key below, and again when a restarted
	 * backend's directory is written anew: a watch outlives its node.
	 */
	ret = xenbus_watch(d->xb.be, val);
	if (ret)
		goto out;
	ret = handshake(d, HANDSHAKE_WAIT_NS);
out:
	return ret;
}

static void release(struct blkdev *d)
{
	blkfront_destroy(d->bf);
	if (d->xb.port)
		evtchn_close(d->xb.port);
	kfree(d);
}

int blkdev_open(const char *name, struct blkdev **out)
{
	struct blkdev *d;
	int ret;

	ret = xenbus_init();
	if (ret) {
		printk("blkdev: no xenstore (%d)\n", ret);
		return ret;
	}
	d = kzalloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->ops = (struct blkfront_ops){
		.alloc_page = xbdev_alloc_page,
		.free_page = xbdev_free_page,
		.grant = xbdev_grant,
		.end_grant = xbdev_end_grant,
		.notify = xbdev_notify,
		.alloc_pages = xbdev_alloc_pages,
		.free_pages = xbdev_free_pages,
	};
	ret = find_disk(d, name);
	if (ret) {
		printk("blkdev: no disk %s (%d)\n", name ? name : "at all", ret);
		goto out;
	}
	ret = connect(d);
	if (ret) {
		printk("blkdev %s: connecting to %s failed (%d)\n", d->info.name, d->xb.be, ret);
		xbdev_write_state(&d->xb, XB_CLOSED);
		goto out;
	}
	printk("blkdev %s: %llu sectors of %u B%s, ring order %u, %s grants, %u indirect "
	       "segments\n",
	       d->info.name, (unsigned long long)d->info.sectors, d->info.sector_size,
	       d->info.readonly ? ", read-only" : "", d->info.ring_order,
	       d->info.persistent ? "persistent" : "per-request", d->info.max_indirect_segments);
	*out = d;
out:
	if (ret)
		release(d);
	return ret;
}

const struct blkdev_info *blkdev_info(const struct blkdev *d)
{
	return &d->info;
}

struct blkfront *blkdev_frontend(struct blkdev *d, struct xenbus_dev **xb)
{
	*xb = &d->xb;
	return d->bf;
}

/* Stops using the ring; blkfront keeps what has no response. */
static void lose(struct blkdev *d, const char *why)
{
	struct blkfront_stats s;

	blkfront_get_stats(d->bf, &s);
	printk("blkdev %s: backend %s %s: keeping %u operations, reconnecting (%llu so far)\n",
	       d->info.name, d->xb.be, why, blkfront_inflight(d->bf),
	       (unsigned long long)s.reconnects);
	d->lost = true;
	d->ring_down = false;
	d->expired = false;
	d->lost_at = now_ns();
}

static void ring_down(struct blkdev *d)
{
	if (d->ring_down)
		return;
	blkfront_suspend(d->bf);
	if (d->xb.port)
		evtchn_close(d->xb.port);
	d->xb.port = 0;
	d->ring_down = true;
}

static void ring_down_cb(void *arg)
{
	ring_down(arg);
}

static int handshake_cb(void *arg)
{
	struct blkdev *d = arg;
	int ret = handshake(d, HANDSHAKE_WAIT_NS);

	if (!ret) {
		d->lost = false;
		printk("blkdev %s: reconnected to %s after %llu ms, re-issuing %u operations\n",
		       d->info.name, d->xb.be,
		       (unsigned long long)((now_ns() - d->lost_at) / NSEC_PER_MSEC),
		       blkfront_inflight(d->bf));
	}
	return ret;
}

static const struct xbdev_reconnect_ops reconnect_ops = {
	.ring_down = ring_down_cb,
	.handshake = handshake_cb,
};

static int reconnect(struct blkdev *d, uint64_t deadline)
{
	return xbdev_reconnect(&d->xb, &reconnect_ops, d, deadline);
}

/* Unplugged while we were away: for good, as before reconnects existed. */
static void unplugged(struct blkdev *d)
{
	printk("blkdev %s: unplugged: failing %u operations\n", d->info.name,
	       blkfront_inflight(d->bf));
	ring_down(d);
	d->dead = true;
	d->lost = false;
	blkfront_fail_all(d->bf);
	xbdev_write_state(&d->xb, XB_CLOSING);
	xbdev_write_state(&d->xb, XB_CLOSED);
}

/*
 * Reconnecting from blkdev_wait: within BLKDEV_LOST_FAIL_NS of the loss it
 * waits; then the kept operations fail with -EIO (how many finished), and
 * later calls try for a tick and say -EIO while the backend stays away.
 */
static int wait_lost(struct blkdev *d)
{
	uint64_t deadline = d->lost_at + BLKDEV_LOST_FAIL_NS;
	int n, ret;

	if (d->expired)
		deadline = now_ns() + BLKDEV_LOST_TICK_NS;
	ret = reconnect(d, deadline);
	if (!ret)
		return 0;
	if (ret == -ENODEV) {
		unplugged(d);
		return -ENODEV;
	}
	if (d->expired)
		return -EIO;
	/* A hung backend that never let go: its grants stay leaked, counted in grant_busy. */
	ring_down(d);
	d->expired = true;
	printk("blkdev %s: backend %s not back after %llu s: failing %u operations\n", d->info.name,
	       d->xb.be, (unsigned long long)(BLKDEV_LOST_FAIL_NS / NSEC_PER_SEC),
	       blkfront_inflight(d->bf));
	n = blkfront_fail_pending(d->bf, -EIO);
	return n ? n : -EIO;
}

int blkdev_wait(struct blkdev *d)
{
	uint32_t quiet = 0;
	int n, st, ret;

	if (d->dead)
		return -ENODEV;
	for (;;) {
		if (d->lost) {
			ret = wait_lost(d);
			if (ret)
				return ret;
		}
		if (d->dead)
			return -ENODEV;
		blkfront_kick(d->bf);
		n = blkfront_poll(d->bf);
		if (blkfront_broken(d->bf)) {
			lose(d, "broke the ring");
			if (n)
				return n;
			continue;
		}
		if (n)
			return n;
		if (!blkfront_inflight(d->bf))
			return 0;
		if (xbdev_backend_changed(&d->xb)) {
			lose(d, "changed state");
			continue;
		}
		/* poll armed rsp_event: halt until the backend raises the channel. */
		ret = evtchn_wait(d->xb.port, now_ns() + BLKDEV_CHECK_NS);
		if (ret != -ETIMEDOUT)
			continue;
		/* A backend directory that vanished, or a state that left Connected. */
		st = xbdev_backend_state(&d->xb);
		if (st != XB_CONNECTED) {
			lose(d, st == 0 ? "is gone" : "left Connected");
			continue;
		}
		if (++quiet == BLKDEV_STALL_WARN_S * (NSEC_PER_SEC / BLKDEV_CHECK_NS))
			printk("blkdev %s: no response for %u s (%u in flight, backend state %d)\n",
			       d->info.name, BLKDEV_STALL_WARN_S, blkfront_inflight(d->bf), st);
	}
}

int blkdev_submit(struct blkdev *d, int op, uint64_t sector, void *buf, size_t len,
		  blkfront_done_fn *done, void *arg)
{
	int ret;

	if (d->dead)
		return -ENODEV;
	for (;;) {
		if (d->dead)
			return -ENODEV;
		if (d->lost) {
			ret = blkdev_wait(d);
			if (ret < 0)
				return ret;
			continue;
		}
		ret = blkfront_submit(d->bf, op, sector, buf, len, done, arg);
		if (ret != -EAGAIN || !blkfront_inflight(d->bf))
			return ret;
		ret = blkdev_wait(d);
		if (ret < 0)
			return ret;
	}
}

static void io_done(void *arg, int status)
{
	*(int *)arg = status;
}

int blkdev_io(struct blkdev *d, int op, uint64_t sector, void *buf, size_t len)
{
	int status = 1, ret;

	ret = blkdev_submit(d, op, sector, buf, len, io_done, &status);
	while (!ret && status == 1) {
		ret = blkdev_wait(d);
		ret = ret < 0 ? ret : 0;
	}
	return status == 1 ? ret : status;
}

uint32_t blkdev_inflight(const struct blkdev *d)
{
	return blkfront_inflight(d->bf);
}

void blkdev_get_stats(const struct blkdev *d, struct blkfront_stats *out)
{
	blkfront_get_stats(d->bf, out);
}

void blkdev_close(struct blkdev *d)
{
	if (!d)
		return;
	while (!d->dead && !d->lost && blkdev_wait(d) > 0)
		;
	if (d->lost)
		xbdev_write_state(&d->xb, XB_CLOSED);
	if (!d->dead && !d->lost) {
		/* Xen's order: the backend unmaps when we are Closed, then ends Closed itself. */
		xbdev_write_state(&d->xb, XB_CLOSING);
		xbdev_wait_backend(&d->xb, XB_CLOSING, CLOSE_WAIT_NS);
		xbdev_write_state(&d->xb, XB_CLOSED);
		xbdev_wait_backend(&d->xb, XB_CLOSED, CLOSE_WAIT_NS);
	}
	release(d);
}
