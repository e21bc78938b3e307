// SPDX-License-Identifier: MIT
/*
 * A guest network device's xenbus side, Xen's protocol, after blkdev.c. The
 * toolstack made our directory /local/domain/<domid>/device/vif/<handle>/
 * (backend, backend-id, handle, mac, state 1) and the backend's, where the
 * backend publishes its features and goes InitWait. We then make the rings
 * and the event channel, publish tx-ring-ref, rx-ring-ref, event-channel,
 * request-rx-copy, feature-rx-notify and feature-sg with state Initialised
 * in one transaction, wait for the backend to be Connected and say
 * Connected ourselves. (Linux's netfront goes to Connected at once; we wait
 * as blkdev does, which is what our netback expects.)
 *
 * When the backend goes away or breaks a ring we reconnect as blkdev does
 * (docs/abi.md, "Backend loss"; the dance is xbdev_reconnect): a watch event
 * on its directory or state, a state other than Connected seen after
 * NETDEV_CHECK_NS without events, or netfront declaring a ring broken starts
 * it. Frames not answered yet are dropped (netfront_suspend counts them), and
 * so are frames sent while the backend is away (a network may drop; the
 * sender sees 0); at the backend's InitWait we make new rings, post every RX
 * page again, and publish a new port.
 */
#include <errno.h>
#include <string.h>
#include "arch.h"
#include "boot_info.h"
#include "console.h"
#include "evtchn.h"
#include "grant.h"
#include "heap.h"
#include "kstring.h"
#include "ktime.h"
#include "netdev.h"
#include "page_alloc.h"
#include "printf.h"
#include "xenbus.h"
#include "xenbus_dev.h"

#define PATH_LEN	    160u
#define VAL_LEN		    64u
#define LIST_LEN	    1024u
#define HANDSHAKE_WAIT_NS   (10 * NSEC_PER_SEC)
#define CLOSE_WAIT_NS	    (5 * NSEC_PER_SEC)
#define NETDEV_CHECK_NS	    NSEC_PER_SEC
#define NETDEV_SEND_WAIT_NS (10 * NSEC_PER_SEC)
#define NETDEV_DOWN_SEND_NS (100 * NSEC_PER_MSEC) /* a send waits this long for a reconnect */
#define MTU_MIN		    68u			  /* IPv4's minimum */
#define MAC_STR_LEN	    17u			  /* "00:16:3e:00:00:01" */

struct netdev {
	struct netdev_info info;
	struct xenbus_dev xb; /* directories, backend, port */
	struct netfront *nf;
	struct netfront_ops ops;
	netfront_rx_fn *rx_fn;
	void *rx_arg;
	uint64_t quiet_since; /* the last event, or the last look at the backend's state */
	bool dead;	      /* unplugged: for good */
	bool lost;	      /* the rings are not used: reconnecting */
	bool ring_down;	      /* netfront suspended and the port closed */
	uint64_t lost_at;
	uint64_t down_drops; /* frames sent while the backend was away */
};

/* ---- what netfront needs from the kernel ---- */

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly "xx:xx:xx:xx:xx:xx", unicast and not all zeros. */
static int parse_mac(const char *s, uint8_t mac[6])
{
	uint8_t any = 0;

	if (strlen(s) != MAC_STR_LEN)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
		any |= mac[i];
	}
	return (mac[0] & 1) || !any ? -EINVAL : 0;
}

/* ---- finding the device ---- */

static int find_vif(struct netdev *d, int handle)
{
	char list[LIST_LEN], dir[PATH_LEN];
	unsigned long long best = ~0ull;
	int len;

	ksnprintf(dir, sizeof(dir), "/local/domain/%u/device/vif", start_info->domid);
	len = xenbus_directory(dir, list, sizeof(list));
	if (len < 0)
		return len;
	for (int off = 0; off < len; off += (int)strlen(list + off) + 1) {
		unsigned long long id;

		if (parse_u64(list + off, &id) || id > INT32_MAX)
			continue;
		if (handle >= 0 ? id == (unsigned long long)handle : id < best)
			best = id;
	}
	if (best == ~0ull)
		return -ENOENT;
	d->info.handle = (uint32_t)best;
	ksnprintf(d->xb.name, sizeof(d->xb.name), "netdev vif%u", d->info.handle);
	ksnprintf(d->xb.fe, sizeof(d->xb.fe), "%s/%u", dir, d->info.handle);
	return 0;
}

/* ---- the handshake ---- */

