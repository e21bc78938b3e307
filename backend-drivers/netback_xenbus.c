// SPDX-License-Identifier: MIT
/*
 * The xenbus half of the network backend (netback_xenbus.h). Everything here
 * runs on the host's loop; frames move on the network service's thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <splitvisor/control.h>
#include <splitvisor/event_channel.h>
#include <splitvisor/netif.h>
#include <splitvisor/start_info.h>
#include <splitvisor/xs_wire.h>

#include "backend_port.h"
#include "grant_access.h"
#include "netback_xenbus.h"
#include "util.h"
#include "xenbus_back.h"

struct netback_dev {
	struct xenbus_back xb;
	struct net_service *ns;
	uint8_t mac[6];
	char sw[24];
	char tap[16];
	struct net_port *tap_port;
	struct net_rate rate_out, rate_in;

	/* while connected */
	struct gnt_granter granter;
	struct gnt_mapper mapper;
	bool mapper_ready;
	struct backend_port port;
	int failed_fd; /* the service writes it when the guest breaks its ring */
	bool failed_watched;
	struct net_port *vif;
};

static void netdev_notify(void *opaque)
{
	struct netback_dev *d = opaque;

	if (backend_port_raise(&d->port))
		log_limited(&d->xb.rl, LOG_LEVEL_ERR, "%s: cannot raise port %u", d->xb.name,
			    d->port.port);
}

static void netdev_disconnect(struct netback_dev *d)
{
	struct backend_env *env = d->xb.env;

	/* Off the switch first: the service stops touching the rings before they go. */
	if (d->vif) {
		net_service_del_port(d->ns, d->vif);
		d->vif = NULL;
	}
	if (d->mapper_ready) {
		gnt_unmap_all(&d->mapper);
		gnt_mapper_destroy(&d->mapper);
		d->mapper_ready = false;
	}
	backend_port_close(env, &d->port, true);
	if (d->failed_watched)
		env->ops->fd_del(env, d->failed_fd);
	d->failed_watched = false;
	if (d->failed_fd >= 0)
		close(d->failed_fd);
	d->failed_fd = -1;
	if (d->granter.ram) {
		env->ops->unmap_guest(env, d->granter.ram, d->granter.ram_size);
		d->granter.ram = NULL;
	}
}

/* The service saw the guest break its ring: Xen's netback disconnects such a vif. */
static void netdev_failed(void *arg)
{
	struct netback_dev *d = arg;

	netdev_disconnect(d);
	d->xb.connected = false;
	xenbus_back_fatal(&d->xb, "the frontend broke its rings (see the backend's log)");
}

/* A frontend key that must be a number in [min, max]; err names it and its value. */
static int netdev_read_u32(struct netback_dev *d, const char *key, uint32_t min, uint32_t max,
			   uint32_t *val, char *err, size_t errlen)
{
	char buf[32] = "";
	int ret;

	ret = backend_xs_read_u32(d->xb.env, d->xb.fe, key, max, val);
	if (ret == -ENOENT) {
		snprintf(err, errlen, "frontend has no %s", key);
		return ret;
	}
	if (ret || *val < min) {
		backend_xs_read(d->xb.env, d->xb.fe, key, buf, sizeof(buf));
		snprintf(err, errlen, "%s '%s' is not %u..%u", key, buf, min, max);
		return -EINVAL;
	}
	return 0;
}

/* An optional 0/1 feature of the frontend's; absent is 0. */
static int netdev_read_flag(struct netback_dev *d, const char *key, bool *val, char *err,
			    size_t errlen)
{
	uint32_t v = 0;
	int ret;

	ret = netdev_read_u32(d, key, 0, 1, &v, err, errlen);
	if (ret == -ENOENT)
		ret = 0;
	*val = v == 1;
	return ret;
}

