// SPDX-License-Identifier: MIT
/*
 * The toolstack's domains as libvirt sees them: a domain is running (the
 * toolstack's entry), defined, or both. Driver domains (os type exe) stay out
 * of this view. Hot-plug goes through vbd.c and vif.c like `svctl block-attach` and
 * `svctl net-attach`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <splitvisor/control.h>
#include <splitvisor/exit.h>

#include "lv_priv.h"
#include "sv_xml.h"
#include "svdom0.h"
#include "ts_domains.h"
#include "util.h"
#include "vbd.h"
#include "vif.h"

/* The most interfaces of a running domain its live document shows. */
#define LV_NETS_MAX 64u

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

/* The running domain's interfaces now, those it started with keeping their settings. */
static struct sv_net_config *live_nets(const struct sv_domain_config *cfg, struct ts_domain *td,
				       struct vif_record *now, size_t *count)
{
	struct sv_net_config *nets = calloc(LV_NETS_MAX, sizeof(*nets));
	struct netback_dev_info *info;
	size_t n, i, j;

	*count = 0;
	if (!nets)
		return NULL;
	n = vif_records(td, now, LV_NETS_MAX);
	for (i = 0; i < n; i++) {
		info = &now[i].info;
		for (j = 0; j < cfg->nnets; j++)
			if (!memcmp(cfg->nets[j].mac, info->mac, SV_MAC_LEN))
				break;
		if (j < cfg->nnets) {
			nets[i] = cfg->nets[j];
			continue;
		}
		memcpy(nets[i].mac, info->mac, SV_MAC_LEN);
		/* A TAP device of its own is type ethernet; else the switch is its bridge. */
		if (info->tap[0]) {
			nets[i].type = SV_NET_ETHERNET;
			nets[i].target_dev = info->tap;
		} else {
			nets[i].type = SV_NET_BRIDGE;
			nets[i].bridge = info->sw;
		}
	}
	*count = n;
	return nets;
}

/*
 * The running config with what changed since the start: id, memory, and the
 * disks and interfaces it has now (hot-plugged ones in, detached ones out), so
 * that virsh's detach-disk and detach-interface find what they attached.
 */
