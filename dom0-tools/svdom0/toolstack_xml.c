// SPDX-License-Identifier: MIT
/*
 * The toolstack's libvirt side: persistent definitions (define, undefine, start), transient
 * domains from a document (create), dumpxml, list --all, and the on_poweroff / on_reboot /
 * on_crash actions of domains started from XML.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <splitvisor/exit.h>
#include <splitvisor/toolstack.h>

#include "bootloader.h"
#include "console_log.h"
#include "core_client.h"
#include "driver_domains.h"
#include "log.h"
#include "running.h"
#include "sv_xml.h"
#include "svdom0.h"
#include "toolstack_xml.h"
#include "ts_bootloader.h"
#include "ts_domains.h"

/*
 * What start needs that define does not: something it can start, and its files. Every missing
 * file is named, as "domain NAME cannot start: kernel /x: No such file or directory; ...".
 */
static int tsx_check_start(const struct sv_domain_config *cfg, char *err, size_t errlen)
{
	char files[768];
	int ret;

	ret = sv_xml_check_startable(cfg, true, err, errlen);
	if (ret)
		return ret;
	ret = sv_xml_check_files(cfg, files, sizeof(files));
	/* A long list is cut with "...": the first files named are still the answer. */
	if (ret &&
	    snprintf(err, errlen, "domain %s cannot start: %s", cfg->name, files) >= (int)errlen &&
	    errlen > 4)
		strcpy(err + errlen - 4, "...");
	return ret;
}

static int cfg_to_create(struct dom0 *d0, const struct sv_domain_config *cfg,
			 struct sv_ctl_create *req, char *err, size_t errlen)
{
	const char *cmdline = cfg->cmdline ? cfg->cmdline : "", *kernel = cfg->kernel;
	const char *initrd = cfg->initrd ? cfg->initrd : "";
	struct boot_choice *boot = NULL;
	int ret;

	memset(req, 0, sizeof(*req));
	if (!cfg->kernel && !cfg->bootloader) {
		snprintf(err, errlen, "domain %s has no kernel to boot", cfg->name);
		return -EINVAL;
	}
	if (cfg->bootloader) {
		boot = malloc(sizeof(*boot));
		ret = boot ? tsx_bootloader(d0, cfg, boot, err, errlen) : -ENOMEM;
		if (ret) {
			if (!boot)
				snprintf(err, errlen, "out of memory");
			free(boot);
			return ret;
		}
		kernel = boot->kernel;
		cmdline = boot->cmdline;
		initrd = boot->initrd;
	}
	if (strlen(cfg->name) >= sizeof(req->name) || strlen(kernel) >= sizeof(req->kernel) ||
	    strlen(cmdline) >= sizeof(req->cmdline) || strlen(initrd) >= sizeof(req->initrd)) {
		snprintf(err, errlen,
			 "domain %s: name, kernel path, initrd path or command line too long",
			 cfg->name);
		free(boot);
		return -ENAMETOOLONG;
	}
	strcpy(req->name, cfg->name);
	strcpy(req->kernel, kernel);
	strcpy(req->cmdline, cmdline);
	strcpy(req->initrd, initrd);
	free(boot);
	/* The guest starts with currentMemory, rounded up to whole MiB (as svctl run does). */
	req->memory_mib = (uint32_t)((cfg->current_memory_kib + 1023) / 1024);
	req->vcpus = cfg->vcpus;
	req->wallclock_offset_s = sv_xml_wallclock_offset(cfg);
	if (cfg->os_type == SV_OS_XENPVH)
		req->flags |= SV_CTL_CREATE_PVH;
	req->max_grant_frames = cfg->max_grant_frames;
	req->max_event_channels = cfg->max_event_channels;
	return 0;
}

/*
 * Boots cfg as a new domain that keeps its own copy of cfg: a guest, or a
 * driver domain (os type exe). The driver domains a guest's devices name are
 * started first when they are defined and not running (libxl would refuse).
 */
