// SPDX-License-Identifier: MIT
/*
 * svctl bench blk: a guest's blkbench through blkfront, the ring and svdom0's
 * blkback against a file in the host's page cache, beside pread/pwrite of the
 * same file by this process in the same run. The guest runs under private
 * daemons (a temporary run directory), driven by this same svctl binary as
 * child processes, so the bench exercises exactly what users run. Guest
 * figures are timed on the host clock between the "blkbench: start" and
 * "blkbench: end" lines of its console.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "errmsg.h"
#include "svctl.h"

#define BLK_BS_SEQ  65536u
#define BLK_BS_RAND 4096u
#define BLK_QD	    32u

struct blk_bench {
	char dir[PATH_MAX];
	char self[PATH_MAX];
	char file[PATH_MAX + 16];
	const char *kernel;
	uint64_t size;
	unsigned int rand_ops;
	unsigned int seq;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Runs this svctl with args; its stdout goes to out (or /dev/null). Returns the exit code. */
static int bb_svctl(const struct blk_bench *b, const char *const *args, FILE *out)
{
	const char *argv[16];
	int fds[2], status, n = 0;
	pid_t pid;
	char buf[4096];
	ssize_t r;

	argv[n++] = b->self;
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (pipe(fds))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		setenv("SPLITVISOR_RUN_DIR", b->dir, 1);
		execv(b->self, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while ((r = read(fds[0], buf, sizeof(buf))) > 0)
		if (out)
			fwrite(buf, 1, (size_t)r, out);
	close(fds[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int bb_write_xml(const struct blk_bench *b, const char *name, const char *cmdline,
			char *path, size_t cap)
{
	FILE *f;

	snprintf(path, cap, "%s/%s.xml", b->dir, name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f,
		"<domain type='xen'><name>%s</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
		"<os><type arch='x86_64' machine='xenpv'>xen</type><kernel>%s</kernel>"
		"<cmdline>%s</cmdline></os><on_poweroff>preserve</on_poweroff>"
		"<on_crash>preserve</on_crash><devices><disk type='file' device='disk'>"
		"<driver name='file' cache='writeback'/><source file='%s'/>"
		"<target dev='xvda' bus='xen'/></disk></devices></domain>\n",
		name, b->kernel, cmdline, b->file);
	return fclose(f) ? -errno : 0;
}

/*
 * Boots a guest running cmdline and times its start..end markers on the host
 * clock; *bytes and *ops come from its result line.
 */
static int bb_guest(struct blk_bench *b, const char *cmdline, uint64_t *ns, uint64_t *bytes,
		    uint64_t *ops, char *err, size_t errlen)
{
	char name[32], xml[PATH_MAX + 64], line[1024];
	const char *create[] = { "create", xml, NULL };
	const char *destroy[] = { "destroy", name, NULL };
	uint64_t t0 = 0, t1 = 0;
	unsigned long long by = 0, op = 0, errs = 1;
	int fds[2], status, ret;
	bool passed = false;
	FILE *in;
	pid_t pid;

	snprintf(name, sizeof(name), "blkbench%u", b->seq++);
	ret = bb_write_xml(b, name, cmdline, xml, sizeof(xml));
	if (ret)
		return sv_errf(err, errlen, ret, "cannot write %s", xml);
	ret = bb_svctl(b, create, NULL);
	if (ret)
		return sv_errf(err, errlen, -EIO, "svctl create %s failed (exit %d)", xml, ret);
	if (pipe(fds))
		return -errno;
	pid = fork();
	if (!pid) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		setenv("SPLITVISOR_RUN_DIR", b->dir, 1);
		execl(b->self, b->self, "console", name, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
	while (in && fgets(line, sizeof(line), in)) {
		if (strstr(line, "blkbench: start"))
			t0 = now_ns();
		else if (strstr(line, "blkbench: end"))
			t1 = now_ns();
		else if (sscanf(line,
				"blkbench: rw=%*s bs=%*u qd=%*u bytes=%llu ns=%*u ops=%llu "
				"errors=%llu",
				&by, &op, &errs) == 3) {
			passed = !errs;
			/* The guest's own counts (requests, notifications) explain the figure. */
			fprintf(stderr, "svctl bench blk: guest %s", line + strlen("blkbench: "));
		}
	}
	if (in)
		fclose(in);
	waitpid(pid, &status, 0);
	bb_svctl(b, destroy, NULL);
	if (!passed || !t0 || t1 <= t0)
		return sv_errf(err, errlen, -EIO,
			       "the guest's blkbench (%s) printed no result or had errors",
			       cmdline);
	*ns = t1 - t0;
	*bytes = by;
	*ops = op;
	return 0;
}

static int bb_make_file(struct blk_bench *b, char *err, size_t errlen)
{
	static uint8_t buf[1 << 20];
	uint64_t off;
	int fd, ret = 0;

	snprintf(b->file, sizeof(b->file), "%s/disk.img", b->dir);
	fd = open(b->file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return sv_errf(err, errlen, -errno, "cannot create %s", b->file);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	for (off = 0; off < b->size && !ret; off += sizeof(buf))
		if (pwrite(fd, buf, sizeof(buf), (off_t)off) != (ssize_t)sizeof(buf))
			ret = sv_errf(err, errlen, -EIO, "cannot fill %s", b->file);
	close(fd);
	return ret;
}

/*
 * The host's own figure for workload w on the same file: what the guest is
 * measured against. Sequential passes cover the file; the first read pass
 * also warms the cache.
 */
static int bb_host(struct blk_bench *b, int w, double *out)
{
	static uint8_t buf[BLK_BS_SEQ] __attribute__((aligned(4096)));
	uint64_t t0, off, x = 88172645463325252ull ^ b->seq;
	unsigned int i, blocks = (unsigned int)(b->size / BLK_BS_RAND);
	int fd = open(b->file, O_RDWR | O_CLOEXEC), ret = -EIO;

	if (fd < 0)
		return -errno;
	for (off = 0; w == 0 && off < b->size; off += BLK_BS_SEQ)
		if (pread(fd, buf, BLK_BS_SEQ, (off_t)off) != BLK_BS_SEQ)
			goto out;
	t0 = now_ns();
	if (w == 1) {
		for (i = 0; i < b->rand_ops; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if (pread(fd, buf, BLK_BS_RAND, (off_t)(x % blocks) * BLK_BS_RAND) !=
			    BLK_BS_RAND)
				goto out;
		}
		*out = (double)b->rand_ops / ((double)(now_ns() - t0) / 1e9);
		ret = 0;
		goto out;
	}
	for (off = 0; off < b->size; off += BLK_BS_SEQ) {
		if ((w == 0 ? pread(fd, buf, BLK_BS_SEQ, (off_t)off)
			    : pwrite(fd, buf, BLK_BS_SEQ, (off_t)off)) != BLK_BS_SEQ)
			goto out;
	}
	if (w == 2 && fdatasync(fd))
		goto out;
	*out = (double)b->size / 1e6 / ((double)(now_ns() - t0) / 1e9);
	ret = 0;
out:
	close(fd);
	return ret;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void bb_unlink_in(const char *dir, const char *name)
{
	char path[PATH_MAX + 256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

int svctl_bench_blk(const struct svctl_bench_blk_opts *o, bool json)
{
	static const char *const names[3] = { "blk.seq_read_64k", "blk.rand_read_4k",
					      "blk.seq_write_64k" };
	static const char *const units[3] = { "MB/s", "IOPS", "MB/s" };
	static const char *const bases[3] = { "host pread 64 KiB", "host pread 4 KiB, one thread",
					      "host pwrite 64 KiB + fdatasync" };
	struct blk_bench b = { .rand_ops = o->rand_ops };
	const char *stop[] = { "daemons", "stop", NULL };
	double host[3][BLK_MAX_RUNS], guest[3][BLK_MAX_RUNS];
	const char *tmp = getenv("TMPDIR");
	const char *np = o->persistent ? " --persistent" : "";
	struct sv_bench_result r[3];
	char cmd[3][192], err[512] = "", kpath[PATH_MAX];
	uint64_t ns = 0, bytes = 0, ops = 0;
	ssize_t n;
	int ret;

	b.size = (uint64_t)o->size_mb << 20;
	/* The document names the kernel for the daemons, which run elsewhere. */
	if (!realpath(o->kernel, kpath)) {
		fprintf(stderr, "svctl bench blk: kernel %s: %s\n", o->kernel, strerror(errno));
		return SVCTL_EX_DATAERR;
	}
	b.kernel = kpath;
	n = readlink("/proc/self/exe", b.self, sizeof(b.self) - 1);
	if (n <= 0)
		return SVCTL_EX_SOFTWARE;
	b.self[n] = '\0';
	snprintf(b.dir, sizeof(b.dir), "%s/svbench-blk-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(b.dir)) {
		fprintf(stderr, "svctl bench blk: cannot make a directory in %s\n",
			tmp && *tmp ? tmp : "/tmp");
		return SVCTL_EX_SOFTWARE;
	}
	ret = bb_make_file(&b, err, sizeof(err));
	snprintf(cmd[0], sizeof(cmd[0]), "blkbench --rw read --bs %u --qd %u --mb %u%s", BLK_BS_SEQ,
		 BLK_QD, o->size_mb, np);
	snprintf(cmd[1], sizeof(cmd[1]), "blkbench --rw randread --bs %u --qd %u --ops %u%s",
		 BLK_BS_RAND, BLK_QD, o->rand_ops, np);
	snprintf(cmd[2], sizeof(cmd[2]), "blkbench --rw write --bs %u --qd %u --mb %u --flush%s",
		 BLK_BS_SEQ, BLK_QD, o->size_mb, np);
	/* Host and guest take turns, so a noisy neighbour hits both alike. */
	for (unsigned int run = 0; run < o->runs && !ret; run++) {
		for (int w = 0; w < 3 && !ret; w++) {
			if (bb_host(&b, w, &host[w][run])) {
				ret = sv_errf(err, sizeof(err), -EIO, "host baseline on %s failed",
					      b.file);
				break;
			}
			ret = bb_guest(&b, cmd[w], &ns, &bytes, &ops, err, sizeof(err));
			if (!ret)
				guest[w][run] = w == 1 ? (double)ops / ((double)ns / 1e9)
						       : (double)bytes / 1e6 / ((double)ns / 1e9);
		}
	}
	bb_svctl(&b, stop, NULL);
	unlink(b.file);
	if (ret) {
		fprintf(stderr, "svctl bench blk: %s (logs in %s)\n", err, b.dir);
		return SVCTL_EX_SOFTWARE;
	}
	for (int w = 0; w < 3; w++)
		r[w] = (struct sv_bench_result){ names[w], median(guest[w], o->runs),
						 units[w], median(host[w], o->runs),
						 bases[w], o->runs };
	sv_bench_print(stdout, r, 3, json);
	for (int i = 0; i < (int)b.seq; i++) {
		snprintf(cmd[0], sizeof(cmd[0]), "blkbench%d.xml", i);
		bb_unlink_in(b.dir, cmd[0]);
	}
	rmdir(b.dir);
	return 0;
}
