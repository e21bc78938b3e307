// SPDX-License-Identifier: MIT
/*
 * The toolstack service of svdom0: svctl's requests on dom0.sock and the
 * core's events (domains ending, console bytes), on top of ts_domains.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <splitvisor/exit.h>
#include <splitvisor/toolstack.h>

#include "console_back.h"
#include "console_log.h"
#include "core_client.h"
#include "driver_domains.h"
#include "log.h"
#include "running.h"
#include "store_ring.h"
#include "sv_xml.h"
#include "svdom0.h"
#include "toolstack_xml.h"
#include "ts_domains.h"
#include "ts_service.h"
#include "ts_stats.h"
#include "util.h"
#include "vbd.h"
#include "vif.h"

static void ts_end_text(struct ts_domain *td, const struct sv_ctl_ev_ended *ev)
{
	const char *reason = sv_exit_reason_str(ev->info.exit_reason);

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
	vif_detach_all(d0, td);
	vbd_detach_all(d0, td);
	sr_close(d0, td);
	/* Before the followers hear of the end: the guest's last lines may still be in its ring. */
	ts_console_close(td);
	ts_xs_gone(d0, td->info.domid);
	if (d0->on_domain_ended)
		d0->on_domain_ended(d0, td);
	for (c = d0->ts_clients; c; c = c->next) {
		if (c->following && c->follow_domid == td->info.domid) {
			wire_conn_queue(&c->conn, SV_TS_EV_ENDED, 0, 0, td->end_text,
					strlen(td->end_text) + 1, -1);
			c->following = false;
			c->close_when_flushed = true;
		}
		if (c->shutdown_pending && c->shutdown_domid == td->info.domid) {
			wire_conn_queue(&c->conn, SV_TS_SHUTDOWN, c->shutdown_req, 0, td->end_text,
					strlen(td->end_text) + 1, -1);
			c->shutdown_pending = false;
		}
	}
	tsx_domain_ended(td);
}

static void ts_console(struct dom0 *d0, const struct sv_ctl_ev_console *ev, size_t len)
{
	struct ts_domain *td = ts_by_id(d0, ev->domid);
	char note[96];

	if (!td || len < sizeof(*ev) || ev->len > len - sizeof(*ev))
		return;
	console_back_drain(td->console);
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
					 td->info.name, sv_exit_reason_str(info[i].exit_reason));
			} else {
				if (ts_xs_home(d0, &info[i]))
					log_err("xenstore home of domain %u failed", info[i].domid);
				else
					sr_open(d0, td);
				ts_console_open(d0, td);
				tsx_adopt(d0, td);
			}
			req.start_domid = info[i].domid + 1;
		}
		if (n < SV_CTL_LIST_MAX)
			break;
	}
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
	wire_conn_queue(&c->conn, h->op, h->req_id, 0, &reply, sizeof(reply), -1);
}

static void ts_send_log(struct ts_client *c, const struct con_log *l)
{
	size_t off = 0, n;
	const char *p;

	while ((n = tail_ring_span(&l->mem, off, &p))) {
		if (n > SV_CTL_PAYLOAD_MAX)
			n = SV_CTL_PAYLOAD_MAX;
		wire_conn_queue(&c->conn, SV_TS_EV_CONSOLE, 0, 0, p, n, -1);
		off += n;
	}
}

int ts_domain_op(struct dom0 *d0, struct ts_domain *td, uint32_t ts_op, char *err, size_t errlen)
{
	struct sv_ctl_domid id = { .domid = td->info.domid };
	uint32_t op = ts_op == SV_TS_PAUSE     ? SV_CTL_PAUSE
		      : ts_op == SV_TS_UNPAUSE ? SV_CTL_UNPAUSE
					       : SV_CTL_DESTROY;
	int ret;

	ret = cc_call(d0->cc, op, &id, sizeof(id), NULL, 0, NULL, NULL, err, errlen);
	if (ret == -EALREADY)
		snprintf(err, errlen, "domain %s is %s", td->info.name,
			 op == SV_CTL_PAUSE ? "already paused" : "not paused");
	if (ret)
		return ret;
	if (op == SV_CTL_DESTROY) {
		/* The core sent the end before its reply: let followers see it, then forget. */
		td->action = TS_NO_ACTION;
		ts_core_events(d0);
		ts_remove(d0, td);
	} else {
		td->info.state = op == SV_CTL_PAUSE ? SV_CTL_STATE_PAUSED : SV_CTL_STATE_RUNNING;
	}
	return 0;
}

