// SPDX-License-Identifier: MIT
/*
 * The toolstack's domains as libvirt sees them: a domain is running (the
 * toolstack's entry), defined, or both. Driver domains (os type exe) stay out
 * of this view. Disk hot-plug goes through vbd.c like `svctl block-attach`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <splitvisor/control.h>
#include <splitvisor/exit.h>

#include "lv_priv.h"
#include "sv_xml.h"
#include "svdom0.h"
#include "ts_domains.h"
#include "vbd.h"

/* A domain created with flags has no uuid of its own: one derived from its name (FNV-1a). */
static void name_uuid(const char *name, uint8_t uuid[SV_UUID_LEN])
{
	uint64_t h = 0xcbf29ce484222325ull;
	unsigned int i;

	for (i = 0; i < SV_UUID_LEN; i++) {
		h ^= (uint8_t)(name[i % (strlen(name) + 1)] + i);
		h *= 0x100000001b3ull;
		uuid[i] = (uint8_t)(h >> 56);
	}
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x50); /* name-based */
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
}

static bool from_td(struct dom0 *d0, struct ts_domain *td, struct lv_dom *d)
{
	memset(d, 0, sizeof(*d));
	d->td = td;
	d->name = td->info.name;
	d->def = defs_find(&d0->defs, td->info.name);
	d->id = td->ended ? -1 : (int)td->info.domid;
	if (td->cfg)
		memcpy(d->uuid, td->cfg->uuid, SV_UUID_LEN);
	else if (d->def)
		memcpy(d->uuid, d->def->uuid, SV_UUID_LEN);
	else
		name_uuid(td->info.name, d->uuid);
	return true;
}

static bool from_def(const struct sv_domain_config *def, struct lv_dom *d)
{
	if (def->os_type == SV_OS_EXE)
		return false;
	memset(d, 0, sizeof(*d));
	d->def = def;
	d->name = def->name;
	d->id = -1;
	memcpy(d->uuid, def->uuid, SV_UUID_LEN);
	return true;
}

bool lv_dom_by_name(struct dom0 *d0, const char *name, struct lv_dom *d)
{
	struct ts_domain *td = ts_by_name(d0, name);
	const struct sv_domain_config *def;

	if (td)
		return from_td(d0, td, d);
	def = defs_find(&d0->defs, name);
	return def && from_def(def, d);
}

struct uuid_find {
	const uint8_t *uuid;
	struct lv_dom *out;
	bool found;
};

static bool match_uuid(const struct lv_dom *d, void *arg)
{
	struct uuid_find *f = arg;

	if (memcmp(d->uuid, f->uuid, SV_UUID_LEN))
		return true;
	*f->out = *d;
	f->found = true;
	return false;
}

bool lv_dom_by_uuid(struct dom0 *d0, const uint8_t uuid[SV_UUID_LEN], struct lv_dom *d)
{
	struct uuid_find f = { .uuid = uuid, .out = d };

	lv_dom_each(d0, match_uuid, &f);
	return f.found;
}

bool lv_dom_by_id(struct dom0 *d0, int id, struct lv_dom *d)
{
	struct ts_domain *td = id < 0 ? NULL : ts_by_id(d0, (uint32_t)id);

	return td && !td->ended && from_td(d0, td, d);
}

void lv_dom_each(struct dom0 *d0, bool (*fn)(const struct lv_dom *d, void *arg), void *arg)
{
	const struct def_entry *e;
	struct ts_domain *td;
	struct lv_dom d;

	for (td = d0->domains; td; td = td->next)
		if (from_td(d0, td, &d) && !fn(&d, arg))
			return;
	for (e = d0->defs.head; e; e = e->next)
		if (!ts_by_name(d0, e->cfg.name) && from_def(&e->cfg, &d) && !fn(&d, arg))
			return;
}