int lv_dom_xml(struct dom0 *d0, const struct lv_dom *d, char **xml, char *err, size_t errlen)
{
	const struct sv_domain_config *cfg = lv_dom_config(d);
	struct sv_disk_config *disks = NULL;
	struct sv_net_config *nets = NULL;
	struct sv_domain_config live;
	struct vif_record *nets_now = NULL;
	struct vbd_record *now = NULL;
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
		nets_now = calloc(LV_NETS_MAX, sizeof(*nets_now));
		nets = nets_now ? live_nets(cfg, d->td, nets_now, &live.nnets) : NULL;
		if (!now || !disks || !nets) {
			ret = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		n = vbd_records(d->td, now, 64);
		for (i = 0; i < n; i++) {
			for (j = 0; j < cfg->ndisks; j++)
				if (cfg->disks[j].target_dev &&
				    !strcmp(cfg->disks[j].target_dev, now[i].stats.name))
					break;
			if (j < cfg->ndisks) {
				disks[i] = cfg->disks[j];
				continue;
			}
			disks[i].type = SV_DISK_FILE;
			disks[i].device = SV_DISK_DEVICE_DISK;
			/* vbd.c's string: sv_xml_format only reads it. */
			disks[i].source = (char *)now[i].source;
			disks[i].target_dev = now[i].stats.name;
			disks[i].readonly = now[i].info.readonly;
		}
		live.nets = nets;
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
	free(nets);
	free(nets_now);
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

/* Xen's OUI with the top bit of the fourth byte clear, as xl and libvirt do. */
static int random_mac(uint8_t mac[SV_MAC_LEN])
{
	if (getrandom(mac + 3, 3, 0) != 3)
		return -EIO;
	mac[0] = 0x00;
	mac[1] = 0x16;
	mac[2] = 0x3e;
	mac[3] &= 0x7f;
	return 0;
}

/*
 * <interface type='bridge|network|ethernet'><source bridge|network='...'/>
 * [<mac address='...'/>][<target dev='...'/>]</interface>; detach needs the mac.
 */
static int net_device(struct lv_call *x, struct ts_domain *td, xmlNode *root, bool attach)
{
	char *type = attr(root, "type"), *link = NULL, *mac = NULL, *tap = NULL, err[512] = "";
	struct sv_net_config nc = { 0 };
	xmlNode *n;
	int ret;

	n = child(root, "mac");
	mac = n ? attr(n, "address") : NULL;
	n = child(root, "target");
	tap = n ? attr(n, "dev") : NULL;
	n = child(root, "source");
	if (n && type && !strcmp(type, "bridge"))
		link = attr(n, "bridge");
	else if (n && type && !strcmp(type, "network"))
		link = attr(n, "network");
	if (!type || (strcmp(type, "ethernet") && !link)) {
		ret = lv_fail(x, LV_ERR_XML_ERROR,
			      "XML error: an interface is of type bridge (with <source bridge>), "
			      "network (with <source network>) or ethernet");
		goto out;
	}
	if ((mac && (util_mac_parse(mac, nc.mac) || nc.mac[0] & 1)) || (!mac && !attach)) {
		ret = lv_fail(x, LV_ERR_XML_ERROR, "XML error: %s",
			      mac ? "<mac address> is not a unicast xx:xx:xx:xx:xx:xx"
				  : "detaching an interface needs its <mac address>");
		goto out;
	}
	if (!attach) {
		ret = vif_detach(x->d0, td, nc.mac, err, sizeof(err));
	} else {
		nc.type = !strcmp(type, "ethernet")  ? SV_NET_ETHERNET
			  : !strcmp(type, "network") ? SV_NET_NETWORK
						     : SV_NET_BRIDGE;
		nc.bridge = link;
		nc.target_dev = nc.type == SV_NET_ETHERNET ? tap : NULL;
		ret = mac ? 0 : random_mac(nc.mac);
		if (ret)
			snprintf(err, sizeof(err), "cannot generate a mac address");
		else
			ret = vif_attach(x->d0, td, &nc, err, sizeof(err));
	}
	if (ret)
		ret = lv_fail_errno(x, ret == -ENOENT ? -EINVAL : ret, err);
out:
	xmlFree(type);
	xmlFree(link);
	xmlFree(mac);
	xmlFree(tap);
	return ret;
}

/* <disk type='file|block'><source file|dev='...'/><target dev='xvdX'/>[<readonly/>]</disk> */
static int disk_device(struct lv_call *x, struct ts_domain *td, xmlNode *root, bool attach)
{
	char *type = NULL, *device = NULL, *source = NULL, *dev = NULL, err[512] = "";
	struct sv_disk_config dc = { 0 };
	xmlNode *n;
	int ret;

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
	return ret;
}

int lv_device(struct lv_call *x, struct ts_domain *td, const char *xml, bool attach)
{
	xmlNode *root;
	xmlDoc *doc;
	int ret;

	doc = xmlReadMemory(xml, (int)strlen(xml), "device.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root)
		ret = lv_fail(x, LV_ERR_XML_ERROR, "XML error: the device is not well-formed XML");
	else if (!strcmp((const char *)root->name, "disk"))
		ret = disk_device(x, td, root, attach);
	else if (!strcmp((const char *)root->name, "interface"))
		ret = net_device(x, td, root, attach);
	else
		ret = lv_fail(x, LV_ERR_NO_SUPPORT,
			      "this function is not supported: only <disk> and <interface> "
			      "devices can be attached or detached, not <%s>",
			      (const char *)root->name);
	xmlFreeDoc(doc);
	return ret;
}
