/* SPDX-License-Identifier: MIT */
/* What the procedure handlers share (lv_procs.c, lv_procs_dev.c). */
#ifndef SV_LV_PROCS_H
#define SV_LV_PROCS_H

#include <stdbool.h>
#include <stdint.h>

#include <splitvisor/toolstack.h>

#include "lv_priv.h"

/* Bounds on what a client sends, checked before anything is allocated. */
#define LV_NAME_MAX	  256u
#define LV_XML_MAX	  SV_TS_XML_MAX
#define LV_LIST_MAX	  16384u /* libvirt's own bound on a domain list */
#define LV_STATS_DOMS_MAX 1024u

/* Fails the call unless every argument was read and nothing more came. */
bool lvp_args_ok(struct lv_call *x, const struct lv_xdr_in *in);
void lvp_put_dom(struct lv_xdr_out *out, const struct lv_dom *d);
/* remote_nonnull_domain from the client: found by name, else by uuid. */
bool lvp_get_dom(struct lv_call *x, struct lv_xdr_in *in, struct lv_dom *d);
/* A domain that runs now; false with OPERATION_INVALID otherwise. */
bool lvp_running(struct lv_call *x, const struct lv_dom *d);
/* Whether a domain passes virConnectListAllDomains' filter flags. */
bool lvp_list_filter(const struct lv_dom *d, uint32_t flags, int state);

/* Devices, statistics and the console (lv_procs_dev.c). */
int p_attach(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out);
int p_attach_flags(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out);
int p_detach(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out);
int p_detach_flags(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out);
int p_block_stats(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out);
int p_all_stats(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out);
int p_open_console(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out);

#endif
