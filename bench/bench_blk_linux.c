// SPDX-License-Identifier: MIT
/*
 * svctl bench blk --guest linux: Debian's kernel and the initramfs of scripts/linux-guest.sh
 * run busybox dd with O_DIRECT through xen-blkfront, our ring and svdom0's blkback against a
 * file in the host's page cache; in the same run the host reads and writes that file itself
 * (the baseline) and, unless told not to, the same kernel, initramfs and dd run under
 * QEMU/KVM on a virtio-blk disk backed by the same file (blk.linux_vs_virtio: what users
 * would run instead). Both guests boot once and take commands through their consoles, so
 * boots are not timed; each dd is timed on the host clock between the guest's
 * "sv-linux: start" and "sv-linux: end" lines (one fork and exec of dd included). Our
 * guest's counts (VM exits, hypercalls, kicks, backend system calls, grant operations) are
 * read around each dd and divided by its blocks.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "bench.h"
#include "bench_counts.h"
#include "bench_dom.h"
#include "errmsg.h"
#include "util.h"

#define BL_TAG	"sv-linux"
#define BL_QEMU "qemu-system-x86_64"
/*
 * Emulated boots take under a minute, a dd of the whole file as long again at worst. The
 * peer gets a second boot: QEMU/KVM sometimes hangs Debian's kernel early in boot under
 * emulated nested SVM (docs/testing-on-kvm.md), which is no figure of either side.
 */
#define BL_BOOT_NS	(300ull * 1000000000ull)
#define BL_PEER_BOOT_NS (150ull * 1000000000ull)
#define BL_WORK_NS	(600ull * 1000000000ull)
#define BL_NCOUNT	5u

struct bl_work {
	const char *name, *vs_name, *base;
	char rw;
	unsigned int bs;
};

static const struct bl_work bl_works[] = {
	{ "blk.linux.seq_read_64k", "blk.linux_vs_virtio.seq_read_64k", "host pread 64 KiB", 'r',
	  65536 },
	{ "blk.linux.seq_read_4k", "blk.linux_vs_virtio.seq_read_4k", "host pread 4 KiB", 'r',
	  4096 },
	{ "blk.linux.seq_write_64k", "blk.linux_vs_virtio.seq_write_64k",
	  "host pwrite 64 KiB + fdatasync", 'w', 65536 },
};
#define BL_NWORK (sizeof(bl_works) / sizeof(bl_works[0]))

static const struct {
	const char *key;
	enum sweep_count_kind kind;
} bl_counts[BL_NCOUNT] = {
	{ "exits_per_request", SWEEP_EXITS },
	{ "hypercalls_per_request", SWEEP_HYPERCALLS },
	{ "notifies_per_request", SWEEP_NOTIFIES },
	{ "backend_syscalls_per_request", SWEEP_SYSCALLS },
	{ "grant_ops_per_request", SWEEP_GRANT_OPS },
};

/* A Linux guest in the initramfs's bench loop: our domain, or the QEMU peer. */
struct bl_guest {
	struct svb_proc p;
	const char *what;
	bool qemu;
	FILE *log;  /* the peer's console, for when it fails (ours has svdom0's log) */
	bool ready; /* "sv-linux: ready" seen since the last command */
	int rc;	    /* of the last dd ("sv-linux: result rc=N"); -1 until seen */
};

struct bl_state {
	struct svb_dom d;
	char file[PATH_MAX + 16];
	uint64_t size;
	unsigned int runs;
	struct bl_guest ours, peer;
	double host[BL_NWORK][BLK_MAX_RUNS], guest[BL_NWORK][BLK_MAX_RUNS];
	double virt[BL_NWORK][BLK_MAX_RUNS], counts[BL_NWORK][BL_NCOUNT][BLK_MAX_RUNS];
};

static void bl_line(const char *line, void *data)
{
	static const char result[] = BL_TAG ": result rc=";
	struct bl_guest *g = data;
	const char *at;

	if (g->log) {
		fputs(line, g->log);
		fflush(g->log);
	}
	if (strstr(line, BL_TAG ": ready"))
		g->ready = true;
	else if ((at = strstr(line, result)))
		g->rc = atoi(at + strlen(result));
}

