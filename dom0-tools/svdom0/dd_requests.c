// SPDX-License-Identifier: MIT
/*
 * What a driver domain asks its toolstack and what svctl asks about driver
 * domains (driver_domains.h): svdd's requests on fd 5 (open a disk or a TAP
 * device: only those this toolstack recorded for it, opened by us with the
 * rights svdd lacks), fault injection (signals from here, the rest through
 * svdd's fd 6), list, destroy, shutdown and dumpxml. The life of the process
 * itself is driver_domains.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <splitvisor/driver_domain.h>
#include <splitvisor/toolstack.h>

#include "dd_priv.h"
#include "driver_domains.h"
#include "errmsg.h"
#include "sv_xml.h"
#include "svdom0.h"
#include "ts_domains.h"
#include "util.h"
#include "vbd.h"
#include "vif.h"

/* SV_DD_OPEN_DISK: the disk as recorded for this driver domain, opened by us. */
static int dd_open_disk(struct dom0 *d0, struct dd_domain *dd, const struct sv_ctl_hdr *h,
			const char *be, char *err, size_t errlen)
{
	struct sv_dd_disk_reply reply = { 0 };
	const char *source, *cache;
	bool readonly;
	int flags, fd;

	if (vbd_dd_disk(d0, dd->domid, be, &source, &readonly, &cache))
		return errmsg_set(err, errlen, -ENOENT, "no disk of driver domain %s at %s",
				  dd->name, be);
	flags = dd_disk_open_flags(readonly, cache);
	if (flags < 0)
		return errmsg_set(err, errlen, -EINVAL, "%s: unknown cache mode '%s'", be, cache);
	fd = open(source, flags);
	if (fd < 0 && errno == EINVAL && (flags & O_DIRECT))
		return errmsg_set(err, errlen, -EINVAL,
				  "%s: the file system does not support O_DIRECT (cache mode none "
				  "or directsync); use writeback",
				  source);
	if (fd < 0)
		return errmsg_set(err, errlen, -errno, "cannot open %s %s: %s", source,
				  readonly ? "read-only" : "read-write", strerror(errno));
	reply.open_flags = (uint32_t)flags;
	wire_conn_queue(&dd->req, h->op, h->req_id, 0, &reply, sizeof(reply), fd);
	close(fd);
	return 0;
}

/* SV_DD_OPEN_TAP: the TAP device recorded for this driver domain's vif, through our env. */
static int dd_open_tap(struct dom0 *d0, struct dd_domain *dd, const struct sv_ctl_hdr *h,
		       const char *be, char *err, size_t errlen)
{
	struct backend_env *env = &d0->backend_env;
	const char *ifname;
	int ret, fd = -1;

	ret = vif_dd_tap(d0, dd->domid, be, &ifname);
	if (ret == -EPERM)
		return errmsg_set(err, errlen, -EPERM,
				  "interface at %s is not of type ethernet: it has no TAP device",
				  be);
	if (ret)
		return errmsg_set(err, errlen, -ENOENT, "no interface of driver domain %s at %s",
				  dd->name, be);
	if (!env->ops->open_tap)
		return errmsg_set(err, errlen, -EOPNOTSUPP,
				  "this svdom0 cannot open TAP devices for driver domains");
	ret = env->ops->open_tap(env, be, ifname, &fd, err, errlen);
	if (ret)
		return ret;
	wire_conn_queue(&dd->req, h->op, h->req_id, 0, NULL, 0, fd);
	close(fd);
	return 0;
}

