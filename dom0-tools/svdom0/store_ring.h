/* SPDX-License-Identifier: MIT */
/* The guests' xenstore rings, each served by a connection of svdom0's xenstore (store_ring.c). */
#ifndef SV_SVDOM0_STORE_RING_H
#define SV_SVDOM0_STORE_RING_H

#include <stdbool.h>

struct dom0;
struct ts_domain;
struct store_ring;

/* Binds the domain's store port and serves its ring; failures are logged. */
void sr_open(struct dom0 *d0, struct ts_domain *td);
void sr_close(struct dom0 *d0, struct ts_domain *td);
/*
 * After a notify, or whenever the connection may have output (watch events).
 * True when bytes moved: a pump is bounded, so there may be more.
 */
bool sr_pump(struct store_ring *r);
/* Also frees the closed rings: call it between event batches. True if any moved. */
bool sr_pump_all(struct dom0 *d0);
void sr_reap(struct dom0 *d0);

#endif
