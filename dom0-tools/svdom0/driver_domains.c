// SPDX-License-Identifier: MIT
/*
 * Driver domains, the toolstack's side: a driver domain is a svdd process
 * (driver-domain/, include/splitvisor/driver_domain.h) with a domid of its
 * own. Here it is started (SV_CTL_PROCDOM_CREATE, its xenstore home and a
 * xenstore connection of its domid, fds 3..6, exec), watched (a pidfd on the
 * loop), answered (it may open only the disks and TAP devices this toolstack
 * recorded for it), restarted with the same domid per on_crash (its guests'
 * backend directories written again, so their frontends reconnect), and
 * ended (destroy, shutdown, inject). Nothing here calls up into the request
 * handlers; the device records below (vbd.c, vif.c) are asked through their
 * dd_ functions.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <splitvisor/driver_domain.h>
#include <splitvisor/toolstack.h>

#include "core_client.h"
#include "dd_policy.h"
#include "dd_priv.h"
#include "driver_domains.h"
#include "errmsg.h"
#include "log.h"
#include "sv_xml.h"
#include "svdom0.h"
#include "ts_domains.h"
#include "util.h"
#include "vbd.h"
#include "vif.h"
#include "xs_local.h"
#include "xs_sock.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* The core frees a dead svdd's domid when it sees the connection close: maybe not yet. */
#define DD_RESTART_RETRY_MS 50u
#define DD_RESTART_TRIES    40u
#define DD_SVDD_ENV	    "SPLITVISOR_SVDD"

static uint64_t dd_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct dd_domain *dd_by_name(struct dom0 *d0, const char *name)
{
	struct dd_domain *dd;

	for (dd = d0->dds; dd; dd = dd->next)
		if (!dd->remove && !strcmp(dd->name, name))
			return dd;
	return NULL;
}

const char *dd_name_by_id(struct dom0 *d0, uint32_t domid)
{
	struct dd_domain *dd;

	for (dd = d0->dds; dd; dd = dd->next)
		if (!dd->remove && dd->domid == domid)
			return dd->name;
	return NULL;
}

int dd_signal(struct dd_domain *dd, int sig)
{
	if (dd->pidfd < 0)
		return -ESRCH;
	if (syscall(SYS_pidfd_send_signal, dd->pidfd, sig, NULL, 0) < 0)
		return -errno;
	return 0;
}