void lv_note_shutoff(struct dom0 *d0, const uint8_t uuid[SV_UUID_LEN], int reason)
{
	struct lv_server *s = d0->lv;
	unsigned int i;

	if (!s)
		return;
	for (i = 0; i < LV_SHUTOFF_NOTES; i++) {
		if (!memcmp(s->shutoff[i].uuid, uuid, SV_UUID_LEN)) {
			s->shutoff[i].reason = reason;
			return;
		}
	}
	i = s->shutoff_next++ % LV_SHUTOFF_NOTES;
	memcpy(s->shutoff[i].uuid, uuid, SV_UUID_LEN);
	s->shutoff[i].reason = reason;
}

void lv_dom_state(struct dom0 *d0, const struct lv_dom *d, int *state, int *reason)
{
	unsigned int i;

	if (d->td && !d->td->ended) {
		if (d->td->info.state == SV_CTL_STATE_PAUSED) {
			*state = 3; /* paused, by the user */
			*reason = 1;
		} else {
			*state = 1; /* running, booted */
			*reason = 1;
		}
		return;
	}
	if (d->td && d->td->info.state == SV_CTL_STATE_CRASHED) {
		*state = 6; /* crashed */
		*reason = 0;
		return;
	}
	*state = 5; /* shut off */
	*reason = 0;
	for (i = 0; d0->lv && i < LV_SHUTOFF_NOTES; i++)
		if (!memcmp(d0->lv->shutoff[i].uuid, d->uuid, SV_UUID_LEN))
			*reason = d0->lv->shutoff[i].reason;
}

const struct sv_domain_config *lv_dom_config(const struct lv_dom *d)
{
	if (d->td && !d->td->ended && d->td->cfg)
		return d->td->cfg;
	return d->def;
}

size_t lv_dom_disks(struct ts_domain *td, struct lv_disk *out, size_t max)
{
	char *text = malloc(SV_CTL_PAYLOAD_MAX), *line, *nl, reqs[32], errs[32], mode[8];
	char state[32];
	unsigned int devid, be;
	size_t n = 0;
	int pos;

	if (!text)
		return 0;
	/* The same table as `svctl block-list`; its first line is the heading. */
	text[vbd_list(td, text, SV_CTL_PAYLOAD_MAX - 1)] = '\0';
	line = strchr(text, '\n');
	for (line = line ? line + 1 : NULL; line && *line && n < max; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		pos = 0;
		if (sscanf(line, "%u %15s %u %31s %7s %31s %31s %n", &devid, out[n].dev, &be, state,
			   mode, reqs, errs, &pos) < 7 ||
		    !pos)
			continue;
		snprintf(out[n].source, sizeof(out[n].source), "%s", line + pos);
		out[n].readonly = !strcmp(mode, "r");
		out[n].reqs = strtoull(reqs, NULL, 10);
		out[n].errs = strtoull(errs, NULL, 10);
		n++;
	}
	free(text);
	return n;
}

/*
 * The running config with what changed since the start: id, memory, and the
 * disks it has now (hot-plugged ones in, detached ones out), so that virsh's
 * detach-disk finds a disk it attached.
 */