static int tsx_boot(struct dom0 *d0, const struct sv_domain_config *cfg, uint32_t *domid, char *err,
		    size_t errlen)
{
	struct sv_domain_config *copy = NULL;
	struct ts_domain *td = NULL;
	struct sv_ctl_create req;
	int ret = -ENOMEM;

	if (cfg->os_type == SV_OS_EXE)
		return dd_create(d0, cfg, domid, err, errlen);
	if (dd_by_name(d0, cfg->name)) {
		snprintf(err, errlen, "driver domain %s exists", cfg->name);
		return -EEXIST;
	}
	ret = tsx_check_start(cfg, err, errlen);
	if (ret)
		return ret;
	ret = dd_ensure_for(d0, cfg, err, errlen);
	if (ret)
		return ret;
	ret = -ENOMEM;
	copy = calloc(1, sizeof(*copy));
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	ret = sv_config_dup(cfg, copy, err, errlen);
	if (!ret)
		ret = ts_clear_ended(d0, cfg->name, err, errlen);
	if (!ret)
		ret = cfg_to_create(d0, cfg, &req, err, errlen);
	if (!ret) {
		ret = ts_boot(d0, &req, cfg, &td, err, errlen);
		if (ret && cfg->bootloader)
			tsx_bootloader_clean(d0, cfg->name);
	}
	if (!ret) {
		td->cfg = copy;
		copy = NULL;
		*domid = td->info.domid;
		running_save(d0, td);
	}
out:
	if (copy) {
		sv_domain_config_free(copy);
		free(copy);
	}
	return ret;
}

/* Appends a chunk: 1 when the document is complete, 0 when more follows, or -errno. */
static int tsx_upload(struct ts_client *c, const struct sv_ctl_hdr *h, const void *p, char *err,
		      size_t errlen)
{
	const struct sv_ts_xml *x = p;
	char *buf;

	if (h->len < sizeof(*x) || x->len != h->len - sizeof(*x) ||
	    !wire_str_ok(x->source, sizeof(x->source))) {
		snprintf(err, errlen, "malformed toolstack request");
		return -EINVAL;
	}
	if (c->upload_len + x->len > SV_TS_XML_MAX) {
		snprintf(err, errlen, "%s: document larger than %u bytes", x->source,
			 SV_TS_XML_MAX);
		return -EFBIG;
	}
	buf = realloc(c->upload, c->upload_len + x->len + 1);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(buf + c->upload_len, x + 1, x->len);
	c->upload = buf;
	c->upload_len += x->len;
	c->upload[c->upload_len] = '\0';
	return x->flags & SV_TS_XML_MORE ? 0 : 1;
}

static bool uuid_differs(const struct sv_domain_config *a, const struct sv_domain_config *b)
{
	return memcmp(a->uuid, b->uuid, SV_UUID_LEN) != 0;
}

/* svdom0 validates again, since it owns the state and svctl is just a client. */
int tsx_define(struct dom0 *d0, struct sv_domain_config *cfg, char *err, size_t errlen)
{
	struct ts_domain *td = ts_by_name(d0, cfg->name);

	if (td && !td->cfg) {
		snprintf(err, errlen, "domain %s is running and was created without XML",
			 cfg->name);
		return -EEXIST;
	}
	if (td && uuid_differs(td->cfg, cfg)) {
		snprintf(err, errlen, "domain %s is running with uuid %s", cfg->name,
			 td->cfg->uuid_str);
		return -EEXIST;
	}
	return defs_put(&d0->defs, cfg, err, errlen);
}

int tsx_create(struct dom0 *d0, const struct sv_domain_config *cfg, uint32_t *domid, char *err,
	       size_t errlen)
{
	const struct sv_domain_config *def = defs_find(&d0->defs, cfg->name);
	const struct def_entry *e;

	if (def && uuid_differs(def, cfg)) {
		snprintf(err, errlen, "domain %s is defined with uuid %s", cfg->name,
			 def->uuid_str);
		return -EEXIST;
	}
	for (e = d0->defs.head; e; e = e->next) {
		if (strcmp(e->cfg.name, cfg->name) && !uuid_differs(&e->cfg, cfg)) {
			snprintf(err, errlen, "domain %s already has uuid %s", e->cfg.name,
				 cfg->uuid_str);
			return -EEXIST;
		}
	}
	return tsx_boot(d0, cfg, domid, err, errlen);
}

int tsx_start(struct dom0 *d0, const char *name, uint32_t *domid, char *err, size_t errlen)
{
	const struct sv_domain_config *def = defs_find(&d0->defs, name);
	struct ts_domain *td = ts_by_name(d0, name);

	if (!def) {
		snprintf(err, errlen, "no domain named %s is defined", name);
		return -ENOENT;
	}
	if (td && !td->ended) {
		snprintf(err, errlen, "domain %s is already running (domid %u)", name,
			 td->info.domid);
		return -EBUSY;
	}
	return tsx_boot(d0, def, domid, err, errlen);
}

