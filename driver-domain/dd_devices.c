// SPDX-License-Identifier: MIT
/*
 * The devices a driver domain serves, found as Xen's driver domains find
 * them: the toolstack writes /local/domain/<us>/backend/{vbd,vif}/<guest>/<devid>
 * and we watch both. A device directory whose state key exists is complete
 * (the toolstack writes state last, as libxl does) and gets the backend's
 * probe; a device whose directory went is freed. What happens inside a device
 * (the frontend's states, connect, teardown) is the backend's own xenbus half.
 * A directory whose probe failed is not probed again until it goes and comes
 * back: the toolstack that wrote it has the error in our log.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <splitvisor/driver_domain.h>
#include <splitvisor/xs_wire.h>

#include "blkback_xenbus.h"
#include "dd.h"
#include "log.h"
#include "net_service.h"
#include "netback_xenbus.h"
#include "util.h"

enum dd_kind { DD_VBD, DD_VIF, DD_KINDS };

static const char *const kind_name[DD_KINDS] = { "vbd", "vif" };

struct dd_dev {
	struct dd_dev *next;
	enum dd_kind kind;
	uint32_t guest, devid;
	char be[SV_DD_PATH_SIZE];
	struct blkback_dev *vbd;
	struct netback_dev *vif;
	bool failed; /* the probe refused the directory */
	bool seen;   /* found by the scan under way */
};

struct dd_devices {
	struct dd *dd;
	char dir[DD_KINDS][64]; /* /local/domain/<us>/backend/<kind> */
	struct dd_dev *devs;
	struct net_service *ns; /* with the first vif */
	bool watching[DD_KINDS];
};

/* exiting: svdd's loop has ended, so the device thread is waited for here. */
static void dev_free(struct dd_devices *ds, struct dd_dev *v, bool exiting)
{
	if (v->vbd || v->vif)
		log_info("%s: directory gone, device down", v->be);
	if (exiting)
		blkback_dev_free_wait(v->vbd);
	else
		blkback_dev_free(v->vbd);
	netback_dev_free(v->vif);
	(void)ds;
	free(v);
}

static void dev_probe(struct dd_devices *ds, struct dd_dev *v)
{
	struct dd *dd = ds->dd;
	char err[256] = "";
	int ret;

	if (v->kind == DD_VBD) {
		ret = blkback_dev_probe(&dd->env, v->be, &v->vbd, err, sizeof(err));
	} else {
		ret = ds->ns ? 0 : net_service_create(&ds->ns, err, sizeof(err));
		if (!ret)
			ret = netback_dev_probe(&dd->env, ds->ns, v->be, &v->vif, err, sizeof(err));
	}
	if (ret) {
		v->failed = true;
		log_err("%s: %s", v->be, err[0] ? err : strerror(-ret));
		return;
	}
	log_info("%s: probed, waiting for the frontend", v->be);
}

/* A name of a directory listing as a domid or device id. */
static bool parse_id(const char *s, uint32_t max, uint32_t *out)
{
	return !util_parse_u32(s, 0, max, out);
}

