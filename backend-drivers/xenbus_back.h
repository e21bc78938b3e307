/* SPDX-License-Identifier: MIT */
/*
 * The backend side of Xen's xenbus state machine, written once for every
 * device class (vbd, vif): reading and checking the directory the toolstack
 * wrote, watching the frontend's state, connecting when it says Initialised
 * or Connected, tearing down when it says Closing or Closed (or vanishes),
 * Xen's unplug, and the error node with Closing for a frontend that gave us
 * something we cannot use. The device class supplies connect and disconnect.
 */
#ifndef SV_XENBUS_BACK_H
#define SV_XENBUS_BACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend_env.h"
#include "log.h"

struct xenbus_back;

struct xenbus_back_ops {
	/* Read the frontend's keys, map, bind, start serving; err says what was wrong. */
	int (*connect)(struct xenbus_back *xb, char *err, size_t errlen);
	/*
	 * Stop serving and let go of everything connect took; safe when not connected.
	 * It may finish later (a device thread still stopping): see busy.
	 */
	void (*disconnect)(struct xenbus_back *xb);
	/*
	 * Optional: true while a disconnect is still letting go of the frontend's
	 * pages. Meanwhile nothing is written that lets the frontend reuse them
	 * (Closed, InitWait) and nothing connects; the device class calls
	 * xenbus_back_settled once it is done.
	 */
	bool (*busy)(const struct xenbus_back *xb);
};

struct xenbus_back {
	struct backend_env *env;
	const struct xenbus_back_ops *ops;
	void *priv; /* the device class's own state */
	uint32_t domid, devid;
	char kind[8];  /* "vbd", "vif": the directory names and log lines */
	char name[24]; /* for log lines: "vbd 3/51712" */
	char fe[96], be[96], fe_state_path[112], token[64];
	int state;		 /* ours, as last written */
	bool connected;		 /* connect succeeded and no disconnect since */
	bool watching;		 /* the frontend's state watch is set */
	bool unplugged;		 /* xenbus_back_unplug was called */
	bool removable;		 /* unplugged and the frontend closed: the owner frees it */
	bool fe_was_down;	 /* the frontend said a state below Initialised, or closed */
	bool deferred;		 /* a frontend change waits for the device to settle */
	bool closed_deferred;	 /* and it was Closed (or gone): said once settled */
	struct log_ratelimit rl; /* what the frontend makes us say */
};

/*
 * Reads the device's backend directory be_path (written by the toolstack:
 * frontend, frontend-id) and checks it names this device's own frontend
 * directory /local/domain/<frontend-id>/device/<kind>/<devid>.
 */
int xenbus_back_init(struct xenbus_back *xb, struct backend_env *env, const char *kind,
		     const char *be_path, const struct xenbus_back_ops *ops, void *priv, char *err,
		     size_t errlen);
/* InitWait, and the watch on the frontend's state: call it once the features are written. */
int xenbus_back_start(struct xenbus_back *xb);
void xenbus_back_set_state(struct xenbus_back *xb, int state);
/* Xen's xenbus_dev_fatal: the reason to the backend's error node (and the log), then Closing. */
void xenbus_back_fatal(struct xenbus_back *xb, const char *msg);
/* Xen's unplug: stops serving, online 0, Closing; removable once the frontend closed. */
void xenbus_back_unplug(struct xenbus_back *xb);
/* Disconnects and stops watching. */
void xenbus_back_stop(struct xenbus_back *xb);
/* The device is no longer busy: the frontend change that waited is acted on now. */
void xenbus_back_settled(struct xenbus_back *xb);

/* The name of a xenbus state for tables and messages ("InitWait"). */
const char *xenbus_state_name(int state);

#endif