/* One request of svdd's (fd 5). It may name only the devices recorded for it. */
static void dd_request(struct dom0 *d0, struct dd_domain *dd, const struct sv_ctl_hdr *h,
		       const void *p)
{
	const struct sv_dd_device *dev = p;
	char err[512] = "";
	int ret;

	if (h->op != SV_DD_OPEN_DISK && h->op != SV_DD_OPEN_TAP)
		ret = errmsg_set(err, sizeof(err), -EOPNOTSUPP,
				 "svdom0 answers no request %u of a driver domain", h->op);
	else if (h->len != sizeof(*dev) ||
		 !wire_str_ok(dev->backend_path, sizeof(dev->backend_path)))
		ret = errmsg_set(err, sizeof(err), -EINVAL, "malformed driver domain request");
	else if (h->op == SV_DD_OPEN_DISK)
		ret = dd_open_disk(d0, dd, h, dev->backend_path, err, sizeof(err));
	else
		ret = dd_open_tap(d0, dd, h, dev->backend_path, err, sizeof(err));
	if (!ret)
		return;
	log_limited(&dd->rl, LOG_LEVEL_WARN, "driver domain %s: refused: %s", dd->name, err);
	wire_conn_error(&dd->req, h, ret, "%s", err);
}

void dd_req_input(struct dom0 *d0, struct dd_domain *dd)
{
	const void *payload;
	struct sv_ctl_hdr h;
	int ret;

	wire_conn_read(&dd->req);
	for (;;) {
		ret = wire_conn_next(&dd->req, &h, &payload);
		if (ret < 0)
			dd->req.dead = true;
		if (ret <= 0)
			break;
		dd_request(d0, dd, &h, payload);
		wire_conn_pop(&dd->req);
	}
	wire_conn_flush(&dd->req);
}

/* svdd's answers on fd 6: the one to the pending injection goes to its client. */
void dd_ctl_input(struct dd_domain *dd)
{
	const void *payload;
	struct sv_ctl_hdr h;
	char msg[512];
	size_t n;
	int ret;

	wire_conn_read(&dd->ctl);
	for (;;) {
		ret = wire_conn_next(&dd->ctl, &h, &payload);
		if (ret < 0)
			dd->ctl.dead = true;
		if (ret <= 0)
			break;
		if (dd->inj_client && h.req_id == dd->inj_id && h.op == SV_DD_INJECT) {
			/* svdd's sentence, bounded and NUL-terminated again before it goes on. */
			n = h.len < sizeof(msg) - 1 ? h.len : sizeof(msg) - 1;
			memcpy(msg, payload, n);
			msg[n] = '\0';
			if (h.status && !msg[0])
				snprintf(msg, sizeof(msg), "driver domain %s refused: %s", dd->name,
					 strerror(-h.status));
			dd_answer_inject(dd, h.status > 0 ? -EPROTO : h.status, msg);
		}
		wire_conn_pop(&dd->ctl);
	}
}

void dd_fd_event(struct dom0 *d0, void *tag)
{
	struct dd_tag *t = tag;
	struct dd_domain *dd = t->dd;

	if (dd->remove)
		return;
	if (t->which == DD_TAG_PID && dd->pidfd >= 0)
		dd_ended(d0, dd, false);
	else if (t->which == DD_TAG_REQ && dd->req.fd >= 0)
		dd_req_input(d0, dd);
	else if (t->which == DD_TAG_CTL && dd->ctl.fd >= 0)
		dd_ctl_input(dd);
}

/*
 * Faults in svdom0's own backends, where they make sense: slow, corrupt-ring,
 * drop-notify and clear. svdom0 does not signal itself (kill it from the host
 * to see what survives: docs/architecture.md).
 */
static void dom0_inject(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h,
			const struct sv_ts_inject *req, int fault)
{
	char err[128];
	int ret;

	if (req->fault <= SV_TS_FAULT_RESUME) {
		ts_err(c, h, -EOPNOTSUPP,
		       "svdom0 does not kill or stop itself: kill -9 it from the host instead");
		return;
	}
	ret = backend_faults_apply(&d0->backend_faults, (uint32_t)fault, req->arg, err,
				   sizeof(err));
	if (ret) {
		ts_err(c, h, ret, err);
		return;
	}
	log_warn("injected fault %d (arg %u) into svdom0's own backends", fault, req->arg);
	wire_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
}

