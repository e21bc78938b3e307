/* SPDX-License-Identifier: MIT */
#ifndef SV_SVDOM0_TS_STATS_H
#define SV_SVDOM0_TS_STATS_H

#include <splitvisor/control.h>

struct dom0;
struct ts_client;

/* SV_TS_BLOCK_LIST, SV_TS_NET_LIST: answers c with the named domain's table of one class. */
void ts_dev_list(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h, const void *p);
/* SV_TS_DEV_STATS: answers c with the named domain's device counters. */
void ts_dev_stats(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h, const void *p);

#endif