static void dd_epoll(struct dom0 *d0, int fd, struct dd_tag *tag, uint32_t *cur, uint32_t want)
{
	struct epoll_event ev = { .events = want, .data.ptr = tag };

	if (fd < 0 || (cur && *cur == want))
		return;
	epoll_ctl(d0->epfd, cur && *cur ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
	if (cur)
		*cur = want;
}

static void dd_conn_close(struct dom0 *d0, struct wire_conn *c, uint32_t *events)
{
	if (c->fd >= 0)
		epoll_ctl(d0->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	wire_conn_close(c);
	*events = 0;
}

/* /local/domain/<dd>: its own, as a guest's home, then introduced (@introduceDomain). */
static int dd_home(struct dom0 *d0, struct dd_domain *dd)
{
	char path[64], val[32];
	int ret;

	/*
	 * A fresh home each time, as for a new domain: the release gave what was there to
	 * dom0 (XSA-322), and its backend directories are written again below it
	 * (vbd_dd_restore).
	 */
	snprintf(path, sizeof(path), "/local/domain/%u", dd->domid);
	xsl_rm(d0->xs_self, path);
	ret = xsl_call(d0->xs_self, XS_MKDIR, path, NULL, 0, NULL, 0);
	snprintf(val, sizeof(val), "n%u", dd->domid);
	if (ret >= 0)
		ret = xsl_set_perms(d0->xs_self, path, val, strlen(val) + 1);
	snprintf(path, sizeof(path), "/local/domain/%u/name", dd->domid);
	if (ret >= 0)
		ret = xsl_write(d0->xs_self, path, dd->name);
	snprintf(path, sizeof(path), "/local/domain/%u/domid", dd->domid);
	snprintf(val, sizeof(val), "%u", dd->domid);
	if (ret >= 0)
		ret = xsl_write(d0->xs_self, path, val);
	if (ret >= 0)
		ret = xs_domain_introduce(d0->xs, (uint16_t)dd->domid, NULL);
	return ret == -EEXIST ? 0 : ret < 0 ? ret : 0;
}

/* $SPLITVISOR_SVDD, else ../driver-domain/svdd beside svdom0's own binary. */
static int dd_svdd_path(char *buf, size_t len, char *err, size_t errlen)
{
	const char *env = getenv(DD_SVDD_ENV);
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (env && env[0]) {
		if (snprintf(buf, len, "%s", env) >= (int)len)
			return errmsg_set(err, errlen, -ENAMETOOLONG, "$%s is too long",
					  DD_SVDD_ENV);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0)
			return errmsg_set(err, errlen, -EIO, "cannot find svdom0's own binary");
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';
		if (snprintf(buf, len, "%s/../driver-domain/svdd", self) >= (int)len)
			return errmsg_set(err, errlen, -ENAMETOOLONG, "svdom0's path is too long");
	}
	if (access(buf, X_OK))
		return errmsg_set(err, errlen, -errno,
				  "cannot run svdd at %s: %s (set $%s to its path)", buf,
				  strerror(errno), DD_SVDD_ENV);
	return 0;
}

/*
 * The child between fork and exec: only async-signal-safe calls. fds 3..6 as
 * driver_domain.h says, nothing else open beyond stdin, stdout and stderr
 * (svdom0's log), default signal mask and SIGPIPE.
 */
static void dd_child(const int fds[4], char *const argv[])
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	int moved[4], i, fd;
	sigset_t none;

	/* Above 6 first, so that no dup2 below lands on a source not yet moved. */
	for (i = 0; i < 4; i++) {
		moved[i] = fcntl(fds[i], F_DUPFD, 10);
		if (moved[i] < 0)
			_exit(127);
	}
	for (i = 0; i < 4; i++)
		if (dup2(moved[i], SV_DD_FD_CORE + i) < 0)
			_exit(127);
	if (syscall(SYS_close_range, SV_DD_FD_CONTROL + 1, ~0u, 0) < 0)
		for (fd = SV_DD_FD_CONTROL + 1; fd < 4096; fd++)
			close(fd);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	sigaction(SIGPIPE, &dfl, NULL);
	/* A svdd never outlives its toolstack: its requests would have nobody to answer. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	execv(argv[0], argv);
	_exit(127);
}

static int dd_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
}

/* A new svdd for dd (dd->domid 0: the core picks one; else that one again). */
static int dd_spawn(struct dom0 *d0, struct dd_domain *dd, char *err, size_t errlen)
{
	struct sv_ctl_procdom req = { .domid = dd->domid };
	int fds[4] = { -1, -1, -1, -1 }, xs[2] = { -1, -1 }, rq[2] = { -1, -1 };
	int ct[2] = { -1, -1 }, pidfd = -1, ret, i;
	char path[PATH_MAX], id[16], name[SV_CTL_NAME_SIZE];
	char *argv[] = { path, "--domid", id, "--name", name, NULL };
	struct sv_ctl_domid reply;
	pid_t pid = -1;

	ret = dd_svdd_path(path, sizeof(path), err, errlen);
	if (ret)
		return ret;
	snprintf(req.name, sizeof(req.name), "%s", dd->name);
	snprintf(name, sizeof(name), "%s", dd->name);
	ret = cc_call(d0->cc, SV_CTL_PROCDOM_CREATE, &req, sizeof(req), &reply, sizeof(reply), NULL,
		      &fds[0], err, errlen);
	if (!ret && fds[0] < 0)
		ret = errmsg_set(err, errlen, -EPROTO,
				 "the core passed no connection for driver domain %s", dd->name);
	if (ret)
		goto out;
	/* The core gives another when the one asked for is taken: its guests name the old one. */
	if (dd->domid && reply.domid != dd->domid) {
		ret = errmsg_set(err, errlen, -EBUSY, "domid %u of driver domain %s is in use",
				 dd->domid, dd->name);
		goto out;
	}
	dd->domid = reply.domid;
	snprintf(id, sizeof(id), "%u", dd->domid);
	ret = dd_home(d0, dd);
	if (ret) {
		errmsg_set(err, errlen, ret, "driver domain %s: cannot write its xenstore home",
			   dd->name);
		goto out;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, xs) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rq) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ct)) {
		ret = errmsg_set(err, errlen, -errno, "cannot make sockets: %s", strerror(errno));
		goto out;
	}
	fds[1] = xs[1];
	fds[2] = rq[1];
	fds[3] = ct[1];
	pid = fork();
	if (pid == 0)
		dd_child(fds, argv);
	if (pid < 0) {
		ret = errmsg_set(err, errlen, -errno, "cannot fork svdd: %s", strerror(errno));
		goto out;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		ret = errmsg_set(err, errlen, -errno, "pidfd_open of svdd: %s", strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	fcntl(pidfd, F_SETFD, FD_CLOEXEC);
	ret = dd_nonblock(xs[0]);
	if (!ret)
		ret = dd_nonblock(rq[0]);
	if (!ret)
		ret = dd_nonblock(ct[0]);
	if (!ret)
		ret = xs_sock_add(d0, xs[0], (uint16_t)dd->domid, &dd->xs);
	xs[0] = -1; /* xs_sock_add took it, or closed it */
	if (ret) {
		errmsg_set(err, errlen, ret, "driver domain %s: cannot serve its xenstore",
			   dd->name);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	dd->pid = pid;
	dd->pidfd = pidfd;
	pidfd = -1;
	wire_conn_init(&dd->req, rq[0]);
	wire_conn_init(&dd->ctl, ct[0]);
	rq[0] = ct[0] = -1;
	dd_epoll(d0, dd->pidfd, &dd->tags[DD_TAG_PID], NULL, EPOLLIN);
	dd_epoll(d0, dd->req.fd, &dd->tags[DD_TAG_REQ], &dd->req_events, EPOLLIN);
	dd_epoll(d0, dd->ctl.fd, &dd->tags[DD_TAG_CTL], &dd->ctl_events, EPOLLIN);
	dd->start_time_ns = dd_realtime_ns();
	dd->hung = false;
	log_info("driver domain %s (domid %u): svdd started, pid %d", dd->name, dd->domid,
		 (int)pid);
out:
	/* The child's ends, and on failure ours: closing the core's end frees the domid. */
	for (i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (xs[0] >= 0)
		close(xs[0]);
	if (rq[0] >= 0)
		close(rq[0]);
	if (ct[0] >= 0)
		close(ct[0]);
	if (pidfd >= 0)
		close(pidfd);
	if (ret && dd->domid)
		xs_domain_release(d0->xs, (uint16_t)dd->domid);
	return ret;
}

void dd_answer_inject(struct dd_domain *dd, int status, const char *msg)
{
	struct ts_client *c = dd->inj_client;

	if (!c)
		return;
	dd->inj_client = NULL;
	wire_conn_queue(&c->conn, SV_TS_INJECT, dd->inj_req, status, msg,
			status ? strlen(msg) + 1 : 0, -1);
}

/* After svdd's end: its fds, its xenstore connection and its backends go. */
static void dd_close(struct dom0 *d0, struct dd_domain *dd)
{
	char path[64], msg[160];

	if (dd->pidfd >= 0) {
		epoll_ctl(d0->epfd, EPOLL_CTL_DEL, dd->pidfd, NULL);
		close(dd->pidfd);
	}
	dd->pidfd = -1;
	dd->pid = 0;
	dd->hung = false;
	dd_conn_close(d0, &dd->req, &dd->req_events);
	dd_conn_close(d0, &dd->ctl, &dd->ctl_events);
	snprintf(msg, sizeof(msg), "driver domain %s ended before it answered", dd->name);
	dd_answer_inject(dd, -EPIPE, msg);
	xs_sock_kill(&dd->xs);
	/* @releaseDomain fires; the nodes it owned pass to dom0 (XSA-322). */
	xs_domain_release(d0->xs, (uint16_t)dd->domid);
	snprintf(path, sizeof(path), "/local/domain/%u/backend", dd->domid);
	xsl_rm(d0->xs_self, path);
}

void dd_forget(struct dom0 *d0, struct dd_domain *dd)
{
	char path[64];

	snprintf(path, sizeof(path), "/local/domain/%u", dd->domid);
	xsl_rm(d0->xs_self, path);
	dd->remove = true;
}

/* svdd ended (the pidfd said so, or destroy waited for it): say how, then on_crash. */
void dd_ended(struct dom0 *d0, struct dd_domain *dd, bool wait)
{
	siginfo_t si;
	char how[96], text[256];
	struct ts_client *c;
	int sig;

	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)dd->pidfd, &si, WEXITED | (wait ? 0 : WNOHANG)) < 0 ||
	    !si.si_pid)
		return;
	sig = si.si_status;
	if (si.si_code == CLD_EXITED)
		snprintf(how, sizeof(how), "exit status %d", si.si_status);
	else
		snprintf(how, sizeof(how), "killed by signal %s%s", sigabbrev_np(sig) ?: "?",
			 sig == SIGSYS ? " (SIGSYS: denied system call)" : "");
	snprintf(text, sizeof(text), "driver domain %s (domid %u) ended: %s", dd->name, dd->domid,
		 how);
	if (dd->stopping)
		log_info("%s", text);
	else
		log_warn("%s", text);
	dd_close(d0, dd);
	for (c = d0->ts_clients; c; c = c->next) {
		if (c->shutdown_pending && c->shutdown_domid == dd->domid) {
			wire_conn_queue(&c->conn, SV_TS_SHUTDOWN, c->shutdown_req, 0, text,
					strlen(text) + 1, -1);
			c->shutdown_pending = false;
		}
	}
	if (dd->stopping && (vbd_dd_used(d0, dd->domid) || vif_dd_used(d0, dd->domid))) {
		/* Kept, with its domid: started again, it serves those guests' devices again. */
		log_info("driver domain %s keeps domid %u for its guests' devices ('svctl start' "
			 "or 'svctl create' brings it back, 'svctl destroy' forgets it)",
			 dd->name, dd->domid);
		dd->ended = dd->stopped = true;
		return;
	}
	if (dd->stopping) {
		dd_forget(d0, dd);
		return;
	}
	switch (dd->cfg->on_crash) {
	case SV_ACTION_RESTART:
		if (dd_throttle_allow(&dd->throttle, util_now_ns())) {
			dd->restart_pending = true;
			dd->restart_tries = 0;
			dd->restart_at_ns = util_now_ns();
			return;
		}
		log_err("driver domain %s: restarted %u times within %llu s: left stopped ('svctl "
			"start' or 'svctl create' starts it again)",
			dd->name, DD_RESTART_MAX,
			(unsigned long long)(DD_RESTART_WINDOW_NS / 1000000000u));
		dd->ended = true;
		return;
	case SV_ACTION_PRESERVE:
		dd->ended = true;
		return;
	default:
		dd_forget(d0, dd);
	}
}