/* Publishes our half of the connection; runs again in a new transaction on EAGAIN. */
static int publish(uint32_t tx, void *data)
{
	struct netdev *d = data;
	uint32_t tx_ref, rx_ref;
	char val[24];
	int ret;

	netfront_ring_refs(d->nf, &tx_ref, &rx_ref);
	ksnprintf(val, sizeof(val), "%u", tx_ref);
	ret = xbdev_write_tx(tx, d->xb.fe, NETIF_KEY_TX_RING_REF, val);
	ksnprintf(val, sizeof(val), "%u", rx_ref);
	if (!ret)
		ret = xbdev_write_tx(tx, d->xb.fe, NETIF_KEY_RX_RING_REF, val);
	ksnprintf(val, sizeof(val), "%u", d->xb.port);
	if (!ret)
		ret = xbdev_write_tx(tx, d->xb.fe, NETIF_KEY_EVENT_CHANNEL, val);
	if (!ret)
		ret = xbdev_write_tx(tx, d->xb.fe, NETIF_KEY_REQUEST_RX_COPY, "1");
	if (!ret)
		ret = xbdev_write_tx(tx, d->xb.fe, NETIF_KEY_FEATURE_RX_NOTIFY, "1");
	/* We reassemble frames of several RX slots, whatever the backend offers for TX. */
	if (!ret)
		ret = xbdev_write_tx(tx, d->xb.fe, NETIF_KEY_FEATURE_SG, "1");
	if (!ret)
		ret = xbdev_write_tx(tx, d->xb.fe, "state", "3");
	return ret;
}

static int read_features(struct netdev *d, struct netfront_features *f)
{
	unsigned long long copy, sg, mtu;
	int ret;

	ret = xbdev_read_u64(d->xb.be, NETIF_KEY_FEATURE_RX_COPY, 0, &copy);
	if (!ret)
		ret = xbdev_read_u64(d->xb.be, NETIF_KEY_FEATURE_SG, 0, &sg);
	if (!ret)
		ret = xbdev_read_u64(d->xb.be, NETIF_KEY_MTU, NETIF_MTU_DEFAULT, &mtu);
	if (ret) {
		printk("netdev vif%u: backend %s has a bad feature key (%d)\n", d->info.handle,
		       d->xb.be, ret);
		return ret;
	}
	if (mtu < MTU_MIN || mtu > NETIF_MAX_FRAME - NETIF_ETH_HLEN) {
		printk("netdev vif%u: backend mtu %llu outside %u..%u\n", d->info.handle, mtu,
		       MTU_MIN, NETIF_MAX_FRAME - NETIF_ETH_HLEN);
		return -EINVAL;
	}
	/* Xen's netfront has no other receive path either: the backend must copy. */
	if (copy != 1) {
		printk("netdev vif%u: backend %s does not offer feature-rx-copy\n", d->info.handle,
		       d->xb.be);
		return -EOPNOTSUPP;
	}
	*f = (struct netfront_features){ .sg = sg == 1, .mtu = (uint32_t)mtu };
	return 0;
}

/* From the backend's InitWait to both Connected; again: new rings in the suspended netfront. */
static int handshake(struct netdev *d)
{
	struct netfront_features f;
	bool again = d->nf != NULL;
	int ret;

	ret = xbdev_wait_backend(&d->xb, XB_INITWAIT, HANDSHAKE_WAIT_NS);
	if (ret < 0)
		goto out;
	ret = read_features(d, &f);
	if (ret)
		goto out;
	d->info.mtu = f.mtu;
	d->info.sg = f.sg;
	if (again)
		ret = netfront_resume(d->nf, &f);
	else
		ret = netfront_create(&d->ops, &d->xb, &f, &d->nf);
	if (ret)
		goto out;
	d->info.max_frame = netfront_max_frame(d->nf);
	ret = evtchn_alloc_unbound(d->info.backend_id, &d->xb.port);
	if (ret)
		goto out;
	ret = xenbus_transaction_run(publish, d);
	if (ret)
		goto out;
	d->xb.fe_state = XB_INITIALISED;
	ret = xbdev_wait_backend(&d->xb, XB_CONNECTED, HANDSHAKE_WAIT_NS);
	if (ret < 0)
		goto out;
	ret = xbdev_write_state(&d->xb, XB_CONNECTED);
	xbdev_drain_watches();
	d->quiet_since = now_ns();
out:
	if (ret > 0)
		ret = 0;
	if (ret && again) {
		netfront_suspend(d->nf);
		if (d->xb.port)
			evtchn_close(d->xb.port);
		d->xb.port = 0;
	}
	return ret;
}