static void dd_inject(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h,
		      const struct sv_ts_inject *req)
{
	static const int faults[] = {
		[SV_TS_FAULT_SLOW] = SV_DD_FAULT_SLOW,
		[SV_TS_FAULT_CORRUPT_RING] = SV_DD_FAULT_CORRUPT_RING,
		[SV_TS_FAULT_DROP_NOTIFY] = SV_DD_FAULT_DROP_NOTIFY,
		[SV_TS_FAULT_CLEAR] = SV_DD_FAULT_CLEAR,
	};
	struct dd_domain *dd;
	struct sv_dd_inject di = { 0 };
	char err[256];
	int ret = 0, sig;

	if (h->len != sizeof(*req) || !wire_str_ok(req->name, sizeof(req->name)) ||
	    req->fault < SV_TS_FAULT_KILL || req->fault > SV_TS_FAULT_CLEAR ||
	    (req->fault == SV_TS_FAULT_SLOW && (!req->arg || req->arg > SV_TS_SLOW_MAX_MS)) ||
	    (req->fault != SV_TS_FAULT_SLOW && req->arg)) {
		ts_err(c, h, -EINVAL, "malformed toolstack request");
		return;
	}
	if (!strcmp(req->name, SV_TS_DOM0_NAME)) {
		dom0_inject(d0, c, h, req, faults[req->fault]);
		return;
	}
	dd = dd_by_name(d0, req->name);
	if (!dd && ts_by_name(d0, req->name))
		ret = errmsg_set(err, sizeof(err), -EOPNOTSUPP,
				 "%s is a guest: faults are injected into driver domains only",
				 req->name);
	else if (!dd)
		ret = errmsg_set(err, sizeof(err), -ENOENT, "no domain named %s", req->name);
	else if (!dd_running(dd))
		ret = errmsg_set(err, sizeof(err), -ESRCH, "driver domain %s is not running",
				 req->name);
	if (ret) {
		ts_err(c, h, ret, err);
		return;
	}
	if (req->fault <= SV_TS_FAULT_RESUME) {
		sig = req->fault == SV_TS_FAULT_KILL   ? SIGKILL
		      : req->fault == SV_TS_FAULT_HANG ? SIGSTOP
						       : SIGCONT;
		ret = dd_signal(dd, sig);
		if (ret) {
			snprintf(err, sizeof(err), "cannot signal driver domain %s: %s", dd->name,
				 strerror(-ret));
			ts_err(c, h, ret, err);
			return;
		}
		if (sig != SIGKILL)
			dd->hung = sig == SIGSTOP;
		log_info("driver domain %s: injected %s", dd->name,
			 sig == SIGKILL	  ? "kill"
			 : sig == SIGSTOP ? "hang"
					  : "resume");
		wire_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
		return;
	}
	if (dd->hung)
		ret = errmsg_set(err, sizeof(err), -EAGAIN,
				 "driver domain %s is hung: 'svctl inject %s resume' first",
				 dd->name, dd->name);
	else if (dd->inj_client)
		ret = errmsg_set(err, sizeof(err), -EBUSY,
				 "an injection into driver domain %s is waiting for its answer",
				 dd->name);
	if (ret) {
		ts_err(c, h, ret, err);
		return;
	}
	di.fault = (uint32_t)faults[req->fault];
	di.arg = req->arg;
	dd->inj_id++;
	wire_conn_queue(&dd->ctl, SV_DD_INJECT, dd->inj_id, 0, &di, sizeof(di), -1);
	wire_conn_flush(&dd->ctl);
	dd->inj_client = c;
	dd->inj_req = h->req_id;
	dd->inj_deadline_ns = util_now_ns() + DD_INJECT_TIMEOUT_MS * 1000000ull;
}

