// SPDX-License-Identifier: MIT
/*
 * What svctl's commands share: usage errors, the run directory, starting the
 * daemons on demand and one request to svdom0 with its error printed. The
 * command files build on these and never call each other back.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <splitvisor/control.h>

#include "ctl_wire.h"
#include "svctl.h"
#include "util.h"

int svctl_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "svctl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'svctl %s --help')\n", cmd);
	return SVCTL_EX_USAGE;
}

int svctl_parse_count(const char *cmd, const char *opt, const char *arg, uint32_t min, uint32_t max,
		      uint32_t *out)
{
	if (util_parse_u32(arg, min, max, out))
		return svctl_usage_error(cmd, "%s '%s': expected %u..%u", opt, arg, min, max);
	return 0;
}

int svctl_rundir(char *dir, size_t len)
{
	int ret = wire_run_dir(dir, len);

	if (ret)
		fprintf(stderr, "svctl: run directory path too long\n");
	return ret;
}

int svctl_sock_in(const char *dir, const char *name)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return wire_unix_connect(path);
}

/* Starts <exe dir>/REL detached (new session, output to <dir>/<log>). */
static int spawn(const char *dir, const char *rel, const char *log)
{
	char exe[PATH_MAX], path[PATH_MAX + 64], logp[300];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	pid_t pid;
	int st, fd;

	if (n <= 0)
		return -errno;
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(path, sizeof(path), "%s/%s", exe, rel);
	snprintf(logp, sizeof(logp), "%s/%s", dir, log);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		setsid();
		if (fork() != 0)
			_exit(0);
		fd = open("/dev/null", O_RDONLY);
		dup2(fd, 0);
		fd = open(logp, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(path, path, "--run-dir", dir, (char *)NULL);
		fprintf(stderr, "svctl: cannot run %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	waitpid(pid, &st, 0);
	return 0;
}

static int wait_sock(const char *dir, const char *name)
{
	struct timespec t = { 0, 20 * 1000 * 1000 };
	int i, fd;

	for (i = 0; i < SPAWN_WAIT_MS / 20; i++) {
		fd = svctl_sock_in(dir, name);
		if (fd >= 0)
			return fd;
		nanosleep(&t, NULL);
	}
	return -ETIMEDOUT;
}

/*
 * A connection to dom0.sock. A missing svdom0 is started when svcored runs
 * (reattach after a crash); both are started only when may_start.
 */
int svctl_dom0_open(const char *cmd, const char *dir, bool may_start)
{
	int fd, lock, ret = -1;
	char path[300];

	fd = svctl_sock_in(dir, "dom0.sock");
	if (fd >= 0)
		return fd;
	if (may_start && (ret = wire_run_dir_make(dir))) {
		fprintf(stderr, "svctl %s: run directory %s: %s\n", cmd, dir, strerror(-ret));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/start.lock", dir);
	lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock >= 0)
		flock(lock, LOCK_EX);
	/* Someone else may have started them while we waited for the lock. */
	fd = svctl_sock_in(dir, "dom0.sock");
	if (fd >= 0)
		goto out;
	fd = svctl_sock_in(dir, "core.sock");
	if (fd < 0 && !may_start) {
		fprintf(stderr,
			"svctl %s: the daemons are not running in %s ('svctl create' "
			"starts them)\n",
			cmd, dir);
		goto out;
	}
	if (fd < 0) {
		spawn(dir, "../hypervisor/svcored", "svcored.log");
		fd = wait_sock(dir, "core.sock");
		if (fd < 0) {
			fprintf(stderr, "svctl %s: svcored did not start (see %s/svcored.log)\n",
				cmd, dir);
			goto out;
		}
	}
	close(fd);
	spawn(dir, "svdom0", "svdom0.log");
	fd = wait_sock(dir, "dom0.sock");
	if (fd < 0)
		fprintf(stderr, "svctl %s: svdom0 did not start (see %s/svdom0.log)\n", cmd, dir);
out:
	if (lock >= 0)
		close(lock);
	return fd < 0 ? -1 : fd;
}

/* One request; prints the daemon's sentence on failure. Returns the status. */
int svctl_ts_call(const char *cmd, int fd, uint32_t op, const void *req, size_t len, void *reply,
		  size_t cap, size_t *rlen, int timeout_ms)
{
	static uint8_t buf[SV_CTL_PAYLOAD_MAX];
	struct sv_ctl_hdr h;
	int ret;

	ret = wire_msg_send(fd, op, 1, 0, req, len);
	if (!ret)
		ret = wire_msg_recv(fd, &h, buf, sizeof(buf), NULL, timeout_ms);
	if (ret) {
		fprintf(stderr, "svctl %s: svdom0: %s\n", cmd, strerror(-ret));
		return ret;
	}
	if (h.status) {
		fprintf(stderr, "svctl %s: %.*s\n", cmd, (int)h.len, (char *)buf);
		return h.status;
	}
	if (reply)
		memcpy(reply, buf, h.len < cap ? h.len : cap);
	if (rlen)
		*rlen = h.len;
	return 0;
}