static int connect(struct netdev *d)
{
	char val[VAL_LEN];
	int ret;

	ret = xbdev_read_backend(&d->xb);
	if (ret < 0)
		goto out;
	d->info.backend_id = d->xb.backend_id;
	/* The toolstack's word in our directory, else the backend's. */
	ret = xbdev_read(d->xb.fe, NETIF_KEY_MAC, val, sizeof(val));
	if (ret == -ENOENT)
		ret = xbdev_read(d->xb.be, NETIF_KEY_MAC, val, sizeof(val));
	if (ret >= 0)
		ret = parse_mac(val, d->info.mac);
	if (ret) {
		printk("netdev vif%u: no usable mac (%d)\n", d->info.handle, ret);
		goto out;
	}
	ksnprintf(val, sizeof(val), "vif%u", d->info.handle);
	/* Fires for state and every other key below, and again for a re-created directory. */
	ret = xenbus_watch(d->xb.be, val);
	if (ret)
		goto out;
	ret = handshake(d);
out:
	return ret;
}

static void release(struct netdev *d)
{
	uint32_t leaked = netfront_destroy(d->nf);

	if (leaked)
		printk("netdev vif%u: %u grants still mapped by the backend: pages leaked\n",
		       d->info.handle, leaked);
	if (d->xb.port)
		evtchn_close(d->xb.port);
	kfree(d);
}

int netdev_open(int handle, struct netdev **out)
{
	struct netdev *d;
	int ret;

	ret = xenbus_init();
	if (ret) {
		printk("netdev: no xenstore (%d)\n", ret);
		return ret;
	}
	d = kzalloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->ops = (struct netfront_ops){
		.alloc_page = xbdev_alloc_page,
		.free_page = xbdev_free_page,
		.grant = xbdev_grant,
		.end_grant = xbdev_end_grant,
		.notify = xbdev_notify,
	};
	ret = find_vif(d, handle);
	if (ret) {
		if (handle >= 0)
			printk("netdev: no vif%d (%d)\n", handle, ret);
		else
			printk("netdev: no network device (%d)\n", ret);
		goto out;
	}
	ret = connect(d);
	if (ret) {
		printk("netdev vif%u: connecting to %s failed (%d)\n", d->info.handle, d->xb.be,
		       ret);
		xbdev_write_state(&d->xb, XB_CLOSED);
		goto out;
	}
	printk("netdev vif%u: mac %02x:%02x:%02x:%02x:%02x:%02x, mtu %u%s, backend %s\n",
	       d->info.handle, d->info.mac[0], d->info.mac[1], d->info.mac[2], d->info.mac[3],
	       d->info.mac[4], d->info.mac[5], d->info.mtu, d->info.sg ? ", sg" : "", d->xb.be);
	*out = d;
out:
	if (ret)
		release(d);
	return ret;
}

const struct netdev_info *netdev_info(const struct netdev *d)
{
	return &d->info;
}

void netdev_set_rx(struct netdev *d, netfront_rx_fn *fn, void *arg)
{
	d->rx_fn = fn;
	d->rx_arg = arg;
}

/* Stops using the rings; the reconnect follows from netdev_wait, netdev_poll or netdev_send. */
static void lose(struct netdev *d, const char *why)
{
	printk("netdev vif%u: backend %s %s: dropping %u TX slots, reconnecting\n", d->info.handle,
	       d->xb.be, why, netfront_tx_inflight(d->nf));
	d->lost = true;
	d->ring_down = false;
	d->lost_at = now_ns();
}

static void ring_down(void *arg)
{
	struct netdev *d = arg;

	if (d->ring_down)
		return;
	netfront_suspend(d->nf);
	if (d->xb.port)
		evtchn_close(d->xb.port);
	d->xb.port = 0;
	d->ring_down = true;
}

static int handshake_cb(void *arg)
{
	struct netdev *d = arg;
	int ret = handshake(d);

	if (!ret) {
		d->lost = false;
		printk("netdev vif%u: reconnected to %s after %llu ms\n", d->info.handle, d->xb.be,
		       (unsigned long long)((now_ns() - d->lost_at) / NSEC_PER_MSEC));
	}
	return ret;
}

static const struct xbdev_reconnect_ops reconnect_ops = {
	.ring_down = ring_down,
	.handshake = handshake_cb,
};

/*
 * 0 when connected (again) by deadline_ns, -ETIMEDOUT while the backend stays
 * away, -ENODEV once unplugged.
 */
static int reconnect(struct netdev *d, uint64_t deadline_ns)
{
	int ret;

	if (d->dead)
		return -ENODEV;
	if (!d->lost)
		return 0;
	ret = xbdev_reconnect(&d->xb, &reconnect_ops, d, deadline_ns);
	if (ret == -ENODEV) {
		printk("netdev vif%u: unplugged\n", d->info.handle);
		ring_down(d);
		d->dead = true;
		d->lost = false;
		xbdev_write_state(&d->xb, XB_CLOSING);
		xbdev_write_state(&d->xb, XB_CLOSED);
	}
	return ret;
}

