// SPDX-License-Identifier: MIT
/*
 * The frontend side of a xenbus device (xenbus_dev.h), written once for the
 * guest's block and network devices.
 */
#include <errno.h>
#include <string.h>

#include "arch.h"
#include "console.h"
#include "evtchn.h"
#include "grant.h"
#include "kstring.h"
#include "ktime.h"
#include "page_alloc.h"
#include "printf.h"
#include "xenbus.h"
#include "xenbus_dev.h"

#define XBDEV_VAL_LEN	64u
#define XBDEV_TOKEN_LEN 16u
#define XBDEV_TICK_NS	NSEC_PER_SEC
#define XBDEV_RETRY_MS	250u

void *xbdev_alloc_page(void *opaque)
{
	void *p = alloc_pages(1);

	(void)opaque;
	if (p)
		memset(p, 0, PAGE_SIZE);
	return p;
}

void xbdev_free_page(void *opaque, void *page)
{
	(void)opaque;
	free_pages(page, 1);
}

/* RAM is identity-mapped: one contiguous run is contiguous in guest-physical memory too. */
void *xbdev_alloc_pages(void *opaque, uint32_t n)
{
	void *p = alloc_pages(n);

	(void)opaque;
	if (p)
		memset(p, 0, (size_t)n * PAGE_SIZE);
	return p;
}

void xbdev_free_pages(void *opaque, void *pages, uint32_t n)
{
	(void)opaque;
	free_pages(pages, n);
}

int xbdev_grant(void *opaque, void *page, bool readonly)
{
	struct xenbus_dev *d = opaque;

	return gnttab_grant_access(d->backend_id, (uint32_t)((uintptr_t)page >> PAGE_SHIFT),
				   readonly);
}

int xbdev_end_grant(void *opaque, uint32_t ref)
{
	(void)opaque;
	return gnttab_end_access(ref);
}

void xbdev_notify(void *opaque)
{
	struct xenbus_dev *d = opaque;

	evtchn_send(d->port);
}

int xbdev_read(const char *dir, const char *key, char *val, size_t cap)
{
	char path[XBDEV_PATH_LEN];

	ksnprintf(path, sizeof(path), "%s/%s", dir, key);
	return xenbus_read(path, val, cap);
}

int xbdev_read_u64(const char *dir, const char *key, unsigned long long def,
		   unsigned long long *out)
{
	char val[XBDEV_VAL_LEN];
	int ret = xbdev_read(dir, key, val, sizeof(val));

	if (ret == -ENOENT) {
		*out = def;
		return 0;
	}
	if (ret < 0)
		return ret;
	return parse_u64(val, out) ? -EINVAL : 0;
}

int xbdev_write_tx(uint32_t tx, const char *dir, const char *key, const char *val)
{
	char path[XBDEV_PATH_LEN];

	ksnprintf(path, sizeof(path), "%s/%s", dir, key);
	return xenbus_write_tx(tx, path, val);
}

int xbdev_write_state(struct xenbus_dev *d, int state)
{
	char v[4];

	ksnprintf(v, sizeof(v), "%d", state);
	d->fe_state = state;
	d->fe_state_at = now_ns();
	return xbdev_write_tx(XBT_NIL, d->fe, "state", v);
}

int xbdev_read_backend(struct xenbus_dev *x)
{
	unsigned long long bid;
	int ret;

	ret = xbdev_read(x->fe, "backend", x->be, sizeof(x->be));
	if (ret < 0)
		return ret;
	ret = xbdev_read_u64(x->fe, "backend-id", 0, &bid);
	if (ret)
		return ret;
	if (bid >= SV_DOMID_SELF)
		return -EINVAL;
	x->backend_id = (uint16_t)bid;
	return 0;
}

int xbdev_backend_state(struct xenbus_dev *d)
{
	unsigned long long st;
	int ret = xbdev_read_u64(d->be, "state", 0, &st);

	if (ret)
		return ret;
	return st > XB_CLOSED ? -EINVAL : (int)st;
}

int xbdev_wait_backend(struct xenbus_dev *d, int want, uint64_t wait_ns)
{
	uint64_t deadline = now_ns() + wait_ns;
	char fired[XBDEV_PATH_LEN], token[16];
	int st, ret;

	for (;;) {
		st = xbdev_backend_state(d);
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
			printk("%s: backend %s stayed in state %d for %llu s (want %d)\n", d->name,
			       d->be, st, (unsigned long long)(wait_ns / NSEC_PER_SEC), want);
			return ret;
		}
		if (ret)
			return ret;
	}
}

