/* SPDX-License-Identifier: MIT */
/*
 * A device's two xenstore directories as Xen's libxl writes them, for every
 * device class of the toolstack (vbd.c, vif.c): the backend's, ours (or a
 * driver domain's) and readable by the guest, and the frontend's, the guest's
 * and readable by the backend's domain, both in state Initialising, each with
 * the class's own keys.
 */
#ifndef SV_SVDOM0_DEVDIR_H
#define SV_SVDOM0_DEVDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xs_local;

struct devdir_key {
	const char *key;
	const char *val; /* NULL: not written */
};

/*
 * keys arrays end with a NULL key. The backend's directory belongs to be_domid
 * (0, or a driver domain) and the guest may read it; the frontend's belongs to
 * the guest and be_domid may read it. 0 or -errno; on failure the caller
 * removes both.
 */
int devdir_write(struct xs_local *xs, const char *be, const char *fe, uint32_t domid,
		 uint32_t be_domid, const struct devdir_key *be_keys,
		 const struct devdir_key *fe_keys);
/* The backend's directory alone, again (a restarted driver domain's). */
int devdir_write_backend(struct xs_local *xs, const char *be, const char *fe, uint32_t domid,
			 uint32_t be_domid, const struct devdir_key *be_keys);
/*
 * Gives be_domid read access to the frontend's directory and what the guest
 * wrote below it, again: releasing a domain strips it from every node (XSA-322),
 * and a driver domain restarted with the same domid must read them.
 */
int devdir_grant(struct xs_local *xs, const char *fe, uint32_t domid, uint32_t be_domid);
/* The xenbus state written in dir; XENBUS_STATE_UNKNOWN for none or a bad one. */
int devdir_state(struct xs_local *xs, const char *dir);
/* A driver domain's device may go: its frontend closed, never connected, or has no state. */
bool devdir_fe_gone(struct xs_local *xs, const char *fe);
/* libxl's unplug of a driver domain's device: online 0 and Closing in its backend directory. */
void devdir_unplug_backend(struct xs_local *xs, const char *be);

/*
 * `svctl block-list` and `net-list`: head, then line(rec) for each of the n
 * records of size bytes at recs while they fit in buf; the table's length.
 * line returns what it wrote, or < 0 or >= cap where it does not fit.
 */
size_t devdir_table(char *buf, size_t cap, const char *head, const void *recs, size_t n,
		    size_t size, int (*line)(const void *rec, char *buf, size_t cap));

#endif