/* A restart that is due: the same domid, then its guests' devices again. */
static void dd_restart(struct dom0 *d0, struct dd_domain *dd, uint64_t now)
{
	char err[512] = "";
	int ret;

	ret = dd_spawn(d0, dd, err, sizeof(err));
	if ((ret == -EBUSY || ret == -EEXIST) && ++dd->restart_tries < DD_RESTART_TRIES) {
		dd->restart_at_ns = now + DD_RESTART_RETRY_MS * 1000000ull;
		return;
	}
	dd->restart_pending = false;
	if (ret) {
		log_err("driver domain %s: the restart failed: %s", dd->name,
			err[0] ? err : strerror(-ret));
		dd->ended = true;
		return;
	}
	dd->restarts++;
	log_info("driver domain %s (domid %u) restarted: its devices are written again", dd->name,
		 dd->domid);
	if (vbd_dd_restore(d0, dd->domid) || vif_dd_restore(d0, dd->domid))
		log_err("driver domain %s: cannot write every backend directory again", dd->name);
}

static int dd_resolve(struct dom0 *d0, const char *name, uint32_t *domid, char *err, size_t errlen)
{
	struct dd_domain *dd = dd_by_name(d0, name);

	if (!dd || dd->ended)
		return errmsg_set(err, errlen, -ENOENT,
				  "backend domain %s is not a running driver domain", name);
	*domid = dd->domid;
	return 0;
}

