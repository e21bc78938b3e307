// SPDX-License-Identifier: MIT
/*
 * Virtual network interfaces, the toolstack's part: for each <interface> it
 * writes the backend and frontend directories as libxl does (mac, handle,
 * and the switch the vif joins: the bridge's name for type 'bridge' and
 * 'network', a TAP device of its own for type 'ethernet'), then hands the
 * device to the network backend (backend-drivers/netback_xenbus.c). Hot-plug,
 * unplug and `svctl net-list` are here too.
 *
 * An interface whose <backenddomain> names a driver domain gets its backend
 * directory under that domain's home, owned by it, and svdd probes it; the
 * record stays here, for the driver domain's request to open its TAP device.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <splitvisor/toolstack.h>
#include <splitvisor/xenbus.h>

#include "devdir.h"
#include "log.h"
#include "net_service.h"
#include "netback_xenbus.h"
#include "sv_xml.h"
#include "svdom0.h"
#include "util.h"
#include "vif.h"
#include "xenbus_back.h"
#include "xs_local.h"

/* Interfaces per domain: handles 0..VIF_MAX_HANDLES-1. */
#define VIF_MAX_HANDLES 16u

struct vif {
	struct vif *next;
	uint32_t domid, handle;
	uint32_t be_domid; /* 0, or the driver domain that serves it */
	uint8_t mac[6];
	char fe[96], be[96];
	char tap[16];		 /* the TAP device of type ethernet, else "" */
	bool unplugged;		 /* a driver domain's interface being detached */
	struct sv_net_config nc; /* the strings are not kept: bridge[] below */
	char bridge[64];
	/* <ip> elements: all of them for net-list, the first IPv4 one for the guest. */
	char ips[192];
	char guest_ip[24];
	struct netback_dev *back; /* NULL for a driver domain's interface */
};

static void vif_free(struct dom0 *d0, struct vif *v)
{
	netback_dev_free(v->back);
	if (v->be[0])
		xsl_rm(d0->xs_self, v->be);
	free(v);
}

/* libvirt's KiB/s and KiB as the backend's "BYTES_PER_SECOND,BURST_BYTES"; NULL: no limit. */
static const char *vif_rate(char buf[48], const struct sv_net_rate *r)
{
	if (!r->average_kib)
		return NULL;
	snprintf(buf, 48, "%llu,%llu", (unsigned long long)r->average_kib * 1024,
		 (unsigned long long)r->burst_kib * 1024);
	return buf;
}

/*
 * Both directories as libxl writes them; with fe false only the backend's
 * again (a restarted driver domain's).
 */
static int vif_write_dirs(struct dom0 *d0, struct vif *v, const struct sv_net_config *nc,
			  const char *tap, bool fe)
{
	char handle[16], mac[18], out[48], in[48];
	const struct devdir_key be_keys[] = {
		{ "mac", mac },
		{ "handle", handle },
		{ "type", "vif" },
		{ NETBACK_KEY_BRIDGE, tap ? NULL : nc->bridge },
		{ NETBACK_KEY_VIFNAME, tap },
		{ NETBACK_KEY_RATE_OUT, vif_rate(out, &nc->outbound) },
		{ NETBACK_KEY_RATE_IN, vif_rate(in, &nc->inbound) },
		{ NULL, NULL },
	};
	/* Our guest takes its address from device/vif/N/ip (guest/net_apps.c). */
	const struct devdir_key fe_keys[] = {
		{ "handle", handle },
		{ "mac", mac },
		{ "ip", v->guest_ip[0] ? v->guest_ip : NULL },
		{ NULL, NULL },
	};

	snprintf(handle, sizeof(handle), "%u", v->handle);
	util_mac_format(v->mac, mac);
	if (!fe)
		return devdir_write_backend(d0->xs_self, v->be, v->fe, v->domid, v->be_domid,
					    be_keys);
	return devdir_write(d0->xs_self, v->be, v->fe, v->domid, v->be_domid, be_keys, fe_keys);
}

