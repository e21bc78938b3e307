// SPDX-License-Identifier: MIT
/*
 * The procedures of libvirt's remote program that Splitvisor serves: a table
 * from procedure number to handler, with the ones a read-only connection may
 * call marked. Handlers read all their arguments before acting and reuse the
 * toolstack's operations (toolstack.c, toolstack_xml.c, definitions.c).
 * Procedure numbers and layouts: docs/libvirt-clients.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <splitvisor/toolstack.h>

#include "lv_priv.h"
#include "lv_procs.h"
#include "sv_xml.h"
#include "svdom0.h"
#include "toolstack_xml.h"
#include "ts_domains.h"
#include "ts_service.h"

/* virConnectOpen's read-only flag. */
#define LV_OPEN_READONLY 1u

enum {
	LV_RO = 1,	 /* allowed on a read-only connection */
	LV_PRE_OPEN = 2, /* allowed before CONNECT_OPEN */
};

struct lv_proc {
	int32_t proc;
	int (*fn)(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out);
	unsigned int flags;
};

/* Fails the call unless every argument was read and nothing more came. */
bool lvp_args_ok(struct lv_call *x, const struct lv_xdr_in *in)
{
	if (lv_in_done(in))
		return true;
	lv_fail(x, LV_ERR_RPC, "malformed arguments for procedure %d", x->h->proc);
	return false;
}

void lvp_put_dom(struct lv_xdr_out *out, const struct lv_dom *d)
{
	lv_put_string(out, d->name);
	lv_put_fixed(out, d->uuid, SV_UUID_LEN);
	lv_put_i32(out, d->id);
}

/* remote_nonnull_domain from the client: found by name, else by uuid. */
bool lvp_get_dom(struct lv_call *x, struct lv_xdr_in *in, struct lv_dom *d)
{
	uint8_t uuid[SV_UUID_LEN];
	char *name = lv_get_string(in, LV_NAME_MAX);
	bool found;

	lv_get_fixed(in, uuid, SV_UUID_LEN);
	lv_get_i32(in);
	if (in->err) {
		free(name);
		return false;
	}
	found = lv_dom_by_name(x->d0, name, d) || lv_dom_by_uuid(x->d0, uuid, d);
	if (!found)
		lv_fail(x, LV_ERR_NO_DOMAIN, "Domain not found: no domain named %s", name);
	free(name);
	return found;
}

/* The domain argument and nothing else; false with the error set. */
static bool dom_only(struct lv_call *x, struct lv_xdr_in *in, struct lv_dom *d)
{
	struct lv_xdr_in probe = *in;

	/* Arguments first: a malformed call is an RPC error, not "no such domain". */
	free(lv_get_string(&probe, LV_NAME_MAX));
	lv_get_fixed(&probe, (uint8_t[SV_UUID_LEN]){ 0 }, SV_UUID_LEN);
	lv_get_i32(&probe);
	if (!lvp_args_ok(x, &probe))
		return false;
	return lvp_get_dom(x, in, d);
}

/* The domain and a flags word; flags beyond allowed are refused. */
static bool dom_flags(struct lv_call *x, struct lv_xdr_in *in, struct lv_dom *d, uint32_t allowed,
		      uint32_t *flags)
{
	struct lv_xdr_in probe = *in;
	uint32_t f;

	free(lv_get_string(&probe, LV_NAME_MAX));
	lv_get_fixed(&probe, (uint8_t[SV_UUID_LEN]){ 0 }, SV_UUID_LEN);
	lv_get_i32(&probe);
	f = lv_get_u32(&probe);
	if (!lvp_args_ok(x, &probe))
		return false;
	if (f & ~allowed) {
		lv_fail(x, LV_ERR_INVALID_ARG, "invalid argument: unsupported flags (%#x)",
			f & ~allowed);
		return false;
	}
	if (flags)
		*flags = f;
	return lvp_get_dom(x, in, d);
}

/* A domain that runs now; false with OPERATION_INVALID otherwise. */
bool lvp_running(struct lv_call *x, const struct lv_dom *d)
{
	if (d->id >= 0)
		return true;
	lv_fail(x, LV_ERR_OPERATION_INVALID,
		"Requested operation is not valid: domain %s is not running", d->name);
	return false;
}

