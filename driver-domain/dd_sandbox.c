// SPDX-License-Identifier: MIT
/*
 * svdd's sandbox, entered once at start before any device exists: started as
 * root it becomes uid/gid SV_DD_UID_BASE + domid with no supplementary groups
 * (no /dev/kvm, no run directory, no image it was not handed), then no new
 * privileges, not dumpable, and a seccomp filter that allows only the system
 * calls svdd and its backends make. Everything it needs from the host comes
 * as fds (3..6 and what the toolstack passes), so no call that names a path
 * is allowed. A denied call traps: the SIGSYS handler writes one line to
 * stderr (svdom0's log) and the process dies of SIGSYS, which svdom0 logs.
 * Any failure here is fatal at start: svdd never serves unconfined by accident.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <seccomp.h>

#include <splitvisor/driver_domain.h>

#include "dd.h"
#include "errmsg.h"

/* Read by the SIGSYS handler: set once before the filter is loaded. */
static uint32_t sandbox_domid;

/* Names of the calls a confused or compromised backend is likeliest to try. */
static const struct {
	int nr;
	const char *name;
} sandbox_names[] = {
	{ __NR_socket, "socket" },     { __NR_connect, "connect" },	  { __NR_bind, "bind" },
	{ __NR_open, "open" },	       { __NR_openat, "openat" },	  { __NR_execve, "execve" },
	{ __NR_execveat, "execveat" }, { __NR_ptrace, "ptrace" },	  { __NR_kill, "kill" },
	{ __NR_fork, "fork" },	       { __NR_vfork, "vfork" },		  { __NR_ioctl, "ioctl" },
	{ __NR_mount, "mount" },       { __NR_setuid, "setuid" },	  { __NR_unlink, "unlink" },
	{ __NR_stat, "stat" },	       { __NR_newfstatat, "newfstatat" }, { __NR_statx, "statx" },
	{ __NR_access, "access" },     { __NR_readlink, "readlink" },
};

static size_t put_str(char *buf, size_t pos, size_t cap, const char *s)
{
	while (*s && pos < cap)
		buf[pos++] = *s++;
	return pos;
}

static size_t put_num(char *buf, size_t pos, size_t cap, long v)
{
	char tmp[24];
	size_t n = 0;
	unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;

	if (v < 0 && pos < cap)
		buf[pos++] = '-';
	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10) && n < sizeof(tmp));
	while (n && pos < cap)
		buf[pos++] = tmp[--n];
	return pos;
}

/* Async-signal-safe: one write of a line built by hand, then death by SIGSYS. */
static void sandbox_sigsys(int sig, siginfo_t *si, void *uc)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	const char *name = "unknown";
	char line[160];
	size_t pos = 0;
	ssize_t n;

	(void)uc;
	for (size_t i = 0; i < sizeof(sandbox_names) / sizeof(sandbox_names[0]); i++)
		if (sandbox_names[i].nr == si->si_syscall)
			name = sandbox_names[i].name;
	pos = put_str(line, pos, sizeof(line), "svdd[");
	pos = put_num(line, pos, sizeof(line), sandbox_domid);
	pos = put_str(line, pos, sizeof(line), "]: seccomp: denied system call ");
	pos = put_num(line, pos, sizeof(line), si->si_syscall);
	pos = put_str(line, pos, sizeof(line), " (");
	pos = put_str(line, pos, sizeof(line), name);
	pos = put_str(line, pos, sizeof(line), ")\n");
	n = write(STDERR_FILENO, line, pos);
	(void)n;
	/* Pending until the handler returns with SIGSYS unblocked: then the default kills. */
	sigaction(sig, &dfl, NULL);
	raise(sig);
}

static int sandbox_drop_uid(uint16_t domid, char *err, size_t errlen)
{
	uid_t id = SV_DD_UID_BASE + domid, r, e, s;
	gid_t gr, ge, gs;

	if (geteuid() != 0)
		return 0; /* started unprivileged: nothing to drop */
	if (setgroups(0, NULL) || setresgid(id, id, id) || setresuid(id, id, id))
		return errmsg_set(err, errlen, -errno, "cannot become uid/gid %u: %s", id,
				  strerror(errno));
	if (getresuid(&r, &e, &s) || getresgid(&gr, &ge, &gs) || r != id || e != id || s != id ||
	    gr != id || ge != id || gs != id)
		return errmsg_set(err, errlen, -EPERM, "still not uid/gid %u after dropping root",
				  id);
	return 0;
}

/*
 * The allow-list. Found by running svdd's backends under strace in the unit
 * and VM tests; each group says who needs it.
 */
