/* SPDX-License-Identifier: MIT */
/* Virtual block devices, the toolstack's part (vbd.c). */
#ifndef SV_SVDOM0_VBD_H
#define SV_SVDOM0_VBD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitvisor/toolstack.h>

#include "blkback_xenbus.h"

struct dom0;
struct ts_domain;
struct sv_domain_config;
struct sv_disk_config;

/* Creates every <disk> of cfg for td (cfg may be NULL); on failure none is left. */
int vbd_attach_all(struct dom0 *d0, struct ts_domain *td, const struct sv_domain_config *cfg,
		   char *err, size_t errlen);
void vbd_detach_all(struct dom0 *d0, struct ts_domain *td);
/* After a svdom0 restart: serves cfg's disks of the running td again (failures are logged). */
void vbd_adopt_all(struct dom0 *d0, struct ts_domain *td, const struct sv_domain_config *cfg);
/* Hot-plug: a new device (-EEXIST for a target in use), or Xen's unplug of one. */
int vbd_attach(struct dom0 *d0, struct ts_domain *td, const struct sv_disk_config *dc, char *err,
	       size_t errlen);
int vbd_detach(struct dom0 *d0, struct ts_domain *td, const char *dev, char *err, size_t errlen);
/* Removes the unplugged devices whose frontends have closed: after each round of watch events. */
void vbd_reap(struct dom0 *d0);

/*
 * One of a domain's disks now: `svctl block-list`, svctl top and the libvirt
 * server read these. A driver domain's disk has SV_TS_DEV_REMOTE in
 * stats.flags, and only its state and mode in info: its counters are svdd's.
 */
struct vbd_record {
	struct sv_ts_dev_stats stats; /* devid, backend domain, name, counters */
	struct blkback_dev_info info; /* state, mode, the backend's counters */
	uint64_t errors;	      /* requests refused or failed */
	const char *source;	      /* valid until svdom0's loop runs again */
};
/* Up to max of td's disks into out, in list order; returns how many. */
size_t vbd_records(const struct ts_domain *td, struct vbd_record *out, size_t max);
/* `svctl block-list`: the table of n records into buf; returns its length. */
size_t vbd_list(const struct vbd_record *r, size_t n, char *buf, size_t cap);

/*
 * A driver domain's request to open the disk at be_path: 0 with what the
 * toolstack recorded for it (pointers valid until the loop runs again), or
 * -ENOENT when no running guest has such a disk served by dd_domid.
 */
int vbd_dd_disk(struct dom0 *d0, uint32_t dd_domid, const char *be_path, const char **source,
		bool *readonly, const char **cache);
/*
 * A driver domain restarted with the same domid: its guests' frontend
 * directories readable by it again and its backend directories written again
 * (state Initialising: svdd probes them). 0 or the first -errno.
 */
int vbd_dd_restore(struct dom0 *d0, uint32_t dd_domid);
/* True while a running guest has a disk served by dd_domid. */
bool vbd_dd_used(struct dom0 *d0, uint32_t dd_domid);

#endif