static int p_auth_list(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	if (!lvp_args_ok(x, in))
		return -1;
	lv_put_u32(out, 1);
	lv_put_u32(out, 0); /* AUTH_NONE: the socket's permissions guard it */
	return 0;
}

static int p_supports_feature(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	int32_t feature = lv_get_i32(in);

	if (!lvp_args_ok(x, in))
		return -1;
	/* 9: typed-parameter strings; 10: keepalive (PINGs are answered). */
	lv_put_i32(out, feature == 9 || feature == 10);
	return 0;
}

static int p_open(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	uint32_t flags;
	char *name = NULL;

	(void)out;
	if (lv_get_u32(in))
		name = lv_get_string(in, LV_NAME_MAX);
	flags = lv_get_u32(in);
	free(name);
	if (!lvp_args_ok(x, in))
		return -1;
	x->c->opened = true;
	x->c->readonly = flags & LV_OPEN_READONLY;
	return 0;
}

static int p_close(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	(void)out;
	if (!lvp_args_ok(x, in))
		return -1;
	x->c->opened = false;
	return 0;
}

static int p_get_type(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	if (!lvp_args_ok(x, in))
		return -1;
	lv_put_string(out, "Splitvisor");
	return 0;
}

static int p_get_version(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	if (!lvp_args_ok(x, in))
		return -1;
	/* major * 1000000 + minor * 1000 + micro, as libvirt counts */
	lv_put_u64(out, (uint64_t)SV_VERSION_MAJOR * 1000000u + SV_VERSION_MINOR * 1000u +
				SV_VERSION_PATCH);
	return 0;
}

static int p_get_lib_version(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	if (!lvp_args_ok(x, in))
		return -1;
	lv_put_u64(out, 9000000u); /* the protocol as libvirt 9.0.0 speaks it */
	return 0;
}

static int p_hostname(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	char host[256];

	if (!lvp_args_ok(x, in))
		return -1;
	if (gethostname(host, sizeof(host) - 1))
		return lv_fail(x, LV_ERR_OPERATION_FAILED, "operation failed: gethostname");
	host[sizeof(host) - 1] = '\0';
	lv_put_string(out, host);
	return 0;
}

static int p_security_model(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	if (!lvp_args_ok(x, in))
		return -1;
	lv_put_u32(out, 0); /* model<> */
	lv_put_u32(out, 0); /* doi<> */
	return 0;
}

/* virConnectListAllDomains' filter flags. */
enum {
	LV_LIST_ACTIVE = 1,
	LV_LIST_INACTIVE = 2,
	LV_LIST_PERSISTENT = 4,
	LV_LIST_TRANSIENT = 8,
	LV_LIST_RUNNING = 16,
	LV_LIST_PAUSED = 32,
	LV_LIST_SHUTOFF = 64,
	LV_LIST_OTHER = 128,
};

struct list_ctx {
	struct dom0 *d0;
	uint32_t flags;
	bool need;
	uint32_t n;
	struct lv_xdr_out *out;
};

bool lvp_list_filter(const struct lv_dom *d, uint32_t flags, int state)
{
	uint32_t st = state == 1   ? LV_LIST_RUNNING
		      : state == 3 ? LV_LIST_PAUSED
		      : state == 5 ? LV_LIST_SHUTOFF
				   : LV_LIST_OTHER;

	if ((flags & (LV_LIST_ACTIVE | LV_LIST_INACTIVE)) &&
	    !(flags & (d->id >= 0 ? LV_LIST_ACTIVE : LV_LIST_INACTIVE)))
		return false;
	if ((flags & (LV_LIST_PERSISTENT | LV_LIST_TRANSIENT)) &&
	    !(flags & (d->def ? LV_LIST_PERSISTENT : LV_LIST_TRANSIENT)))
		return false;
	if ((flags & (LV_LIST_RUNNING | LV_LIST_PAUSED | LV_LIST_SHUTOFF | LV_LIST_OTHER)) &&
	    !(flags & st))
		return false;
	return true;
}

