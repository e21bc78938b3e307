// SPDX-License-Identifier: MIT
/*
 * svctl bench blk --sweep: blkbench in a guest at every point (block size,
 * queue depth, read or write, sequential or random) and in every configuration
 * (persistent grants, indirect segments, ring order, backend in svdom0 or in a
 * driver domain, a raw or a qcow2 image), beside pread/pwrite of the same file by this process at the
 * same block size and pattern in the same run. The host baseline is one
 * thread with one request in flight: queue depth is the guest's alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "bench_dom.h"
#include "bench_sweep.h"
#include "errmsg.h"
#include "util.h"

#define SB_DD		"sbdd"
#define SB_MAX_BS	(1u << 20)
#define SB_MAX_QD	64u /* blkbench's most requests in flight */
#define SB_DEF_OPS	2000u
#define SB_MAX_INFLIGHT (16u << 20)

static const char *const sb_rw[] = { "read", "write", NULL };
static const char *const sb_pattern[] = { "seq", "rand", NULL };
static const struct sweep_key sb_keys[] = {
	{ .name = "bs", .kind = SWEEP_SIZE, .min = 512, .max = SB_MAX_BS, .dflt = 65536 },
	{ .name = "qd", .kind = SWEEP_COUNT, .min = 1, .max = SB_MAX_QD, .dflt = 32 },
	{ .name = "rw", .kind = SWEEP_WORD, .words = sb_rw, .dflt_word = "read" },
	{ .name = "pattern", .kind = SWEEP_WORD, .words = sb_pattern, .dflt_word = "seq" },
};

static const char *const sb_onoff[] = { "on", "off", NULL };
static const char *const sb_backends[] = { "svdom0", "dd", NULL };
static const char *const sb_formats[] = { "raw", "qcow2", NULL };
static const struct sweep_key sb_cmp_keys[] = {
	{ .name = "persistent", .kind = SWEEP_WORD, .words = sb_onoff, .dflt_word = "off" },
	{ .name = "indirect", .kind = SWEEP_WORD, .words = sb_onoff, .dflt_word = "on" },
	{ .name = "ring", .kind = SWEEP_COUNT, .min = 0, .max = 2, .dflt = 2 },
	{ .name = "backend", .kind = SWEEP_WORD, .words = sb_backends, .dflt_word = "svdom0" },
	{ .name = "format", .kind = SWEEP_WORD, .words = sb_formats, .dflt_word = "raw" },
};

/* The extra figures of a point, medians over the runs. */
enum { SB_IOPS, SB_REQ_PER_OP, SB_NOTIFY_PER_REQ, SB_RING, SB_INDIRECT, SB_PERSISTENT, SB_NX };
static const char *const sb_extra[SB_NX] = {
	"iops",	      "requests_per_op",   "notifications_per_request",
	"ring_order", "indirect_segments", "persistent_grants",
};

struct sb_ctx {
	struct svb_dom d;
	char file[PATH_MAX + 16];
	char qcow2[PATH_MAX + 16]; /* the same data as a qcow2 image, made on first use */
	uint64_t size;
	unsigned int ops;
	bool dd_started;
	uint64_t x; /* the host's random offsets */
};

struct sb_result {
	unsigned long long bytes, ops, errors, requests, notifications;
	unsigned int ring, indirect, persistent;
	bool seen, unfit;
};

static void sb_line(const char *line, void *data)
{
	struct sb_result *res = data;

	if (strstr(line, "does not fit this disk"))
		res->unfit = true;
	if (sscanf(line,
		   "blkbench: rw=%*s bs=%*u qd=%*u bytes=%llu ns=%*u ops=%llu errors=%llu "
		   "requests=%llu notifications=%llu ring_order=%u indirect=%u persistent=%u",
		   &res->bytes, &res->ops, &res->errors, &res->requests, &res->notifications,
		   &res->ring, &res->indirect, &res->persistent) == 8)
		res->seen = true;
}

