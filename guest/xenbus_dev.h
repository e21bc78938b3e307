/* SPDX-License-Identifier: MIT */
/*
 * The frontend side of a xenbus device, shared by the guest's block and network
 * devices (blkdev.c, netdev.c): the two directories, the backend's state and
 * waiting for it, and the environment a ring engine (blkfront, netfront) asks
 * for: zeroed pages, grants to the backend, notifications on the device's port.
 */
#ifndef GUEST_XENBUS_DEV_H
#define GUEST_XENBUS_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitvisor/xenbus.h>

#define XBDEV_PATH_LEN 160u

/* Xen's xenbus states, short. */
#define XB_INITIALISING XENBUS_STATE_INITIALISING
#define XB_INITWAIT	XENBUS_STATE_INIT_WAIT
#define XB_INITIALISED	XENBUS_STATE_INITIALISED
#define XB_CONNECTED	XENBUS_STATE_CONNECTED
#define XB_CLOSING	XENBUS_STATE_CLOSING
#define XB_CLOSED	XENBUS_STATE_CLOSED

struct xenbus_dev {
	char name[24]; /* for messages: "blkdev xvda", "netdev vif0" */
	char fe[XBDEV_PATH_LEN], be[XBDEV_PATH_LEN];
	uint16_t backend_id;
	uint32_t port; /* the device's event channel, bound for the backend */
	int fe_state;  /* what xbdev_write_state last wrote to our state */
	uint64_t fe_state_at;
};

/* dir/key's value; its length or -errno. */
int xbdev_read(const char *dir, const char *key, char *val, size_t cap);
/* A number, or def when the key is missing; -EINVAL when it is not a number. */
int xbdev_read_u64(const char *dir, const char *key, unsigned long long def,
		   unsigned long long *out);
int xbdev_write_tx(uint32_t tx, const char *dir, const char *key, const char *val);
int xbdev_write_state(struct xenbus_dev *x, int state);
/* The frontend directory's backend and backend-id into x->be and x->backend_id; 0 or -errno. */
int xbdev_read_backend(struct xenbus_dev *x);
/* The backend's state, or 0 when its directory is gone (a vanished backend). */
int xbdev_backend_state(struct xenbus_dev *x);
/*
 * Waits on the watch of the backend's directory until its state is at least
 * want, tolerating skipped states. Before Closing is wanted, a backend that
 * closes instead gives -ENODEV; one that has not written its state yet is
 * waited for. With want Closing or Closed, a vanished backend counts as done.
 */
int xbdev_wait_backend(struct xenbus_dev *x, int want, uint64_t wait_ns);

/*
 * Reconnecting (docs/abi.md, "Backend loss"): Xen's dance, one step per
 * backend state seen, until the backend shows InitWait and handshake
 * succeeds (0) or deadline passes (-ETIMEDOUT). A live backend (Connected)
 * gets our Closing, a Closing one our Closed, a Closed one Initialising; one
 * that is gone (its directory removed: a dead driver domain) or not probed
 * yet gets Initialising at once, so a restarted backend's probe finds us
 * waiting and stays in InitWait. ring_down runs before the handshake and as
 * soon as nothing can map the old ring any more (it must be idempotent);
 * handshake builds and publishes a new ring and port and waits for Connected.
 * Watches on the backend's directory outlive the directory, so a re-created
 * backend wakes us. -ENODEV when the device was unplugged (xbdev_unplugged):
 * no reconnect then.
 */
struct xbdev_reconnect_ops {
	void (*ring_down)(void *arg);
	int (*handshake)(void *arg);
};
int xbdev_reconnect(struct xenbus_dev *x, const struct xbdev_reconnect_ops *ops, void *arg,
		    uint64_t deadline);
/*
 * Xen's unplug: the backend wrote online 0 (svctl block-detach, net-detach),
 * or our own directory is gone. A backend directory that vanished is not an
 * unplug: a driver domain that died and is restarted writes it again.
 */
bool xbdev_unplugged(struct xenbus_dev *x);
/* Drops queued watch events: those our own handshake caused say nothing later. */
void xbdev_drain_watches(void);
/*
 * Whether a queued watch event names the backend's directory or its state
 * (consumes the queued events) and the backend no longer says Connected.
 */
bool xbdev_backend_changed(struct xenbus_dev *x);

/* Ring-engine callbacks; their opaque is the struct xenbus_dev. */
void *xbdev_alloc_page(void *opaque);
void xbdev_free_page(void *opaque, void *page);
void *xbdev_alloc_pages(void *opaque, uint32_t n);
void xbdev_free_pages(void *opaque, void *pages, uint32_t n);
int xbdev_grant(void *opaque, void *page, bool readonly);
int xbdev_end_grant(void *opaque, uint32_t ref);
void xbdev_notify(void *opaque);

#endif
