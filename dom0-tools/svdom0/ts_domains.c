// SPDX-License-Identifier: MIT
/*
 * The toolstack's domains: the list of them, how one is booted (created
 * paused in the core, given its xenstore home, rings and devices, then
 * unpaused) and removed, and where its console output goes. The request
 * handlers (toolstack.c, toolstack_xml.c) build on these; nothing here calls
 * back up into them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <splitvisor/toolstack.h>

#include "console_back.h"
#include "console_log.h"
#include "core_client.h"
#include "log.h"
#include "running.h"
#include "store_ring.h"
#include "sv_xml.h"
#include "svdom0.h"
#include "ts_domains.h"
#include "vbd.h"
#include "vif.h"
#include "xs_local.h"

/* A console follower that stops reading is dropped beyond this much queued output. */
#define TS_FOLLOW_OUT_MAX (4u * 1024u * 1024u)

/* One request on the toolstack's own xenstore connection; 0 or -errno. */
static int xs_do(struct dom0 *d0, uint32_t type, const char *path, const void *arg, size_t alen)
{
	int ret = xsl_call(d0->xs_self, type, path, arg, alen, NULL, 0);

	return ret < 0 ? ret : 0;
}

int ts_xs_write(struct dom0 *d0, uint32_t domid, const char *rel, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, rel);
	return xs_do(d0, XS_WRITE, path, val, strlen(val));
}

/* The domain's home, owned by the domain as in Xen ("n<domid>": nobody else may read). */
int ts_xs_home(struct dom0 *d0, const struct sv_ctl_dominfo *info)
{
	char path[64], val[32];
	int ret;

	snprintf(path, sizeof(path), "/local/domain/%u", info->domid);
	ret = xs_do(d0, XS_MKDIR, path, NULL, 0);
	snprintf(val, sizeof(val), "n%u", info->domid);
	if (!ret)
		ret = xs_do(d0, XS_SET_PERMS, path, val, strlen(val) + 1);
	if (!ret)
		ret = ts_xs_write(d0, info->domid, "name", info->name);
	snprintf(val, sizeof(val), "%u", info->domid);
	if (!ret)
		ret = ts_xs_write(d0, info->domid, "domid", val);
	snprintf(val, sizeof(val), "%llu", (unsigned long long)info->memory_mib * 1024);
	if (!ret)
		ret = ts_xs_write(d0, info->domid, "memory/target", val);
	snprintf(val, sizeof(val), "%u", info->vcpus);
	if (!ret)
		ret = ts_xs_write(d0, info->domid, "vcpus", val);
	if (!ret)
		ret = xs_domain_introduce(d0->xs, (uint16_t)info->domid, NULL);
	return ret == -EEXIST ? 0 : ret;
}

void ts_xs_gone(struct dom0 *d0, uint32_t domid)
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

struct ts_domain *ts_by_id(struct dom0 *d0, uint32_t domid)
{
	struct ts_domain *td;

	for (td = d0->domains; td; td = td->next)
		if (td->info.domid == domid)
			return td;
	return NULL;
}

struct ts_domain *ts_add(struct dom0 *d0, const struct sv_ctl_dominfo *info, bool fresh)
{
	struct ts_domain *td = calloc(1, sizeof(*td));

	if (!td)
		return NULL;
	td->info = *info;
	td->info.name[SV_CTL_NAME_SIZE - 1] = '\0';
	td->action = TS_NO_ACTION;
	td->d0 = d0;
	if (con_log_open(&td->log, d0->rundir, td->info.name, fresh, d0->console_log_max))
		log_warn("console log of %s: cannot open, memory only", td->info.name);
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
	vif_detach_all(d0, td);
	vbd_detach_all(d0, td);
	sr_close(d0, td);
	ts_console_close(td);
	con_log_close(&td->log);
	if (td->cfg) {
		sv_domain_config_free(td->cfg);
		free(td->cfg);
	}
	free(td);
}

void ts_console_output(struct dom0 *d0, struct ts_domain *td, const char *data, size_t len)
{
	struct ts_client *c;

	con_log_append(&td->log, data, len);
	if (d0->on_console_output)
		d0->on_console_output(d0, td, data, len);
	for (c = d0->ts_clients; c; c = c->next) {
		if (!c->following || c->follow_domid != td->info.domid)
			continue;
		if (c->conn.out_bytes > TS_FOLLOW_OUT_MAX) {
			c->conn.dead = true;
			continue;
		}
		wire_conn_queue(&c->conn, SV_TS_EV_CONSOLE, 0, 0, data, len, -1);
	}
}

int ts_err(struct ts_client *c, const struct sv_ctl_hdr *h, int ret, const char *msg)
{
	wire_conn_error(&c->conn, h, ret, "%s", msg);
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
	if (!ret && ts_xs_home(d0, &info)) {
		snprintf(err, errlen, "cannot write the domain's xenstore home");
		ret = -EIO;
	}
	if (!ret) {
		sr_open(d0, *tdp);
		ts_console_open(d0, *tdp);
		ret = vbd_attach_all(d0, *tdp, cfg, err, errlen);
		if (!ret)
			ret = vif_attach_all(d0, *tdp, cfg, err, errlen);
	}
	if (!ret)
		ret = cc_call(d0->cc, SV_CTL_UNPAUSE, &id, sizeof(id), NULL, 0, NULL, NULL, err,
			      errlen);
	if (!ret) {
		(*tdp)->info.state = SV_CTL_STATE_RUNNING;
		/* Started from flags: an older document of that name is not what it runs. */
		if (!cfg)
			running_forget(d0, (*tdp)->info.name);
		return 0;
	}
	if (*tdp) {
		vif_detach_all(d0, *tdp);
		vbd_detach_all(d0, *tdp);
		sr_close(d0, *tdp);
		ts_console_close(*tdp);
		ts_xs_gone(d0, id.domid);
	}
	cc_call(d0->cc, SV_CTL_DESTROY, &id, sizeof(id), NULL, 0, NULL, NULL, NULL, 0);
	if (!err[0])
		snprintf(err, errlen, "cannot set the domain up in dom0: %s", strerror(-ret));
	return ret;
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

static void ts_console_sink(void *arg, const char *buf, size_t len)
{
	struct ts_domain *td = arg;

	ts_console_output(td->d0, td, buf, len);
}

void ts_console_open(struct dom0 *d0, struct ts_domain *td)
{
	char err[256] = "";
	int ret;

	ts_console_close(td);
	ret = console_back_open(&d0->backend_env, td->info.domid, ts_console_sink, td, &td->console,
				err, sizeof(err));
	/* A domain without a console port prints through the core only: nothing to do. */
	if (ret && ret != -ENOENT)
		log_err("console ring of domain %u: %s", td->info.domid,
			err[0] ? err : strerror(-ret));
}

void ts_console_close(struct ts_domain *td)
{
	console_back_close(td->console);
	td->console = NULL;
}