int lv_dom_xml(struct dom0 *d0, const struct lv_dom *d, char **xml, char *err, size_t errlen)
{
	const struct sv_domain_config *cfg = lv_dom_config(d);
	struct sv_disk_config *disks = NULL;
	struct sv_domain_config live;
	struct lv_disk *now = NULL;
	size_t n = 0, i, j;
	int ret;

	(void)d0;
	if (!cfg) {
		snprintf(err, errlen, "domain %s was created with flags, not XML: no XML to show",
			 d->name);
		return -EOPNOTSUPP;
	}
	live = *cfg; /* shallow: only scalars and the disk array change */
	if (d->id >= 0) {
		now = calloc(64, sizeof(*now));
		disks = calloc(64, sizeof(*disks));
		if (!now || !disks) {
			ret = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		n = lv_dom_disks(d->td, now, 64);
		for (i = 0; i < n; i++) {
			for (j = 0; j < cfg->ndisks; j++)
				if (cfg->disks[j].target_dev &&
				    !strcmp(cfg->disks[j].target_dev, now[i].dev))
					break;
			if (j < cfg->ndisks) {
				disks[i] = cfg->disks[j];
				continue;
			}
			disks[i].type = SV_DISK_FILE;
			disks[i].device = SV_DISK_DEVICE_DISK;
			disks[i].source = now[i].source;
			disks[i].target_dev = now[i].dev;
			disks[i].readonly = now[i].readonly;
		}
		live.disks = disks;
		live.ndisks = n;
		live.domid = d->id;
		live.current_memory_kib = (uint64_t)d->td->info.memory_mib * 1024;
		if (live.memory_kib < live.current_memory_kib)
			live.memory_kib = live.current_memory_kib;
	}
	ret = sv_xml_format(&live, xml);
	if (ret)
		snprintf(err, errlen, "cannot format domain %s: %s", d->name, strerror(-ret));
out:
	free(now);
	free(disks);
	return ret;
}

static char *attr(xmlNode *n, const char *name)
{
	return (char *)xmlGetProp(n, (const xmlChar *)name);
}

static xmlNode *child(xmlNode *n, const char *name)
{
	for (n = n ? n->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name))
			return n;
	return NULL;
}

/* <disk type='file|block'><source file|dev='...'/><target dev='xvdX'/>[<readonly/>]</disk> */
int lv_disk_device(struct lv_call *x, struct ts_domain *td, const char *xml, bool attach)
{
	char *type = NULL, *device = NULL, *source = NULL, *dev = NULL, err[512] = "";
	struct sv_disk_config dc = { 0 };
	xmlNode *root, *n;
	xmlDoc *doc;
	int ret;

	doc = xmlReadMemory(xml, (int)strlen(xml), "device.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root) {
		ret = lv_fail(x, LV_ERR_XML_ERROR, "XML error: the device is not well-formed XML");
		goto out;
	}
	if (strcmp((const char *)root->name, "disk")) {
		ret = lv_fail(x, LV_ERR_NO_SUPPORT,
			      "this function is not supported: only <disk> devices can be "
			      "attached or detached, not <%s>",
			      (const char *)root->name);
		goto out;
	}
	type = attr(root, "type");
	device = attr(root, "device");
	n = child(root, "source");
	source = n ? attr(n, type && !strcmp(type, "block") ? "dev" : "file") : NULL;
	n = child(root, "target");
	dev = n ? attr(n, "dev") : NULL;
	if (!dev || (attach && (!source || source[0] != '/'))) {
		ret = lv_fail(x, LV_ERR_XML_ERROR, "XML error: a disk needs <target dev='xvdX'/>%s",
			      attach ? " and an absolute <source file='...'/>" : "");
		goto out;
	}
	if (type && strcmp(type, "file") && strcmp(type, "block")) {
		ret = lv_fail(x, LV_ERR_XML_ERROR, "XML error: disk type '%s' is not supported",
			      type);
		goto out;
	}
	if (attach) {
		dc.type = type && !strcmp(type, "block") ? SV_DISK_BLOCK : SV_DISK_FILE;
		dc.device = device && !strcmp(device, "cdrom") ? SV_DISK_DEVICE_CDROM
							       : SV_DISK_DEVICE_DISK;
		dc.source = source;
		dc.target_dev = dev;
		dc.readonly = child(root, "readonly") || dc.device == SV_DISK_DEVICE_CDROM;
		ret = vbd_attach(x->d0, td, &dc, err, sizeof(err));
	} else {
		ret = vbd_detach(x->d0, td, dev, err, sizeof(err));
	}
	if (ret)
		ret = lv_fail_errno(x, ret == -ENOENT ? -EINVAL : ret, err);
out:
	xmlFree(type);
	xmlFree(device);
	xmlFree(source);
	xmlFree(dev);
	xmlFreeDoc(doc);
	return ret;
}