void dd_init(struct dom0 *d0)
{
	d0->dd_resolve = dd_resolve;
}

static struct dd_domain *dd_new(const char *name)
{
	struct dd_domain *dd = calloc(1, sizeof(*dd));
	int i;

	if (!dd)
		return NULL;
	snprintf(dd->name, sizeof(dd->name), "%s", name);
	dd->pidfd = -1;
	wire_conn_init(&dd->req, -1);
	wire_conn_init(&dd->ctl, -1);
	for (i = 0; i < DD_NR_TAGS; i++) {
		dd->tags[i].kind = D0_DD_FD;
		dd->tags[i].which = i;
		dd->tags[i].dd = dd;
	}
	return dd;
}

static void dd_free(struct dd_domain *dd)
{
	xs_sock_kill(&dd->xs); /* no pointer into dd may outlive it */
	if (dd->cfg) {
		sv_domain_config_free(dd->cfg);
		free(dd->cfg);
	}
	free(dd);
}

int dd_create(struct dom0 *d0, const struct sv_domain_config *cfg, uint32_t *domid, char *err,
	      size_t errlen)
{
	struct dd_domain *dd = dd_by_name(d0, cfg->name), *fresh = NULL;
	struct sv_domain_config *copy = NULL;
	int ret;

	if (cfg->os_type != SV_OS_EXE)
		return errmsg_set(err, errlen, -EINVAL, "domain %s is not a driver domain",
				  cfg->name);
	if (dd && !dd->ended)
		return errmsg_set(err, errlen, -EEXIST,
				  "driver domain %s is already running (domid %u)", cfg->name,
				  dd->domid);
	ret = ts_clear_ended(d0, cfg->name, err, errlen);
	if (ret)
		return ret;
	copy = calloc(1, sizeof(*copy));
	if (!copy)
		return errmsg_set(err, errlen, -ENOMEM, "out of memory");
	ret = sv_config_dup(cfg, copy, err, errlen);
	if (ret)
		goto out;
	if (!dd) {
		dd = fresh = dd_new(cfg->name);
		if (!dd) {
			ret = errmsg_set(err, errlen, -ENOMEM, "out of memory");
			goto out;
		}
	}
	/* An ended one comes back with its domid: its guests' devices find it again. */
	ret = dd_spawn(d0, dd, err, errlen);
	if (ret)
		goto out;
	if (dd->cfg) {
		sv_domain_config_free(dd->cfg);
		free(dd->cfg);
	}
	dd->cfg = copy;
	copy = NULL;
	dd->stopping = dd->ended = dd->stopped = false;
	memset(&dd->throttle, 0, sizeof(dd->throttle));
	dd->restarts = 0;
	if (fresh) {
		fresh->next = d0->dds;
		d0->dds = fresh;
		fresh = NULL;
	} else if (vbd_dd_restore(d0, dd->domid) || vif_dd_restore(d0, dd->domid)) {
		log_err("driver domain %s: cannot write every backend directory again", dd->name);
	}
	*domid = dd->domid;
out:
	if (fresh && fresh->domid)
		dd_forget(d0, fresh); /* its home, if it got one */
	if (fresh)
		dd_free(fresh);
	if (copy) {
		sv_domain_config_free(copy);
		free(copy);
	}
	return ret;
}

