// SPDX-License-Identifier: MIT
/*
 * The toolstack service of svdom0: domains through the core, their xenstore
 * home (/local/domain/<id>), their console logs, and svctl's requests.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core_client.h"
#include "sv_xml.h"
#include "svcore.h"
#include "svdom0.h"
#include "toolstack_proto.h"
#include "xs_local.h"

/* A console follower that stops reading is dropped beyond this much queued output. */
#define TS_FOLLOW_OUT_MAX (4u * 1024u * 1024u)

/* svdom0 does not link the core: its exit reasons by number (svcore.h). */
static const char *reason_name(uint32_t r)
{
	static const char *const names[] = { "poweroff", "reboot", "crash", "fault", "destroyed" };

	return r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One request on the toolstack's own xenstore connection; 0 or -errno. */
static int xs_do(struct dom0 *d0, uint32_t type, const char *path, const void *arg, size_t alen)
{
	int ret = xsl_call(d0->xs_self, type, path, arg, alen, NULL, 0);

	return ret < 0 ? ret : 0;
}

static int xs_write_str(struct dom0 *d0, uint32_t domid, const char *rel, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, rel);
	return xs_do(d0, XS_WRITE, path, val, strlen(val));
}

/* The domain's home, owned by the domain as in Xen ("n<domid>": nobody else may read). */
static int xs_domain_home(struct dom0 *d0, const struct sv_ctl_dominfo *info)
{
	char path[64], val[32];
	int ret;

	snprintf(path, sizeof(path), "/local/domain/%u", info->domid);
	ret = xs_do(d0, XS_MKDIR, path, NULL, 0);
	snprintf(val, sizeof(val), "n%u", info->domid);
	if (!ret)
		ret = xs_do(d0, XS_SET_PERMS, path, val, strlen(val) + 1);
	if (!ret)
		ret = xs_write_str(d0, info->domid, "name", info->name);
	snprintf(val, sizeof(val), "%u", info->domid);
	if (!ret)
		ret = xs_write_str(d0, info->domid, "domid", val);
	snprintf(val, sizeof(val), "%llu", (unsigned long long)info->memory_mib * 1024);
	if (!ret)
		ret = xs_write_str(d0, info->domid, "memory/target", val);
	snprintf(val, sizeof(val), "%u", info->vcpus);
	if (!ret)
		ret = xs_write_str(d0, info->domid, "vcpus", val);
	if (!ret)
		ret = xs_domain_introduce(d0->xs, (uint16_t)info->domid, NULL);
	return ret == -EEXIST ? 0 : ret;
}

static void xs_domain_gone(struct dom0 *d0, uint32_t domid)
{
	char path[64];

	xs_domain_release(d0->xs, (uint16_t)domid);
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	xs_do(d0, XS_RM, path, NULL, 0);
}

struct ts_domain *ts_by_name(struct dom0 *d0, const char *name)
{
	struct ts_domain *td;

	for (td = d0->domains; td; td = td->next)
		if (!strcmp(td->info.name, name))
			return td;
	return NULL;
}

static struct ts_domain *ts_by_id(struct dom0 *d0, uint32_t domid)
{
	struct ts_domain *td;

	for (td = d0->domains; td; td = td->next)
		if (td->info.domid == domid)
			return td;
	return NULL;
}

static struct ts_domain *ts_add(struct dom0 *d0, const struct sv_ctl_dominfo *info, bool fresh)
{
	struct ts_domain *td = calloc(1, sizeof(*td));

	if (!td)
		return NULL;
	td->info = *info;
	td->info.name[SV_CTL_NAME_SIZE - 1] = '\0';
	td->action = TS_NO_ACTION;
	if (con_log_open(&td->log, d0->rundir, td->info.name, fresh))
		fprintf(stderr, "svdom0: console log of %s: cannot open, memory only\n",
			td->info.name);
	td->next = d0->domains;
	d0->domains = td;
	return td;
}