static const int sandbox_allowed[] = {
	/* I/O on the fds we hold: sockets, eventfds, the disk, TAP devices */
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(readv),
	SCMP_SYS(writev),
	SCMP_SYS(pread64),
	SCMP_SYS(pwrite64),
	SCMP_SYS(preadv),
	SCMP_SYS(pwritev),
	SCMP_SYS(preadv2),
	SCMP_SYS(pwritev2),
	SCMP_SYS(lseek),
	SCMP_SYS(close),
	SCMP_SYS(fcntl),
	SCMP_SYS(fstat),
	SCMP_SYS(sendmsg),
	SCMP_SYS(recvmsg),
	SCMP_SYS(sendto),
	SCMP_SYS(recvfrom),
	/* blkback: flushes, discard, io_uring (blk_io.c) */
	SCMP_SYS(fsync),
	SCMP_SYS(fdatasync),
	SCMP_SYS(fallocate),
	SCMP_SYS(io_uring_setup),
	SCMP_SYS(io_uring_enter),
	SCMP_SYS(io_uring_register),
	/* the loop, the network thread, the device threads */
	SCMP_SYS(epoll_create1),
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait),
	SCMP_SYS(poll),
	SCMP_SYS(ppoll),
	SCMP_SYS(eventfd2),
	SCMP_SYS(signalfd4),
	/* memory: malloc, the grant area and mapped grant pages */
	SCMP_SYS(mmap),
	SCMP_SYS(munmap),
	SCMP_SYS(mprotect),
	SCMP_SYS(madvise),
	SCMP_SYS(mremap),
	SCMP_SYS(brk),
	SCMP_SYS(memfd_create),
	SCMP_SYS(ftruncate),
	/* threads (pthread_create, mutexes) and their end */
	SCMP_SYS(futex),
	SCMP_SYS(set_robust_list),
	SCMP_SYS(rseq),
	SCMP_SYS(sched_yield),
	SCMP_SYS(sched_getaffinity),
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),
	SCMP_SYS(getpid),
	SCMP_SYS(gettid),
	/* time: log lines, rate limits, the slow fault */
	SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep),
	SCMP_SYS(gettimeofday),
	/* signals: the SIGSYS handler's own way out; sigaltstack for the ASan build's threads */
	SCMP_SYS(rt_sigaction),
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn),
	/*
	 * A sleep or wait that a stop signal interrupted resumes through it after
	 * SIGCONT ('svctl inject DD hang', then resume): found by the experiment.
	 */
	SCMP_SYS(restart_syscall),
	SCMP_SYS(sigaltstack),
	/* glibc's malloc and hash seeds */
	SCMP_SYS(getrandom),
};

static int sandbox_filter(char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	int ret = 0;
	size_t i;

	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		return errmsg_set(err, errlen, -ENOMEM, "seccomp: cannot make a filter");
	for (i = 0; !ret && i < sizeof(sandbox_allowed) / sizeof(sandbox_allowed[0]); i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sandbox_allowed[i], 0);
	/* Threads only: a clone without CLONE_THREAD would be a new process. */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	/* clone3's flags are in memory the filter cannot read: glibc falls back to clone. */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* glibc's fstat (blk_disk's size of an image): only of an fd, never of a path. */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
				       SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH));
	/* raise(SIGSYS) in the handler, to ourselves only. */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	/* blk_disk's size of a block device, blk_io's discard of one; nothing else. */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				       SCMP_A1(SCMP_CMP_EQ, BLKGETSIZE64));
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				       SCMP_A1(SCMP_CMP_EQ, BLKSSZGET));
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				       SCMP_A1(SCMP_CMP_EQ, BLKDISCARD));
	if (ret) {
		ret = errmsg_set(err, errlen, ret, "seccomp: cannot add a rule: %s",
				 strerror(-ret));
		goto out;
	}
	ret = seccomp_load(ctx);
	if (ret)
		ret = errmsg_set(err, errlen, ret, "seccomp: cannot load the filter: %s",
				 strerror(-ret));
out:
	seccomp_release(ctx);
	return ret;
}

int dd_sandbox_enter(uint16_t domid, char *err, size_t errlen)
{
	struct sigaction sa = { .sa_sigaction = sandbox_sigsys, .sa_flags = SA_SIGINFO };
	int ret;

	sandbox_domid = domid;
	ret = sandbox_drop_uid(domid, err, errlen);
	if (ret)
		return ret;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return errmsg_set(err, errlen, -errno, "prctl: %s", strerror(errno));
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL))
		return errmsg_set(err, errlen, -errno, "cannot handle SIGSYS: %s", strerror(errno));
	return sandbox_filter(err, errlen);
}

void dd_sandbox_selftest(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	/* Reached only when the filter let it through. */
	if (fd >= 0)
		close(fd);
}
