// SPDX-License-Identifier: MIT
/*
 * Guests for the benchmarks of svctl: each runs under private daemons (a
 * temporary run directory) started by this same svctl binary as child
 * processes, so a bench exercises exactly what users run, and is timed on the
 * host clock between the marker lines of its console.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errmsg.h"
#include "bench_dom.h"
#include "util.h"

#define SVB_MAX_ARGS 16
/* How long a console follower may take to end after its domain was destroyed. */
#define SVB_STOP_WAIT_MS 30000

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
 * nothing; never our terminal), its stdout goes into a pipe. With wfd its
 * stdin stays open there for more. The pid or -errno.
 */
static pid_t svb_spawn(const struct svb_dom *b, const char *const *args, const char *input,
		       int *rfd, int *wfd)
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
	if (pipe2(ifds, O_CLOEXEC)) {
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
	if (wfd)
		*wfd = ifds[1];
	else
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

	pid = svb_spawn(b, args, NULL, &fd, NULL);
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
	/* Our own kernel, or Linux (initrd given) as a PVH domain with room for its initramfs. */
	fprintf(f,
		"<domain type='xen'><name>%s</name><memory unit='MiB'>%u</memory><vcpu>1</vcpu>"
		"<os><type arch='x86_64' machine='%s'>%s</type><kernel>%s</kernel>",
		name, b->initrd[0] ? 256u : 64u, b->initrd[0] ? "xenpvh" : "xenpv",
		b->initrd[0] ? "xenpvh" : "xen", b->kernel);
	if (b->initrd[0])
		fprintf(f, "<initrd>%s</initrd>", b->initrd);
	fprintf(f,
		"<cmdline>%s</cmdline></os><on_poweroff>preserve</on_poweroff>"
		"<on_crash>preserve</on_crash><devices>%s</devices></domain>\n",
		cmdline, devices);
	return fclose(f) ? -errno : 0;
}

static int svb_proc_begin(struct svb_dom *b, struct svb_proc *p, const char *tag,
			  const char *cmdline, const char *devices, const char *key, bool keyed,
			  char *err, size_t errlen)
{
	const char *create[] = { "create", p->xml, NULL };
	int ret;

	memset(p, 0, sizeof(*p));
	p->fd = p->in_fd = -1;
	snprintf(p->name, sizeof(p->name), "%s%u", tag, b->seq++);
	snprintf(p->start, sizeof(p->start), "%s: start", tag);
	snprintf(p->end, sizeof(p->end), "%s: end", tag);
	ret = svb_write_xml(b, p->name, cmdline, devices, p->xml, sizeof(p->xml));
	if (ret)
		return errmsg_set(err, errlen, ret, "cannot write %s", p->xml);
	ret = svb_svctl(b, create, NULL);
	if (ret) {
		ret = errmsg_set(err, errlen, -EIO, "svctl create %s failed (exit %d)", p->xml,
				 ret);
		goto out;
	}
	/*
	 * No key for a guest that does not wait for one: it may have ended by now,
	 * and svctl console refuses input to an ended domain.
	 */
	p->pid = svb_spawn(b, (const char *const[]){ "console", p->name, NULL }, key, &p->fd,
			   keyed ? &p->in_fd : NULL);
	if (p->pid < 0) {
		ret = errmsg_set(err, errlen, (int)p->pid, "cannot run svctl console");
		p->pid = 0;
		p->fd = -1;
		goto out;
	}
	if (fcntl(p->fd, F_SETFL, O_NONBLOCK))
		ret = errmsg_set(err, errlen, -errno, "cannot follow %s", p->name);
out:
	if (ret)
		svb_proc_stop(b, p);
	return ret;
}

int svb_proc_start(struct svb_dom *b, struct svb_proc *p, const char *tag, const char *cmdline,
		   const char *devices, const char *key, char *err, size_t errlen)
{
	return svb_proc_begin(b, p, tag, cmdline, devices, key, false, err, errlen);
}