/* One frontend domain's devices of a kind: new ones probed, known ones marked. */
static void scan_guest(struct dd_devices *ds, enum dd_kind k, uint32_t guest)
{
	char path[SV_DD_PATH_SIZE], list[XS_PAYLOAD_MAX + 1], st[16];
	struct dd_dev *v;
	uint32_t devid;
	const char *p;
	int len;

	snprintf(path, sizeof(path), "%s/%u", ds->dir[k], guest);
	len = dd_xs_directory(ds->dd, path, list, sizeof(list));
	for (p = list; len > 0 && p < list + len; p += strlen(p) + 1) {
		if (!parse_id(p, UINT32_MAX, &devid))
			continue;
		for (v = ds->devs; v; v = v->next)
			if (v->kind == k && v->guest == guest && v->devid == devid)
				break;
		if (v) {
			v->seen = true;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%u/%u", ds->dir[k], guest, devid);
		/* Incomplete until the toolstack wrote state: its next write brings us back. */
		if (backend_xs_read(&ds->dd->env, path, "state", st, sizeof(st)) < 0)
			continue;
		v = calloc(1, sizeof(*v));
		if (!v) {
			log_err("%s: out of memory", path);
			continue;
		}
		v->kind = k;
		v->guest = guest;
		v->devid = devid;
		v->seen = true;
		snprintf(v->be, sizeof(v->be), "%s", path);
		v->next = ds->devs;
		ds->devs = v;
		dev_probe(ds, v);
	}
}

static void scan(struct dd_devices *ds, enum dd_kind k)
{
	char list[XS_PAYLOAD_MAX + 1];
	struct dd_dev **pp, *v;
	uint32_t guest;
	const char *p;
	int len;

	for (v = ds->devs; v; v = v->next)
		if (v->kind == k)
			v->seen = false;
	len = dd_xs_directory(ds->dd, ds->dir[k], list, sizeof(list));
	for (p = list; len > 0 && p < list + len; p += strlen(p) + 1)
		if (parse_id(p, UINT16_MAX - 1, &guest))
			scan_guest(ds, k, guest);
	for (pp = &ds->devs; (v = *pp);) {
		if (v->kind == k && !v->seen) {
			*pp = v->next;
			dev_free(ds, v, false);
		} else {
			pp = &v->next;
		}
	}
}

/*
 * Only what can add or remove a device rescans: the kind's directory, a
 * guest's, a device's own, or a device's state key (written last). Keys inside
 * a device are its backend's business.
 */
static bool event_matters(const char *dir, const char *path)
{
	size_t n = strlen(dir);
	int depth = 0;
	const char *p;

	if (strncmp(path, dir, n) || (path[n] && path[n] != '/'))
		return false;
	for (p = path + n; *p; p++)
		depth += *p == '/';
	if (depth <= 2)
		return true;
	return depth == 3 && !strcmp(strrchr(path, '/'), "/state");
}

static void vbd_event(void *arg, const char *path)
{
	struct dd_devices *ds = arg;

	if (event_matters(ds->dir[DD_VBD], path))
		scan(ds, DD_VBD);
}

static void vif_event(void *arg, const char *path)
{
	struct dd_devices *ds = arg;

	if (event_matters(ds->dir[DD_VIF], path))
		scan(ds, DD_VIF);
}

int dd_devices_start(struct dd *dd, char *err, size_t errlen)
{
	static backend_watch_fn *const fns[DD_KINDS] = { vbd_event, vif_event };
	struct dd_devices *ds;
	int ret = 0;

	ds = calloc(1, sizeof(*ds));
	if (!ds) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ds->dd = dd;
	dd->devs = ds;
	for (int k = 0; k < DD_KINDS && !ret; k++) {
		snprintf(ds->dir[k], sizeof(ds->dir[k]), "/local/domain/%u/backend/%s", dd->domid,
			 kind_name[k]);
		/* Xen fires a new watch once at once: the first scan comes as an event. */
		ret = dd->env.ops->xs_watch(&dd->env, ds->dir[k], kind_name[k], fns[k], ds);
		if (ret)
			snprintf(err, errlen, "cannot watch %s: %s", ds->dir[k], strerror(-ret));
		else
			ds->watching[k] = true;
	}
	return ret;
}

void dd_devices_stop(struct dd *dd)
{
	struct dd_devices *ds = dd->devs;
	struct dd_dev *v;

	if (!ds)
		return;
	for (int k = 0; k < DD_KINDS; k++)
		if (ds->watching[k])
			dd->env.ops->xs_unwatch(&dd->env, ds->dir[k], kind_name[k]);
	while ((v = ds->devs)) {
		ds->devs = v->next;
		dev_free(ds, v, true);
	}
	if (ds->ns)
		net_service_destroy(ds->ns);
	free(ds);
	dd->devs = NULL;
}
