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
 * When the backend goes away: while we wait for I/O we look at its state
 * every BLKDEV_CHECK_NS without a completion; Closing, Closed or a vanished
 * directory fails every pending operation with -ENODEV, and we go Closing
 * then Closed. There is no reconnect: later operations fail with -ENODEV too.
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

#define XB_INITIALISING 1
#define XB_INITWAIT	2
#define XB_INITIALISED	3
#define XB_CONNECTED	4
#define XB_CLOSING	5
#define XB_CLOSED	6

#define PATH_LEN	    160u
#define VAL_LEN		    64u
#define LIST_LEN	    1024u
#define HANDSHAKE_WAIT_NS   (10 * NSEC_PER_SEC)
#define CLOSE_WAIT_NS	    (5 * NSEC_PER_SEC)
#define BLKDEV_CHECK_NS	    NSEC_PER_SEC
#define BLKDEV_STALL_WARN_S 30u

struct blkdev {
	struct blkdev_info info;
	char fe[PATH_LEN], be[PATH_LEN];
	uint16_t backend_id;
	uint32_t port;
	uint32_t ring_refs[SV_BLKIF_MAX_RING_PAGES];
	struct blkfront *bf;
	struct blkfront_ops ops;
	bool dead;
};

/* ---- what blkfront needs from the kernel ---- */

static void *g_alloc_page(void *opaque)
{
	void *p = alloc_pages(1);

	(void)opaque;
	if (p)
		memset(p, 0, PAGE_SIZE);
	return p;
}

static void g_free_page(void *opaque, void *page)
{
	(void)opaque;
	free_pages(page, 1);
}

/* RAM is identity-mapped: one contiguous run is contiguous in guest-physical memory too. */
static void *g_alloc_pages(void *opaque, uint32_t n)
{
	void *p = alloc_pages(n);

	(void)opaque;
	if (p)
		memset(p, 0, (size_t)n * PAGE_SIZE);
	return p;
}

static void g_free_pages(void *opaque, void *pages, uint32_t n)
{
	(void)opaque;
	free_pages(pages, n);
}

static int g_grant(void *opaque, void *page, bool readonly)
{
	struct blkdev *d = opaque;

	return gnttab_grant_access(d->backend_id, (uint32_t)((uintptr_t)page >> PAGE_SHIFT),
				   readonly);
}

static int g_end_grant(void *opaque, uint32_t ref)
{
	(void)opaque;
	return gnttab_end_access(ref);
}

static void g_notify(void *opaque)
{
	struct blkdev *d = opaque;

	evtchn_send(d->port);
}

/* ---- xenstore helpers ---- */

static int read_key(const char *dir, const char *key, char *val, size_t cap)
{
	char path[PATH_LEN];

	ksnprintf(path, sizeof(path), "%s/%s", dir, key);
	return xenbus_read(path, val, cap);
}

/* A number, or def when the key is missing; -EINVAL when it is not a number. */
static int read_u64(const char *dir, const char *key, unsigned long long def,
		    unsigned long long *out)
{
	char val[VAL_LEN];
	int ret = read_key(dir, key, val, sizeof(val));

	if (ret == -ENOENT) {
		*out = def;
		return 0;
	}
	if (ret < 0)
		return ret;
	return parse_u64(val, out) ? -EINVAL : 0;
}

static int write_key_tx(uint32_t tx, const char *dir, const char *key, const char *val)
{
	char path[PATH_LEN];

	ksnprintf(path, sizeof(path), "%s/%s", dir, key);
	return xenbus_write_tx(tx, path, val);
}

static int write_state(struct blkdev *d, int state)
{
	char v[4];

	ksnprintf(v, sizeof(v), "%d", state);
	return write_key_tx(XBT_NIL, d->fe, "state", v);
}

/* The backend's state, or 0 when its directory is gone (a vanished backend). */
static int backend_state(struct blkdev *d)
{
	unsigned long long st;
	int ret = read_u64(d->be, "state", 0, &st);

	if (ret)
		return ret;
	return st > XB_CLOSED ? -EINVAL : (int)st;
}

/*
 * Waits on the watch of the backend's directory until its state is at least
 * want, tolerating skipped states. Before Closing is wanted, a backend that
 * closes instead gives -ENODEV; one that has not written its state yet is
 * waited for. With want Closing or Closed, a vanished backend counts as done.
 */