void ts_remove(struct dom0 *d0, struct ts_domain *td)
{
	struct ts_domain **pp;

	for (pp = &d0->domains; *pp != td; pp = &(*pp)->next)
		;
	*pp = td->next;
	vbd_detach_all(d0, td);
	sr_close(d0, td);
	cb_close(d0, td);
	con_log_close(&td->log);
	if (td->cfg) {
		sv_domain_config_free(td->cfg);
		free(td->cfg);
	}
	free(td);
}

static void ts_end_text(struct ts_domain *td, const struct sv_ctl_ev_ended *ev)
{
	const char *reason = reason_name(ev->info.exit_reason);

	if (ev->info.exit_reason == SV_EXIT_POWEROFF)
		snprintf(td->end_text, sizeof(td->end_text), "domain %s ended: poweroff, code %d",
			 td->info.name, ev->info.exit_code);
	else
		snprintf(td->end_text, sizeof(td->end_text), "domain %s ended: %s: %.200s",
			 td->info.name, reason, ev->detail);
}

static void ts_domain_ended(struct dom0 *d0, const struct sv_ctl_ev_ended *ev)
{
	struct ts_domain *td = ts_by_id(d0, ev->info.domid);
	struct ts_client *c;

	if (!td || td->ended)
		return;
	td->ended = true;
	td->info = ev->info;
	td->info.name[SV_CTL_NAME_SIZE - 1] = '\0';
	ts_end_text(td, ev);
	vbd_detach_all(d0, td);
	sr_close(d0, td);
	/* Before the followers hear of the end: the guest's last lines may still be in its ring. */
	cb_close(d0, td);
	xs_domain_gone(d0, td->info.domid);
	for (c = d0->ts_clients; c; c = c->next) {
		if (c->following && c->follow_domid == td->info.domid) {
			sv_conn_queue(&c->conn, SV_TS_EV_ENDED, 0, 0, td->end_text,
				      strlen(td->end_text) + 1, -1);
			c->following = false;
			c->close_when_flushed = true;
		}
		if (c->shutdown_pending && c->shutdown_domid == td->info.domid) {
			sv_conn_queue(&c->conn, SV_TS_SHUTDOWN, c->shutdown_req, 0, td->end_text,
				      strlen(td->end_text) + 1, -1);
			c->shutdown_pending = false;
		}
	}
	tsx_domain_ended(td);
}

void ts_console_output(struct dom0 *d0, struct ts_domain *td, const char *data, size_t len)
{
	struct ts_client *c;

	con_log_append(&td->log, data, len);
	for (c = d0->ts_clients; c; c = c->next) {
		if (!c->following || c->follow_domid != td->info.domid)
			continue;
		if (c->conn.out_bytes > TS_FOLLOW_OUT_MAX) {
			c->conn.dead = true;
			continue;
		}
		sv_conn_queue(&c->conn, SV_TS_EV_CONSOLE, 0, 0, data, len, -1);
	}
}

static void ts_console(struct dom0 *d0, const struct sv_ctl_ev_console *ev, size_t len)
{
	struct ts_domain *td = ts_by_id(d0, ev->domid);
	char note[96];

	if (!td || len < sizeof(*ev) || ev->len > len - sizeof(*ev))
		return;
	cb_drain(td);
	if (ev->dropped) {
		snprintf(note, sizeof(note), "\n[svcored dropped %llu console bytes]\n",
			 (unsigned long long)ev->dropped);
		con_log_append(&td->log, note, strlen(note));
	}
	ts_console_output(d0, td, (const char *)(ev + 1), ev->len);
}

int ts_core_events(struct dom0 *d0)
{
	static uint8_t buf[SV_CTL_PAYLOAD_MAX];
	struct sv_ctl_hdr h;
	int ret;

	ret = cc_poll_events(d0->cc);
	while (cc_next_event(d0->cc, &h, buf, sizeof(buf))) {
		if (h.op == SV_CTL_EV_CONSOLE)
			ts_console(d0, (void *)buf, h.len);
		else if (h.op == SV_CTL_EV_ENDED && h.len == sizeof(struct sv_ctl_ev_ended))
			ts_domain_ended(d0, (void *)buf);
	}
	/*
	 * Once per round: a guest that crashes at once under on_crash=restart must not keep
	 * svctl's requests waiting. The events its restarts queued are read next round.
	 */
	if (!ret && tsx_run_actions(d0))
		ret = 1;
	return ret;
}

