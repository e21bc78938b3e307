// SPDX-License-Identifier: MIT
/*
 * Virtual block devices, the toolstack's part: for each <disk> it writes the
 * backend and frontend directories the way Xen's libxl does (state
 * Initialising on both sides), then hands the device to the block backend
 * (backend-drivers/blkback_xenbus.c), which runs the handshake and serves the
 * ring. Hot-plug and unplug, and `svctl block-list`, are here too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blkback_xenbus.h"
#include "devdir.h"
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
	char dev[16];
	char fe[96], be[96];
	char *source;
	struct blkback_dev *back;
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
	blkback_dev_free(v->back);
	/* A device that failed half-way through vbd_create may have no paths yet. */
	if (v->be[0])
		xsl_rm(d0->xs_self, v->be);
	free(v->source);
	free(v);
}

/* Both directories as libxl writes them; the backend takes it from there. */
static int vbd_write_dirs(struct dom0 *d0, struct vbd *v, const struct sv_disk_config *dc)
{
	char devid[16];
	const struct devdir_key be_keys[] = {
		{ "params", v->source },
		{ "dev", v->dev },
		{ "mode", dc->readonly ? "r" : "w" },
		{ BLKBACK_KEY_CACHE, dc->driver_cache },
		{ NULL, NULL },
	};
	const struct devdir_key fe_keys[] = {
		{ "virtual-device", devid },
		{ "dev", v->dev },
		{ NULL, NULL },
	};

	snprintf(devid, sizeof(devid), "%u", v->devid);
	return devdir_write(d0->xs_self, v->be, v->fe, v->domid, be_keys, fe_keys);
}

static int vbd_create(struct dom0 *d0, struct ts_domain *td, const struct sv_disk_config *dc,
		      char *err, size_t errlen)
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
	if (!v->source) {
		ret = -ENOMEM;
		goto out;
	}
	v->domid = domid;
	v->devid = vbd_devid(dc->target_dev);
	snprintf(v->dev, sizeof(v->dev), "%s", dc->target_dev);
	if (!v->devid) {
		snprintf(err, errlen, "disk target '%s' is not an xvd name", dc->target_dev);
		ret = -EINVAL;
		goto out;
	}
	snprintf(v->fe, sizeof(v->fe), "/local/domain/%u/device/vbd/%u", domid, v->devid);
	snprintf(v->be, sizeof(v->be), "/local/domain/0/backend/vbd/%u/%u", domid, v->devid);
	ret = vbd_write_dirs(d0, v, dc);
	if (ret) {
		snprintf(err, errlen, "disk %s: cannot write its xenstore keys: %s", v->dev,
			 strerror(-ret));
		goto out;
	}
	ret = blkback_dev_probe(&d0->backend_env, v->be, &v->back, err, errlen);
	if (ret)
		goto out;
	v->next = td->vbds;
	td->vbds = v;
	return 0;
out:
	if (v->fe[0])
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
		if (cfg->disks[i].backend_domain) {
			snprintf(err, errlen, "disk %s: driver domains are not supported yet",
				 cfg->disks[i].target_dev);
			ret = -EOPNOTSUPP;
			goto out;
		}
		ret = vbd_create(d0, td, &cfg->disks[i], err, errlen);
		if (ret)
			goto out;
	}
	return 0;
out:
	vbd_detach_all(d0, td);
	return ret;
}

void vbd_detach_all(struct dom0 *d0, struct ts_domain *td)
{
	struct vbd *v;
	char path[64];

	while ((v = td->vbds)) {
		td->vbds = v->next;
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
	return vbd_create(d0, td, dc, err, errlen);
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
			if (blkback_dev_removable(v->back))
				vbd_remove(d0, td, v);
		}
	}
}

size_t vbd_list(const struct ts_domain *td, char *buf, size_t cap)
{
	struct blkback_dev_info info;
	const struct blkback_stats *st = &info.stats;
	const struct vbd *v;
	size_t off = 0;
	int n;

	n = snprintf(buf, cap, "%-6s %-6s %-3s %-12s %-4s %-12s %-12s %s\n", "Vdev", "Dev", "BE",
		     "State", "Mode", "Reqs", "Errors", "Source");
	off = n > 0 && (size_t)n < cap ? (size_t)n : 0;
	for (v = td->vbds; v && off < cap; v = v->next) {
		blkback_dev_info(v->back, &info);
		n = snprintf(buf + off, cap - off, "%-6u %-6s %-3u %-12s %-4s %-12llu %-12llu %s\n",
			     v->devid, v->dev, 0u, xenbus_state_name(info.state),
			     info.readonly ? "r" : "w", (unsigned long long)st->requests,
			     (unsigned long long)(st->bad_op + st->bad_segments +
						  st->bad_sector_range + st->bad_grant +
						  st->readonly_write + st->io_errors),
			     v->source);
		if (n < 0 || (size_t)n >= cap - off)
			break;
		off += (size_t)n;
	}
	return off;
}