static int wait_backend(struct blkdev *d, int want, uint64_t wait_ns)
{
	uint64_t deadline = now_ns() + wait_ns;
	char fired[PATH_LEN], token[16];
	int st, ret;

	for (;;) {
		st = backend_state(d);
		if (st < 0)
			return st;
		if (want >= XB_CLOSING && (st == 0 || st >= want))
			return st;
		if (want < XB_CLOSING && st >= XB_CLOSING)
			return -ENODEV;
		if (want < XB_CLOSING && st >= want)
			return st;
		ret = xenbus_wait_watch(fired, sizeof(fired), token, sizeof(token), deadline);
		if (ret == -ETIMEDOUT) {
			printk("blkdev %s: backend %s stayed in state %d for %llu s (want %d)\n",
			       d->info.name, d->be, st,
			       (unsigned long long)(wait_ns / NSEC_PER_SEC), want);
			return ret;
		}
		if (ret)
			return ret;
	}
}

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
		ksnprintf(d->fe, sizeof(d->fe), "%s/%s", dir, id);
		if (read_key(d->fe, "dev", dev, sizeof(dev)) < 0)
			ksnprintf(dev, sizeof(dev), "vbd%s", id);
		if (name && strcmp(name, dev) && strcmp(name, id))
			continue;
		d->info.devid = (uint32_t)devid;
		ksnprintf(d->info.name, sizeof(d->info.name), "%s", dev);
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
		ret = write_key_tx(tx, d->fe, BLKIF_KEY_RING_REF, val);
	} else {
		ksnprintf(val, sizeof(val), "%u", d->info.ring_order);
		ret = write_key_tx(tx, d->fe, BLKIF_KEY_RING_PAGE_ORDER, val);
		for (uint32_t i = 0; !ret && i < (1u << d->info.ring_order); i++) {
			ksnprintf(key, sizeof(key), BLKIF_KEY_RING_REF "%u", i);
			ksnprintf(val, sizeof(val), "%u", d->ring_refs[i]);
			ret = write_key_tx(tx, d->fe, key, val);
		}
	}
	ksnprintf(val, sizeof(val), "%u", d->port);
	if (!ret)
		ret = write_key_tx(tx, d->fe, BLKIF_KEY_EVENT_CHANNEL, val);
	if (!ret)
		ret = write_key_tx(tx, d->fe, BLKIF_KEY_PROTOCOL, BLKIF_PROTOCOL_NATIVE);
	if (!ret)
		ret = write_key_tx(tx, d->fe, BLKIF_KEY_FEATURE_PERSISTENT,
				   d->info.persistent ? "1" : "0");
	if (!ret)
		ret = write_key_tx(tx, d->fe, "state", "3");
	return ret;
}

