// SPDX-License-Identifier: MIT
/* A point's counts per request or frame (sweep_counts.h). */
#include <math.h>
#include <string.h>

#include "sweep_counts.h"

void sweep_counts_from(const struct sv_ctl_dominfo *info, const struct sv_ts_dev_stats *devs,
		       size_t n, struct sweep_counts *out)
{
	memset(out, 0, sizeof(*out));
	out->running = info->state == SV_CTL_STATE_RUNNING || info->state == SV_CTL_STATE_PAUSED;
	out->exits_ok = out->running && (info->stat_flags & SV_CTL_INFO_EXITS);
	out->exits = info->exits;
	out->hypercalls = info->hypercalls;
	out->notifies = info->notifies;
	out->backend_ok = n > 0;
	for (size_t i = 0; i < n; i++) {
		if (devs[i].flags & SV_TS_DEV_REMOTE)
			out->backend_ok = false;
		out->syscalls += devs[i].syscalls;
		out->grant_ops += devs[i].grant_ops;
		out->be_events += devs[i].notifications;
	}
}

void sweep_counts_add(struct sweep_counts *a, const struct sweep_counts *b)
{
	a->running = a->running && b->running;
	a->exits_ok = a->exits_ok && b->exits_ok;
	a->backend_ok = a->backend_ok && b->backend_ok;
	a->exits += b->exits;
	a->hypercalls += b->hypercalls;
	a->notifies += b->notifies;
	a->syscalls += b->syscalls;
	a->grant_ops += b->grant_ops;
	a->be_events += b->be_events;
}

double sweep_counts_per(const struct sweep_counts *before, const struct sweep_counts *after,
			enum sweep_count_kind kind, double units)
{
	uint64_t x, y;
	bool ok;

	switch (kind) {
	case SWEEP_EXITS:
		ok = before->exits_ok && after->exits_ok;
		x = before->exits;
		y = after->exits;
		break;
	case SWEEP_HYPERCALLS:
		ok = before->running && after->running;
		x = before->hypercalls;
		y = after->hypercalls;
		break;
	case SWEEP_NOTIFIES:
		ok = before->running && after->running;
		x = before->notifies;
		y = after->notifies;
		break;
	case SWEEP_SYSCALLS:
		ok = before->backend_ok && after->backend_ok;
		x = before->syscalls;
		y = after->syscalls;
		break;
	case SWEEP_GRANT_OPS:
		ok = before->backend_ok && after->backend_ok;
		x = before->grant_ops;
		y = after->grant_ops;
		break;
	case SWEEP_BE_EVENTS:
		ok = before->backend_ok && after->backend_ok;
		x = before->be_events;
		y = after->be_events;
		break;
	default:
		return NAN;
	}
	if (!ok || y < x || !(units > 0) || isinf(units))
		return NAN;
	return (double)(y - x) / units;
}