/* The addresses as "A.B.C.D/NN fd00::2/64 ..." (those that fit) and the guest's own. */
static void vif_set_ips(struct vif *v, const struct sv_net_config *nc)
{
	size_t i, used = 0;
	char one[64];
	int n;

	for (i = 0; i < nc->nips; i++) {
		const struct sv_net_ip *ip = &nc->ips[i];

		if (ip->has_prefix)
			n = snprintf(one, sizeof(one), "%s/%u", ip->address, ip->prefix);
		else
			n = snprintf(one, sizeof(one), "%s", ip->address);
		if (n < 0 || (size_t)n >= sizeof(one))
			continue;
		if (!ip->ipv6 && !v->guest_ip[0] && (size_t)n < sizeof(v->guest_ip))
			memcpy(v->guest_ip, one, (size_t)n + 1);
		if (used + (size_t)n + 2 > sizeof(v->ips))
			continue;
		used += (size_t)snprintf(v->ips + used, sizeof(v->ips) - used, "%s%s",
					 used ? " " : "", one);
	}
}

/* adopt: as vbd_create's (a running guest's interface after a svdom0 restart). */
static int vif_create(struct dom0 *d0, struct ts_domain *td, const struct sv_net_config *nc,
		      bool adopt, char *err, size_t errlen)
{
	char tap[16] = "", mac[18];
	struct vif *v, **pp;
	uint32_t handle;
	int ret;

	/* Made with the first interface: a host without any starts no network thread. */
	if (!nc->backend_domain && !d0->net) {
		ret = net_service_create(&d0->net, err, errlen);
		if (ret)
			return ret;
	}
	util_mac_format(nc->mac, mac);
	for (v = td->vifs; v; v = v->next) {
		if (!memcmp(v->mac, nc->mac, 6)) {
			snprintf(err, errlen, "domain %s has an interface with mac %s already",
				 td->info.name, mac);
			return -EEXIST;
		}
	}
	/* The lowest free handle, as libxl picks devids. */
	for (handle = 0; handle < VIF_MAX_HANDLES; handle++) {
		for (v = td->vifs; v && v->handle != handle; v = v->next)
			;
		if (!v)
			break;
	}
	if (handle == VIF_MAX_HANDLES) {
		snprintf(err, errlen, "domain %s has %u interfaces, the most it may have",
			 td->info.name, VIF_MAX_HANDLES);
		return -ENOSPC;
	}
	if (nc->type == SV_NET_ETHERNET) {
		/* Xen's name for a vif's host side when the document gives none. */
		if (nc->target_dev)
			snprintf(tap, sizeof(tap), "%s", nc->target_dev);
		else
			snprintf(tap, sizeof(tap), "vif%u.%u", td->info.domid, handle);
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->domid = td->info.domid;
	v->handle = handle;
	memcpy(v->mac, nc->mac, 6);
	snprintf(v->tap, sizeof(v->tap), "%s", tap);
	/* What a restart of its driver domain writes again. */
	v->nc = *nc;
	v->nc.bridge = v->nc.target_dev = v->nc.backend_domain = v->nc.script = NULL;
	v->nc.ips = NULL;
	v->nc.nips = 0;
	vif_set_ips(v, nc);
	if (nc->bridge && strlen(nc->bridge) < sizeof(v->bridge)) {
		strcpy(v->bridge, nc->bridge);
		v->nc.bridge = v->bridge;
	}
	if (nc->backend_domain) {
		ret = d0->dd_resolve(d0, nc->backend_domain, &v->be_domid, err, errlen);
		if (ret)
			goto out;
	}
	snprintf(v->fe, sizeof(v->fe), "/local/domain/%u/device/vif/%u", v->domid, handle);
	snprintf(v->be, sizeof(v->be), "/local/domain/%u/backend/vif/%u/%u", v->be_domid, v->domid,
		 handle);
	ret = adopt && v->be_domid ? 0 : vif_write_dirs(d0, v, nc, tap[0] ? tap : NULL, !adopt);
	if (ret) {
		snprintf(err, errlen, "interface %s: cannot write its xenstore keys: %s", mac,
			 strerror(-ret));
		goto out;
	}
	/* A driver domain probes what appears in its own backend directory. */
	if (!v->be_domid)
		ret = netback_dev_probe(&d0->backend_env, d0->net, v->be, &v->back, err, errlen);
	if (ret)
		goto out;
	/* Kept in handle order, so that net-list reads like the document. */
	for (pp = &td->vifs; *pp && (*pp)->handle < handle; pp = &(*pp)->next)
		;
	v->next = *pp;
	*pp = v;
	return 0;
out:
	if (v->be[0] && !adopt)
		xsl_rm(d0->xs_self, v->fe);
	vif_free(d0, v);
	return ret < 0 ? ret : -EIO;
}

void vif_adopt_all(struct dom0 *d0, struct ts_domain *td, const struct sv_domain_config *cfg)
{
	char err[256];

	for (size_t i = 0; cfg && i < cfg->nnets; i++)
		if (vif_create(d0, td, &cfg->nets[i], true, err, sizeof(err)))
			log_err("domain %s: an interface not served again: %s", td->info.name, err);
}

int vif_attach_all(struct dom0 *d0, struct ts_domain *td, const struct sv_domain_config *cfg,
		   char *err, size_t errlen)
{
	size_t i;
	int ret;

	for (i = 0; cfg && i < cfg->nnets; i++) {
		ret = vif_create(d0, td, &cfg->nets[i], false, err, errlen);
		if (ret)
			goto out;
	}
	return 0;
out:
	vif_detach_all(d0, td);
	return ret;
}

void vif_detach_all(struct dom0 *d0, struct ts_domain *td)
{
	struct vif *v;
	char path[64];

	while ((v = td->vifs)) {
		td->vifs = v->next;
		if (v->be_domid) {
			snprintf(path, sizeof(path), "/local/domain/%u/backend/vif/%u", v->be_domid,
				 td->info.domid);
			xsl_rm(d0->xs_self, path);
		}
		vif_free(d0, v);
	}
	snprintf(path, sizeof(path), "/local/domain/0/backend/vif/%u", td->info.domid);
	xsl_rm(d0->xs_self, path);
}

static void vif_remove(struct dom0 *d0, struct ts_domain *td, struct vif *v)
{
	struct vif **pp;

	for (pp = &td->vifs; *pp != v; pp = &(*pp)->next)
		;
	*pp = v->next;
	xsl_rm(d0->xs_self, v->fe);
	vif_free(d0, v);
}

int vif_attach(struct dom0 *d0, struct ts_domain *td, const struct sv_net_config *nc, char *err,
	       size_t errlen)
{
	return vif_create(d0, td, nc, false, err, errlen);
}

/* libxl's unplug of a driver domain's device: online 0 and Closing in its backend directory. */
static int vif_dd_unplug(struct dom0 *d0, struct ts_domain *td, struct vif *v, const char *text,
			 char *err, size_t errlen)
{
	if (v->unplugged) {
		snprintf(err, errlen, "interface %s is being detached already", text);
		return -EALREADY;
	}
	v->unplugged = true;
	if (devdir_fe_gone(d0->xs_self, v->fe)) {
		vif_remove(d0, td, v);
		return 0;
	}
	devdir_unplug_backend(d0->xs_self, v->be);
	return 0;
}

/* Xen's unplug, as for disks (vbd_detach). */
int vif_detach(struct dom0 *d0, struct ts_domain *td, const uint8_t mac[6], char *err,
	       size_t errlen)
{
	struct netback_dev_info info;
	char text[18];
	struct vif *v;

	for (v = td->vifs; v && memcmp(v->mac, mac, 6); v = v->next)
		;
	util_mac_format(mac, text);
	if (!v) {
		snprintf(err, errlen, "domain %s has no interface with mac %s", td->info.name,
			 text);
		return -ENOENT;
	}
	if (v->be_domid)
		return vif_dd_unplug(d0, td, v, text, err, errlen);
	netback_dev_info(v->back, &info);
	if (info.unplugged) {
		snprintf(err, errlen, "interface %s is being detached already", text);
		return -EALREADY;
	}
	netback_dev_unplug(v->back);
	if (netback_dev_removable(v->back))
		vif_remove(d0, td, v);
	return 0;
}

void vif_reap(struct dom0 *d0)
{
	struct ts_domain *td;
	struct vif *v, *next;

	for (td = d0->domains; td; td = td->next) {
		for (v = td->vifs; v; v = next) {
			next = v->next;
			if (v->be_domid ? v->unplugged && devdir_fe_gone(d0->xs_self, v->fe)
					: netback_dev_removable(v->back))
				vif_remove(d0, td, v);
		}
	}
}

/* Frames refused or lost, whatever the reason (the counters by reason are the backend's). */
static uint64_t vif_drops(const struct netback_stats *st)
{
	return st->tx_zero_len + st->tx_oversize + st->tx_too_many_slots + st->tx_bad_size +
	       st->tx_bad_offset + st->tx_bad_grant + st->tx_bad_extra + st->rx_no_buffer +
	       st->rx_bad_grant + st->rx_oversize;
}

/* A second line per vif with the drops by reason, when there were any. */
static int vif_drop_line(char *buf, size_t cap, const struct netback_dev_info *info)
{
	const struct netback_stats *st = &info->vif.vif;

	if (!vif_drops(st) && !info->vif.rate_drops_out && !info->vif.rate_drops_in)
		return 0;
	return snprintf(buf, cap,
			"    drops: zero-len %llu oversize %llu slots %llu size %llu offset %llu "
			"grant %llu extra %llu no-rx-buffer %llu rx-grant %llu rate-out %llu "
			"rate-in %llu\n",
			(unsigned long long)st->tx_zero_len, (unsigned long long)st->tx_oversize,
			(unsigned long long)st->tx_too_many_slots,
			(unsigned long long)st->tx_bad_size, (unsigned long long)st->tx_bad_offset,
			(unsigned long long)st->tx_bad_grant, (unsigned long long)st->tx_bad_extra,
			(unsigned long long)st->rx_no_buffer, (unsigned long long)st->rx_bad_grant,
			(unsigned long long)info->vif.rate_drops_out,
			(unsigned long long)info->vif.rate_drops_in);
}

/*
 * Our netback's interfaces with its counters; a driver domain's with the state its backend
 * wrote and what we know (mac, "ddN", TAP device): the counters are svdd's.
 */
size_t vif_records(const struct ts_domain *td, struct vif_record *out, size_t max)
{
	const struct vif *v;
	size_t n = 0;

	for (v = td->vifs; v && n < max; v = v->next, n++) {
		struct vif_record *r = &out[n];
		const struct netback_stats *st = &r->info.vif.vif;

		memset(r, 0, sizeof(*r));
		r->stats.kind = SV_TS_DEV_VIF;
		r->stats.id = v->handle;
		r->stats.be_domid = v->be_domid;
		snprintf(r->stats.name, sizeof(r->stats.name), "vif%u", v->handle);
		r->ips = v->ips;
		if (!v->back) {
			r->stats.flags = SV_TS_DEV_REMOTE;
			r->info.state = devdir_state(td->d0->xs_self, v->be);
			memcpy(r->info.mac, v->mac, sizeof(r->info.mac));
			snprintf(r->info.sw, sizeof(r->info.sw), "dd%u", v->be_domid);
			snprintf(r->info.tap, sizeof(r->info.tap), "%s", v->tap);
			continue;
		}
		netback_dev_info(v->back, &r->info);
		r->stats.tx_frames = st->tx_frames;
		r->stats.rx_frames = st->rx_frames;
		r->stats.tx_bytes = st->tx_bytes;
		r->stats.rx_bytes = st->rx_bytes;
		r->stats.drops =
			vif_drops(st) + r->info.vif.rate_drops_out + r->info.vif.rate_drops_in;
		r->stats.notifications = st->notifications_out;
		r->stats.copies = st->copies;
		r->stats.syscalls = r->info.vif.syscalls + r->info.host.syscalls;
		r->stats.grant_ops = st->copies;
	}
	return n;
}

/*
 * A table line, then the drops by reason and the <ip> addresses when there are
 * any; a driver domain's interface has no counters here.
 */
static int vif_lines(const void *rec, char *buf, size_t cap)
{
	const struct vif_record *r = rec;
	const struct sv_ts_dev_stats *s = &r->stats;
	const char *host = r->info.tap[0] ? r->info.tap : "-";
	char mac[18];
	int n, more;

	util_mac_format(r->info.mac, mac);
	if (s->flags & SV_TS_DEV_REMOTE)
		n = snprintf(buf, cap,
			     "%-3u %-17s %-12s %-14s %-12s %-12s %-10s %-10s %-8s %-8s %-10s %s\n",
			     s->id, mac, xenbus_state_name(r->info.state), r->info.sw, "-", "-",
			     "-", "-", "-", "-", "-", host);
	else
		/* Counters last, Copies just before Host: svctl bench net reads them from the right. */
		n = snprintf(buf, cap,
			     "%-3u %-17s %-12s %-14s %-12llu %-12llu %-10llu %-10llu %-8llu %-8llu "
			     "%-10llu %s\n",
			     s->id, mac, xenbus_state_name(r->info.state), r->info.sw,
			     (unsigned long long)s->tx_bytes, (unsigned long long)s->rx_bytes,
			     (unsigned long long)s->tx_frames, (unsigned long long)s->rx_frames,
			     (unsigned long long)s->drops, (unsigned long long)s->notifications,
			     (unsigned long long)s->copies, host);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	more = vif_drop_line(buf + n, cap - (size_t)n, &r->info); /* none for a driver domain's */
	if (more < 0 || (size_t)more >= cap - (size_t)n)
		return -1;
	n += more;
	more = r->ips[0] ? snprintf(buf + n, cap - (size_t)n, "    ip: %s\n", r->ips) : 0;
	if (more < 0 || (size_t)more >= cap - (size_t)n)
		return -1;
	return n + more;
}

size_t vif_list(const struct vif_record *r, size_t n, char *buf, size_t cap)
{
	char head[160];

	snprintf(head, sizeof(head),
		 "%-3s %-17s %-12s %-14s %-12s %-12s %-10s %-10s %-8s %-8s %-10s %s\n", "Idx",
		 "Mac", "State", "Switch", "TxBytes", "RxBytes", "TxFrames", "RxFrames", "Drops",
		 "Notify", "Copies", "Host");
	return devdir_table(buf, cap, head, r, n, sizeof(*r), vif_lines);
}

int vif_dd_tap(struct dom0 *d0, uint32_t dd_domid, const char *be_path, const char **ifname)
{
	struct ts_domain *td;
	struct vif *v;

	for (td = d0->domains; td; td = td->next) {
		for (v = td->vifs; v && !td->ended; v = v->next) {
			if (v->be_domid != dd_domid || v->unplugged || strcmp(v->be, be_path))
				continue;
			if (!v->tap[0])
				return -EPERM;
			*ifname = v->tap;
			return 0;
		}
	}
	return -ENOENT;
}

int vif_dd_restore(struct dom0 *d0, uint32_t dd_domid)
{
	struct ts_domain *td;
	struct vif *v;
	int ret = 0, r;

	for (td = d0->domains; td; td = td->next) {
		for (v = td->vifs; v && !td->ended; v = v->next) {
			if (v->be_domid != dd_domid || v->unplugged)
				continue;
			r = devdir_grant(d0->xs_self, v->fe, v->domid, dd_domid);
			if (r >= 0)
				r = vif_write_dirs(d0, v, &v->nc, v->tap[0] ? v->tap : NULL, false);
			if (r < 0 && !ret)
				ret = r;
		}
	}
	return ret;
}

bool vif_dd_used(struct dom0 *d0, uint32_t dd_domid)
{
	struct ts_domain *td;
	struct vif *v;

	for (td = d0->domains; td; td = td->next)
		for (v = td->vifs; v && !td->ended; v = v->next)
			if (v->be_domid == dd_domid)
				return true;
	return false;
}
