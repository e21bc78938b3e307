// SPDX-License-Identifier: MIT
/*
 * libvirt procedures on a running domain's devices: disk and interface
 * hot-plug, block statistics, domain statistics and the console stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lv_procs.h"
#include "svdom0.h"
#include "ts_domains.h"
#include "vbd.h"

/* ATTACH/DETACH_DEVICE{,_FLAGS}: {dom; string xml[; uint flags]}. Only the live domain. */
static int device(struct lv_call *x, struct lv_xdr_in *in, bool attach, bool with_flags)
{
	struct lv_xdr_in probe = *in;
	uint32_t flags = 0;
	char *xml = NULL;
	struct lv_dom d;
	int ret = -1;

	free(lv_get_string(&probe, LV_NAME_MAX));
	lv_get_fixed(&probe, (uint8_t[SV_UUID_LEN]){ 0 }, SV_UUID_LEN);
	lv_get_i32(&probe);
	xml = lv_get_string(&probe, LV_XML_MAX);
	if (with_flags)
		flags = lv_get_u32(&probe);
	if (!lvp_args_ok(x, &probe) || !lvp_get_dom(x, in, &d))
		goto out;
	/* CURRENT 0 and LIVE 1 only: CONFIG (2) would change the definition */
	if (flags & ~1u) {
		ret = lv_fail(x, LV_ERR_NO_SUPPORT,
			      "this function is not supported: devices change only on the running "
			      "domain (no --config/--persistent)");
		goto out;
	}
	if (lvp_running(x, &d))
		ret = lv_device(x, d.td, xml, attach);
out:
	free(xml);
	return ret;
}

int p_attach(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	(void)out;
	return device(x, in, true, false);
}

int p_attach_flags(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	(void)out;
	return device(x, in, true, true);
}

int p_detach(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	(void)out;
	return device(x, in, false, false);
}

int p_detach_flags(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	(void)out;
	return device(x, in, false, true);
}

/* typed_param: {string field; int type; value}. */
static void put_param_ull(struct lv_xdr_out *out, const char *field, uint64_t v)
{
	lv_put_string(out, field);
	lv_put_i32(out, 4);
	lv_put_u64(out, v);
}

static void put_param_int(struct lv_xdr_out *out, const char *field, int32_t v)
{
	lv_put_string(out, field);
	lv_put_i32(out, 1);
	lv_put_i32(out, v);
}

static void put_param_uint(struct lv_xdr_out *out, const char *field, uint32_t v)
{
	lv_put_string(out, field);
	lv_put_i32(out, 2);
	lv_put_u32(out, v);
}

static void put_param_str(struct lv_xdr_out *out, const char *field, const char *v)
{
	lv_put_string(out, field);
	lv_put_i32(out, 7);
	lv_put_string(out, v);
}

#define LV_DISKS_MAX 64u

/* BLOCK_STATS_FLAGS: the backend counts requests and errors, not bytes or reads and writes. */
int p_block_stats(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	struct lv_xdr_in probe = *in;
	struct vbd_record *disks = NULL;
	char *path = NULL;
	int32_t nparams;
	struct lv_dom d;
	size_t n = 0, i;
	int ret = -1;

	free(lv_get_string(&probe, LV_NAME_MAX));
	lv_get_fixed(&probe, (uint8_t[SV_UUID_LEN]){ 0 }, SV_UUID_LEN);
	lv_get_i32(&probe);
	path = lv_get_string(&probe, 1024);
	nparams = lv_get_i32(&probe);
	lv_get_u32(&probe);
	if (!lvp_args_ok(x, &probe) || !lvp_get_dom(x, in, &d) || !lvp_running(x, &d))
		goto out;
	disks = calloc(LV_DISKS_MAX, sizeof(*disks));
	if (!disks) {
		ret = lv_fail(x, LV_ERR_OPERATION_FAILED, "operation failed: out of memory");
		goto out;
	}
	n = vbd_records(d.td, disks, LV_DISKS_MAX);
	for (i = 0; i < n; i++)
		if (!strcmp(disks[i].stats.name, path) || !strcmp(disks[i].source, path))
			break;
	if (i == n) {
		ret = lv_fail(x, LV_ERR_INVALID_ARG, "invalid argument: domain %s has no disk %s",
			      d.name, path);
		goto out;
	}
	if (nparams <= 0) {
		lv_put_u32(out, 0);
		lv_put_i32(out, 2); /* how many there are */
	} else {
		lv_put_u32(out, nparams >= 2 ? 2 : 1);
		put_param_ull(out, "errs", disks[i].errors);
		if (nparams >= 2)
			put_param_ull(out, "requests", disks[i].stats.requests);
		lv_put_i32(out, nparams >= 2 ? 2 : 1);
	}
	ret = 0;
out:
	free(disks);
	free(path);
	return ret;
}