int ts_attach(struct dom0 *d0, char *err, size_t errlen)
{
	struct sv_ctl_dominfo info[SV_CTL_LIST_MAX];
	struct sv_ctl_list req = { .start_domid = 0 };
	struct ts_domain *td;
	size_t len, i, n;
	int ret;

	/* Subscribe first, so no end falls between the list and the events. */
	ret = cc_call(d0->cc, SV_CTL_SUBSCRIBE, NULL, 0, NULL, 0, NULL, NULL, err, errlen);
	while (!ret) {
		ret = cc_call(d0->cc, SV_CTL_LIST, &req, sizeof(req), info, sizeof(info), &len,
			      NULL, err, errlen);
		if (ret)
			break;
		n = len / sizeof(info[0]);
		for (i = 0; i < n; i++) {
			td = ts_add(d0, &info[i], false);
			if (!td)
				return -ENOMEM;
			if (info[i].state >= SV_CTL_STATE_SHUTDOWN) {
				td->ended = true;
				snprintf(td->end_text, sizeof(td->end_text), "domain %s ended: %s",
					 td->info.name, reason_name(info[i].exit_reason));
			} else {
				if (xs_domain_home(d0, &info[i]))
					fprintf(stderr,
						"svdom0: xenstore home of domain %u failed\n",
						info[i].domid);
				else
					sr_open(d0, td);
				cb_open(d0, td);
				tsx_adopt(d0, td);
			}
			req.start_domid = info[i].domid + 1;
		}
		if (n < SV_CTL_LIST_MAX)
			break;
	}
	return ret;
}

int ts_err(struct ts_client *c, const struct sv_ctl_hdr *h, int ret, const char *msg)
{
	sv_conn_error(&c->conn, h, ret, "%s", msg);
	return ret;
}

int ts_clear_ended(struct dom0 *d0, const char *name, char *err, size_t errlen)
{
	struct ts_domain *td = ts_by_name(d0, name);
	struct sv_ctl_domid id = { 0 };

	if (td && !td->ended) {
		snprintf(err, errlen, "domain %s exists (domid %u)", name, td->info.domid);
		return -EEXIST;
	}
	if (td) {
		/* An ended domain of that name is kept for `list` until replaced. */
		id.domid = td->info.domid;
		cc_call(d0->cc, SV_CTL_DESTROY, &id, sizeof(id), NULL, 0, NULL, NULL, NULL, 0);
		ts_remove(d0, td);
	}
	return 0;
}

int ts_boot(struct dom0 *d0, const struct sv_ctl_create *req, const struct sv_domain_config *cfg,
	    struct ts_domain **tdp, char *err, size_t errlen)
{
	struct sv_ctl_domid id = { 0 }, reply;
	struct sv_ctl_create paused = *req;
	struct sv_ctl_dominfo info;
	int ret;