/* The live document: the domain's own config with its id and actual memory. */
static int tsx_dumpxml(struct dom0 *d0, const char *name, char **xml, char *err, size_t errlen)
{
	struct ts_domain *td = ts_by_name(d0, name);
	const struct sv_domain_config *def = defs_find(&d0->defs, name);
	struct sv_domain_config live;
	int ret;

	if (td && !td->cfg) {
		snprintf(err, errlen, "domain %s was created with flags, not XML: no XML to show",
			 name);
		return -EOPNOTSUPP;
	}
	if (!td) {
		ret = dd_dumpxml(d0, name, xml, err, errlen);
		if (ret != -ENOENT)
			return ret;
	}
	if (!td && !def) {
		snprintf(err, errlen, "no domain named %s", name);
		return -ENOENT;
	}
	if (td) {
		/* A shallow copy: only scalars change, the formatter reads the strings. */
		live = *td->cfg;
		live.domid = (int)td->info.domid;
		live.current_memory_kib = (uint64_t)td->info.memory_mib * 1024;
		if (live.memory_kib < live.current_memory_kib)
			live.memory_kib = live.current_memory_kib;
		ret = sv_xml_format(&live, xml);
	} else {
		ret = sv_xml_format(def, xml);
	}
	if (ret)
		snprintf(err, errlen, "cannot format domain %s: %s", name, strerror(-ret));
	return ret;
}

static void tsx_send_xml(struct ts_client *c, const struct sv_ctl_hdr *h, const char *xml)
{
	struct sv_ts_size size = { .size = (uint32_t)strlen(xml) };
	size_t off, n;

	wire_conn_queue(&c->conn, h->op, h->req_id, 0, &size, sizeof(size), -1);
	for (off = 0; off < size.size; off += n) {
		n = size.size - off;
		if (n > SV_CTL_PAYLOAD_MAX)
			n = SV_CTL_PAYLOAD_MAX;
		wire_conn_queue(&c->conn, SV_TS_EV_DATA, h->req_id, 0, xml + off, n, -1);
	}
}

/* The definitions with no domain in the core (an ended one is listed by the core). */
static void tsx_list_defined(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h,
			     const struct sv_ts_list_defined *req)
{
	struct sv_ts_defined out[SV_TS_DEFINED_MAX];
	const struct def_entry *e;
	uint32_t i = 0;
	size_t n = 0;

	memset(out, 0, sizeof(out));
	for (e = d0->defs.head; e && n < SV_TS_DEFINED_MAX; e = e->next) {
		if (ts_by_name(d0, e->cfg.name) || dd_by_name(d0, e->cfg.name) || i++ < req->start)
			continue;
		snprintf(out[n].name, sizeof(out[n].name), "%s", e->cfg.name);
		out[n].vcpus = e->cfg.vcpus;
		out[n].memory_mib = (uint32_t)((e->cfg.current_memory_kib + 1023) / 1024);
		n++;
	}
	wire_conn_queue(&c->conn, h->op, h->req_id, 0, out, n * sizeof(out[0]), -1);
}

/* define and create: the document arrives in chunks, then is parsed and acted on. */
static void tsx_document(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h,
			 const void *p)
{
	const struct sv_ts_xml *x = p;
	struct sv_domain_config cfg = { .domid = SV_DOMID_NONE };
	struct sv_ctl_domid reply = { 0 };
	char err[1024], name[SV_CTL_NAME_SIZE];
	int ret;

	ret = tsx_upload(c, h, p, err, sizeof(err));
	if (ret == 0) {
		wire_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
		return;
	}
	if (ret > 0)
		ret = sv_xml_parse_memory(c->upload, c->upload_len, x->source, NULL, &cfg, err,
					  sizeof(err));
	ts_client_release(c);
	/* Elements accepted without effect: svctl prints them; the log has them for any client. */
	if (!ret && cfg.warnings && cfg.warnings[0])
		log_warn("%.*s", (int)strlen(cfg.warnings) - 1, cfg.warnings);
	if (!ret && h->op == SV_TS_DEFINE) {
		snprintf(name, sizeof(name), "%s", cfg.name);
		ret = tsx_define(d0, &cfg, err, sizeof(err));
		if (!ret)
			wire_conn_queue(&c->conn, h->op, h->req_id, 0, name, strlen(name) + 1, -1);
	} else if (!ret) {
		ret = tsx_create(d0, &cfg, &reply.domid, err, sizeof(err));
		if (!ret) {
			wire_conn_queue(&c->conn, h->op, h->req_id, 0, &reply, sizeof(reply), -1);
		}
	}
	if (ret)
		ts_err(c, h, ret, err);
	sv_domain_config_free(&cfg);
}