/* Follows g's console until it says it is ready; -ETIMEDOUT, or -EPIPE once it ended. */
static int bl_wait_ready(struct bl_guest *g, uint64_t limit_ns)
{
	uint64_t deadline = util_now_ns() + limit_ns;
	struct pollfd pfd = { .fd = g->p.fd, .events = POLLIN };

	for (;;) {
		int ended = svb_proc_read(&g->p, bl_line, g);

		if (g->ready)
			return 0;
		if (ended)
			return -EPIPE;
		if (util_now_ns() >= deadline)
			return -ETIMEDOUT;
		poll(&pfd, 1, 1000);
	}
}

static unsigned int bl_blocks(const struct bl_state *s, const struct bl_work *w,
			      unsigned int ops_4k)
{
	uint64_t n = s->size / w->bs;

	return w->bs == 4096 && ops_4k < n ? ops_4k : (unsigned int)n;
}

/* One dd in g; *ns is its time between the markers. */
static int bl_run(struct bl_guest *g, const struct bl_work *w, unsigned int blocks, uint64_t *ns,
		  char *err, size_t errlen)
{
	char cmd[64];
	int ret;

	g->ready = false;
	g->rc = -1;
	g->p.t0 = g->p.t1 = 0;
	snprintf(cmd, sizeof(cmd), "%c %u %u\n", w->rw, w->bs, blocks);
	ret = svb_proc_key(&g->p, cmd);
	if (!ret)
		ret = bl_wait_ready(g, BL_WORK_NS);
	if (ret)
		return errmsg_set(err, errlen, ret, "%s: no answer to '%c %u %u': %s", g->what,
				  w->rw, w->bs, blocks, strerror(-ret));
	if (g->rc || !g->p.t0 || g->p.t1 <= g->p.t0)
		return errmsg_set(err, errlen, -EIO, "%s: dd '%c %u %u' failed (exit %d)", g->what,
				  w->rw, w->bs, blocks, g->rc);
	*ns = g->p.t1 - g->p.t0;
	return 0;
}

/* The host's own sequential pass over the same blocks of the same file. */
static int bl_host(const char *file, const struct bl_work *w, unsigned int blocks, double *mbps)
{
	static uint8_t buf[65536] __attribute__((aligned(4096)));
	int fd = open(file, O_RDWR | O_CLOEXEC), ret = -EIO;
	uint64_t t0;
	unsigned int i;

	if (fd < 0)
		return -errno;
	memset(buf, 0, sizeof(buf));
	for (i = 0; w->rw == 'r' && i < blocks; i++)
		if (pread(fd, buf, w->bs, (off_t)i * w->bs) != (ssize_t)w->bs)
			goto out;
	t0 = util_now_ns();
	for (i = 0; i < blocks; i++)
		if ((w->rw == 'r' ? pread(fd, buf, w->bs, (off_t)i * w->bs)
				  : pwrite(fd, buf, w->bs, (off_t)i * w->bs)) != (ssize_t)w->bs)
			goto out;
	if (w->rw == 'w' && fdatasync(fd))
		goto out;
	*mbps = (double)blocks * w->bs / 1e6 / ((double)(util_now_ns() - t0) / 1e9);
	ret = 0;
out:
	close(fd);
	return ret;
}

/* Our guest: a xenpvh domain with the file as xvda, in the bench loop. */
static int bl_ours_start(struct bl_state *s, char *err, size_t errlen)
{
	char dev[PATH_MAX + 256];
	int ret;

	s->ours.what = "the Splitvisor guest";
	snprintf(dev, sizeof(dev),
		 "<disk type='file' device='disk'><driver name='file' cache='writeback'/>"
		 "<source file='%s'/><target dev='xvda' bus='xen'/></disk>",
		 s->file);
	ret = svb_proc_start_keyed(
		&s->d, &s->ours.p, BL_TAG,
		"console=hvc0 acpi=off pci=off nopvspin tsc=reliable sv.run=bench", dev, err,
		errlen);
	if (ret)
		return ret;
	ret = bl_wait_ready(&s->ours, BL_BOOT_NS);
	if (ret)
		return errmsg_set(err, errlen, ret,
				  "%s did not reach its bench loop: %s (logs in %s)", s->ours.what,
				  strerror(-ret), s->d.dir);
	return 0;
}

static void bl_peer_stop(struct bl_guest *g);

