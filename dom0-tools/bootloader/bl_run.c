// SPDX-License-Identifier: MIT
/*
 * bootloader_extract in a child process, as Xen runs pygrub apart from its toolstack: the
 * child gets limits on CPU time, address space and file size, and is killed when it takes
 * longer than the caller allows. Its answer comes back through a pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bootloader.h"

#define CHILD_CPU_S  60u
#define CHILD_AS_MIB 1024u

struct answer {
	int ret;
	struct boot_choice choice;
	char err[1024];
};

static void set_limit(int resource, rlim_t value)
{
	struct rlimit r = { value, value };

	setrlimit(resource, &r);
}

#if !defined(__SANITIZE_ADDRESS__)
/* The process's address space now, from /proc/self/statm (0 when unreadable). */
static rlim_t mapped_bytes(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%lu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
}
#endif

static void child(int wfd, const char *disk, const char *format, const char *args,
		  const char *out_dir)
{
	static struct answer a;
	const char *p = (const char *)&a;
	size_t left = sizeof(a);
	ssize_t n;

	/* Nothing of the caller's (sockets, rings) stays open in the reader. */
	if (wfd > 3)
		close_range(3, (unsigned int)wfd - 1, 0);
	close_range((unsigned int)wfd + 1, ~0u, 0);
	signal(SIGXFSZ, SIG_IGN); /* a write past the limit fails with EFBIG instead */
	set_limit(RLIMIT_CPU, CHILD_CPU_S);
	set_limit(RLIMIT_FSIZE, BL_MAX_BOOT_BYTES);
	set_limit(RLIMIT_CORE, 0);
#if !defined(__SANITIZE_ADDRESS__)
	/*
	 * On top of what the caller had mapped (svdom0's threads and rings come along with the
	 * fork). ASan reserves terabytes of address space: the limit only holds without it.
	 */
	set_limit(RLIMIT_AS, mapped_bytes() + ((rlim_t)CHILD_AS_MIB << 20));
#endif
	a.ret = bootloader_extract(disk, format, args, out_dir, &a.choice, a.err, sizeof(a.err));
	while (left) {
		n = write(wfd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p += n;
		left -= (size_t)n;
	}
	_exit(0);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int bootloader_run(const char *disk_path, const char *format, const char *args, const char *out_dir,
		   unsigned int timeout_s, struct boot_choice *out, char *err, size_t errlen)
{
	static struct answer a;
	uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000u, now;
	struct pollfd pfd;
	size_t got = 0;
	int fds[2], status = 0, ret;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC)) {
		snprintf(err, errlen, "bootloader: cannot make a pipe: %s", strerror(errno));
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		snprintf(err, errlen, "bootloader: cannot fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return ret;
	}
	if (pid == 0) {
		close(fds[0]);
		child(fds[1], disk_path, format, args, out_dir);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	ret = 0;
	while (got < sizeof(a)) {
		now = now_ms();
		if (now >= deadline) {
			ret = -ETIMEDOUT;
			break;
		}
		n = poll(&pfd, 1, (int)(deadline - now));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n ? -errno : -ETIMEDOUT;
			break;
		}
		n = read(fds[0], (char *)&a + got, sizeof(a) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = -EIO;
			break;
		}
		got += (size_t)n;
	}
	close(fds[0]);
	if (ret)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (ret == -ETIMEDOUT) {
		snprintf(err, errlen, "bootloader: %s: gave up after %u s", disk_path, timeout_s);
	} else if (ret) {
		snprintf(err, errlen, "bootloader: %s: the reader died (%s %d)", disk_path,
			 WIFSIGNALED(status) ? "signal" : "exit status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	} else {
		ret = a.ret;
		*out = a.choice;
		a.err[sizeof(a.err) - 1] = '\0';
		if (ret)
			snprintf(err, errlen, "%s", a.err);
	}
	if (ret)
		bootloader_clean(out_dir);
	return ret;
}