/* One step of the dance for the backend's state st (not InitWait). */
static void reconnect_step(struct xenbus_dev *d, const struct xbdev_reconnect_ops *ops, void *arg,
			   int st)
{
	if (st == XB_CONNECTED || st == XB_INITIALISED) {
		/* A live backend: Closing asks it to unmap and let go. */
		if (d->fe_state != XB_CLOSING && d->fe_state != XB_CLOSED)
			xbdev_write_state(d, XB_CLOSING);
	} else if (st == XB_CLOSING) {
		if (d->fe_state != XB_CLOSED)
			xbdev_write_state(d, XB_CLOSED);
	} else if (st == XB_CLOSED) {
		/* Nothing maps our ring any more; Initialising after Closed asks for InitWait. */
		ops->ring_down(arg);
		if (d->fe_state != XB_CLOSED && d->fe_state != XB_INITIALISING)
			xbdev_write_state(d, XB_CLOSED);
		else if (d->fe_state == XB_CLOSED || now_ns() - d->fe_state_at >= XBDEV_TICK_NS)
			xbdev_write_state(d, XB_INITIALISING);
	} else {
		/* Gone with its directory, or written anew and not probed yet: nobody to dance with. */
		ops->ring_down(arg);
		if (d->fe_state != XB_INITIALISING)
			xbdev_write_state(d, XB_INITIALISING);
	}
}

bool xbdev_unplugged(struct xenbus_dev *d)
{
	char val[XBDEV_VAL_LEN];
	unsigned long long online;

	if (xbdev_read(d->fe, "backend", val, sizeof(val)) == -ENOENT)
		return true;
	return !xbdev_read_u64(d->be, "online", 1, &online) && online == 0;
}

int xbdev_reconnect(struct xenbus_dev *d, const struct xbdev_reconnect_ops *ops, void *arg,
		    uint64_t deadline)
{
	char path[XBDEV_PATH_LEN], token[XBDEV_TOKEN_LEN];
	uint64_t until;
	int st, ret;

	for (;;) {
		if (xbdev_unplugged(d))
			return -ENODEV;
		st = xbdev_backend_state(d);
		if (st == XB_INITWAIT) {
			/* A fresh backend maps nothing yet: ours are safe to end now. */
			ops->ring_down(arg);
			if (!ops->handshake(arg))
				return 0;
		} else {
			reconnect_step(d, ops, arg, st);
		}
		if (now_ns() >= deadline)
			return -ETIMEDOUT;
		until = now_ns() + XBDEV_TICK_NS;
		ret = xenbus_wait_watch(path, sizeof(path), token, sizeof(token),
					until < deadline ? until : deadline);
		if (ret && ret != -ETIMEDOUT)
			msleep(XBDEV_RETRY_MS); /* xenstore trouble: try again */
	}
}

void xbdev_drain_watches(void)
{
	char path[XBDEV_PATH_LEN], token[XBDEV_TOKEN_LEN];

	while (xenbus_watch_pending() && !xenbus_wait_watch(path, sizeof(path), token,
							    sizeof(token), now_ns() + NSEC_PER_SEC))
		;
}

bool xbdev_backend_changed(struct xenbus_dev *d)
{
	char path[XBDEV_PATH_LEN], token[XBDEV_TOKEN_LEN], st_path[XBDEV_PATH_LEN];
	bool changed = false;

	ksnprintf(st_path, sizeof(st_path), "%s/state", d->be);
	while (xenbus_watch_pending()) {
		if (xenbus_wait_watch(path, sizeof(path), token, sizeof(token),
				      now_ns() + NSEC_PER_SEC))
			break;
		changed |= !strcmp(path, d->be) || !strcmp(path, st_path);
	}
	/*
	 * Only a backend that is no longer Connected is lost. An event for a state
	 * that reads Connected is the late echo of the one we connected on: a
	 * restarted backend does not attach to a ring we still say Connected to
	 * (it waits in InitWait for us to start over, docs/abi.md "Backend loss"),
	 * so its state shows the restart.
	 */
	return changed && xbdev_backend_state(d) != XB_CONNECTED;
}