/* Requests that name a domain. */
static void ts_named(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h,
		     const char *name, uint32_t arg)
{
	struct ts_domain *td = ts_by_name(d0, name);
	struct dd_domain *dd = td ? NULL : dd_by_name(d0, name);
	struct sv_ctl_domid id = { 0 };
	char err[512];
	int ret;

	if (dd) {
		dd_named(d0, dd, c, h, arg);
		return;
	}
	if (!td) {
		snprintf(err, sizeof(err), "no domain named %s", name);
		ts_err(c, h, -ENOENT, err);
		return;
	}
	id.domid = td->info.domid;
	if (h->op == SV_TS_CONSOLE) {
		wire_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
		ts_send_log(c, &td->log);
		if (arg & SV_TS_CONSOLE_NO_FOLLOW) {
			c->close_when_flushed = true;
		} else if (td->ended) {
			wire_conn_queue(&c->conn, SV_TS_EV_ENDED, 0, 0, td->end_text,
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
			 wire_state_name(td->info.state));
		ts_err(c, h, -ESRCH, err);
		return;
	}
	if (h->op == SV_TS_SHUTDOWN) {
		if (c->shutdown_pending) {
			ts_err(c, h, -EBUSY, "a shutdown is pending on this connection");
			return;
		}
		ret = ts_xs_write(d0, id.domid, "control/shutdown", "poweroff");
		if (ret) {
			ts_err(c, h, ret, "cannot write control/shutdown in xenstore");
			return;
		}
		c->shutdown_pending = true;
		c->shutdown_domid = id.domid;
		c->shutdown_req = h->req_id;
		c->shutdown_timeout_ms = arg;
		c->shutdown_deadline_ns = util_now_ns() + (uint64_t)arg * 1000000u;
		return;
	}
	ret = ts_domain_op(d0, td, h->op, err, sizeof(err));
	if (ret) {
		ts_err(c, h, ret, err);
		return;
	}
	wire_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
}

/* A hot-plug request's domain: running, or the client hears why not (NULL). */
static struct ts_domain *ts_running(struct dom0 *d0, struct ts_client *c,
				    const struct sv_ctl_hdr *h, const char *name)
{
	struct ts_domain *td = ts_by_name(d0, name);
	char err[SV_CTL_NAME_SIZE + 40];

	if (td && !td->ended)
		return td;
	snprintf(err, sizeof(err), "no running domain named %s", name);
	ts_err(c, h, td ? -ESRCH : -ENOENT, err);
	return NULL;
}

static void ts_block_plug(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h,
			  const struct sv_ts_block *req)
{
	struct sv_disk_config dc = { 0 };
	struct ts_domain *td;
	char err[512] = "";
	int ret;

	if (h->len != sizeof(*req) || !wire_str_ok(req->name, sizeof(req->name)) ||
	    !wire_str_ok(req->source, sizeof(req->source)) ||
	    !wire_str_ok(req->dev, sizeof(req->dev)) || req->flags & ~SV_TS_BLOCK_READONLY) {
		ts_err(c, h, -EINVAL, "malformed toolstack request");
		return;
	}
	td = ts_running(d0, c, h, req->name);
	if (!td)
		return;
	if (h->op == SV_TS_BLOCK_DETACH) {
		ret = vbd_detach(d0, td, req->dev, err, sizeof(err));
		if (!ret)
			running_disk_unplugged(d0, td, req->dev);
	} else {
		dc.type = SV_DISK_FILE;
		dc.device = SV_DISK_DEVICE_DISK;
		dc.source = (char *)req->source;
		dc.target_dev = (char *)req->dev;
		dc.readonly = req->flags & SV_TS_BLOCK_READONLY;
		ret = vbd_attach(d0, td, &dc, err, sizeof(err));
		if (!ret)
			running_disk_plugged(d0, td, &dc);
	}
	if (ret)
		ts_err(c, h, ret, err);
	else
		wire_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
}

/* Xen's OUI with the top bit of the fourth byte clear, as xl and libvirt do. */
static int ts_random_mac(uint8_t mac[6], char *err, size_t errlen)
{
	if (getrandom(mac + 3, 3, 0) != 3) {
		snprintf(err, errlen, "cannot generate a mac address: %s", strerror(errno));
		return -EIO;
	}
	mac[0] = 0x00;
	mac[1] = 0x16;
	mac[2] = 0x3e;
	mac[3] &= 0x7f;
	return 0;
}

static void ts_net_plug(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h,
			const struct sv_ts_net *req)
{
	struct sv_net_config nc = { 0 };
	struct ts_domain *td;
	char err[512] = "";
	int ret;

	if (h->len != sizeof(*req) || !wire_str_ok(req->name, sizeof(req->name)) ||
	    !wire_str_ok(req->link, sizeof(req->link)) || req->type > SV_TS_NET_ETHERNET ||
	    req->has_mac > 1 || (req->has_mac && req->mac[0] & 1)) {
		ts_err(c, h, -EINVAL, "malformed toolstack request");
		return;
	}
	td = ts_running(d0, c, h, req->name);
	if (!td)
		return;
	if (h->op == SV_TS_NET_DETACH) {
		ret = vif_detach(d0, td, req->mac, err, sizeof(err));
	} else {
		nc.type = req->type == SV_TS_NET_ETHERNET ? SV_NET_ETHERNET : SV_NET_BRIDGE;
		nc.bridge = nc.type == SV_NET_BRIDGE ? (char *)req->link : NULL;
		nc.target_dev =
			nc.type == SV_NET_ETHERNET && req->link[0] ? (char *)req->link : NULL;
		memcpy(nc.mac, req->mac, 6);
		ret = nc.type == SV_NET_BRIDGE && !req->link[0] ? -EINVAL : 0;
		if (ret)
			snprintf(err, sizeof(err), "a bridge interface needs a switch name");
		if (!ret && !req->has_mac)
			ret = ts_random_mac(nc.mac, err, sizeof(err));
		if (!ret)
			ret = vif_attach(d0, td, &nc, err, sizeof(err));
	}
	if (ret)
		ts_err(c, h, ret, err);
	else
		wire_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
}

/* SV_TS_CONSOLE_INPUT from a console follower: keyboard bytes for its domain. */
static void ts_console_input(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h,
			     const void *p)
{
	struct ts_domain *td;
	int ret;

	for (td = d0->domains; td; td = td->next)
		if (c->following && td->info.domid == c->follow_domid)
			break;
	if (!td) {
		ts_err(c, h, -EINVAL, "console input without an attached console");
		return;
	}
	/* All or nothing: svctl holds the bytes and sends them again after -EAGAIN. */
	ret = td->console ? console_back_input(td->console, p, h->len) : -ENOTCONN;
	if (ret == -EAGAIN)
		ts_err(c, h, ret, "the guest is not reading its console");
	else if (ret)
		ts_err(c, h, ret, "the domain has no console ring: it takes no input");
	else
		wire_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
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
	if (h->op == SV_TS_BLOCK_LIST || h->op == SV_TS_NET_LIST) {
		ts_dev_list(d0, c, h, p);
		return;
	}
	if (h->op == SV_TS_NET_ATTACH || h->op == SV_TS_NET_DETACH) {
		ts_net_plug(d0, c, h, p);
		return;
	}
	if (h->op == SV_TS_CONSOLE_INPUT) {
		ts_console_input(d0, c, h, p);
		return;
	}
	if (h->op == SV_TS_INJECT || h->op == SV_TS_LIST_DD) {
		dd_handle(d0, c, h, p);
		return;
	}
	if (h->op == SV_TS_DEV_STATS) {
		ts_dev_stats(d0, c, h, p);
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
	    !wire_str_ok(sd->name, sizeof(sd->name))) {
		ts_err(c, h, -EINVAL, "name is not NUL-terminated");
		return;
	}
	switch (h->op) {
	case SV_TS_CREATE:
		ch.op = SV_CTL_CREATE;
		ret = wire_check_request(&ch, p, err, sizeof(err));
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
			wire_conn_queue(&c->conn, h->op, h->req_id, 0, info, len, -1);
		return;
	case SV_TS_STOP:
		d0->stopping = true;
		d0->stop_core = true;
		wire_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
		return;
	default:
		ts_named(d0, c, h, sd->name, h->len >= sizeof(*sd) ? sd->timeout_ms : 0);
	}
}

int ts_timeouts(struct dom0 *d0)
{
	uint64_t now = util_now_ns(), next = UINT64_MAX;
	struct ts_domain *td;
	struct ts_client *c;
	const char *dd_name;
	char msg[512];
	int dd_next = dd_timeouts(d0);

	if (dd_next >= 0)
		next = (uint64_t)dd_next * 1000000u;
	for (c = d0->ts_clients; c; c = c->next) {
		if (!c->shutdown_pending)
			continue;
		if (c->shutdown_deadline_ns > now) {
			if (c->shutdown_deadline_ns - now < next)
				next = c->shutdown_deadline_ns - now;
			continue;
		}
		td = ts_by_id(d0, c->shutdown_domid);
		dd_name = td ? NULL : dd_name_by_id(d0, c->shutdown_domid);
		if (dd_name)
			snprintf(msg, sizeof(msg),
				 "driver domain %s did not end within %u ms of SIGTERM (use 'svctl "
				 "destroy')",
				 dd_name, c->shutdown_timeout_ms);
		else
			snprintf(msg, sizeof(msg),
				 "domain %s did not shut down within %u ms: the guest did not "
				 "react to "
				 "control/shutdown (use 'svctl destroy')",
				 td ? td->info.name : "?", c->shutdown_timeout_ms);
		wire_conn_queue(&c->conn, SV_TS_SHUTDOWN, c->shutdown_req, -ETIMEDOUT, msg,
				strlen(msg) + 1, -1);
		c->shutdown_pending = false;
	}
	return next == UINT64_MAX ? -1 : (int)(next / 1000000u) + 1;
}
