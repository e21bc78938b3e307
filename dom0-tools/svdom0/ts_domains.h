/* SPDX-License-Identifier: MIT */
/* The toolstack's domains (ts_domains.c): below the request handlers, above the devices. */
#ifndef SV_SVDOM0_TS_DOMAINS_H
#define SV_SVDOM0_TS_DOMAINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitvisor/control.h>

struct dom0;
struct ts_client;
struct ts_domain;
struct sv_domain_config;

struct ts_domain *ts_by_name(struct dom0 *d0, const char *name);
struct ts_domain *ts_by_id(struct dom0 *d0, uint32_t domid);
/* A new entry (fresh: its console log starts empty); NULL without memory. */
struct ts_domain *ts_add(struct dom0 *d0, const struct sv_ctl_dominfo *info, bool fresh);
void ts_remove(struct dom0 *d0, struct ts_domain *td);
void ts_free(struct dom0 *d0);

/* The domain's home /local/domain/<id>, owned by it as in Xen; introduced to xenstore. */
int ts_xs_home(struct dom0 *d0, const struct sv_ctl_dominfo *info);
/* Releases the domain in xenstore (watchers of @releaseDomain fire) and removes its home. */
void ts_xs_gone(struct dom0 *d0, uint32_t domid);
/* Writes /local/domain/<domid>/<rel>. */
int ts_xs_write(struct dom0 *d0, uint32_t domid, const char *rel, const char *val);

/* A domain's console output, from the core or its ring: to its log and its followers. */
void ts_console_output(struct dom0 *d0, struct ts_domain *td, const char *data, size_t len);
/* Serves the domain's PV console ring, if it has one; failures are logged. */
void ts_console_open(struct dom0 *d0, struct ts_domain *td);
/* Takes the guest's last lines from its ring and stops serving it. */
void ts_console_close(struct ts_domain *td);

int ts_err(struct ts_client *c, const struct sv_ctl_hdr *h, int ret, const char *msg);
void ts_client_release(struct ts_client *c);
/* Makes room for a new domain of that name: -EEXIST while one runs, an ended one goes. */
int ts_clear_ended(struct dom0 *d0, const char *name, char *err, size_t errlen);
/*
 * Creates a domain in the core (paused), sets it up in dom0 (xenstore, rings, the devices of
 * cfg when not NULL) and unpauses it. With *tdp set (a restart), that entry takes the new
 * domain and keeps its console log; else a new entry is made.
 */
int ts_boot(struct dom0 *d0, const struct sv_ctl_create *req, const struct sv_domain_config *cfg,
	    struct ts_domain **tdp, char *err, size_t errlen);

#endif
