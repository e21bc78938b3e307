// SPDX-License-Identifier: MIT
/*
 * A domain's devices for svctl, from their records (vbd_records, vif_records):
 * the tables of `svctl block-list` and `net-list`, and SV_TS_DEV_STATS, the
 * counters svctl top shows, as the backends in svdom0 keep them. The backends
 * run in svdom0's own loop, like these handlers, so reading them takes no lock
 * and costs the data path nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <splitvisor/toolstack.h>

#include "driver_domains.h"
#include "svdom0.h"
#include "ts_domains.h"
#include "ts_stats.h"
#include "vbd.h"
#include "vif.h"
#include "ctl_wire.h"

/* Each table line is over 64 bytes: no more fit in an answer, tables or counters. */
#define TS_DEV_RECORDS (SV_CTL_PAYLOAD_MAX / 64)
_Static_assert(TS_DEV_RECORDS >= SV_TS_DEV_STATS_MAX, "records for every counter entry");

/* One class's records at a time. */
union ts_dev_records {
	struct vbd_record vbd[TS_DEV_RECORDS];
	struct vif_record vif[TS_DEV_RECORDS];
};

void ts_dev_list(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h, const void *p)
{
	const struct sv_ts_name *req = p;
	char text[SV_CTL_PAYLOAD_MAX];
	union ts_dev_records *r;
	struct ts_domain *td;
	size_t len;

	if (h->len != sizeof(*req) || !wire_str_ok(req->name, sizeof(req->name))) {
		ts_err(c, h, -EINVAL, "malformed toolstack request");
		return;
	}
	td = ts_by_name(d0, req->name);
	if (!td) {
		if (dd_by_name(d0, req->name))
			snprintf(text, sizeof(text),
				 "%s is a driver domain: list the devices of a guest it serves",
				 req->name);
		else
			snprintf(text, sizeof(text), "no domain named %s", req->name);
		ts_err(c, h, -ENOENT, text);
		return;
	}
	r = malloc(sizeof(*r));
	if (!r) {
		ts_err(c, h, -ENOMEM, "out of memory");
		return;
	}
	if (h->op == SV_TS_NET_LIST)
		len = vif_list(r->vif, vif_records(td, r->vif, TS_DEV_RECORDS), text, sizeof(text));
	else
		len = vbd_list(r->vbd, vbd_records(td, r->vbd, TS_DEV_RECORDS), text, sizeof(text));
	free(r);
	wire_conn_queue(&c->conn, h->op, h->req_id, 0, text, len, -1);
}

void ts_dev_stats(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h, const void *p)
{
	struct sv_ts_dev_stats out[SV_TS_DEV_STATS_MAX];
	const struct sv_ts_name *req = p;
	union ts_dev_records *r;
	struct ts_domain *td;
	size_t n, m, i;

	if (h->len != sizeof(*req) || !wire_str_ok(req->name, sizeof(req->name))) {
		ts_err(c, h, -EINVAL, "malformed device statistics request");
		return;
	}
	/* Domain-0 has no devices of its own: an empty answer, not an error. */
	if (!strcmp(req->name, SV_TS_DOM0_NAME)) {
		wire_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
		return;
	}
	td = ts_by_name(d0, req->name);
	if (!td) {
		ts_err(c, h, -ENOENT, "no such domain");
		return;
	}
	r = malloc(sizeof(*r));
	if (!r) {
		ts_err(c, h, -ENOMEM, "out of memory");
		return;
	}
	n = vbd_records(td, r->vbd, SV_TS_DEV_STATS_MAX);
	for (i = 0; i < n; i++)
		out[i] = r->vbd[i].stats;
	m = vif_records(td, r->vif, SV_TS_DEV_STATS_MAX - n);
	for (i = 0; i < m; i++)
		out[n + i] = r->vif[i].stats;
	free(r);
	wire_conn_queue(&c->conn, h->op, h->req_id, 0, out, (n + m) * sizeof(out[0]), -1);
}
