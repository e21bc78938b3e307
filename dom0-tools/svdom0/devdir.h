/* SPDX-License-Identifier: MIT */
/*
 * A device's two xenstore directories as Xen's libxl writes them, for every
 * device class of the toolstack (vbd.c, vif.c): the backend's, ours and
 * readable by the guest, and the frontend's, the guest's and readable by us,
 * both in state Initialising, each with the class's own keys.
 */
#ifndef SV_SVDOM0_DEVDIR_H
#define SV_SVDOM0_DEVDIR_H

#include <stdint.h>

struct xs_local;

struct devdir_key {
	const char *key;
	const char *val; /* NULL: not written */
};

/* keys arrays end with a NULL key. 0 or -errno; on failure the caller removes both. */
int devdir_write(struct xs_local *xs, const char *be, const char *fe, uint32_t domid,
		 const struct devdir_key *be_keys, const struct devdir_key *fe_keys);

#endif