static int sb_make_file(struct sb_ctx *c, char *err, size_t errlen)
{
	static uint8_t buf[1 << 20];
	int fd, ret = 0;

	snprintf(c->file, sizeof(c->file), "%s/disk.img", c->d.dir);
	fd = open(c->file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return errmsg_set(err, errlen, -errno, "cannot create %s", c->file);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	for (uint64_t off = 0; off < c->size && !ret; off += sizeof(buf))
		if (pwrite(fd, buf, sizeof(buf), (off_t)off) != (ssize_t)sizeof(buf))
			ret = errmsg_set(err, errlen, -EIO, "cannot fill %s", c->file);
	close(fd);
	return ret;
}

/* A driver domain of its own, made the first time a configuration asks for one. */
static int sb_start_dd(struct sb_ctx *c, char *err, size_t errlen)
{
	char path[PATH_MAX + 32];
	const char *create[] = { "create", path, NULL };
	FILE *f;

	if (c->dd_started)
		return 0;
	snprintf(path, sizeof(path), "%s/%s.xml", c->d.dir, SB_DD);
	f = fopen(path, "w");
	if (!f)
		return errmsg_set(err, errlen, -errno, "cannot write %s", path);
	fprintf(f,
		"<domain type='xen'><name>%s</name><memory unit='MiB'>64</memory>"
		"<os><type>exe</type></os></domain>\n",
		SB_DD);
	if (fclose(f))
		return errmsg_set(err, errlen, -errno, "cannot write %s", path);
	if (svb_svctl(&c->d, create, NULL))
		return errmsg_set(err, errlen, -EIO, "svctl create %s failed", path);
	c->dd_started = true;
	return 0;
}

/* MB/s of this process at point p: one request at a time, the guest's pattern and size. */
static int sb_host(struct sb_ctx *c, const struct sweep_spec *pts, unsigned int p, double *mbps)
{
	uint64_t bs = sweep_num(pts, p, "bs"), t0, done = 0, blocks = c->size / bs;
	bool write = !strcmp(sweep_word(pts, p, "rw"), "write");
	bool rand = !strcmp(sweep_word(pts, p, "pattern"), "rand");
	uint64_t n = rand ? c->ops : c->size / bs;
	void *buf = NULL;
	int fd, ret = -EIO;

	if (!blocks || posix_memalign(&buf, 4096, bs))
		return -ENOMEM;
	memset(buf, 0x5a, bs);
	fd = open(c->file, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	t0 = util_now_ns();
	for (uint64_t i = 0; i < n; i++) {
		uint64_t off = i % blocks;

		if (rand) {
			c->x ^= c->x << 13;
			c->x ^= c->x >> 7;
			c->x ^= c->x << 17;
			off = c->x % blocks;
		}
		if ((write ? pwrite(fd, buf, bs, (off_t)(off * bs))
			   : pread(fd, buf, bs, (off_t)(off * bs))) != (ssize_t)bs)
			goto out;
		done += bs;
	}
	if (write && fdatasync(fd))
		goto out;
	*mbps = (double)done / 1e6 / ((double)(util_now_ns() - t0) / 1e9);
	ret = 0;
out:
	close(fd);
	free(buf);
	return ret;
}

/*
 * The disk's data as a qcow2 image (every cluster allocated, as a guest's disk
 * in use is), through qemu-img, once: format=qcow2 measures QEMU's format
 * driver and the NBD hop against the same host baseline (the raw file).
 */
static int sb_make_qcow2(struct sb_ctx *c, char *err, size_t errlen)
{
	char *argv[] = { "qemu-img", "convert", "-q",	 "-f",	   "raw",
			 "-O",	     "qcow2",	c->file, c->qcow2, NULL };
	int status;
	pid_t pid;

	if (c->qcow2[0])
		return 0;
	if (snprintf(c->qcow2, sizeof(c->qcow2), "%s.qcow2", c->file) >= (int)sizeof(c->qcow2))
		return errmsg_set(err, errlen, -ENAMETOOLONG, "%s: path too long", c->file);
	pid = fork();
	if (pid < 0)
		return errmsg_set(err, errlen, -errno, "cannot run qemu-img");
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		c->qcow2[0] = '\0';
		return errmsg_set(err, errlen, -EIO,
				  "qemu-img convert of %s to qcow2 failed (qemu-utils installed?)",
				  c->file);
	}
	return 0;
}

/* One guest at point p in configuration cfg; res->unfit when the disk refused the size. */
static int sb_guest(struct sb_ctx *c, const struct sweep_spec *pts, unsigned int p,
		    const struct sweep_spec *cfgs, unsigned int cfg, struct sb_result *res,
		    uint64_t *ns, char *err, size_t errlen)
{
	bool write = !strcmp(sweep_word(pts, p, "rw"), "write");
	bool rand = !strcmp(sweep_word(pts, p, "pattern"), "rand");
	bool dd = !strcmp(sweep_word(cfgs, cfg, "backend"), "dd");
	bool qcow2 = !strcmp(sweep_word(cfgs, cfg, "format"), "qcow2");
	uint64_t bs = sweep_num(pts, p, "bs");
	char cmd[256], amount[32], dev[PATH_MAX + 256], be[64] = "";
	int ret;

	if (qcow2 && dd)
		return errmsg_set(
			err, errlen, -EOPNOTSUPP,
			"format=qcow2 with backend=dd: a driver domain serves raw images only");
	if (qcow2) {
		ret = sb_make_qcow2(c, err, errlen);
		if (ret)
			return ret;
	}
	if (dd) {
		ret = sb_start_dd(c, err, errlen);
		if (ret)
			return ret;
		snprintf(be, sizeof(be), "<backenddomain name='%s'/>", SB_DD);
	}
	if (rand)
		snprintf(amount, sizeof(amount), "--ops %u", c->ops);
	else
		snprintf(amount, sizeof(amount), "--mb %llu", (unsigned long long)(c->size >> 20));
	snprintf(cmd, sizeof(cmd), "blkbench --wait-key --rw %s%s --bs %llu --qd %llu %s%s%s%s%s",
		 rand ? "rand" : "", write ? "write" : "read", (unsigned long long)bs,
		 (unsigned long long)sweep_num(pts, p, "qd"), amount, write ? " --flush" : "",
		 !strcmp(sweep_word(cfgs, cfg, "persistent"), "on") ? " --persistent" : "",
		 !strcmp(sweep_word(cfgs, cfg, "indirect"), "off") ? " --no-indirect" : "",
		 sweep_num(cfgs, cfg, "ring") < 2
			 ? (sweep_num(cfgs, cfg, "ring") ? " --ring-order 1" : " --ring-order 0")
			 : "");
	snprintf(dev, sizeof(dev),
		 "<disk type='file' device='disk'><driver name='%s' type='%s' cache='writeback'/>"
		 "<source file='%s'/><target dev='xvda' bus='xen'/>%s</disk>",
		 qcow2 ? "qemu" : "file", qcow2 ? "qcow2" : "raw", qcow2 ? c->qcow2 : c->file, be);
	memset(res, 0, sizeof(*res));
	res->errors = 1;
	ret = svb_guest(&c->d, "blkbench", cmd, dev, "\n", sb_line, res, ns, err, errlen);
	if (res->unfit)
		return 0;
	if (ret)
		return ret;
	if (!res->seen || res->errors || !*ns)
		return errmsg_set(err, errlen, -EIO,
				  "the guest's blkbench (%s) printed no result or had errors", cmd);
	return 0;
}

/* Host then guest in every configuration at point p of run `run`, into samples. */
static int sb_point(struct sb_ctx *c, const struct sweep_spec *pts, unsigned int p,
		    const struct sweep_spec *cfgs, struct sweep_samples *samples, unsigned int run,
		    struct sweep_progress *prog, unsigned int *step, char *err, size_t errlen)
{
	char name[192];
	double host = NAN;
	int ret;

	if (sb_host(c, pts, p, &host))
		return errmsg_set(err, errlen, -EIO, "host baseline on %s failed", c->file);
	sweep_point_name(pts, p, NULL, name, sizeof(name));
	for (unsigned int cfg = 0; cfg < cfgs->nr_points; cfg++) {
		struct sweep_samples *s = &samples[cfg * pts->nr_points + p];
		struct sb_result res;
		uint64_t ns = 0;

		sweep_progress_step(prog, (*step)++, name);
		s->baseline[run] = host;
		ret = sb_guest(c, pts, p, cfgs, cfg, &res, &ns, err, errlen);
		if (ret)
			return ret;
		if (res.unfit) {
			fprintf(stderr,
				"\rsvctl bench blk: %s: the block size does not fit one "
				"request in this configuration; no figure\n",
				name);
			continue;
		}
		s->value[run] = (double)res.bytes / 1e6 / ((double)ns / 1e9);
		s->extra[SB_IOPS][run] = (double)res.ops / ((double)ns / 1e9);
		s->extra[SB_REQ_PER_OP][run] = res.ops ? (double)res.requests / res.ops : NAN;
		s->extra[SB_NOTIFY_PER_REQ][run] =
			res.requests ? (double)res.notifications / res.requests : NAN;
		s->extra[SB_RING][run] = res.ring;
		s->extra[SB_INDIRECT][run] = res.indirect;
		s->extra[SB_PERSISTENT][run] = res.persistent;
	}
	return 0;
}

int bench_sweep_blk(const struct bench_sweep_opts *o)
{
	struct sb_ctx c = { .ops = o->iterations ? o->iterations : SB_DEF_OPS,
			    .x = 88172645463325252ull };
	struct sweep_report r = { .bench = "blk",
				  .unit = "MB/s",
				  .baseline_name = "host pread/pwrite, one request at a time" };
	struct sweep_spec pts, cfgs;
	struct sweep_samples *samples = NULL;
	struct sweep_progress prog;
	char err[512] = "";
	unsigned int step = 0;
	int ret;

	ret = sweep_setup(o, "blk", sb_keys, sizeof(sb_keys) / sizeof(sb_keys[0]), sb_cmp_keys,
			  sizeof(sb_cmp_keys) / sizeof(sb_cmp_keys[0]), &pts, &cfgs, &samples);
	if (ret)
		return ret;
	/* The guest has 64 MiB: its buffers, one per request in flight, must fit. */
	for (unsigned int p = 0; p < pts.nr_points; p++) {
		if (sweep_num(&pts, p, "bs") * sweep_num(&pts, p, "qd") > SB_MAX_INFLIGHT) {
			sweep_point_name(&pts, p, NULL, err, sizeof(err));
			fprintf(stderr,
				"svctl bench blk: --sweep: %s: bs x qd is over the %u MiB a "
				"guest's buffers may take\n",
				err, SB_MAX_INFLIGHT >> 20);
			free(samples);
			return EX_USAGE;
		}
		if (sweep_num(&pts, p, "bs") > (uint64_t)o->size_mb << 20) {
			fprintf(stderr, "svctl bench blk: --sweep: bs is over --size %u MiB\n",
				o->size_mb);
			free(samples);
			return EX_USAGE;
		}
	}
	c.size = (uint64_t)o->size_mb << 20;
	if (svb_open(&c.d, "sweep-blk", o->kernel)) {
		free(samples);
		return EX_SOFTWARE;
	}
	ret = sb_make_file(&c, err, sizeof(err));
	sweep_progress_init(&prog, stderr, o->runs * pts.nr_points * cfgs.nr_points);
	/* Runs outermost: a noisy neighbour then hits every point and the host alike. */
	for (unsigned int run = 0; run < o->runs && !ret; run++)
		for (unsigned int p = 0; p < pts.nr_points && !ret; p++)
			ret = sb_point(&c, &pts, p, &cfgs, samples, run, &prog, &step, err,
				       sizeof(err));
	sweep_progress_done(&prog);
	unlink(c.file);
	if (c.qcow2[0])
		unlink(c.qcow2);
	svb_close(&c.d);
	if (ret) {
		fprintf(stderr, "svctl bench blk: %s (logs in %s)\n", err, c.d.dir);
		free(samples);
		return EX_SOFTWARE;
	}
	ret = sweep_finish(o, &r, &pts, &cfgs, samples, sb_extra, SB_NX);
	free(samples);
	return ret;
}