	if (errlen)
		err[0] = '\0';
	/* Paused until xenstore, its rings and its devices are in place: nothing to race with. */
	paused.flags |= SV_CTL_CREATE_PAUSED;
	ret = cc_call(d0->cc, SV_CTL_CREATE, &paused, sizeof(paused), &reply, sizeof(reply), NULL,
		      NULL, err, errlen);
	if (ret)
		return ret;
	id.domid = reply.domid;
	ret = cc_call(d0->cc, SV_CTL_INFO, &id, sizeof(id), &info, sizeof(info), NULL, NULL, err,
		      errlen);
	if (!ret && *tdp) {
		(*tdp)->info = info;
		(*tdp)->info.name[SV_CTL_NAME_SIZE - 1] = '\0';
		(*tdp)->ended = false;
		(*tdp)->action = TS_NO_ACTION;
	} else if (!ret && !(*tdp = ts_add(d0, &info, true))) {
		ret = -ENOMEM;
	}
	if (!ret && xs_domain_home(d0, &info)) {
		snprintf(err, errlen, "cannot write the domain's xenstore home");
		ret = -EIO;
	}
	if (!ret) {
		sr_open(d0, *tdp);
		cb_open(d0, *tdp);
		ret = vbd_attach_all(d0, *tdp, cfg, err, errlen);
	}
	if (!ret)
		ret = cc_call(d0->cc, SV_CTL_UNPAUSE, &id, sizeof(id), NULL, 0, NULL, NULL, err,
			      errlen);
	if (!ret) {
		(*tdp)->info.state = SV_CTL_STATE_RUNNING;
		return 0;
	}
	if (*tdp) {
		vbd_detach_all(d0, *tdp);
		sr_close(d0, *tdp);
		cb_close(d0, *tdp);
		xs_domain_gone(d0, id.domid);
	}
	cc_call(d0->cc, SV_CTL_DESTROY, &id, sizeof(id), NULL, 0, NULL, NULL, NULL, 0);
	if (!err[0])
		snprintf(err, errlen, "cannot set the domain up in dom0: %s", strerror(-ret));
	return ret;
}

static void ts_create(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h,
		      const struct sv_ctl_create *req)
{
	struct ts_domain *td = NULL;
	struct sv_ctl_domid reply;
	char err[512];
	int ret;

	ret = ts_clear_ended(d0, req->name, err, sizeof(err));
	if (!ret)
		ret = ts_boot(d0, req, NULL, &td, err, sizeof(err));
	if (ret) {
		ts_err(c, h, ret, err);
		return;
	}
	reply.domid = td->info.domid;
	reply.pad = 0;
	sv_conn_queue(&c->conn, h->op, h->req_id, 0, &reply, sizeof(reply), -1);
}

static void ts_send_log(struct ts_client *c, const struct con_log *l)
{
	size_t off = 0, n;
	const char *p;

	while ((n = sv_tail_ring_span(&l->mem, off, &p))) {
		if (n > SV_CTL_PAYLOAD_MAX)
			n = SV_CTL_PAYLOAD_MAX;
		sv_conn_queue(&c->conn, SV_TS_EV_CONSOLE, 0, 0, p, n, -1);
		off += n;
	}
}

/* Requests that name a domain. */
static void ts_named(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h,
		     const char *name, uint32_t arg)
{
	struct ts_domain *td = ts_by_name(d0, name);
	struct sv_ctl_domid id = { 0 };
	uint32_t op;
	char err[512];
	int ret;

	if (!td) {
		snprintf(err, sizeof(err), "no domain named %s", name);
		ts_err(c, h, -ENOENT, err);
		return;
	}
	id.domid = td->info.domid;
	if (h->op == SV_TS_CONSOLE) {
		sv_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
		ts_send_log(c, &td->log);
		if (arg & SV_TS_CONSOLE_NO_FOLLOW) {
			c->close_when_flushed = true;
		} else if (td->ended) {
			sv_conn_queue(&c->conn, SV_TS_EV_ENDED, 0, 0, td->end_text,
				      strlen(td->end_text) + 1, -1);
			c->close_when_flushed = true;
		} else {
			c->following = true;
			c->follow_domid = id.domid;
		}
		return;
	}
	if (td->ended && h->op != SV_TS_DESTROY) {
		snprintf(err, sizeof(err), "domain %s has ended (%s); destroy removes it", name,
			 sv_ctl_state_name(td->info.state));
		ts_err(c, h, -ESRCH, err);
		return;
	}
	if (h->op == SV_TS_SHUTDOWN) {
		if (c->shutdown_pending) {
			ts_err(c, h, -EBUSY, "a shutdown is pending on this connection");
			return;
		}
		ret = xs_write_str(d0, id.domid, "control/shutdown", "poweroff");
		if (ret) {
			ts_err(c, h, ret, "cannot write control/shutdown in xenstore");
			return;
		}
		c->shutdown_pending = true;
		c->shutdown_domid = id.domid;
		c->shutdown_req = h->req_id;
		c->shutdown_timeout_ms = arg;
		c->shutdown_deadline_ns = mono_ns() + (uint64_t)arg * 1000000u;
		return;
	}
	op = h->op == SV_TS_PAUSE     ? SV_CTL_PAUSE
	     : h->op == SV_TS_UNPAUSE ? SV_CTL_UNPAUSE
				      : SV_CTL_DESTROY;
	ret = cc_call(d0->cc, op, &id, sizeof(id), NULL, 0, NULL, NULL, err, sizeof(err));
	if (ret == -EALREADY)
		snprintf(err, sizeof(err), "domain %s is %s", name,
			 op == SV_CTL_PAUSE ? "already paused" : "not paused");
	if (ret) {
		ts_err(c, h, ret, err);
		return;
	}
	if (op == SV_CTL_DESTROY) {
		/* The core sent the end before its reply: let followers see it, then forget. */
		td->action = TS_NO_ACTION;
		ts_core_events(d0);
		ts_remove(d0, td);
	}
	sv_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
}