static int netdev_connect(struct xenbus_back *xb, char *err, size_t errlen)
{
	struct netback_dev *d = xb->priv;
	struct backend_env *env = xb->env;
	struct sv_ctl_domid id = { .domid = xb->domid };
	struct netback_params p = { 0 };
	struct sv_ctl_gnttab_reply gr;
	uint32_t tx_ref, rx_ref, port;
	bool rx_copy, sg, rx_notify;
	char buf[32], name[48];
	void *ram = NULL;
	int ret;

	ret = netdev_read_u32(d, NETIF_KEY_TX_RING_REF, 0, UINT32_MAX, &tx_ref, err, errlen);
	if (!ret)
		ret = netdev_read_u32(d, NETIF_KEY_RX_RING_REF, 0, UINT32_MAX, &rx_ref, err,
				      errlen);
	if (ret)
		return ret;
	if (backend_xs_read(env, xb->fe, NETIF_KEY_EVENT_CHANNEL_TX, buf, sizeof(buf)) >= 0) {
		snprintf(err, errlen, "split event channels were not offered");
		return -EPROTONOSUPPORT;
	}
	ret = netdev_read_u32(d, NETIF_KEY_EVENT_CHANNEL, 1, SV_EVTCHN_NR_PORTS - 1, &port, err,
			      errlen);
	if (!ret)
		ret = netdev_read_flag(d, NETIF_KEY_REQUEST_RX_COPY, &rx_copy, err, errlen);
	if (!ret)
		ret = netdev_read_flag(d, NETIF_KEY_FEATURE_SG, &sg, err, errlen);
	if (!ret)
		ret = netdev_read_flag(d, NETIF_KEY_FEATURE_RX_NOTIFY, &rx_notify, err, errlen);
	if (ret)
		return ret;
	if (!rx_copy) {
		/* Page flipping went out of Xen long ago: copy is the only receive mode. */
		snprintf(err, errlen, "the frontend did not ask for request-rx-copy");
		return -EPROTONOSUPPORT;
	}
	d->granter.domid = (uint16_t)xb->domid;
	if (env->grant_remote) {
		/* A driver domain: no guest RAM, every grant through the core. */
		d->granter.remote = env->grant_remote;
		d->granter.remote_ctx = env->grant_remote_ctx;
	} else {
		ret = env->ops->map_guest(env, xb->domid, 0, &ram, &d->granter.ram_size, err,
					  errlen);
		if (ret)
			return ret;
		d->granter.ram = ram;
	}
	/* A remote granter's table is the core's to find (GNTTAB is not a process domain's op). */
	if (!d->granter.remote) {
		ret = env->ops->core_call(env, SV_CTL_GNTTAB, &id, sizeof(id), &gr, sizeof(gr),
					  NULL, 0, err, errlen);
		if (ret)
			return ret;
		d->granter.table_gpa = gr.table_gpa;
		d->granter.nr_frames = gr.nr_frames;
	}
	ret = gnt_mapper_init(&d->mapper, env->domid, 64);
	if (ret) {
		snprintf(err, errlen, "cannot set up grant mapping: %s", strerror(-ret));
		return ret;
	}
	d->mapper_ready = true;
	/* Without RAM the core raises the port (backend_port.h). */
	ret = backend_port_bind(
		env, SV_CTL_EVTCHN_BIND, xb->domid, port,
		d->granter.ram ? (struct sv_shared_info *)(d->granter.ram + SV_SHARED_INFO_GPA)
			       : NULL,
		&d->port, err, errlen);
	if (ret)
		return ret;
	d->failed_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->failed_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(-ret));
		return ret;
	}
	ret = env->ops->fd_add(env, d->failed_fd, netdev_failed, d);
	if (ret) {
		snprintf(err, errlen, "cannot watch the vif's failures: %s", strerror(-ret));
		return ret;
	}
	d->failed_watched = true;
	snprintf(name, sizeof(name), "%s", xb->name);
	p.granter = &d->granter;
	p.mapper = &d->mapper;
	p.tx_ring_ref = tx_ref;
	p.rx_ring_ref = rx_ref;
	memcpy(p.mac, d->mac, sizeof(p.mac));
	p.mtu = NETIF_MTU_DEFAULT;
	p.sg = sg;
	p.notify = netdev_notify;
	p.name = name;
	p.opaque = d; /* the service keeps it for notify and takes deliver for itself */
	p.faults = env->faults;
	return net_service_add_vif(d->ns, d->sw, &p, &d->rate_out, &d->rate_in, d->port.notify_fd,
				   d->failed_fd, &d->vif, err, errlen);
}

static void netdev_xb_disconnect(struct xenbus_back *xb)
{
	netdev_disconnect(xb->priv);
}

static const struct xenbus_back_ops netdev_xb_ops = {
	.connect = netdev_connect,
	.disconnect = netdev_xb_disconnect,
};

/* "BYTES_PER_SECOND,BURST_BYTES", both decimal; absent is no limit. */
static int netdev_read_rate(struct netback_dev *d, const char *key, struct net_rate *r, char *err,
			    size_t errlen)
{
	unsigned long long rate, burst;
	char buf[64], tail;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = backend_xs_read(d->xb.env, d->xb.be, key, buf, sizeof(buf));
	if (ret == -ENOENT)
		return 0;
	if (ret <= 0 || buf[0] < '0' || buf[0] > '9' ||
	    sscanf(buf, "%llu,%llu%c", &rate, &burst, &tail) != 2 || !rate || rate > (1ull << 42) ||
	    burst > (1ull << 42)) {
		snprintf(err, errlen, "%s: %s '%s' is not BYTES_PER_SECOND,BURST_BYTES", d->xb.be,
			 key, ret > 0 ? buf : "");
		return -EINVAL;
	}
	r->bytes_per_s = rate;
	r->burst = burst;
	return 0;
}

