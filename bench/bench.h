/* SPDX-License-Identifier: MIT */
#ifndef SV_BENCH_H
#define SV_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <splitvisor/core.h>

/* A figure's own further numbers, printed beside it ("key": value in JSON). */
#define BENCH_MAX_EXTRA 24u
struct bench_extra {
	const char *key;
	double value;
};

/* One measured figure; baseline <= 0 means it has none (no ratio printed). */
struct bench_result {
	const char *name;
	double value;
	const char *unit;
	double baseline;
	const char *baseline_name;
	unsigned int samples;
	unsigned int nr_extra;
	struct bench_extra extra[BENCH_MAX_EXTRA];
};

/* JSON: one object for one result, an array for several. Text: one line each. */
void bench_print(FILE *f, const struct bench_result *r, unsigned int n, bool json);

struct bench_opts {
	const char *kernel;
	unsigned int iterations; /* 0: the bench's default */
	unsigned int runs;	 /* 0: the bench's default */
};

int bench_hypercall(const struct bench_opts *o, struct bench_result *r, char *err, size_t errlen);
/* Fills r[0] boot.first_byte and r[1] boot.poweroff. */
int bench_boot(const struct bench_opts *o, struct bench_result r[2], char *err, size_t errlen);

/* evtchn.rtt: guest <-> process-domain echo over the event-channel fast path. */
int bench_evtchn(const struct bench_opts *o, struct bench_result *r, char *err, size_t errlen);

/*
 * Boots `evtchn-ping rounds` and answers its events from this thread through
 * sv_evtchn_bind_process, as a process domain would. With close_after, the
 * process end is closed (and bound again 20 ms later) after every close_after
 * events. Returns 0 once the domain ended (see ex), or -errno.
 */
struct bench_evtchn_ping {
	const char *kernel;
	unsigned int rounds;
	int timeout_ms;
	unsigned int close_after;
	struct sv_domain_exit ex;
	uint64_t events, first_ns, last_ns; /* host CLOCK_MONOTONIC of the echo's events */
	unsigned int guest_rounds, rebinds;
	unsigned long long guest_rtt_ns; /* the guest's own TSC figure */
	char console[4096];
};
int bench_evtchn_ping_run(struct bench_evtchn_ping *p, char *err, size_t errlen);

/* bench_blk.c: the block benchmark, through private daemons. */
#define BLK_MAX_RUNS 15u
struct bench_blk_opts {
	const char *kernel;
	unsigned int size_mb;  /* the file the guest reads and writes */
	unsigned int rand_ops; /* 4 KiB random reads per run */
	unsigned int runs;     /* guest and host take turns; medians are reported */
	bool persistent;       /* the guest asks for persistent grants */
};
int bench_blk(const struct bench_blk_opts *o, bool json);
/* Fills path (size bytes) with a fixed pattern; 0 or -errno with err set. */
int bench_blk_make_file(const char *path, uint64_t size, char *err, size_t errlen);

/*
 * bench_blk_linux.c: Debian's kernel (scripts/linux-guest.sh's vmlinuz and initrd.img in
 * linux_dir) runs dd with O_DIRECT through xen-blkfront, beside the host's pread/pwrite of the
 * same file and, with peer, the same kernel and initramfs under QEMU/KVM on virtio-blk.
 */
struct bench_blk_linux_opts {
	const char *linux_dir;
	unsigned int size_mb; /* the file; the 64 KiB workloads cover it */
	unsigned int ops_4k;  /* 4 KiB reads per run */
	unsigned int runs;
	bool peer; /* the QEMU/KVM virtio-blk peer (blk.linux_vs_virtio) */
};
int bench_blk_linux(const struct bench_blk_linux_opts *o, bool json);

/* bench_xs.c: xenstore reads from a guest beside a host client, through private daemons. */
#define XS_BENCH_MAX_RUNS 15u
int bench_xs(const char *kernel, unsigned int reads, unsigned int runs, bool json);

/*
 * bench_net.c: UDP from a guest to a guest and to the host through our switch
 * and a TAP device, beside a veth pair of the host, in network namespaces of
 * its own (root only).
 */
#define NET_BENCH_MAX_RUNS 15u
struct bench_net_opts {
	const char *kernel;
	unsigned int frames; /* datagrams per figure and run; 0: 20000 of 64 B, 10000 of 1500 */
	unsigned int runs;
};
int bench_net(const struct bench_net_opts *o, bool json);

/*
 * experiment_isolation.c: a driver domain serves a guest's disk while each fault
 * is injected into it, beside a bystander served by svdom0; a table (or JSON)
 * per fault and the cost of isolation. An exit status for svctl: nonzero when a
 * fault hurt more than the driver domain's own guest's I/O.
 */
#define ISO_MAX_RUNS 10u
int experiment_isolation(const char *kernel, unsigned int runs, bool json);

/*
 * Sweeps (bench_sweep*.c): every point of spec, in every configuration of
 * compare (a spec of its own: "persistent=on|off,indirect=on|off"), runs
 * times, each beside the host's own figure measured in the same run; a table,
 * JSON or CSV on stdout and with plot_dir PNG plots (sweep.h).
 */
#define SWEEP_MAX_RUNS 15u
struct bench_sweep_opts {
	const char *kernel;
	const char *spec;
	const char *compare; /* NULL: one configuration, the default */
	unsigned int runs;
	unsigned int size_mb;	 /* blk: the disk file; sequential passes cover it */
	unsigned int iterations; /* blk: random requests per point; net: frames per point */
	bool json, csv;
	const char *plot_dir;
};
int bench_sweep_blk(const struct bench_sweep_opts *o);
int bench_sweep_net(const struct bench_sweep_opts *o);

#endif
