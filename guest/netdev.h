/* SPDX-License-Identifier: MIT */
/*
 * A guest network device: the xenbus handshake with its backend and a
 * netfront ring, with waiting that halts on the event channel. One user at a
 * time (the app on vCPU 0); received frames are handed over from netdev_poll
 * and netdev_wait, never from an interrupt.
 */
#ifndef GUEST_NETDEV_H
#define GUEST_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netfront.h"

struct netdev_info {
	uint32_t handle; /* vif/<handle> */
	uint8_t mac[6];
	uint32_t mtu;	  /* the backend's, or 1500 */
	bool sg;	  /* the backend takes frames of several TX slots */
	size_t max_frame; /* the longest frame netdev_send takes */
	uint16_t backend_id;
};

/* netdev_send flags */
#define NETDEV_MORE   (1u << 0) /* more frames follow at once: queue, push with a later send */
#define NETDEV_NOWAIT (1u << 1) /* -EAGAIN instead of waiting for room (for rx handlers) */

struct netdev;

/*
 * Connects vif/<handle>, or with a negative handle the lowest-numbered one.
 * 0 or -errno (-ENOENT no such device, -ETIMEDOUT the backend did not
 * answer, -EOPNOTSUPP a backend without feature-rx-copy), with a console
 * line saying why.
 */
int netdev_open(int handle, struct netdev **out);
const struct netdev_info *netdev_info(const struct netdev *d);
/* Where received frames go (see netfront_rx_fn); until set they are dropped. */
void netdev_set_rx(struct netdev *d, netfront_rx_fn *fn, void *arg);

/*
 * Sends one Ethernet frame (copied: the buffer is free on return). When the
 * ring or the TX pool is full it pushes and waits for the backend (handing
 * received frames over meanwhile), unless NETDEV_NOWAIT. 0, -EMSGSIZE,
 * -EAGAIN (NOWAIT), -ETIMEDOUT (no room for NETDEV_SEND_WAIT_NS). While the
 * backend is away (reconnecting, docs/abi.md "Backend loss") the frame is
 * dropped and counted (tx_dropped) and 0 returned, as a network drops;
 * -ENODEV once the device was unplugged.
 */
int netdev_send(struct netdev *d, const void *frame, size_t len, unsigned int flags);
/* Handles what has arrived without waiting: how many responses and frames, or -errno. */
int netdev_poll(struct netdev *d);
/*
 * Pushes what is queued, then handles what arrives, halting on the event
 * channel until something does or guest time deadline_ns passes (0: no
 * deadline). How many responses and frames, 0 at the deadline. A backend
 * that goes away (checked every second without events) or breaks a ring is
 * reconnected to meanwhile; -ENODEV once the device was unplugged.
 */
int netdev_wait(struct netdev *d, uint64_t deadline_ns);
/* TX slots the backend has not answered yet. */
uint32_t netdev_tx_inflight(const struct netdev *d);
void netdev_get_stats(const struct netdev *d, struct netfront_stats *out);
/* Says Closing then Closed, waits for the backend to follow, frees everything. */
void netdev_close(struct netdev *d);

#endif