static bool list_one(const struct lv_dom *d, void *arg)
{
	struct list_ctx *l = arg;
	int state, reason;

	lv_dom_state(l->d0, d, &state, &reason);
	if (!lvp_list_filter(d, l->flags, state))
		return true;
	if (l->need)
		lvp_put_dom(l->out, d);
	l->n++;
	return l->n < LV_LIST_MAX;
}

static int p_list_all(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	struct list_ctx l = { .d0 = x->d0, .out = out };
	size_t count_at;

	l.need = lv_get_i32(in) != 0;
	l.flags = lv_get_u32(in);
	if (!lvp_args_ok(x, in))
		return -1;
	count_at = out->len;
	lv_put_u32(out, 0); /* the array's count, filled in below */
	lv_dom_each(x->d0, list_one, &l);
	if (l.need && !out->err) {
		out->buf[count_at] = (uint8_t)(l.n >> 24);
		out->buf[count_at + 1] = (uint8_t)(l.n >> 16);
		out->buf[count_at + 2] = (uint8_t)(l.n >> 8);
		out->buf[count_at + 3] = (uint8_t)l.n;
	}
	lv_put_u32(out, l.n);
	return 0;
}

static int p_lookup_by_name(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	char *name = lv_get_string(in, LV_NAME_MAX);
	struct lv_dom d;
	int ret = 0;

	if (!lvp_args_ok(x, in))
		ret = -1;
	else if (!lv_dom_by_name(x->d0, name, &d))
		ret = lv_fail(x, LV_ERR_NO_DOMAIN, "Domain not found: no domain named %s", name);
	else
		lvp_put_dom(out, &d);
	free(name);
	return ret;
}

static int p_lookup_by_uuid(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	uint8_t uuid[SV_UUID_LEN];
	char text[SV_UUID_STRLEN + 1];
	struct lv_dom d;

	lv_get_fixed(in, uuid, SV_UUID_LEN);
	if (!lvp_args_ok(x, in))
		return -1;
	if (!lv_dom_by_uuid(x->d0, uuid, &d)) {
		snprintf(text, sizeof(text),
			 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 uuid[0], uuid[1], uuid[2], uuid[3], uuid[4], uuid[5], uuid[6], uuid[7],
			 uuid[8], uuid[9], uuid[10], uuid[11], uuid[12], uuid[13], uuid[14],
			 uuid[15]);
		return lv_fail(x, LV_ERR_NO_DOMAIN, "Domain not found: no domain with uuid %s",
			       text);
	}
	lvp_put_dom(out, &d);
	return 0;
}

static int p_lookup_by_id(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	int32_t id = lv_get_i32(in);
	struct lv_dom d;

	if (!lvp_args_ok(x, in))
		return -1;
	if (!lv_dom_by_id(x->d0, id, &d))
		return lv_fail(x, LV_ERR_NO_DOMAIN, "Domain not found: no domain with id %d", id);
	lvp_put_dom(out, &d);
	return 0;
}

static int p_get_state(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	struct lv_dom d;
	int state, reason;

	if (!dom_flags(x, in, &d, 0, NULL))
		return -1;
	lv_dom_state(x->d0, &d, &state, &reason);
	lv_put_i32(out, state);
	lv_put_i32(out, reason);
	return 0;
}

static int p_get_info(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	const struct sv_domain_config *cfg;
	uint64_t max_kib, cur_kib;
	unsigned int vcpus;
	struct lv_dom d;
	int state, reason;

	if (!dom_only(x, in, &d))
		return -1;
	lv_dom_state(x->d0, &d, &state, &reason);
	cfg = lv_dom_config(&d);
	if (d.id >= 0) {
		cur_kib = (uint64_t)d.td->info.memory_mib * 1024;
		vcpus = d.td->info.vcpus;
	} else {
		cur_kib = cfg ? cfg->current_memory_kib : 0;
		vcpus = cfg ? cfg->vcpus : 0;
	}
	max_kib = cfg && cfg->memory_kib > cur_kib ? cfg->memory_kib : cur_kib;
	lv_put_u32(out, (uint32_t)state); /* unsigned char: 4 bytes */
	lv_put_u64(out, max_kib);
	lv_put_u64(out, cur_kib);
	lv_put_u32(out, vcpus); /* unsigned short: 4 bytes */
	lv_put_u64(out, 0);	/* cpu time: the core does not count it */
	return 0;
}