static void ts_block_list(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h,
			  const struct sv_ts_name *req)
{
	char text[SV_CTL_PAYLOAD_MAX];
	struct ts_domain *td;
	size_t len;

	if (h->len != sizeof(*req) || !sv_ctl_str_ok(req->name, sizeof(req->name))) {
		ts_err(c, h, -EINVAL, "malformed toolstack request");
		return;
	}
	td = ts_by_name(d0, req->name);
	if (!td) {
		snprintf(text, sizeof(text), "no domain named %s", req->name);
		ts_err(c, h, -ENOENT, text);
		return;
	}
	len = vbd_list(td, text, sizeof(text));
	sv_conn_queue(&c->conn, h->op, h->req_id, 0, text, len, -1);
}

static void ts_block_plug(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h,
			  const struct sv_ts_block *req)
{
	struct sv_disk_config dc = { 0 };
	struct ts_domain *td;
	char err[512] = "";
	int ret;

	if (h->len != sizeof(*req) || !sv_ctl_str_ok(req->name, sizeof(req->name)) ||
	    !sv_ctl_str_ok(req->source, sizeof(req->source)) ||
	    !sv_ctl_str_ok(req->dev, sizeof(req->dev)) || req->flags & ~SV_TS_BLOCK_READONLY) {
		ts_err(c, h, -EINVAL, "malformed toolstack request");
		return;
	}
	td = ts_by_name(d0, req->name);
	if (!td || td->ended) {
		snprintf(err, sizeof(err), "no running domain named %s", req->name);
		ts_err(c, h, td ? -ESRCH : -ENOENT, err);
		return;
	}
	if (h->op == SV_TS_BLOCK_DETACH) {
		ret = vbd_detach(d0, td, req->dev, err, sizeof(err));
	} else {
		dc.type = SV_DISK_FILE;
		dc.device = SV_DISK_DEVICE_DISK;
		dc.source = (char *)req->source;
		dc.target_dev = (char *)req->dev;
		dc.readonly = req->flags & SV_TS_BLOCK_READONLY;
		ret = vbd_attach(d0, td, &dc, err, sizeof(err));
	}
	if (ret)
		ts_err(c, h, ret, err);
	else
		sv_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
}

static const size_t ts_req_len[SV_TS_OP_COUNT] = {
	[SV_TS_CREATE] = sizeof(struct sv_ctl_create),
	[SV_TS_LIST] = sizeof(struct sv_ctl_list),
	[SV_TS_PAUSE] = sizeof(struct sv_ts_name),
	[SV_TS_UNPAUSE] = sizeof(struct sv_ts_name),
	[SV_TS_DESTROY] = sizeof(struct sv_ts_name),
	[SV_TS_SHUTDOWN] = sizeof(struct sv_ts_shutdown),
	[SV_TS_CONSOLE] = sizeof(struct sv_ts_console),
	[SV_TS_STOP] = 0,
};