int netdev_poll(struct netdev *d)
{
	int n;

	/* One step of the reconnect: a poll never waits. */
	n = reconnect(d, now_ns());
	if (n)
		return n == -ENODEV ? n : 0;
	n = netfront_poll(d->nf, d->rx_fn, d->rx_arg);
	if (n == -EIO && netfront_broken(d->nf)) {
		lose(d, "broke a shared ring");
		return 0;
	}
	return n;
}

int netdev_wait(struct netdev *d, uint64_t deadline_ns)
{
	uint64_t now, wake;
	int n, st, ret;

	for (;;) {
		if (d->dead)
			return -ENODEV;
		if (d->lost) {
			wake = deadline_ns ? deadline_ns : now_ns() + NETDEV_CHECK_NS;
			ret = reconnect(d, wake);
			if (ret == -ENODEV)
				return ret;
			if (ret && deadline_ns)
				return 0;
			continue;
		}
		netfront_kick(d->nf);
		n = netdev_poll(d);
		now = now_ns();
		if (n) {
			d->quiet_since = now;
			return n;
		}
		if (d->lost)
			continue;
		if (xbdev_backend_changed(&d->xb)) {
			lose(d, "changed state");
			continue;
		}
		/* A second without events, over however many waits: is the backend still there? */
		if (now - d->quiet_since >= NETDEV_CHECK_NS) {
			st = xbdev_backend_state(&d->xb);
			if (st != XB_CONNECTED) {
				lose(d, st == 0 ? "is gone" : "left Connected");
				continue;
			}
			d->quiet_since = now;
		}
		if (deadline_ns && now >= deadline_ns)
			return 0;
		wake = now + NETDEV_CHECK_NS;
		if (deadline_ns && deadline_ns < wake)
			wake = deadline_ns;
		/* poll armed both rsp_events: halt until the backend raises the channel. */
		ret = evtchn_wait(d->xb.port, wake);
		if (ret && ret != -ETIMEDOUT)
			return ret;
	}
}

int netdev_send(struct netdev *d, const void *frame, size_t len, unsigned int flags)
{
	uint64_t deadline = 0;
	int ret;

	for (;;) {
		/* The backend is away: a moment to come back, else the frame is dropped. */
		ret = reconnect(d, now_ns() + NETDEV_DOWN_SEND_NS);
		if (ret == -ENODEV)
			return ret;
		if (ret) {
			d->down_drops++;
			return 0;
		}
		if (flags & NETDEV_MORE)
			ret = netfront_queue(d->nf, frame, len);
		else
			ret = netfront_send(d->nf, frame, len);
		if (ret == -EIO && netfront_broken(d->nf)) {
			lose(d, "broke a shared ring");
			continue;
		}
		if (ret != -EAGAIN || (flags & NETDEV_NOWAIT))
			return ret;
		if (!deadline)
			deadline = now_ns() + NETDEV_SEND_WAIT_NS;
		/* Full: what we queued goes out, and the backend's answers make room. */
		ret = netdev_wait(d, deadline);
		if (ret < 0)
			return ret;
		if (!ret) {
			printk("netdev vif%u: no room to send for %llu s (%u in flight)\n",
			       d->info.handle, NETDEV_SEND_WAIT_NS / NSEC_PER_SEC,
			       netfront_tx_inflight(d->nf));
			return -ETIMEDOUT;
		}
	}
}

uint32_t netdev_tx_inflight(const struct netdev *d)
{
	return netfront_tx_inflight(d->nf);
}

void netdev_get_stats(const struct netdev *d, struct netfront_stats *out)
{
	netfront_get_stats(d->nf, out);
	out->tx_dropped += d->down_drops;
}

void netdev_close(struct netdev *d)
{
	uint64_t deadline;

	if (!d)
		return;
	/* Let what is in flight drain, briefly: a frame the backend holds is not worth a hang. */
	deadline = now_ns() + CLOSE_WAIT_NS;
	while (!d->lost && !d->dead && netdev_tx_inflight(d) && netdev_wait(d, deadline) > 0)
		;
	if (d->lost) {
		xbdev_write_state(&d->xb, XB_CLOSED);
	} else if (!d->dead) { /* unplugged: Closed already */
		/* Xen's order: the backend unmaps when we are Closed, then ends Closed itself. */
		xbdev_write_state(&d->xb, XB_CLOSING);
		xbdev_wait_backend(&d->xb, XB_CLOSING, CLOSE_WAIT_NS);
		xbdev_write_state(&d->xb, XB_CLOSED);
		xbdev_wait_backend(&d->xb, XB_CLOSED, CLOSE_WAIT_NS);
	}
	release(d);
}