void tsx_handle(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h, const void *p)
{
	const struct sv_ts_name *req = p;
	struct sv_ctl_domid reply = { 0 };
	char err[1024], *xml = NULL;
	int ret;

	if (h->op == SV_TS_DEFINE || h->op == SV_TS_CREATE_XML) {
		tsx_document(d0, c, h, p);
		return;
	}
	if (h->op == SV_TS_LIST_DEFINED) {
		if (h->len != sizeof(struct sv_ts_list_defined))
			ts_err(c, h, -EINVAL, "malformed toolstack request");
		else
			tsx_list_defined(d0, c, h, p);
		return;
	}
	if (h->len != sizeof(*req) || !wire_str_ok(req->name, sizeof(req->name))) {
		ts_err(c, h, -EINVAL, "malformed toolstack request");
		return;
	}
	switch (h->op) {
	case SV_TS_UNDEFINE:
		/* A running domain keeps running, now transient (its copy of the config stays). */
		ret = defs_remove(&d0->defs, req->name, err, sizeof(err));
		if (!ret)
			wire_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
		break;
	case SV_TS_START:
		ret = tsx_start(d0, req->name, &reply.domid, err, sizeof(err));
		if (!ret) {
			wire_conn_queue(&c->conn, h->op, h->req_id, 0, &reply, sizeof(reply), -1);
		}
		break;
	default: /* SV_TS_DUMPXML */
		ret = tsx_dumpxml(d0, req->name, &xml, err, sizeof(err));
		if (!ret)
			tsx_send_xml(c, h, xml);
		free(xml);
	}
	if (ret)
		ts_err(c, h, ret, err);
}

void tsx_domain_ended(struct ts_domain *td)
{
	enum sv_lifecycle_action act;

	if (!td->cfg)
		return; /* created with flags: kept until destroyed, as before */
	if (td->cfg->bootloader)
		tsx_bootloader_clean(td->d0, td->cfg->name);
	switch (td->info.exit_reason) {
	case SV_EXIT_POWEROFF:
		act = td->cfg->on_poweroff;
		break;
	case SV_EXIT_REBOOT:
		act = td->cfg->on_reboot;
		break;
	case SV_EXIT_CRASH:
	case SV_EXIT_FAULT:
		act = td->cfg->on_crash;
		break;
	default:
		return; /* destroyed: whoever destroyed it removes it */
	}
	td->action = act == SV_ACTION_PRESERVE ? TS_NO_ACTION : (int)act;
}

/* Into the console log too, so `svctl console` shows why the output starts over. */
static void tsx_note(struct ts_domain *td, const char *what, const char *detail)
{
	char note[1200];

	snprintf(note, sizeof(note), "\n[svdom0: %s; %s]\n", detail, what);
	con_log_append(&td->log, note, strlen(note));
	log_info("%s; %s", detail, what);
}

bool tsx_run_actions(struct dom0 *d0)
{
	struct ts_domain *td, *next;
	struct sv_ctl_domid id = { 0 };
	struct sv_ctl_create req;
	char err[512];
	bool ran = false;
	int act, ret;

	for (td = d0->domains; td; td = next) {
		next = td->next;
		if (td->action == TS_NO_ACTION || !td->ended)
			continue;
		act = td->action;
		td->action = TS_NO_ACTION;
		ran = true;
		/* The ended domain leaves the core either way; a restart is a new domain. */
		id.domid = td->info.domid;
		cc_call(d0->cc, SV_CTL_DESTROY, &id, sizeof(id), NULL, 0, NULL, NULL, NULL, 0);
		if (act == SV_ACTION_RESTART) {
			tsx_note(td, "restarting", td->end_text);
			ret = tsx_check_start(td->cfg, err, sizeof(err));
			if (!ret)
				ret = cfg_to_create(d0, td->cfg, &req, err, sizeof(err));
			if (!ret)
				ret = dd_ensure_for(d0, td->cfg, err, sizeof(err));
			if (!ret)
				ret = ts_boot(d0, &req, td->cfg, &td, err, sizeof(err));
			if (!ret)
				continue;
			if (td->cfg->bootloader)
				tsx_bootloader_clean(d0, td->cfg->name);
			tsx_note(td, "the restart failed", err);
		}
		ts_remove(d0, td);
	}
	return ran;
}

void tsx_adopt(struct dom0 *d0, struct ts_domain *td)
{
	const struct sv_domain_config *def = defs_find(&d0->defs, td->info.name);
	struct sv_domain_config *copy = calloc(1, sizeof(*copy));
	char err[512];

	/* What it runs with first (its devices), else its definition. */
	if (copy && !running_load(d0, td->info.name, copy)) {
		td->cfg = copy;
		running_adopt_devices(d0, td);
		return;
	}
	if (!def || !copy) {
		free(copy);
		return;
	}
	if (sv_config_dup(def, copy, err, sizeof(err))) {
		log_err("domain %s: %s", td->info.name, err);
		free(copy);
		return;
	}
	td->cfg = copy;
}
