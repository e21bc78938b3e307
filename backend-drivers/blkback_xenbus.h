/* SPDX-License-Identifier: MIT */
/*
 * The xenbus half of the block backend: one virtual block device from the
 * directory the toolstack wrote to the ring served by blkback. It opens the
 * disk the directory names, publishes sectors and features, runs Xen's state
 * machine against the frontend (InitWait, Connected, Closing, Closed), maps
 * the ring and binds the event channel on connect, and serves the ring from
 * one thread per connected device, so a slow disk never stalls the host's
 * loop. Everything goes through a backend_env.
 */
#ifndef SV_BLKBACK_XENBUS_H
#define SV_BLKBACK_XENBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend_env.h"
#include "blkback.h"

/* Keys of ours in the backend directory, beside Xen's params, mode and dev. */
#define BLKBACK_KEY_CACHE  "cache"  /* libvirt's <driver cache=...> name; absent: default */
#define BLKBACK_KEY_FORMAT "format" /* libvirt's <driver type=...>: raw, qcow2, ...; absent: raw */

struct blkback_dev;

struct blkback_dev_info {
	int state; /* the backend's xenbus state */
	bool readonly;
	bool connected;
	bool unplugged;		    /* blkback_dev_unplug was called */
	struct blkback_stats stats; /* zero while not connected */
};

/*
 * Probes the device whose backend directory is be_path (written by the
 * toolstack: frontend, frontend-id, params, mode, dev, online, state 1, and
 * the frontend's directory beside it). On success the device waits in
 * InitWait with its features published and watches the frontend's state.
 */
int blkback_dev_probe(struct backend_env *env, const char *be_path, struct blkback_dev **out,
		      char *err, size_t errlen);
/*
 * Xen's unplug: stops serving (I/O in flight completes, grants are released),
 * writes online 0 and goes Closing; the frontend is expected to close.
 */
void blkback_dev_unplug(struct blkback_dev *d);
/* True once an unplugged device's frontend said Closed (or vanished): free it. */
bool blkback_dev_removable(const struct blkback_dev *d);
void blkback_dev_info(const struct blkback_dev *d, struct blkback_dev_info *info);
/*
 * Disconnects, stops watching and frees; the directories are the toolstack's to
 * remove. It does not wait for the device thread: the host's loop frees the
 * device once the thread has let go (an fd the device added).
 */
void blkback_dev_free(struct blkback_dev *d);
/* The same, waiting for the device thread: for a host whose loop has ended. */
void blkback_dev_free_wait(struct blkback_dev *d);

#endif
