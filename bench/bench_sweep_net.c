// SPDX-License-Identifier: MIT
/*
 * svctl bench net --sweep: UDP from a guest's netbench to a second guest
 * through our switch (path=g2g) or through a TAP device to a socket of the
 * host (path=g2host), at every frame size, beside a veth pair of the host with
 * the same payload in the same run (bench_net.c does the measuring), with
 * flows=N UDP flows of the one sending guest (destination ports in turn) and
 * of the veth pair alike, and the run's VM exits, hypercalls, events and
 * backend system calls per frame. Runs in a network namespace of its own:
 * root only.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "bench_net.h"
#include "bench_sweep.h"

#define SN_MIN_FRAME 64u
#define SN_MAX_FRAME 1514u /* a vif's MTU is 1500: no jumbo frames yet */
#define SN_DEF_COUNT 5000u

static const char *const sn_paths[] = { "g2g", "g2host", NULL };
static const struct sweep_key sn_keys[] = {
	{ .name = "frame",
	  .kind = SWEEP_COUNT,
	  .min = SN_MIN_FRAME,
	  .max = SN_MAX_FRAME,
	  .dflt = SN_MAX_FRAME },
	/* UDP flows from the sending guest, destination ports in turn; the veth pair alike. */
	{ .name = "flows", .kind = SWEEP_COUNT, .min = 1, .max = NB_MAX_FLOWS, .dflt = 1 },
	{ .name = "path", .kind = SWEEP_WORD, .words = sn_paths, .dflt_word = "g2g" },
};

enum {
	SN_FPS,
	SN_BASE_FPS,
	SN_NOTIFY,
	SN_BACKEND_NOTIFY,
	SN_COPIES,
	SN_LOST,
	SN_DROPS,
	SN_MEMCPY,
	SN_EXITS,
	SN_HCALLS,
	SN_EVENTS,
	SN_SYSCALLS,
	SN_NX
};
static const char *const sn_extra[SN_NX] = {
	"frames_per_s",
	"baseline_frames_per_s",
	"notifications_per_frame",
	"backend_notifications_per_frame",
	"copies_per_frame",
	"lost_frames",
	"backend_drops",
	"memcpy_gb_per_s",
	"exits_per_frame",
	"hypercalls_per_frame",
	"events_per_frame",
	"backend_syscalls_per_frame",
};

static int sn_point(struct net_bench *nb, const struct sweep_spec *pts, unsigned int p,
		    unsigned int count, struct sweep_samples *s, unsigned int run, char *err,
		    size_t errlen)
{
	unsigned int payload = (unsigned int)sweep_num(pts, p, "frame") - NB_HDR;
	bool to_host = !strcmp(sweep_word(pts, p, "path"), "g2host");
	struct nb_sample x = { 0 };
	int ret;

	nb->flows = (unsigned int)sweep_num(pts, p, "flows");
	ret = nb_base(nb, payload, count, &x, err, errlen);
	if (!ret)
		ret = (to_host ? nb_g2host : nb_g2g)(nb, payload, count, &x, err, errlen);
	if (ret)
		return ret;
	/* Payload bits, as the existing figures count them: Mbit/s. */
	s->value[run] = x.gbps * 1e3;
	s->baseline[run] = x.base_gbps * 1e3;
	s->extra[SN_FPS][run] = x.fps;
	s->extra[SN_BASE_FPS][run] = x.base_fps;
	s->extra[SN_NOTIFY][run] = x.notify;
	s->extra[SN_BACKEND_NOTIFY][run] = x.backend_notify;
	s->extra[SN_COPIES][run] = x.copies;
	s->extra[SN_LOST][run] = x.lost;
	s->extra[SN_DROPS][run] = x.drops;
	s->extra[SN_MEMCPY][run] = x.memcpy_gbs;
	s->extra[SN_EXITS][run] = x.exits;
	s->extra[SN_HCALLS][run] = x.hypercalls;
	s->extra[SN_EVENTS][run] = x.events;
	s->extra[SN_SYSCALLS][run] = x.syscalls;
	return 0;
}

int bench_sweep_net(const struct bench_sweep_opts *o)
{
	struct net_bench nb = { .veth = { .fd = -1, .to = -1, .from = -1 } };
	struct sweep_report r = { .bench = "net",
				  .unit = "Mbit/s",
				  .baseline_name = "host veth pair, same UDP payload" };
	unsigned int count = o->iterations ? o->iterations : SN_DEF_COUNT;
	struct sweep_samples *samples = NULL;
	struct sweep_spec pts, cfgs;
	struct sweep_progress prog;
	char err[512] = "", name[192];
	int ret;

	ret = sweep_setup(o, "net", sn_keys, 3, NULL, 0, NULL, &pts, &cfgs, &samples);
	if (ret)
		return ret;
	ret = nb_isolate(err, sizeof(err));
	if (ret) {
		fprintf(stderr, "svctl bench net: %s\n", err);
		free(samples);
		return ret == -EPERM ? EX_UNAVAILABLE : EX_SOFTWARE;
	}
	if (svb_open(&nb.d, "sweep-net", o->kernel)) {
		free(samples);
		return EX_SOFTWARE;
	}
	ret = nb_veth_open(&nb.veth, err, sizeof(err));
	sweep_progress_init(&prog, stderr, o->runs * pts.nr_points);
	for (unsigned int run = 0; run < o->runs && !ret; run++) {
		for (unsigned int p = 0; p < pts.nr_points && !ret; p++) {
			sweep_point_name(&pts, p, NULL, name, sizeof(name));
			sweep_progress_step(&prog, run * pts.nr_points + p, name);
			ret = sn_point(&nb, &pts, p, count, &samples[p], run, err, sizeof(err));
		}
	}
	sweep_progress_done(&prog);
	nb_veth_close(&nb.veth);
	svb_close(&nb.d);
	if (ret) {
		fprintf(stderr, "svctl bench net: %s (logs in %s)\n", err, nb.d.dir);
		free(samples);
		return EX_SOFTWARE;
	}
	ret = sweep_finish(o, &r, &pts, &cfgs, samples, sn_extra, SN_NX);
	free(samples);
	return ret;
}
