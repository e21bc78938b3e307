// SPDX-License-Identifier: MIT
/*
 * SV_TS_DEV_STATS for svctl top: a domain's disks' and interfaces' counters as
 * their backends in svdom0 keep them. The backends run in svdom0's own loop,
 * like this handler, so reading them takes no lock and costs the data path
 * nothing.
 */
#include <errno.h>
#include <string.h>

#include <splitvisor/toolstack.h>

#include "svdom0.h"
#include "ts_domains.h"
#include "ts_stats.h"
#include "vbd.h"
#include "vif.h"
#include "ctl_wire.h"

void ts_dev_stats(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h, const void *p)
{
	struct sv_ts_dev_stats out[SV_TS_DEV_STATS_MAX];
	const struct sv_ts_name *req = p;
	struct ts_domain *td;
	size_t n;

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
	n = vbd_stats(td, out, SV_TS_DEV_STATS_MAX);
	n += vif_stats(td, out + n, SV_TS_DEV_STATS_MAX - n);
	wire_conn_queue(&c->conn, h->op, h->req_id, 0, out, n * sizeof(out[0]), -1);
}