static int p_os_type(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	const struct sv_domain_config *cfg;
	struct lv_dom d;

	if (!dom_only(x, in, &d))
		return -1;
	cfg = lv_dom_config(&d);
	lv_put_string(out, cfg && cfg->os_type == SV_OS_XENPVH ? "xenpvh" : "xen");
	return 0;
}

static int p_is_persistent(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	struct lv_dom d;

	if (!dom_only(x, in, &d))
		return -1;
	lv_put_i32(out, d.def != NULL);
	return 0;
}

static int p_is_active(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	struct lv_dom d;

	if (!dom_only(x, in, &d))
		return -1;
	lv_put_i32(out, d.id >= 0);
	return 0;
}

static int p_autostart(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	struct lv_dom d;

	if (!dom_only(x, in, &d))
		return -1;
	lv_put_i32(out, 0); /* svdom0 starts nothing by itself */
	return 0;
}

/* HAS_MANAGED_SAVE_IMAGE and SNAPSHOT_NUM: neither exists here. */
static int p_zero_with_flags(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	struct lv_dom d;

	if (!dom_flags(x, in, &d, ~0u, NULL))
		return -1;
	lv_put_i32(out, 0);
	return 0;
}

static int p_get_xml(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	char err[512], *xml = NULL;
	struct lv_dom d;
	int ret;

	/* SECURE 1, INACTIVE 2, UPDATE_CPU 4, MIGRATABLE 8: all show the same document */
	if (!dom_flags(x, in, &d, 0xf, NULL))
		return -1;
	ret = lv_dom_xml(x->d0, &d, &xml, err, sizeof(err));
	if (ret)
		return lv_fail_errno(x, ret, err);
	lv_put_string(out, xml);
	free(xml);
	return 0;
}

/* A document from the client, parsed as svctl's are; XML_ERROR with the parser's sentence. */
static int parse_doc(struct lv_call *x, const char *xml, struct sv_domain_config *cfg)
{
	char err[1024];

	memset(cfg, 0, sizeof(*cfg));
	cfg->domid = SV_DOMID_NONE;
	if (sv_xml_parse_memory(xml, strlen(xml), "domain.xml", NULL, cfg, err, sizeof(err)))
		return lv_fail(x, LV_ERR_XML_ERROR, "XML error: %s", err);
	if (cfg->os_type == SV_OS_EXE) {
		sv_domain_config_free(cfg);
		return lv_fail(
			x, LV_ERR_NO_SUPPORT,
			"this function is not supported: driver domains are managed with svctl");
	}
	return 0;
}

static int define_or_create(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out,
			    bool create, bool with_flags)
{
	struct sv_domain_config cfg;
	char *xml = lv_get_string(in, LV_XML_MAX), err[1024], name[SV_CTL_NAME_SIZE];
	uint32_t flags = with_flags ? lv_get_u32(in) : 0, domid;
	uint8_t uuid[SV_UUID_LEN];
	struct lv_dom d;
	int ret = -1;

	if (!lvp_args_ok(x, in) || parse_doc(x, xml, &cfg))
		goto out;
	/* VALIDATE (define) is what the parser does anyway; create's flags are not supported. */
	if (create ? flags != 0 : (flags & ~1u)) {
		ret = lv_fail(x, LV_ERR_INVALID_ARG, "invalid argument: unsupported flags (%#x)",
			      flags);
		goto free_cfg;
	}
	snprintf(name, sizeof(name), "%s", cfg.name);
	memcpy(uuid, cfg.uuid, SV_UUID_LEN);
	ret = create ? tsx_create(x->d0, &cfg, &domid, err, sizeof(err))
		     : tsx_define(x->d0, &cfg, err, sizeof(err));
	if (ret) {
		ret = lv_fail_errno(x, ret, err);
		goto free_cfg;
	}
	if (!lv_dom_by_name(x->d0, name, &d)) {
		ret = lv_fail(x, LV_ERR_OPERATION_FAILED, "operation failed: domain %s vanished",
			      name);
		goto free_cfg;
	}
	lvp_put_dom(out, &d);
free_cfg:
	sv_domain_config_free(&cfg);
out:
	free(xml);
	return ret;
}

