/* SPDX-License-Identifier: MIT */
/* Virtual network interfaces, the toolstack's part (vif.c). */
#ifndef SV_SVDOM0_VIF_H
#define SV_SVDOM0_VIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitvisor/toolstack.h>

#include "netback_xenbus.h"

struct dom0;
struct ts_domain;
struct sv_domain_config;
struct sv_net_config;

/* Creates every <interface> of cfg for td (cfg may be NULL); on failure none is left. */
/* After a svdom0 restart: serves cfg's interfaces of the running td again (failures logged). */
void vif_adopt_all(struct dom0 *d0, struct ts_domain *td, const struct sv_domain_config *cfg);
int vif_attach_all(struct dom0 *d0, struct ts_domain *td, const struct sv_domain_config *cfg,
		   char *err, size_t errlen);
void vif_detach_all(struct dom0 *d0, struct ts_domain *td);
/* Hot-plug: a new interface (-EEXIST for a MAC in use), or Xen's unplug of the one with mac. */
int vif_attach(struct dom0 *d0, struct ts_domain *td, const struct sv_net_config *nc, char *err,
	       size_t errlen);
int vif_detach(struct dom0 *d0, struct ts_domain *td, const uint8_t mac[6], char *err,
	       size_t errlen);
/* Removes the unplugged interfaces whose frontends have closed. */
void vif_reap(struct dom0 *d0);

/*
 * One of a domain's interfaces now, as vbd_record: a driver domain's has
 * SV_TS_DEV_REMOTE, and in info only its state, mac, switch "ddN" and TAP device.
 */
struct vif_record {
	struct sv_ts_dev_stats stats; /* handle, backend domain, "vifN", counters */
	struct netback_dev_info info; /* state, mac, switch, TAP device ("" for none) */
	const char *ips;	      /* the document's <ip> addresses, "" for none */
};
/* Up to max of td's interfaces into out, in list order; returns how many. */
size_t vif_records(const struct ts_domain *td, struct vif_record *out, size_t max);
/* `svctl net-list`: the table of n records into buf; returns its length. */
size_t vif_list(const struct vif_record *r, size_t n, char *buf, size_t cap);

/*
 * The TAP device of the driver domain's interface at be_path: 0 with its name
 * (valid until the loop runs again), -EPERM when that interface has no TAP
 * device (not type ethernet), -ENOENT when no running guest has it.
 */
int vif_dd_tap(struct dom0 *d0, uint32_t dd_domid, const char *be_path, const char **ifname);
/* As vbd_dd_restore, for interfaces. */
int vif_dd_restore(struct dom0 *d0, uint32_t dd_domid);
/* True while a running guest has an interface served by dd_domid. */
bool vif_dd_used(struct dom0 *d0, uint32_t dd_domid);

#endif