/* What the backend offers; sizes are read again once it is Connected. */
static int read_features(struct blkdev *d, struct blkfront_features *f)
{
	unsigned long long v[9];
	char mode[8] = "w";
	int ret;

	ret = read_u64(d->be, BLKIF_KEY_SECTORS, 0, &v[0]);
	if (!ret)
		ret = read_u64(d->be, BLKIF_KEY_SECTOR_SIZE, BLKIF_SECTOR_SIZE, &v[1]);
	if (!ret)
		ret = read_u64(d->be, BLKIF_KEY_INFO, 0, &v[2]);
	if (!ret)
		ret = read_u64(d->be, BLKIF_KEY_FEATURE_FLUSH, 0, &v[3]);
	if (!ret)
		ret = read_u64(d->be, BLKIF_KEY_FEATURE_BARRIER, 0, &v[4]);
	if (!ret)
		ret = read_u64(d->be, BLKIF_KEY_FEATURE_DISCARD, 0, &v[5]);
	if (!ret)
		ret = read_u64(d->be, BLKIF_KEY_FEATURE_PERSISTENT, 0, &v[6]);
	if (!ret)
		ret = read_u64(d->be, BLKIF_KEY_FEATURE_INDIRECT, 0, &v[7]);
	if (!ret)
		ret = read_u64(d->be, BLKIF_KEY_MAX_RING_ORDER, 0, &v[8]);
	if (ret)
		return ret;
	read_key(d->be, BLKIF_KEY_MODE, mode, sizeof(mode));
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

static int connect(struct blkdev *d)
{
	struct blkfront_features f;
	char val[VAL_LEN];
	unsigned long long bid;
	int ret;

	ret = read_key(d->fe, "backend", d->be, sizeof(d->be));
	if (ret < 0)
		goto out;
	ret = read_u64(d->fe, "backend-id", 0, &bid);
	if (ret || bid >= SV_DOMID_SELF) {
		ret = ret ? ret : -EINVAL;
		goto out;
	}
	d->backend_id = (uint16_t)bid;
	ksnprintf(val, sizeof(val), "vbd%u", d->info.devid);
	ret = xenbus_watch(d->be, val); /* fires for state and every other key below */
	if (ret)
		goto out;
	ret = wait_backend(d, XB_INITWAIT, HANDSHAKE_WAIT_NS);
	if (ret < 0)
		goto out;
	ret = read_features(d, &f);
	if (ret)
		goto out;
	d->info.ring_order = f.max_ring_order;
	d->info.persistent = f.persistent && want_persistent;
	ret = blkfront_create(&d->bf, &d->ops, d, d->info.ring_order, d->ring_refs);
	if (ret)
		goto out;
	ret = evtchn_alloc_unbound(d->backend_id, &d->port);
	if (ret)
		goto out;
	ret = xenbus_transaction_run(publish, d);
	if (ret)
		goto out;
	ret = wait_backend(d, XB_CONNECTED, HANDSHAKE_WAIT_NS);
	if (ret < 0)
		goto out;
	/* The size may have changed while we were getting ready; the backend's word now counts. */
	ret = read_features(d, &f);
	if (ret)
		goto out;
	f.persistent = d->info.persistent;
	ret = blkfront_connect(d->bf, &f);
	if (ret)
		goto out;
	d->info.sectors = f.sectors;
	d->info.sector_size = f.sector_size;
	d->info.readonly = f.readonly;
	d->info.flush = f.flush;
	d->info.barrier = f.barrier;
	d->info.discard = f.discard;
	d->info.max_indirect_segments = f.max_indirect_segments;
	d->info.max_op_bytes = blkfront_max_op_bytes(d->bf);
	ret = write_state(d, XB_CONNECTED);
out:
	return ret;
}

static void release(struct blkdev *d)
{
	blkfront_destroy(d->bf);
	if (d->port)
		evtchn_close(d->port);
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
		.alloc_page = g_alloc_page,
		.free_page = g_free_page,
		.grant = g_grant,
		.end_grant = g_end_grant,
		.notify = g_notify,
		.alloc_pages = g_alloc_pages,
		.free_pages = g_free_pages,
	};
	ret = find_disk(d, name);
	if (ret) {
		printk("blkdev: no disk %s (%d)\n", name ? name : "at all", ret);
		goto out;
	}
	ret = connect(d);
	if (ret) {
		printk("blkdev %s: connecting to %s failed (%d)\n", d->info.name, d->be, ret);
		write_state(d, XB_CLOSED);
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

/* The backend closed or vanished: pending operations fail, we say Closing, Closed. */
static void backend_gone(struct blkdev *d, int st)
{
	printk("blkdev %s: backend %s is %s: failing %u operations\n", d->info.name, d->be,
	       st == 0 ? "gone" : "closing", blkfront_inflight(d->bf));
	d->dead = true;
	blkfront_fail_all(d->bf);
	write_state(d, XB_CLOSING);
	write_state(d, XB_CLOSED);
}

int blkdev_wait(struct blkdev *d)
{
	uint32_t quiet_s = 0;
	int n, st, ret;

	if (d->dead)
		return -ENODEV;
	blkfront_kick(d->bf);
	for (;;) {
		n = blkfront_poll(d->bf);
		if (n)
			return n;
		if (!blkfront_inflight(d->bf))
			return 0;
		/* poll armed rsp_event: halt until the backend raises the channel. */
		ret = evtchn_wait(d->port, now_ns() + BLKDEV_CHECK_NS);
		if (ret != -ETIMEDOUT)
			continue;
		/* A backend directory that vanished, or a xenstore that stopped answering, is gone. */
		st = backend_state(d);
		if (st <= 0 || st >= XB_CLOSING) {
			backend_gone(d, st);
			return -ENODEV;
		}
		if (++quiet_s == BLKDEV_STALL_WARN_S)
			printk("blkdev %s: no response for %u s (%u in flight, backend state %d)\n",
			       d->info.name, quiet_s, blkfront_inflight(d->bf), st);
	}
}

int blkdev_submit(struct blkdev *d, int op, uint64_t sector, void *buf, size_t len,
		  blkfront_done_fn *done, void *arg)
{
	int ret;

	if (d->dead)
		return -ENODEV;
	for (;;) {
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
	while (!d->dead && blkdev_wait(d) > 0)
		;
	if (!d->dead) {
		/* Xen's order: the backend unmaps when we are Closed, then ends Closed itself. */
		write_state(d, XB_CLOSING);
		wait_backend(d, XB_CLOSING, CLOSE_WAIT_NS);
		write_state(d, XB_CLOSED);
		wait_backend(d, XB_CLOSED, CLOSE_WAIT_NS);
	}
	release(d);
}
