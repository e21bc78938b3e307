/* SPDX-License-Identifier: MIT */
/* The toolstack service (toolstack.c): svctl's requests and the core's events. */
#ifndef SV_SVDOM0_TS_SERVICE_H
#define SV_SVDOM0_TS_SERVICE_H

#include <splitvisor/control.h>

struct dom0;
struct ts_client;
struct ts_domain;

/* Subscribes to the core's events and takes over the domains already running. */
int ts_attach(struct dom0 *d0, char *err, size_t errlen);
void ts_handle(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h, const void *p);
/*
 * pause, unpause or destroy (SV_TS_PAUSE, SV_TS_UNPAUSE, SV_TS_DESTROY) of a domain that has
 * not ended, for svctl and libvirt's clients; destroy removes td.
 */
int ts_domain_op(struct dom0 *d0, struct ts_domain *td, uint32_t ts_op, char *err, size_t errlen);
/* 1 when a lifecycle action ran (poll again soon), 0, or -EPIPE when the core is gone. */
int ts_core_events(struct dom0 *d0);
/* Answers shutdowns that timed out; returns ms until the next deadline, -1 if none. */
int ts_timeouts(struct dom0 *d0);

#endif