static int dd_ensure(struct dom0 *d0, const char *what, const char *name, const char *guest,
		     char *err, size_t errlen)
{
	const struct sv_domain_config *def;
	struct dd_domain *dd = dd_by_name(d0, name);
	uint32_t domid;

	if (dd && !dd->ended)
		return 0;
	def = defs_find(&d0->defs, name);
	if (!def && dd)
		def = dd->cfg; /* a transient one kept ended comes back as it was */
	if (!def)
		return errmsg_set(err, errlen, -ENOENT,
				  "%s: backend domain %s is neither running nor defined (define "
				  "it, e.g. 'svctl define driver-domain.xml')",
				  what, name);
	if (def->os_type != SV_OS_EXE)
		return errmsg_set(err, errlen, -EINVAL,
				  "%s: backend domain %s is not a driver domain (its <os><type> "
				  "is not exe)",
				  what, name);
	log_info("starting driver domain %s for domain %s", name, guest);
	return dd_create(d0, def, &domid, err, errlen);
}

int dd_ensure_for(struct dom0 *d0, const struct sv_domain_config *cfg, char *err, size_t errlen)
{
	char what[64];
	size_t i;
	int ret = 0;

	for (i = 0; !ret && i < cfg->ndisks; i++) {
		if (!cfg->disks[i].backend_domain)
			continue;
		/* Before a driver domain starts for nothing: vbd.c would refuse the disk after. */
		if (cfg->disks[i].format != SV_DISK_FORMAT_RAW)
			return errmsg_set(
				err, errlen, -EOPNOTSUPP,
				"disk %s: a driver domain serves raw images only, not %s "
				"(served by QEMU's storage daemon, which its sandbox cannot "
				"start)",
				cfg->disks[i].target_dev, cfg->disks[i].driver_type);
		snprintf(what, sizeof(what), "disk %s", cfg->disks[i].target_dev);
		ret = dd_ensure(d0, what, cfg->disks[i].backend_domain, cfg->name, err, errlen);
	}
	for (i = 0; !ret && i < cfg->nnets; i++) {
		if (!cfg->nets[i].backend_domain)
			continue;
		snprintf(what, sizeof(what), "interface %zu", i);
		ret = dd_ensure(d0, what, cfg->nets[i].backend_domain, cfg->name, err, errlen);
	}
	return ret;
}

