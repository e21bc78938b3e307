// SPDX-License-Identifier: MIT
/*
 * Virtual block devices, the toolstack's part: for each <disk> it writes the
 * backend and frontend directories the way Xen's libxl does (state
 * Initialising on both sides), then hands the device to the block backend
 * (backend-drivers/blkback_xenbus.c), which runs the handshake and serves the
 * ring. Hot-plug and unplug, and `svctl block-list`, are here too.
 *
 * A disk whose <backenddomain> names a driver domain gets its backend
 * directory under that domain's home, owned by it; svdd finds it there and
 * probes it, so nothing is probed here. The record stays the toolstack's: the
 * driver domain's requests to open the disk are checked against it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <splitvisor/toolstack.h>
#include <splitvisor/xenbus.h>

#include "blkback_xenbus.h"
#include "devdir.h"
#include "log.h"
#include "xenbus_back.h"
#include "sv_xml.h"
#include "svdom0.h"
#include "vbd.h"
#include "xs_local.h"

/* Xen's numbering of xvd disks: major 202, 16 minors each; the extended form beyond xvdp. */
#define VBD_XVD_MAJOR 202u

struct vbd {
	struct vbd *next;
	uint32_t domid, devid;
	uint32_t be_domid; /* 0, or the driver domain that serves it */
	char dev[16];
	char fe[96], be[96];
	char *source;
	char *cache;  /* libvirt's cache name, NULL = default */
	char *format; /* libvirt's <driver type>, NULL = raw */
	bool readonly;
	bool unplugged;		  /* a driver domain's disk being detached */
	struct blkback_dev *back; /* NULL for a driver domain's disk */
};

/* The devid of "xvdX" (a..z, then aa..): 0 when the name is not one. */
static uint32_t vbd_devid(const char *dev)
{
	unsigned int idx = 0;
	const char *p;

	if (strncmp(dev, "xvd", 3) || !dev[3])
		return 0;
	for (p = dev + 3; *p; p++) {
		if (*p < 'a' || *p > 'z')
			return 0;
		idx = idx * 26 + (unsigned int)(*p - 'a') + (p == dev + 3 ? 0 : 1);
		if (idx > 0xfffff)
			return 0;
	}
	if (idx < 16)
		return (VBD_XVD_MAJOR << 8) | (idx << 4);
	return (1u << 28) | (idx << 8);
}

static void vbd_free(struct dom0 *d0, struct vbd *v)
{
	/* svdom0 exiting runs its loop no more: nothing would finish a device thread's stop. */
	if (d0->stopping)
		blkback_dev_free_wait(v->back);
	else
		blkback_dev_free(v->back);
	/* A device that failed half-way through vbd_create may have no paths yet. */
	if (v->be[0])
		xsl_rm(d0->xs_self, v->be);
	free(v->source);
	free(v->cache);
	free(v->format);
	free(v);
}

/*
 * Both directories as libxl writes them; the backend takes it from there. With
 * dc NULL, only the backend's again (from the record: a restarted driver domain).
 */
static int vbd_write_dirs(struct dom0 *d0, struct vbd *v, const struct sv_disk_config *dc)
{
	char devid[16];
	const struct devdir_key be_keys[] = {
		{ "params", v->source },
		{ "dev", v->dev },
		{ "mode", v->readonly ? "r" : "w" },
		{ BLKBACK_KEY_CACHE, v->cache },
		{ BLKBACK_KEY_FORMAT, v->format },
		{ NULL, NULL },
	};
	const struct devdir_key fe_keys[] = {
		{ "virtual-device", devid },
		{ "dev", v->dev },
		/* Linux's blkfront ignores a disk without it in an HVM or PVH guest. */
		{ "device-type", "disk" },
		{ NULL, NULL },
	};

	snprintf(devid, sizeof(devid), "%u", v->devid);
	if (!dc)
		return devdir_write_backend(d0->xs_self, v->be, v->fe, v->domid, v->be_domid,
					    be_keys);
	return devdir_write(d0->xs_self, v->be, v->fe, v->domid, v->be_domid, be_keys, fe_keys);
}