/* What the toolstack wrote: mac, and a switch (bridge) or a TAP device (vifname). */
static int netdev_read_config(struct netback_dev *d, char *err, size_t errlen)
{
	char buf[64];
	int ret;

	ret = backend_xs_read(d->xb.env, d->xb.be, NETIF_KEY_MAC, buf, sizeof(buf));
	if (ret <= 0 || util_mac_parse(buf, d->mac)) {
		snprintf(err, errlen, "%s: mac '%s' is not a MAC address", d->xb.be,
			 ret > 0 ? buf : "");
		return -EINVAL;
	}
	if (d->mac[0] & 1) {
		snprintf(err, errlen, "%s: mac %s is a multicast address", d->xb.be, buf);
		return -EINVAL;
	}
	ret = netdev_read_rate(d, NETBACK_KEY_RATE_OUT, &d->rate_out, err, errlen);
	if (!ret)
		ret = netdev_read_rate(d, NETBACK_KEY_RATE_IN, &d->rate_in, err, errlen);
	if (ret)
		return ret;
	ret = backend_xs_read(d->xb.env, d->xb.be, NETBACK_KEY_VIFNAME, d->tap, sizeof(d->tap));
	if (ret > 0) {
		/* An ethernet interface: its own switch, the vif and the TAP device on it. */
		snprintf(d->sw, sizeof(d->sw), "tap:%s", d->tap);
		return 0;
	}
	d->tap[0] = '\0';
	ret = backend_xs_read(d->xb.env, d->xb.be, NETBACK_KEY_BRIDGE, d->sw, sizeof(d->sw));
	if (ret <= 0 || !strncmp(d->sw, "tap:", 4)) {
		snprintf(err, errlen, "%s: no bridge or vifname to plug the vif into", d->xb.be);
		return -EINVAL;
	}
	return 0;
}

static int netdev_publish(struct netback_dev *d)
{
	struct backend_env *env = d->xb.env;
	int ret;

	ret = backend_xs_printf(env, d->xb.be, NETIF_KEY_FEATURE_RX_COPY, "1");
	if (!ret)
		ret = backend_xs_printf(env, d->xb.be, NETIF_KEY_FEATURE_SG, "1");
	if (!ret)
		ret = backend_xs_printf(env, d->xb.be, NETIF_KEY_FEATURE_GSO_TCPV4, "0");
	if (!ret)
		ret = backend_xs_printf(env, d->xb.be, NETIF_KEY_FEATURE_SPLIT_EVTC, "0");
	if (!ret)
		ret = backend_xs_printf(env, d->xb.be, NETIF_KEY_MTU, "%u", NETIF_MTU_DEFAULT);
	return ret;
}

/* The host opens the TAP device where it has its own way (a driver domain asks its toolstack). */
static int netdev_add_tap(struct netback_dev *d, char *err, size_t errlen)
{
	struct backend_env *env = d->xb.env;
	int fd = -1, ret;

	if (env->ops->open_tap) {
		ret = env->ops->open_tap(env, d->xb.be, d->tap, &fd, err, errlen);
	} else {
		fd = net_tap_open(d->tap, err, errlen);
		ret = fd < 0 ? fd : 0;
	}
	if (ret)
		return ret;
	return net_service_add_tap(d->ns, d->sw, fd, &d->tap_port, err, errlen);
}

int netback_dev_probe(struct backend_env *env, struct net_service *ns, const char *be_path,
		      struct netback_dev **out, char *err, size_t errlen)
{
	struct netback_dev *d;
	int ret;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->ns = ns;
	d->failed_fd = -1;
	backend_port_init(&d->port);
	ret = xenbus_back_init(&d->xb, env, "vif", be_path, &netdev_xb_ops, d, err, errlen);
	if (!ret)
		ret = netdev_read_config(d, err, errlen);
	if (!ret && d->tap[0])
		ret = netdev_add_tap(d, err, errlen);
	if (ret)
		goto out;
	ret = netdev_publish(d);
	if (!ret)
		ret = xenbus_back_start(&d->xb);
	if (ret) {
		snprintf(err, errlen, "%s: cannot write its xenstore keys: %s", d->xb.name,
			 strerror(-ret));
		goto out;
	}
	*out = d;
out:
	if (ret)
		netback_dev_free(d);
	return ret;
}

void netback_dev_unplug(struct netback_dev *d)
{
	xenbus_back_unplug(&d->xb);
}

bool netback_dev_removable(const struct netback_dev *d)
{
	return d->xb.removable;
}

void netback_dev_info(const struct netback_dev *d, struct netback_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	info->state = d->xb.state;
	info->connected = d->vif != NULL;
	info->unplugged = d->xb.unplugged;
	memcpy(info->mac, d->mac, sizeof(info->mac));
	snprintf(info->sw, sizeof(info->sw), "%s", d->sw);
	snprintf(info->tap, sizeof(info->tap), "%s", d->tap);
	info->rate_out = d->rate_out;
	info->rate_in = d->rate_in;
	if (d->vif) {
		net_service_port_stats(d->ns, d->vif, &info->vif);
		/* The service's calls for the vif, and ours: the raises of its channel. */
		info->vif.syscalls += backend_port_syscalls(&d->port);
	}
	if (d->tap_port)
		net_service_port_stats(d->ns, d->tap_port, &info->host);
}

void netback_dev_free(struct netback_dev *d)
{
	if (!d)
		return;
	if (d->xb.env)
		xenbus_back_stop(&d->xb);
	netdev_disconnect(d);
	net_service_del_port(d->ns, d->tap_port);
	free(d);
}