static int p_define(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	return define_or_create(x, in, out, false, false);
}

static int p_define_flags(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	return define_or_create(x, in, out, false, true);
}

static int p_create_xml(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	return define_or_create(x, in, out, true, true);
}

static int start(struct lv_call *x, struct lv_dom *d, bool paused)
{
	char err[1024];
	uint32_t domid;
	int ret;

	if (d->id >= 0)
		return lv_fail(x, LV_ERR_OPERATION_INVALID,
			       "Requested operation is not valid: domain %s is already running",
			       d->name);
	ret = tsx_start(x->d0, d->name, &domid, err, sizeof(err));
	if (!ret && !lv_dom_by_name(x->d0, d->name, d))
		return lv_fail(x, LV_ERR_OPERATION_FAILED, "operation failed: domain vanished");
	if (!ret && paused)
		ret = ts_domain_op(x->d0, d->td, SV_TS_PAUSE, err, sizeof(err));
	return ret ? lv_fail_errno(x, ret, err) : 0;
}

static int p_create(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	struct lv_dom d;

	(void)out;
	return dom_only(x, in, &d) ? start(x, &d, false) : -1;
}

static int p_create_with_flags(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	uint32_t flags;
	struct lv_dom d;

	if (!dom_flags(x, in, &d, 1, &flags) || start(x, &d, flags & 1)) /* 1: START_PAUSED */
		return -1;
	lvp_put_dom(out, &d);
	return 0;
}

static int undefine(struct lv_call *x, struct lv_dom *d)
{
	char err[1024];
	int ret;

	if (!d->def)
		return lv_fail(x, LV_ERR_OPERATION_INVALID,
			       "Requested operation is not valid: domain %s is transient: "
			       "nothing to undefine",
			       d->name);
	/* A running domain keeps running, now transient, as svctl undefine does. */
	ret = defs_remove(&x->d0->defs, d->name, err, sizeof(err));
	return ret ? lv_fail_errno(x, ret, err) : 0;
}

static int p_undefine(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	struct lv_dom d;

	(void)out;
	return dom_only(x, in, &d) ? undefine(x, &d) : -1;
}

static int p_undefine_flags(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	struct lv_dom d;

	(void)out;
	/* managed save, snapshot metadata, nvram, checkpoints: none exist, so all are fine */
	return dom_flags(x, in, &d, ~0u, NULL) ? undefine(x, &d) : -1;
}

/* destroy, suspend, resume: the toolstack's own operation on a running domain. */
static int domain_op(struct lv_call *x, struct lv_dom *d, uint32_t ts_op)
{
	uint8_t uuid[SV_UUID_LEN];
	char err[512];
	int ret;

	if (!lvp_running(x, d))
		return -1;
	memcpy(uuid, d->uuid, SV_UUID_LEN);
	ret = ts_domain_op(x->d0, d->td, ts_op, err, sizeof(err));
	if (ret)
		return lv_fail_errno(x, ret, err);
	if (ts_op == SV_TS_DESTROY)
		lv_note_shutoff(x->d0, uuid, 2);
	return 0;
}

static int p_destroy(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	struct lv_dom d;

	(void)out;
	return dom_only(x, in, &d) ? domain_op(x, &d, SV_TS_DESTROY) : -1;
}

static int p_destroy_flags(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	struct lv_dom d;

	(void)out;
	return dom_flags(x, in, &d, 1, NULL) ? domain_op(x, &d, SV_TS_DESTROY) : -1;
}

static int p_suspend(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	struct lv_dom d;

	(void)out;
	return dom_only(x, in, &d) ? domain_op(x, &d, SV_TS_PAUSE) : -1;
}

static int p_resume(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	struct lv_dom d;

	(void)out;
	return dom_only(x, in, &d) ? domain_op(x, &d, SV_TS_UNPAUSE) : -1;
}