int svb_proc_start_keyed(struct svb_dom *b, struct svb_proc *p, const char *tag,
			 const char *cmdline, const char *devices, char *err, size_t errlen)
{
	/* The key goes down a pipe whose reader may be gone: an error then, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	return svb_proc_begin(b, p, tag, cmdline, devices, NULL, true, err, errlen);
}

int svb_proc_key(struct svb_proc *p, const char *key)
{
	size_t len = strlen(key);

	if (p->in_fd < 0)
		return -EBADF;
	/* A few bytes into an empty pipe: the write cannot block or be short. */
	return write(p->in_fd, key, len) == (ssize_t)len ? 0 : -errno;
}

/* The first len bytes of p->line are a line (or as much of one as fits). */
static void svb_proc_line(struct svb_proc *p, size_t len, svb_line_fn *fn, void *data)
{
	char line[sizeof(p->line)];

	memcpy(line, p->line, len);
	line[len] = '\0';
	p->len -= len;
	memmove(p->line, p->line + len, p->len);
	if (strstr(line, p->start))
		p->t0 = util_now_ns();
	else if (strstr(line, p->end))
		p->t1 = util_now_ns();
	else if (fn)
		fn(line, data);
}

int svb_proc_read(struct svb_proc *p, svb_line_fn *fn, void *data)
{
	const char *nl;
	ssize_t n;

	while (p->fd >= 0) {
		n = read(p->fd, p->line + p->len, sizeof(p->line) - 1 - p->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0) {
			/* `svctl console` ends when the guest does; a last line may lack its \n. */
			if (p->len)
				svb_proc_line(p, p->len, fn, data);
			close(p->fd);
			p->fd = -1;
			break;
		}
		p->len += (size_t)n;
		/* A line longer than the buffer comes in pieces, as fgets gives it. */
		while ((nl = memchr(p->line, '\n', p->len)) || p->len == sizeof(p->line) - 1)
			svb_proc_line(p, nl ? (size_t)(nl - p->line) + 1 : p->len, fn, data);
	}
	return 1;
}

void svb_proc_destroy(struct svb_dom *b, struct svb_proc *p)
{
	if (!p->name[0] || p->destroyed)
		return;
	svb_svctl(b, (const char *const[]){ "destroy", p->name, NULL }, NULL);
	p->destroyed = true;
}

void svb_proc_stop(struct svb_dom *b, struct svb_proc *p)
{
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };

	if (!p->name[0])
		return;
	svb_proc_destroy(b, p);
	/* The follower ends with the domain; one that does not is ended here. */
	while (p->fd >= 0 && poll(&pfd, 1, SVB_STOP_WAIT_MS) > 0)
		svb_proc_read(p, NULL, NULL);
	if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
		kill(p->pid, SIGTERM);
	}
	if (p->in_fd >= 0) {
		close(p->in_fd);
		p->in_fd = -1;
	}
	if (p->pid > 0)
		svb_reap(p->pid);
	p->pid = 0;
	unlink(p->xml);
	p->name[0] = '\0';
}

int svb_guest(struct svb_dom *b, const char *tag, const char *cmdline, const char *devices,
	      const char *key, svb_line_fn *fn, void *data, uint64_t *ns, char *err, size_t errlen)
{
	struct svb_proc p;
	struct pollfd pfd;
	int ret;

	ret = svb_proc_start(b, &p, tag, cmdline, devices, key, err, errlen);
	if (ret)
		return ret;
	pfd = (struct pollfd){ .fd = p.fd, .events = POLLIN };
	while (!svb_proc_read(&p, fn, data))
		poll(&pfd, 1, -1);
	if (!p.t0 || p.t1 <= p.t0)
		ret = errmsg_set(err, errlen, -EIO, "the guest (%s) printed no '%s' and '%s'",
				 cmdline, p.start, p.end);
	else
		*ns = p.t1 - p.t0;
	svb_proc_stop(b, &p);
	return ret;
}