/* GET_ALL_DOMAIN_STATS: state, balloon, vcpu and block counts per domain. */
struct stats_ctx {
	struct dom0 *d0;
	struct lv_xdr_out *out;
	uint32_t n;
	uint32_t flags;
};

static void put_stats(struct dom0 *d0, struct lv_xdr_out *out, const struct lv_dom *d)
{
	const struct sv_domain_config *cfg = lv_dom_config(d);
	struct vbd_record *disks = NULL;
	uint32_t vcpus = d->id >= 0 ? d->td->info.vcpus : cfg ? cfg->vcpus : 0;
	uint64_t cur = d->id >= 0 ? (uint64_t)d->td->info.memory_mib * 1024
		       : cfg	  ? cfg->current_memory_kib
				  : 0;
	size_t n = 0, i;
	int state, reason;
	char key[48];

	if (d->id >= 0 && (disks = calloc(LV_DISKS_MAX, sizeof(*disks))))
		n = vbd_records(d->td, disks, LV_DISKS_MAX);
	lv_dom_state(d0, d, &state, &reason);
	lvp_put_dom(out, d);
	lv_put_u32(out, (uint32_t)(6 + 3 * n));
	put_param_int(out, "state.state", state);
	put_param_int(out, "state.reason", reason);
	put_param_ull(out, "balloon.current", cur);
	put_param_ull(out, "balloon.maximum", cfg && cfg->memory_kib > cur ? cfg->memory_kib : cur);
	put_param_uint(out, "vcpu.current", vcpus);
	put_param_uint(out, "block.count", (uint32_t)n);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "block.%zu.name", i);
		put_param_str(out, key, disks[i].stats.name);
		snprintf(key, sizeof(key), "block.%zu.path", i);
		put_param_str(out, key, disks[i].source);
		snprintf(key, sizeof(key), "block.%zu.errors", i);
		put_param_ull(out, key, disks[i].errors);
	}
	free(disks);
}

static bool stats_one(const struct lv_dom *d, void *arg)
{
	struct stats_ctx *s = arg;
	int state, reason;

	lv_dom_state(s->d0, d, &state, &reason);
	if (!lvp_list_filter(d, s->flags, state))
		return true;
	put_stats(s->d0, s->out, d);
	s->n++;
	return s->n < LV_LIST_MAX;
}

int p_all_stats(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	struct stats_ctx s = { .d0 = x->d0, .out = out };
	struct lv_xdr_in probe = *in;
	uint32_t ndoms, i;
	size_t count_at;
	struct lv_dom d;

	ndoms = lv_get_count(&probe, LV_STATS_DOMS_MAX);
	for (i = 0; i < ndoms && !probe.err; i++) {
		free(lv_get_string(&probe, LV_NAME_MAX));
		lv_get_fixed(&probe, (uint8_t[SV_UUID_LEN]){ 0 }, SV_UUID_LEN);
		lv_get_i32(&probe);
	}
	lv_get_u32(&probe);		      /* which stats: all of ours come anyway */
	s.flags = lv_get_u32(&probe) & 0xffu; /* the list filters; the rest ignored */
	if (!lvp_args_ok(x, &probe))
		return -1;
	lv_get_u32(in);
	count_at = out->len;
	lv_put_u32(out, 0);
	if (!ndoms) {
		lv_dom_each(x->d0, stats_one, &s);
	} else {
		for (i = 0; i < ndoms; i++) {
			if (!lvp_get_dom(x, in, &d))
				return -1;
			put_stats(x->d0, out, &d);
			s.n++;
		}
	}
	if (!out->err) {
		out->buf[count_at] = (uint8_t)(s.n >> 24);
		out->buf[count_at + 1] = (uint8_t)(s.n >> 16);
		out->buf[count_at + 2] = (uint8_t)(s.n >> 8);
		out->buf[count_at + 3] = (uint8_t)s.n;
	}
	return 0;
}

int p_open_console(struct lv_call *x, struct lv_xdr_in *in, struct lv_xdr_out *out)
{
	struct lv_xdr_in probe = *in;
	struct lv_dom d;

	(void)out;
	free(lv_get_string(&probe, LV_NAME_MAX));
	lv_get_fixed(&probe, (uint8_t[SV_UUID_LEN]){ 0 }, SV_UUID_LEN);
	lv_get_i32(&probe);
	if (lv_get_u32(&probe))
		free(lv_get_string(&probe, LV_NAME_MAX)); /* dev_name: there is one console */
	lv_get_u32(&probe); /* flags: FORCE and SAFE mean nothing here */
	if (!lvp_args_ok(x, &probe) || !lvp_get_dom(x, in, &d) || !lvp_running(x, &d))
		return -1;
	return lv_console_open(x, d.td);
}