/* The peer: the same kernel and initramfs under QEMU/KVM, the file as a virtio-blk disk. */
static int bl_peer_boot(struct bl_state *s, char *err, size_t errlen)
{
	char drive[PATH_MAX + 64];
	/* clang-format off */
	const char *argv[] = {
		BL_QEMU, "-accel", "kvm", "-cpu", "host", "-m", "256", "-smp", "1",
		"-nodefaults", "-display", "none", "-no-reboot", "-serial", "stdio",
		"-kernel", s->d.kernel, "-initrd", s->d.initrd,
		"-append", "console=ttyS0 sv.run=bench sv.disk=vda", "-drive", drive, NULL
	};
	/* clang-format on */
	struct bl_guest *g = &s->peer;
	char log[PATH_MAX + 16];
	int out[2], in[2], ret;

	snprintf(drive, sizeof(drive), "file=%s,if=virtio,format=raw,cache=writeback", s->file);
	memset(g, 0, sizeof(*g));
	snprintf(log, sizeof(log), "%s/virtio-peer.log", s->d.dir);
	g->log = fopen(log, "ae");
	g->what = "the QEMU/KVM virtio-blk peer";
	g->qemu = true;
	g->p.fd = g->p.in_fd = -1;
	snprintf(g->p.start, sizeof(g->p.start), "%s: start", BL_TAG);
	snprintf(g->p.end, sizeof(g->p.end), "%s: end", BL_TAG);
	if (pipe2(out, O_CLOEXEC))
		return errmsg_set(err, errlen, -errno, "pipe");
	if (pipe2(in, O_CLOEXEC)) {
		ret = errmsg_set(err, errlen, -errno, "pipe");
		close(out[0]);
		close(out[1]);
		return ret;
	}
	g->p.pid = fork();
	if (!g->p.pid) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(out[1], STDERR_FILENO);
		execvp(BL_QEMU, (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (g->p.pid < 0) {
		g->p.pid = 0;
		close(in[1]);
		close(out[0]);
		return errmsg_set(err, errlen, -errno, "cannot start %s", BL_QEMU);
	}
	g->p.fd = out[0];
	g->p.in_fd = in[1];
	if (fcntl(g->p.fd, F_SETFL, O_NONBLOCK))
		return errmsg_set(err, errlen, -errno, "cannot follow %s", BL_QEMU);
	ret = bl_wait_ready(g, BL_PEER_BOOT_NS);
	if (ret)
		return errmsg_set(err, errlen, ret, "%s did not reach its bench loop: %s (%s)",
				  g->what, strerror(-ret), log);
	return 0;
}

static int bl_peer_start(struct bl_state *s, char *err, size_t errlen)
{
	int ret = bl_peer_boot(s, err, errlen);

	if (ret != -ETIMEDOUT)
		return ret;
	fprintf(stderr, "svctl bench blk: %s; booting it once more\n", err);
	bl_peer_stop(&s->peer);
	return bl_peer_boot(s, err, errlen);
}

static void bl_peer_stop(struct bl_guest *g)
{
	if (g->p.pid > 0) {
		kill(g->p.pid, SIGKILL);
		waitpid(g->p.pid, NULL, 0);
	}
	if (g->p.fd >= 0)
		close(g->p.fd);
	if (g->p.in_fd >= 0)
		close(g->p.in_fd);
	if (g->log)
		fclose(g->log);
	g->log = NULL;
	g->p.pid = 0;
	g->p.fd = g->p.in_fd = -1;
}

/* Our guest's counts now, or a warning: the throughput stands without them. */
static bool bl_count(struct bl_state *s, struct sweep_counts *c)
{
	char err[256];

	if (!svb_counts_read(&s->d, s->ours.p.name, c, err, sizeof(err)))
		return true;
	fprintf(stderr, "svctl bench blk: no counts for %s: %s\n", s->ours.p.name, err);
	return false;
}

static int bl_measure(struct bl_state *s, const struct bench_blk_linux_opts *o, char *err,
		      size_t errlen)
{
	struct sweep_counts before, after;
	uint64_t ns;
	int ret = 0;

	for (unsigned int run = 0; run < s->runs && !ret; run++) {
		for (unsigned int w = 0; w < BL_NWORK && !ret; w++) {
			const struct bl_work *wk = &bl_works[w];
			unsigned int blocks = bl_blocks(s, wk, o->ops_4k);
			double mb = (double)blocks * wk->bs / 1e6;
			bool counted;

			if (bl_host(s->file, wk, blocks, &s->host[w][run]))
				return errmsg_set(err, errlen, -EIO, "host baseline on %s failed",
						  s->file);
			counted = bl_count(s, &before);
			ret = bl_run(&s->ours, wk, blocks, &ns, err, errlen);
			if (ret)
				break;
			s->guest[w][run] = mb / ((double)ns / 1e9);
			counted = bl_count(s, &after) && counted;
			for (unsigned int k = 0; k < BL_NCOUNT; k++)
				s->counts[w][k][run] =
					counted ? sweep_counts_per(&before, &after,
								   bl_counts[k].kind, blocks)
						: NAN;
			if (o->peer) {
				ret = bl_run(&s->peer, wk, blocks, &ns, err, errlen);
				if (!ret)
					s->virt[w][run] = mb / ((double)ns / 1e9);
			}
		}
	}
	return ret;
}

/* The median of the finite values among n, or NaN when there are none. */
static double bl_median_finite(const double *v, unsigned int n)
{
	double tmp[BLK_MAX_RUNS];
	unsigned int m = 0;

	for (unsigned int i = 0; i < n; i++)
		if (isfinite(v[i]))
			tmp[m++] = v[i];
	return m ? svb_median(tmp, m) : NAN;
}

static void bl_print(struct bl_state *s, bool peer, bool json)
{
	struct bench_result r[2 * BL_NWORK];
	unsigned int n = 0;

	for (unsigned int w = 0; w < BL_NWORK; w++) {
		struct bench_result *x = &r[n++];

		*x = (struct bench_result){ .name = bl_works[w].name,
					    .value = svb_median(s->guest[w], s->runs),
					    .unit = "MB/s",
					    .baseline = svb_median(s->host[w], s->runs),
					    .baseline_name = bl_works[w].base,
					    .samples = s->runs };
		for (unsigned int k = 0; k < BL_NCOUNT; k++) {
			double v = bl_median_finite(s->counts[w][k], s->runs);

			/* Unknown counts are left out, not printed as a figure. */
			if (isfinite(v))
				x->extra[x->nr_extra++] =
					(struct bench_extra){ .key = bl_counts[k].key, .value = v };
		}
	}
	for (unsigned int w = 0; peer && w < BL_NWORK; w++)
		r[n++] = (struct bench_result){ .name = bl_works[w].vs_name,
						.value = svb_median(s->guest[w], s->runs),
						.unit = "MB/s",
						.baseline = svb_median(s->virt[w], s->runs),
						.baseline_name = "QEMU/KVM virtio-blk, same dd",
						.samples = s->runs };
	bench_print(stdout, r, n, json);
}

int bench_blk_linux(const struct bench_blk_linux_opts *o, bool json)
{
	static struct bl_state s;
	char path[PATH_MAX + 16], err[1024] = "";
	int ret;

	memset(&s, 0, sizeof(s));
	s.size = (uint64_t)o->size_mb << 20;
	s.runs = o->runs;
	s.ours.p.fd = s.ours.p.in_fd = s.peer.p.fd = s.peer.p.in_fd = -1;
	snprintf(path, sizeof(path), "%s/vmlinuz", o->linux_dir);
	if (svb_open(&s.d, "blk-linux", path))
		return EX_SOFTWARE;
	snprintf(path, sizeof(path), "%s/initrd.img", o->linux_dir);
	if (!realpath(path, s.d.initrd)) {
		fprintf(stderr, "svctl bench blk: %s: %s (scripts/linux-guest.sh makes it)\n", path,
			strerror(errno));
		svb_close(&s.d);
		return EX_SOFTWARE;
	}
	snprintf(s.file, sizeof(s.file), "%s/disk.img", s.d.dir);
	ret = bench_blk_make_file(s.file, s.size, err, sizeof(err));
	if (!ret)
		ret = bl_ours_start(&s, err, sizeof(err));
	if (!ret && o->peer)
		ret = bl_peer_start(&s, err, sizeof(err));
	if (!ret)
		ret = bl_measure(&s, o, err, sizeof(err));
	if (s.ours.p.name[0])
		svb_proc_stop(&s.d, &s.ours.p);
	bl_peer_stop(&s.peer);
	unlink(s.file);
	svb_close(&s.d);
	if (ret) {
		fprintf(stderr, "svctl bench blk: %s\n", err);
		return EX_SOFTWARE;
	}
	bl_print(&s, o->peer, json);
	return 0;
}
