/* SPDX-License-Identifier: MIT */
/*
 * Driver domains as the toolstack's domains (driver_domains.c): each is a svdd
 * process with its own domid, started, watched, restarted and ended here.
 * Called by the request handlers (toolstack.c, toolstack_xml.c) and the loop
 * (svdom0.c); below them it uses the device records (vbd.c, vif.c).
 */
#ifndef SV_SVDOM0_DRIVER_DOMAINS_H
#define SV_SVDOM0_DRIVER_DOMAINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitvisor/control.h>

struct dom0;
struct dd_domain;
struct ts_client;
struct sv_domain_config;

/* Sets d0->dd_resolve, for the devices of guests. */
void dd_init(struct dom0 *d0);
/*
 * Starts cfg (os type exe) as a driver domain: a domid from the core, its
 * xenstore home and connection, svdd. 0 with *domid, or -errno and a sentence.
 */
int dd_create(struct dom0 *d0, const struct sv_domain_config *cfg, uint32_t *domid, char *err,
	      size_t errlen);
/*
 * Every driver domain cfg's devices name runs afterwards: the ones defined and
 * not running are started first. 0, or -errno and a sentence naming the device.
 */
int dd_ensure_for(struct dom0 *d0, const struct sv_domain_config *cfg, char *err, size_t errlen);
/* The driver domain of that name, running or kept ended; NULL when there is none. */
struct dd_domain *dd_by_name(struct dom0 *d0, const char *name);
/* Its name when domid is a driver domain's, else NULL. */
const char *dd_name_by_id(struct dom0 *d0, uint32_t domid);
/*
 * A toolstack request (op, and arg as ts_named reads it) that names a driver
 * domain: destroy (SIGKILL, no restart), shutdown (SIGTERM, then the answer
 * when it ended or timed out), the rest refused with a sentence. The reply is
 * queued (or pending) on c.
 */
void dd_named(struct dom0 *d0, struct dd_domain *dd, struct ts_client *c,
	      const struct sv_ctl_hdr *h, uint32_t arg);
/* SV_TS_INJECT and SV_TS_LIST_DD. */
void dd_handle(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h, const void *p);
/* dumpxml of a driver domain: 0 with *xml (malloc'd), -ENOENT when name is not one. */
int dd_dumpxml(struct dom0 *d0, const char *name, char **xml, char *err, size_t errlen);
/* An epoll event whose tag says D0_DD_FD. */
void dd_fd_event(struct dom0 *d0, void *tag);
/*
 * Once per loop round: restarts due, injections that timed out, output to
 * flush; frees what ended. Returns ms until the next deadline, -1 if none.
 */
int dd_timeouts(struct dom0 *d0);
/* A toolstack client went: nothing may answer it any more. */
void dd_client_gone(struct dom0 *d0, struct ts_client *c);
/* svdom0's end: every svdd is killed and reaped. */
void dd_free_all(struct dom0 *d0);

#endif