/* Output that did not go at once waits for EPOLLOUT; a connection svdd broke is closed. */
static void dd_sync_conn(struct dom0 *d0, struct dd_domain *dd, struct wire_conn *c,
			 uint32_t *events, int which)
{
	if (c->fd < 0)
		return;
	wire_conn_flush(c);
	if (c->dead) {
		dd_conn_close(d0, c, events);
		return;
	}
	dd_epoll(d0, c->fd, &dd->tags[which], events, EPOLLIN | (c->head ? EPOLLOUT : 0));
}

int dd_timeouts(struct dom0 *d0)
{
	uint64_t now = util_now_ns(), next = UINT64_MAX;
	struct dd_domain **pp = &d0->dds, *dd;
	char msg[256];

	while ((dd = *pp)) {
		if (dd->remove) {
			*pp = dd->next;
			dd_free(dd);
			continue;
		}
		pp = &dd->next;
		if (dd->restart_pending && dd->restart_at_ns <= now)
			dd_restart(d0, dd, now);
		if (dd->restart_pending && dd->restart_at_ns - now < next)
			next = dd->restart_at_ns - now;
		if (dd->inj_client && dd->inj_deadline_ns <= now) {
			snprintf(msg, sizeof(msg),
				 "driver domain %s did not answer within %u ms (is it hung? 'svctl "
				 "inject %s resume')",
				 dd->name, DD_INJECT_TIMEOUT_MS, dd->name);
			dd_answer_inject(dd, -ETIMEDOUT, msg);
		} else if (dd->inj_client && dd->inj_deadline_ns - now < next) {
			next = dd->inj_deadline_ns - now;
		}
		dd_sync_conn(d0, dd, &dd->req, &dd->req_events, DD_TAG_REQ);
		dd_sync_conn(d0, dd, &dd->ctl, &dd->ctl_events, DD_TAG_CTL);
	}
	return next == UINT64_MAX ? -1 : (int)(next / 1000000u) + 1;
}

void dd_client_gone(struct dom0 *d0, struct ts_client *c)
{
	struct dd_domain *dd;

	for (dd = d0->dds; dd; dd = dd->next)
		if (dd->inj_client == c)
			dd->inj_client = NULL;
}

void dd_free_all(struct dom0 *d0)
{
	struct dd_domain *dd;
	siginfo_t si;

	while ((dd = d0->dds)) {
		d0->dds = dd->next;
		if (dd->pidfd >= 0) {
			dd_signal(dd, SIGKILL);
			waitid((idtype_t)P_PIDFD, (id_t)dd->pidfd, &si, WEXITED);
			close(dd->pidfd);
		}
		wire_conn_close(&dd->req);
		wire_conn_close(&dd->ctl);
		dd_free(dd);
	}
}