/*
 * adopt: a running guest's disk after a svdom0 restart. Its frontend directory is the
 * guest's and stays; ours is written again (state Initialising) and probed, so the
 * frontend reconnects and re-issues what was in flight. A driver domain's disk is still
 * served by it: only the record comes back.
 */
static int vbd_create(struct dom0 *d0, struct ts_domain *td, const struct sv_disk_config *dc,
		      bool adopt, char *err, size_t errlen)
{
	uint32_t domid = td->info.domid;
	struct vbd *v = NULL;
	int ret;

	if (!dc->source || dc->source[0] != '/') {
		snprintf(err, errlen, "disk %s: source '%s' must be an absolute path",
			 dc->target_dev, dc->source ? dc->source : "");
		return -EINVAL;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->source = strdup(dc->source);
	v->cache = dc->driver_cache ? strdup(dc->driver_cache) : NULL;
	v->format = dc->driver_type ? strdup(dc->driver_type) : NULL;
	if (!v->source || (dc->driver_cache && !v->cache) || (dc->driver_type && !v->format)) {
		ret = -ENOMEM;
		goto out;
	}
	v->readonly = dc->readonly;
	v->domid = domid;
	v->devid = vbd_devid(dc->target_dev);
	snprintf(v->dev, sizeof(v->dev), "%s", dc->target_dev);
	if (!v->devid) {
		snprintf(err, errlen, "disk target '%s' is not an xvd name", dc->target_dev);
		ret = -EINVAL;
		goto out;
	}
	if (dc->backend_domain && v->format && strcmp(v->format, "raw")) {
		snprintf(err, errlen,
			 "disk %s: a driver domain serves raw images only, not %s (served by "
			 "QEMU's storage daemon, which its sandbox cannot start)",
			 v->dev, v->format);
		ret = -EOPNOTSUPP;
		goto out;
	}
	if (dc->backend_domain) {
		ret = d0->dd_resolve(d0, dc->backend_domain, &v->be_domid, err, errlen);
		if (ret)
			goto out;
	}
	snprintf(v->fe, sizeof(v->fe), "/local/domain/%u/device/vbd/%u", domid, v->devid);
	snprintf(v->be, sizeof(v->be), "/local/domain/%u/backend/vbd/%u/%u", v->be_domid, domid,
		 v->devid);
	ret = adopt && v->be_domid ? 0 : vbd_write_dirs(d0, v, adopt ? NULL : dc);
	if (ret) {
		snprintf(err, errlen, "disk %s: cannot write its xenstore keys: %s", v->dev,
			 strerror(-ret));
		goto out;
	}
	/* A driver domain probes what appears in its own backend directory. */
	if (!v->be_domid)
		ret = blkback_dev_probe(&d0->backend_env, v->be, &v->back, err, errlen);
	if (ret)
		goto out;
	v->next = td->vbds;
	td->vbds = v;
	return 0;
out:
	if (v->fe[0] && !adopt)
		xsl_rm(d0->xs_self, v->fe);
	vbd_free(d0, v);
	return ret < 0 ? ret : -EIO;
}

int vbd_attach_all(struct dom0 *d0, struct ts_domain *td, const struct sv_domain_config *cfg,
		   char *err, size_t errlen)
{
	size_t i;
	int ret;

	for (i = 0; cfg && i < cfg->ndisks; i++) {
		ret = vbd_create(d0, td, &cfg->disks[i], false, err, errlen);
		if (ret)
			goto out;
	}
	return 0;
out:
	vbd_detach_all(d0, td);
	return ret;
}

void vbd_adopt_all(struct dom0 *d0, struct ts_domain *td, const struct sv_domain_config *cfg)
{
	char err[256];

	for (size_t i = 0; cfg && i < cfg->ndisks; i++)
		if (vbd_create(d0, td, &cfg->disks[i], true, err, sizeof(err)))
			log_err("domain %s: disk %s not served again: %s", td->info.name,
				cfg->disks[i].target_dev, err);
}

void vbd_detach_all(struct dom0 *d0, struct ts_domain *td)
{
	struct vbd *v;
	char path[64];

	while ((v = td->vbds)) {
		td->vbds = v->next;
		if (v->be_domid) {
			snprintf(path, sizeof(path), "/local/domain/%u/backend/vbd/%u", v->be_domid,
				 td->info.domid);
			xsl_rm(d0->xs_self, path);
		}
		vbd_free(d0, v);
	}
	snprintf(path, sizeof(path), "/local/domain/0/backend/vbd/%u", td->info.domid);
	xsl_rm(d0->xs_self, path);
}

/* An unplugged device leaves both directories. */
static void vbd_remove(struct dom0 *d0, struct ts_domain *td, struct vbd *v)
{
	struct vbd **pp;

	for (pp = &td->vbds; *pp != v; pp = &(*pp)->next)
		;
	*pp = v->next;
	xsl_rm(d0->xs_self, v->fe);
	vbd_free(d0, v);
}

int vbd_attach(struct dom0 *d0, struct ts_domain *td, const struct sv_disk_config *dc, char *err,
	       size_t errlen)
{
	struct vbd *v;

	for (v = td->vbds; v; v = v->next) {
		if (!strcmp(v->dev, dc->target_dev)) {
			snprintf(err, errlen, "domain %s has a disk %s already", td->info.name,
				 v->dev);
			return -EEXIST;
		}
	}
	return vbd_create(d0, td, dc, false, err, errlen);
}

/* libxl's unplug of a driver domain's device: online 0 and Closing in its backend directory. */
static int vbd_dd_unplug(struct dom0 *d0, struct ts_domain *td, struct vbd *v, char *err,
			 size_t errlen)
{
	if (v->unplugged) {
		snprintf(err, errlen, "disk %s is being detached already", v->dev);
		return -EALREADY;
	}
	v->unplugged = true;
	if (devdir_fe_gone(d0->xs_self, v->fe)) {
		vbd_remove(d0, td, v);
		return 0;
	}
	devdir_unplug_backend(d0->xs_self, v->be);
	return 0;
}

/*
 * Xen's unplug: the backend stops serving, writes online 0 and goes Closing;
 * the frontend closes and the device goes when it says Closed. Our frontends
 * look at the backend's state when their requests stall, and fail what is
 * pending. A device whose frontend never connected goes at once.
 */
int vbd_detach(struct dom0 *d0, struct ts_domain *td, const char *dev, char *err, size_t errlen)
{
	struct blkback_dev_info info;
	struct vbd *v;

	for (v = td->vbds; v && strcmp(v->dev, dev); v = v->next)
		;
	if (!v) {
		snprintf(err, errlen, "domain %s has no disk %s", td->info.name, dev);
		return -ENOENT;
	}
	if (v->be_domid)
		return vbd_dd_unplug(d0, td, v, err, errlen);
	blkback_dev_info(v->back, &info);
	if (info.unplugged) {
		snprintf(err, errlen, "disk %s is being detached already", dev);
		return -EALREADY;
	}
	blkback_dev_unplug(v->back);
	if (blkback_dev_removable(v->back))
		vbd_remove(d0, td, v);
	return 0;
}

void vbd_reap(struct dom0 *d0)
{
	struct ts_domain *td;
	struct vbd *v, *next;

	for (td = d0->domains; td; td = td->next) {
		for (v = td->vbds; v; v = next) {
			next = v->next;
			if (v->be_domid ? v->unplugged && devdir_fe_gone(d0->xs_self, v->fe)
					: blkback_dev_removable(v->back))
				vbd_remove(d0, td, v);
		}
	}
}

/* Our blkback's disks with its counters; a driver domain's with its state and mode only. */
size_t vbd_records(const struct ts_domain *td, struct vbd_record *out, size_t max)
{
	const struct vbd *v;
	size_t n = 0;

	for (v = td->vbds; v && n < max; v = v->next, n++) {
		struct vbd_record *r = &out[n];
		const struct blkback_stats *st = &r->info.stats;

		memset(r, 0, sizeof(*r));
		r->stats.kind = SV_TS_DEV_VBD;
		r->stats.id = v->devid;
		r->stats.be_domid = v->be_domid;
		snprintf(r->stats.name, sizeof(r->stats.name), "%s", v->dev);
		r->source = v->source;
		if (!v->back) {
			r->stats.flags = SV_TS_DEV_REMOTE;
			r->info.state = devdir_state(td->d0->xs_self, v->be);
			r->info.readonly = v->readonly;
			continue;
		}
		blkback_dev_info(v->back, &r->info);
		r->stats.requests = st->requests;
		r->stats.read_bytes = st->sectors_read * 512;
		r->stats.write_bytes = st->sectors_written * 512;
		r->stats.notifications = st->notifications_out;
		r->stats.copies = st->copy_segments;
		r->stats.syscalls = st->syscalls;
		r->stats.grant_ops = st->grant_ops;
		r->errors = st->bad_op + st->bad_segments + st->bad_sector_range + st->bad_grant +
			    st->readonly_write + st->io_errors;
	}
	return n;
}

/* A table line; a driver domain's disk has no counters here. */
static int vbd_line(const void *rec, char *buf, size_t cap)
{
	const struct vbd_record *r = rec;
	const struct blkback_stats *st = &r->info.stats;
	const char *mode = r->info.readonly ? "r" : "w";

	if (r->stats.flags & SV_TS_DEV_REMOTE)
		return snprintf(buf, cap, "%-6u %-6s %-3u %-12s %-4s %-12s %-8s %-8s %-12s %s\n",
				r->stats.id, r->stats.name, r->stats.be_domid,
				xenbus_state_name(r->info.state), mode, "-", "-", "-", "-",
				r->source);
	return snprintf(buf, cap, "%-6u %-6s %-3u %-12s %-4s %-12llu %-8llu %-8llu %-12llu %s\n",
			r->stats.id, r->stats.name, r->stats.be_domid,
			xenbus_state_name(r->info.state), mode, (unsigned long long)st->requests,
			(unsigned long long)st->flushes, (unsigned long long)st->discards,
			(unsigned long long)r->errors, r->source);
}

size_t vbd_list(const struct vbd_record *r, size_t n, char *buf, size_t cap)
{
	char head[128];

	snprintf(head, sizeof(head), "%-6s %-6s %-3s %-12s %-4s %-12s %-8s %-8s %-12s %s\n", "Vdev",
		 "Dev", "BE", "State", "Mode", "Reqs", "Flush", "Discard", "Errors", "Source");
	return devdir_table(buf, cap, head, r, n, sizeof(*r), vbd_line);
}

/* The driver domain's disk at be_path, or NULL: only what this toolstack wrote for it. */
static struct vbd *vbd_dd_find(struct dom0 *d0, uint32_t dd_domid, const char *be_path)
{
	struct ts_domain *td;
	struct vbd *v;

	for (td = d0->domains; td; td = td->next) {
		if (td->ended)
			continue;
		for (v = td->vbds; v; v = v->next)
			if (v->be_domid == dd_domid && !strcmp(v->be, be_path))
				return v;
	}
	return NULL;
}

int vbd_dd_disk(struct dom0 *d0, uint32_t dd_domid, const char *be_path, const char **source,
		bool *readonly, const char **cache)
{
	struct vbd *v = vbd_dd_find(d0, dd_domid, be_path);

	if (!v || v->unplugged)
		return -ENOENT;
	*source = v->source;
	*readonly = v->readonly;
	*cache = v->cache;
	return 0;
}

int vbd_dd_restore(struct dom0 *d0, uint32_t dd_domid)
{
	struct ts_domain *td;
	struct vbd *v;
	int ret = 0, r;

	for (td = d0->domains; td; td = td->next) {
		for (v = td->vbds; v && !td->ended; v = v->next) {
			if (v->be_domid != dd_domid || v->unplugged)
				continue;
			/* Readable again first: svdd reads the frontend once it probes. */
			r = devdir_grant(d0->xs_self, v->fe, v->domid, dd_domid);
			if (r >= 0)
				r = vbd_write_dirs(d0, v, NULL);
			if (r < 0 && !ret)
				ret = r;
		}
	}
	return ret;
}

bool vbd_dd_used(struct dom0 *d0, uint32_t dd_domid)
{
	struct ts_domain *td;
	struct vbd *v;

	for (td = d0->domains; td; td = td->next)
		for (v = td->vbds; v && !td->ended; v = v->next)
			if (v->be_domid == dd_domid)
				return true;
	return false;
}