void ts_handle(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h, const void *p)
{
	struct sv_ctl_dominfo info[SV_CTL_LIST_MAX];
	const struct sv_ts_shutdown *sd = p;
	struct sv_ctl_hdr ch = *h;
	char err[512];
	size_t len;
	int ret;

	if (h->op == SV_TS_BLOCK_ATTACH || h->op == SV_TS_BLOCK_DETACH) {
		ts_block_plug(d0, c, h, p);
		return;
	}
	if (h->op == SV_TS_BLOCK_LIST) {
		ts_block_list(d0, c, h, p);
		return;
	}
	if (h->op == SV_TS_CONSOLE_INPUT) {
		cb_ts_input(d0, c, h, p);
		return;
	}
	if (h->op >= SV_TS_DEFINE && h->op < SV_TS_OP_COUNT) {
		tsx_handle(d0, c, h, p);
		return;
	}
	if (h->op == 0 || h->op >= SV_TS_OP_COUNT || h->len != ts_req_len[h->op]) {
		ts_err(c, h, -EINVAL, "malformed toolstack request");
		return;
	}
	/* Every op with a name has it first, then maybe a u32 (sv_ts_shutdown, sv_ts_console). */
	if (h->op >= SV_TS_PAUSE && h->op <= SV_TS_CONSOLE &&
	    !sv_ctl_str_ok(sd->name, sizeof(sd->name))) {
		ts_err(c, h, -EINVAL, "name is not NUL-terminated");
		return;
	}
	switch (h->op) {
	case SV_TS_CREATE:
		ch.op = SV_CTL_CREATE;
		ret = sv_ctl_check_request(&ch, p, err, sizeof(err));
		if (ret)
			ts_err(c, h, ret, err);
		else
			ts_create(d0, c, h, p);
		return;
	case SV_TS_LIST:
		ret = cc_call(d0->cc, SV_CTL_LIST, p, h->len, info, sizeof(info), &len, NULL, err,
			      sizeof(err));
		if (ret)
			ts_err(c, h, ret, err);
		else
			sv_conn_queue(&c->conn, h->op, h->req_id, 0, info, len, -1);
		return;
	case SV_TS_STOP:
		d0->stopping = true;
		d0->stop_core = true;
		sv_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
		return;
	default:
		ts_named(d0, c, h, sd->name, h->len >= sizeof(*sd) ? sd->timeout_ms : 0);
	}
}

int ts_timeouts(struct dom0 *d0)
{
	uint64_t now = mono_ns(), next = UINT64_MAX;
	struct ts_domain *td;
	struct ts_client *c;
	char msg[512];

	for (c = d0->ts_clients; c; c = c->next) {
		if (!c->shutdown_pending)
			continue;
		if (c->shutdown_deadline_ns > now) {
			if (c->shutdown_deadline_ns - now < next)
				next = c->shutdown_deadline_ns - now;
			continue;
		}
		td = ts_by_id(d0, c->shutdown_domid);
		snprintf(msg, sizeof(msg),
			 "domain %s did not shut down within %u ms: the guest did not react to "
			 "control/shutdown (use 'svctl destroy')",
			 td ? td->info.name : "?", c->shutdown_timeout_ms);
		sv_conn_queue(&c->conn, SV_TS_SHUTDOWN, c->shutdown_req, -ETIMEDOUT, msg,
			      strlen(msg) + 1, -1);
		c->shutdown_pending = false;
	}
	return next == UINT64_MAX ? -1 : (int)(next / 1000000u) + 1;
}

void ts_client_release(struct ts_client *c)
{
	free(c->upload);
	c->upload = NULL;
	c->upload_len = 0;
}

void ts_free(struct dom0 *d0)
{
	while (d0->domains)
		ts_remove(d0, d0->domains);
}