static void dd_list(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h,
		    const struct sv_ts_list_defined *req)
{
	struct sv_ts_dd_info out[SV_TS_DD_INFO_MAX];
	struct dd_domain *dd;
	uint32_t i = 0;
	size_t n = 0;

	if (h->len != sizeof(*req)) {
		ts_err(c, h, -EINVAL, "malformed toolstack request");
		return;
	}
	memset(out, 0, sizeof(out));
	for (dd = d0->dds; dd && n < SV_TS_DD_INFO_MAX; dd = dd->next) {
		if (dd->remove || i++ < req->start)
			continue;
		snprintf(out[n].name, sizeof(out[n].name), "%s", dd->name);
		out[n].domid = dd->domid;
		out[n].state = dd_running(dd)	     ? (dd->hung ? SV_TS_DD_HUNG : SV_TS_DD_RUNNING)
			       : dd->restart_pending ? SV_TS_DD_RESTARTING
			       : dd->stopped	     ? SV_TS_DD_STOPPED
						     : SV_TS_DD_ENDED;
		out[n].pid = dd_running(dd) ? (int32_t)dd->pid : 0;
		out[n].restarts = dd->restarts;
		out[n].memory_mib = (uint32_t)((dd->cfg->memory_kib + 1023) / 1024);
		out[n].start_time_ns = dd->start_time_ns;
		n++;
	}
	wire_conn_queue(&c->conn, h->op, h->req_id, 0, out, n * sizeof(out[0]), -1);
}

void dd_handle(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h, const void *p)
{
	if (h->op == SV_TS_INJECT)
		dd_inject(d0, c, h, p);
	else
		dd_list(d0, c, h, p);
}

void dd_named(struct dom0 *d0, struct dd_domain *dd, struct ts_client *c,
	      const struct sv_ctl_hdr *h, uint32_t arg)
{
	char err[512];

	switch (h->op) {
	case SV_TS_DESTROY:
		dd->stopping = true;
		dd->restart_pending = false;
		/* A running one may be kept for its guests (dd_ended); a second destroy forgets it. */
		if (dd_running(dd) && !dd_signal(dd, SIGKILL))
			dd_ended(d0, dd, true); /* SIGKILL: prompt */
		else if (!dd->remove)
			dd_forget(d0, dd);
		wire_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
		return;
	case SV_TS_SHUTDOWN:
		if (!dd_running(dd)) {
			snprintf(err, sizeof(err),
				 "driver domain %s is not running; destroy removes it", dd->name);
			ts_err(c, h, -ESRCH, err);
			return;
		}
		if (c->shutdown_pending) {
			ts_err(c, h, -EBUSY, "a shutdown is pending on this connection");
			return;
		}
		dd->stopping = true;
		dd_signal(dd, SIGTERM);
		if (dd->hung)
			dd_signal(dd, SIGCONT); /* a stopped process takes no SIGTERM */
		c->shutdown_pending = true;
		c->shutdown_domid = dd->domid;
		c->shutdown_req = h->req_id;
		c->shutdown_timeout_ms = arg;
		c->shutdown_deadline_ns = util_now_ns() + (uint64_t)arg * 1000000u;
		return;
	case SV_TS_PAUSE:
	case SV_TS_UNPAUSE:
		snprintf(err, sizeof(err),
			 "%s is a driver domain: 'svctl inject %s hang' stops it and 'svctl inject "
			 "%s resume' continues it",
			 dd->name, dd->name, dd->name);
		break;
	default:
		snprintf(err, sizeof(err),
			 "%s is a driver domain: it has no console; svdd writes to svdom0.log",
			 dd->name);
	}
	ts_err(c, h, -EOPNOTSUPP, err);
}

int dd_dumpxml(struct dom0 *d0, const char *name, char **xml, char *err, size_t errlen)
{
	struct dd_domain *dd = dd_by_name(d0, name);
	struct sv_domain_config live;
	int ret;

	if (!dd)
		return -ENOENT;
	/* A shallow copy: only the id differs, the formatter reads the strings. */
	live = *dd->cfg;
	live.domid = dd_running(dd) ? (int)dd->domid : SV_DOMID_NONE;
	ret = sv_xml_format(&live, xml);
	if (ret)
		snprintf(err, errlen, "cannot format driver domain %s: %s", name, strerror(-ret));
	return ret;
}