/* shutdown returns at once, as libvirt's does: the guest powers off when it reacts. */
static int shutdown_dom(struct lv_call *x, struct lv_dom *d)
{
	int ret;

	if (!lvp_running(x, d))
		return -1;
	ret = ts_xs_write(x->d0, d->td->info.domid, "control/shutdown", "poweroff");
	if (ret)
		return lv_fail(x, LV_ERR_OPERATION_FAILED,
			       "operation failed: cannot write control/shutdown in xenstore");
	return 0;
}

static int p_shutdown(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	struct lv_dom d;

	(void)out;
	return dom_only(x, in, &d) ? shutdown_dom(x, &d) : -1;
}

static int p_shutdown_flags(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	struct lv_dom d;

	(void)out;
	/* 0: the default; 4: the paravirt control/shutdown path, which is the only one */
	return dom_flags(x, in, &d, 4, NULL) ? shutdown_dom(x, &d) : -1;
}

/* Sorted by procedure number. */
static const struct lv_proc lv_procs[] = {
	{ 1, p_open, LV_RO | LV_PRE_OPEN },
	{ 2, p_close, LV_RO | LV_PRE_OPEN },
	{ 3, p_get_type, LV_RO },
	{ 4, p_get_version, LV_RO },
	{ 8, p_attach, 0 },
	{ 9, p_create, 0 },
	{ 10, p_create_xml, 0 },
	{ 11, p_define, 0 },
	{ 12, p_destroy, 0 },
	{ 13, p_detach, 0 },
	{ 14, p_get_xml, LV_RO },
	{ 15, p_autostart, LV_RO },
	{ 16, p_get_info, LV_RO },
	{ 19, p_os_type, LV_RO },
	{ 22, p_lookup_by_id, LV_RO },
	{ 23, p_lookup_by_name, LV_RO },
	{ 24, p_lookup_by_uuid, LV_RO },
	{ 28, p_resume, 0 },
	{ 33, p_shutdown, 0 },
	{ 34, p_suspend, 0 },
	{ 35, p_undefine, 0 },
	{ 59, p_hostname, LV_RO },
	{ 60, p_supports_feature, LV_RO | LV_PRE_OPEN },
	{ 66, p_auth_list, LV_RO | LV_PRE_OPEN },
	{ 122, p_security_model, LV_RO },
	{ 150, p_is_active, LV_RO },
	{ 151, p_is_persistent, LV_RO },
	{ 157, p_get_lib_version, LV_RO },
	{ 160, p_attach_flags, 0 },
	{ 161, p_detach_flags, 0 },
	{ 183, p_zero_with_flags, LV_RO },
	{ 187, p_zero_with_flags, LV_RO },
	{ 196, p_create_with_flags, 0 },
	{ 201, p_open_console, 0 },
	{ 212, p_get_state, LV_RO },
	{ 231, p_undefine_flags, 0 },
	{ 234, p_destroy_flags, 0 },
	{ 243, p_block_stats, LV_RO },
	{ 258, p_shutdown_flags, 0 },
	{ 273, p_list_all, LV_RO },
	{ 344, p_all_stats, LV_RO },
	{ 350, p_define_flags, 0 },
};

static const struct lv_proc *lv_find(int32_t proc)
{
	size_t lo = 0, hi = sizeof(lv_procs) / sizeof(lv_procs[0]), mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (lv_procs[mid].proc == proc)
			return &lv_procs[mid];
		if (lv_procs[mid].proc < proc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int lv_dispatch(struct lv_call *x, struct lv_xdr_in *args, struct lv_xdr_out *out)
{
	const struct lv_proc *p = lv_find(x->h->proc);

	/* The client's remote driver turns this into "not supported" and falls back. */
	if (!p)
		return lv_fail(x, LV_ERR_RPC, "unknown procedure: %d", x->h->proc);
	if (!x->c->opened && !(p->flags & LV_PRE_OPEN))
		return lv_fail(x, LV_ERR_RPC, "connection not open");
	if (x->c->readonly && !(p->flags & LV_RO))
		return lv_fail(x, LV_ERR_OPERATION_DENIED,
			       "operation forbidden: read only access prevents procedure %d",
			       x->h->proc);
	return p->fn(x, args, out);
}
