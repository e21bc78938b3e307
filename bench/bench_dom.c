// SPDX-License-Identifier: MIT
/*
 * Guests for the benchmarks of svctl: each runs under private daemons (a
 * temporary run directory) started by this same svctl binary as child
 * processes, so a bench exercises exactly what users run, and is timed on the
 * host clock between the marker lines of its console.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errmsg.h"
#include "bench_dom.h"
#include "util.h"

#define SVB_MAX_ARGS 16

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double svb_median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int svb_open(struct svb_dom *b, const char *tag, const char *kernel)
{
	const char *tmp = getenv("TMPDIR");
	ssize_t n;

	memset(b, 0, sizeof(*b));
	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (!realpath(kernel, b->kernel)) {
		fprintf(stderr, "svctl bench %s: kernel %s: %s\n", tag, kernel, strerror(errno));
		return -errno;
	}
	n = readlink("/proc/self/exe", b->self, sizeof(b->self) - 1);
	if (n <= 0) {
		fprintf(stderr, "svctl bench %s: cannot find this program\n", tag);
		return -EIO;
	}
	b->self[n] = '\0';
	snprintf(b->dir, sizeof(b->dir), "%s/svbench-%s-XXXXXX", tmp, tag);
	if (!mkdtemp(b->dir)) {
		fprintf(stderr, "svctl bench %s: cannot make a directory in %s\n", tag, tmp);
		return -errno;
	}
	return 0;
}

void svb_close(struct svb_dom *b)
{
	const char *stop[] = { "daemons", "stop", NULL };

	svb_svctl(b, stop, NULL);
	rmdir(b->dir);
}

/*
 * Forks this svctl with args in b's run directory: its stdin reads input (or
 * nothing; never our terminal), its stdout goes into a pipe. The pid or -errno.
 */
static pid_t svb_spawn(const struct svb_dom *b, const char *const *args, const char *input,
		       int *rfd)
{
	const char *argv[SVB_MAX_ARGS];
	int fds[2], ifds[2], n = 0;
	pid_t pid;

	argv[n++] = b->self;
	while (*args && n < SVB_MAX_ARGS - 1)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (pipe(fds))
		return -errno;
	if (pipe(ifds)) {
		pid = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		pid = -errno;
		close(ifds[0]);
		close(ifds[1]);
		goto out;
	}
	if (!pid) {
		dup2(ifds[0], STDIN_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		close(ifds[0]);
		close(ifds[1]);
		close(fds[0]);
		close(fds[1]);
		setenv("SPLITVISOR_RUN_DIR", b->dir, 1);
		execv(b->self, (char *const *)argv);
		_exit(127);
	}
	close(ifds[0]);
	/* A few bytes fit the pipe's buffer: the write cannot block. */
	if (input && write(ifds[1], input, strlen(input)) < 0)
		fprintf(stderr, "svctl bench: input to %s: %s\n", argv[1], strerror(errno));
	close(ifds[1]);
	*rfd = fds[0];
	fds[0] = -1;
out:
	if (fds[0] >= 0)
		close(fds[0]);
	close(fds[1]);
	return pid;
}

static int svb_reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int svb_svctl(const struct svb_dom *b, const char *const *args, FILE *out)
{
	char buf[4096];
	ssize_t r;
	pid_t pid;
	int fd;

	pid = svb_spawn(b, args, NULL, &fd);
	if (pid < 0)
		return (int)pid;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		if (out)
			fwrite(buf, 1, (size_t)r, out);
	close(fd);
	return svb_reap(pid);
}

static int svb_write_xml(const struct svb_dom *b, const char *name, const char *cmdline,
			 const char *devices, char *path, size_t cap)
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
		"<on_crash>preserve</on_crash><devices>%s</devices></domain>\n",
		name, b->kernel, cmdline, devices);
	return fclose(f) ? -errno : 0;
}

int svb_guest(struct svb_dom *b, const char *tag, const char *cmdline, const char *devices,
	      const char *key, svb_line_fn *fn, void *data, uint64_t *ns, char *err, size_t errlen)
{
	char name[48], xml[PATH_MAX + 64], line[1024], start[64], end[64];
	const char *create[] = { "create", xml, NULL };
	const char *console[] = { "console", name, NULL };
	const char *destroy[] = { "destroy", name, NULL };
	uint64_t t0 = 0, t1 = 0;
	FILE *in = NULL;
	pid_t pid;
	int fd, ret;

	snprintf(name, sizeof(name), "%s%u", tag, b->seq++);
	snprintf(start, sizeof(start), "%s: start", tag);
	snprintf(end, sizeof(end), "%s: end", tag);
	ret = svb_write_xml(b, name, cmdline, devices, xml, sizeof(xml));
	if (ret)
		return errmsg_set(err, errlen, ret, "cannot write %s", xml);
	ret = svb_svctl(b, create, NULL);
	if (ret) {
		ret = errmsg_set(err, errlen, -EIO, "svctl create %s failed (exit %d)", xml, ret);
		goto out;
	}
	/*
	 * No key for a guest that does not wait for one: it may have ended by now,
	 * and svctl console refuses input to an ended domain.
	 */
	pid = svb_spawn(b, console, key, &fd);
	if (pid < 0) {
		ret = errmsg_set(err, errlen, (int)pid, "cannot run svctl console");
		goto out;
	}
	in = fdopen(fd, "r");
	if (!in)
		close(fd);
	/* `svctl console` ends when the guest does. */
	while (in && fgets(line, sizeof(line), in)) {
		if (strstr(line, start))
			t0 = util_now_ns();
		else if (strstr(line, end))
			t1 = util_now_ns();
		else if (fn)
			fn(line, data);
	}
	if (in)
		fclose(in);
	svb_reap(pid);
	if (!t0 || t1 <= t0)
		ret = errmsg_set(err, errlen, -EIO, "the guest (%s) printed no '%s' and '%s'",
				 cmdline, start, end);
	else
		*ns = t1 - t0;
out:
	svb_svctl(b, destroy, NULL);
	unlink(xml);
	return ret;
}
