/* SPDX-License-Identifier: MIT */
/*
 * The xenbus half of the network backend: one vif from the directory the
 * toolstack wrote to a port of the host's network service. It publishes the
 * backend's features, runs Xen's state machine (xenbus_back.h), and on
 * connect maps both rings, binds the event channel and plugs the vif into
 * its switch; a vif of an ethernet interface gets a TAP device on a switch of
 * its own, made at probe so that the host side exists before the guest does.
 */
#ifndef SV_NETBACK_XENBUS_H
#define SV_NETBACK_XENBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend_env.h"
#include "net_service.h"

/* Keys in the vif's backend directory: Xen's bridge and vifname, read by the backend. */
#define NETBACK_KEY_BRIDGE  "bridge"  /* the switch a bridge or network interface joins */
#define NETBACK_KEY_VIFNAME "vifname" /* the TAP device of an ethernet interface */
/* Ours: libvirt's <bandwidth>, "BYTES_PER_SECOND,BURST_BYTES"; absent: no limit. */
#define NETBACK_KEY_RATE_OUT "bandwidth-out" /* from the guest */
#define NETBACK_KEY_RATE_IN  "bandwidth-in"  /* to the guest */

struct netback_dev;

struct netback_dev_info {
	int state; /* the backend's xenbus state */
	bool connected, unplugged;
	uint8_t mac[6];
	char sw[24];		    /* switch name */
	char tap[16];		    /* TAP device, or "" */
	struct net_port_stats vif;  /* zero while not connected */
	struct net_port_stats host; /* the TAP device's, when there is one */
	struct net_rate rate_out, rate_in;
};

int netback_dev_probe(struct backend_env *env, struct net_service *ns, const char *be_path,
		      struct netback_dev **out, char *err, size_t errlen);
void netback_dev_unplug(struct netback_dev *d);
bool netback_dev_removable(const struct netback_dev *d);
void netback_dev_info(const struct netback_dev *d, struct netback_dev_info *info);
void netback_dev_free(struct netback_dev *d);

#endif
