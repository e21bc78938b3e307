// SPDX-License-Identifier: MIT
/*
 * The Xen-ABI dispatcher without KVM: each served hypercall with its Xen
 * layout, and hostile arguments (unmapped, non-canonical and page-crossing
 * pointers, bad lengths, bad ops) answered with Xen's errors.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <splitvisor/event_channel.h>
#include <splitvisor/grant_table.h>
#include <splitvisor/hypercall.h>
#include <splitvisor/xen_abi.h>

#include "evtchn.h"
#include "pt_fixture.h"
#include "xen_hcall.h"

#define DOMID	 7
#define NR_VCPUS 2
/* PT_VA_A + 0x800 -> gpa 0x20800: an argument struct that stays in one page. */
#define ARG	 (PT_VA_A + 0x800)
#define ARG_GPA	 0x20800ull
#define CROSS	 (PT_VA_A + 0xffc) /* a struct whose first 4 bytes end gpa 0x20000's page */
#define UNMAPPED (PT_VA_A + 0x2000)
#define NONCANON 0x0000800000000000ull

struct rec {
	unsigned int kicks[NR_VCPUS], console, shutdown, vector_calls, yields, paging;
	unsigned int reason, vcpu, grant_maps;
	uint64_t grant_idx, grant_gpfn;
	uint8_t vector;
	char text[64];
	size_t text_len;
};

static struct guest_mem mem;
static struct gva_paging pg;
static struct evtchn *e;
static struct rec rec;
static struct xen_env env;

static void t_kick(void *ctx, unsigned int vcpu)
{
	((struct rec *)ctx)->kicks[vcpu]++;
}

static const struct evtchn_ops ec_ops = { .kick = t_kick };

static void t_console(void *ctx, const char *buf, size_t len)
{
	struct rec *r = ctx;

	r->console++;
	r->text_len = len < sizeof(r->text) ? len : sizeof(r->text);
	memcpy(r->text, buf, r->text_len);
}

static void t_shutdown(void *ctx, unsigned int reason, int code)
{
	struct rec *r = ctx;

	(void)code;
	r->shutdown++;
	r->reason = reason;
}

static int t_vector(void *ctx, unsigned int vcpu, uint8_t vector)
{
	struct rec *r = ctx;

	r->vector_calls++;
	r->vcpu = vcpu;
	r->vector = vector;
	return 0;
}

static int t_paging(void *ctx, struct gva_paging *p)
{
	((struct rec *)ctx)->paging++;
	*p = pg;
	return 0;
}

static int t_map_grant(void *ctx, uint64_t idx, uint64_t gpfn)
{
	struct rec *r = ctx;

	r->grant_maps++;
	r->grant_idx = idx;
	r->grant_gpfn = gpfn;
	return 0;
}

static void t_yield(void *ctx)
{
	((struct rec *)ctx)->yields++;
}

static const struct xen_hcall_ops x_ops = {
	.console_write = t_console,
	.shutdown = t_shutdown,
	.set_upcall_vector = t_vector,
	.get_paging = t_paging,
	.yield = t_yield,
};

static struct sv_shared_info *shinfo;

static void setup(void)
{
	ck_assert_int_eq(guest_mem_create(&mem, "xen-test", PT_RAM_SIZE), 0);
	pt_build(&mem, &pg);
	memset(&rec, 0, sizeof(rec));
	/* The core's own page until the guest names one, as for a pvh domain. */
	shinfo = aligned_alloc(4096, 4096);
	memset(shinfo, 0, 4096);
	ck_assert_int_eq(evtchn_create(DOMID, NR_VCPUS, shinfo, &ec_ops, &rec, &e), 0);
	evtchn_set_xen_hvm(e, true);
	memset(&env, 0, sizeof(env));
	env.mem = &mem;
	env.evtchn = e;
	env.domid = DOMID;
	env.nr_vcpus = NR_VCPUS;
	env.store_pfn = 0xb;
	env.console_pfn = 0xa;
	env.store_port = 1;
	env.console_port = 2;
	env.ops = &x_ops;
	env.ctx = &rec;
}

static void teardown(void)
{
	evtchn_destroy(e);
	free(shinfo);
	guest_mem_destroy(&mem);
}

static int64_t hc(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	uint64_t arg[5] = { a0, a1, a2, 0, 0 };

	env.pg_valid = false;
	return xen_hcall_dispatch(&env, nr, arg);
}

static void *at(uint64_t gpa)
{
	return guest_ptr(&mem, gpa, 1);
}

START_TEST(version_and_features)
{
	struct xen_feature_info fi = { 0 };
	char extra[16];

	ck_assert_int_eq(hc(XEN_HC_xen_version, XENVER_version, 0, 0),
			 (XEN_VERSION_MAJOR << 16) | XEN_VERSION_MINOR);
	ck_assert_int_ge(XEN_VERSION_MAJOR, 4);
	/* Extraversion into a buffer across two pages that are apart in RAM. */
	ck_assert_int_eq(hc(XEN_HC_xen_version, XENVER_extraversion, PT_VA_A + 0xff8, 0), 0);
	memcpy(extra, at(0x20ff8), 8);
	memcpy(extra + 8, at(0x10000), 8);
	ck_assert_str_eq(extra, "-splitvisor");
	memcpy(at(ARG_GPA), &fi, sizeof(fi));
	ck_assert_int_eq(hc(XEN_HC_xen_version, XENVER_get_features, ARG, 0), 0);
	memcpy(&fi, at(ARG_GPA), sizeof(fi));
	ck_assert_uint_eq(fi.submap, (1u << 2) | (1u << 8));
	fi.submap_idx = 1;
	memcpy(at(ARG_GPA), &fi, sizeof(fi));
	ck_assert_int_eq(hc(XEN_HC_xen_version, XENVER_get_features, ARG, 0), -XEN_EINVAL);
	ck_assert_int_eq(hc(XEN_HC_xen_version, 2, ARG, 0), -XEN_ENOSYS);
	ck_assert_int_eq(hc(XEN_HC_xen_version, XENVER_extraversion, UNMAPPED, 0), -XEN_EFAULT);
	ck_assert_int_eq(hc(XEN_HC_xen_version, XENVER_extraversion, NONCANON, 0), -XEN_EFAULT);
	/* Across into a page that is not there. */
	ck_assert_int_eq(hc(XEN_HC_xen_version, XENVER_extraversion, PT_VA_A + 0x1ff8, 0),
			 -XEN_EFAULT);
	ck_assert_int_eq(hc(XEN_HC_xen_version, XENVER_extraversion, PT_VA_RO, 0), -XEN_EFAULT);
}
END_TEST

START_TEST(unknown_calls)
{
	ck_assert_int_eq(hc(0, 0, 0, 0), -XEN_ENOSYS);
	ck_assert_int_eq(hc(7 /* platform_op */, 0, 0, 0), -XEN_ENOSYS);
	ck_assert_int_eq(hc(33 /* physdev_op */, 0, 0, 0), -XEN_ENOSYS);
	ck_assert_int_eq(hc(1ull << 40, 0, 0, 0), -XEN_ENOSYS);
	ck_assert_int_eq(hc(XEN_HC_memory_op, 9 /* memory_map */, ARG, 0), -XEN_ENOSYS);
	ck_assert_int_eq(hc(XEN_HC_hvm_op, 9 /* pagetable_dying */, ARG, 0), -XEN_ENOSYS);
	ck_assert_int_eq(hc(XEN_HC_vcpu_op, 0, 0, ARG), -XEN_ENOSYS);
	ck_assert_int_eq(hc(XEN_HC_event_channel_op, 11 /* init_control */, ARG, 0), -XEN_ENOSYS);
	ck_assert_int_eq(hc(XEN_HC_sched_op, 1 /* block */, 0, 0), -XEN_ENOSYS);
	ck_assert_int_eq(hc(XEN_HC_console_io, 1 /* read */, 4, ARG), -XEN_ENOSYS);
}
END_TEST

static void put_xatp(uint16_t domid, uint32_t space, uint64_t idx, uint64_t gpfn)
{
	struct xen_add_to_physmap x = { .domid = domid, .space = space, .idx = idx, .gpfn = gpfn };

	memcpy(at(ARG_GPA), &x, sizeof(x));
}

START_TEST(shared_info_moves)
{
	struct sv_shared_info *page = at(0x40000);
	uint32_t p1, p2;

	ck_assert_int_eq(evtchn_alloc_unbound(e, DOMID, &p1), 0);
	ck_assert_int_eq(evtchn_bind_interdomain(e, DOMID, p1, &p2), 0);
	ck_assert_int_eq(evtchn_send(e, p1), 0);
	ck_assert(shinfo->evtchn_pending[0] & (1ull << p2));

	put_xatp(XEN_DOMID_SELF, XENMAPSPACE_shared_info, 0, PT_RAM_SIZE >> 12);
	ck_assert_int_eq(hc(XEN_HC_memory_op, XENMEM_add_to_physmap, ARG, 0), -XEN_EINVAL);
	put_xatp(XEN_DOMID_SELF, XENMAPSPACE_shared_info, 0, ~0ull);
	ck_assert_int_eq(hc(XEN_HC_memory_op, XENMEM_add_to_physmap, ARG, 0), -XEN_EINVAL);
	put_xatp(XEN_DOMID_SELF, XENMAPSPACE_shared_info, 1, 0x40);
	ck_assert_int_eq(hc(XEN_HC_memory_op, XENMEM_add_to_physmap, ARG, 0), -XEN_EINVAL);
	put_xatp(DOMID + 1, XENMAPSPACE_shared_info, 0, 0x40);
	ck_assert_int_eq(hc(XEN_HC_memory_op, XENMEM_add_to_physmap, ARG, 0), -XEN_EPERM);
	put_xatp(XEN_DOMID_SELF, 5, 0, 0x40);
	ck_assert_int_eq(hc(XEN_HC_memory_op, XENMEM_add_to_physmap, ARG, 0), -XEN_EINVAL);
	/* Grant frames are not served yet. */
	put_xatp(XEN_DOMID_SELF, XENMAPSPACE_grant_table, 0, 0x100000);
	ck_assert_int_eq(hc(XEN_HC_memory_op, XENMEM_add_to_physmap, ARG, 0), -XEN_ENOSYS);
	ck_assert_int_eq(hc(XEN_HC_memory_op, XENMEM_add_to_physmap, UNMAPPED, 0), -XEN_EFAULT);
	ck_assert_int_eq(hc(XEN_HC_memory_op, XENMEM_add_to_physmap, CROSS + 0x1000, 0),
			 -XEN_EFAULT);

	memset(page, 0xff, 4096); /* whatever the guest had there is replaced */
	put_xatp(DOMID, XENMAPSPACE_shared_info, 0, 0x40);
	ck_assert_int_eq(hc(XEN_HC_memory_op, XENMEM_add_to_physmap, ARG, 0), 0);
	ck_assert_ptr_eq(evtchn_shared_info(e), page);
	ck_assert_uint_eq(page->evtchn_pending[0], 1ull << p2);
	ck_assert_uint_eq(page->evtchn_mask[0], 0);
	/* Later events land in the guest's page, not the old one. */
	shinfo->evtchn_pending[0] = 0;
	ck_assert_int_eq(evtchn_send(e, p2), 0);
	ck_assert(page->evtchn_pending[0] & (1ull << p1));
	ck_assert(!(shinfo->evtchn_pending[0] & (1ull << p1)));
}
END_TEST

static void put_vi(uint64_t mfn, uint32_t offset)
{
	struct xen_vcpu_register_vcpu_info r = { .mfn = mfn, .offset = offset };

	memcpy(at(ARG_GPA), &r, sizeof(r));
}

START_TEST(vcpu_info_moves)
{
	struct sv_vcpu_info *vi = at(0x41040);
	uint32_t port;

	put_vi(0x41, 4096 - 32);
	ck_assert_int_eq(hc(XEN_HC_vcpu_op, VCPUOP_register_vcpu_info, 1, ARG), -XEN_EINVAL);
	put_vi(0x41, 4);
	ck_assert_int_eq(hc(XEN_HC_vcpu_op, VCPUOP_register_vcpu_info, 1, ARG), -XEN_EINVAL);
	put_vi(PT_RAM_SIZE >> 12, 0);
	ck_assert_int_eq(hc(XEN_HC_vcpu_op, VCPUOP_register_vcpu_info, 1, ARG), -XEN_EINVAL);
	put_vi(0x41, 0x40);
	ck_assert_int_eq(hc(XEN_HC_vcpu_op, VCPUOP_register_vcpu_info, NR_VCPUS, ARG), -XEN_ENOENT);
	ck_assert_int_eq(hc(XEN_HC_vcpu_op, VCPUOP_register_vcpu_info, 1, NONCANON), -XEN_EFAULT);
	ck_assert_int_eq(hc(XEN_HC_vcpu_op, VCPUOP_register_vcpu_info, 1, ARG), 0);
	/* As Xen: everything marked pending once, so nothing raised before is lost. */
	ck_assert_uint_eq(vi->pending_sel, ~0ull);
	ck_assert_uint_eq(vi->upcall_pending, 1);
	ck_assert_uint_eq(rec.kicks[1], 1);

	vi->pending_sel = 0;
	vi->upcall_pending = 0;
	/* The guest's mask is ignored for these guests, as Xen does for HVM. */
	vi->upcall_mask = 1;
	ck_assert_int_eq(evtchn_bind_virq(e, SV_VIRQ_DEBUG, 1, &port), 0);
	ck_assert_int_eq(evtchn_raise_virq(e, 1, SV_VIRQ_DEBUG), 0);
	ck_assert_uint_eq(vi->pending_sel, 1ull << (port / 64));
	ck_assert_uint_eq(vi->upcall_pending, 1);
	ck_assert_uint_eq(rec.kicks[1], 2);
	/* vCPU 0 still uses the shared info's slot. */
	ck_assert_uint_eq(shinfo->vcpu_info[1].pending_sel, 0);
}
END_TEST

START_TEST(hvm_ops)
{
	struct xen_hvm_evtchn_upcall_vector uv = { .vcpu = 1, .vector = 0xf3 };
	struct xen_hvm_param p = { .domid = XEN_DOMID_SELF, .index = HVM_PARAM_STORE_EVTCHN };
	static const struct {
		uint32_t index;
		uint64_t value;
	} params[] = { { HVM_PARAM_STORE_PFN, 0xb },
		       { HVM_PARAM_STORE_EVTCHN, 1 },
		       { HVM_PARAM_CONSOLE_PFN, 0xa },
		       { HVM_PARAM_CONSOLE_EVTCHN, 2 } };

	for (unsigned int i = 0; i < 4; i++) {
		p.index = params[i].index;
		p.value = 0;
		memcpy(at(ARG_GPA), &p, sizeof(p));
		ck_assert_int_eq(hc(XEN_HC_hvm_op, HVMOP_get_param, ARG, 0), 0);
		memcpy(&p, at(ARG_GPA), sizeof(p));
		ck_assert_uint_eq(p.value, params[i].value);
	}
	p.index = 3; /* HVM_PARAM_PAE_ENABLED: not ours to answer */
	memcpy(at(ARG_GPA), &p, sizeof(p));
	ck_assert_int_eq(hc(XEN_HC_hvm_op, HVMOP_get_param, ARG, 0), -XEN_EINVAL);
	p.index = HVM_PARAM_STORE_PFN;
	p.domid = DOMID + 1;
	memcpy(at(ARG_GPA), &p, sizeof(p));
	ck_assert_int_eq(hc(XEN_HC_hvm_op, HVMOP_get_param, ARG, 0), -XEN_EPERM);
	p.domid = DOMID;
	p.index = HVM_PARAM_CALLBACK_IRQ;
	p.value = 1;
	memcpy(at(ARG_GPA), &p, sizeof(p));
	ck_assert_int_eq(hc(XEN_HC_hvm_op, HVMOP_set_param, ARG, 0), 0);
	p.index = HVM_PARAM_STORE_PFN;
	memcpy(at(ARG_GPA), &p, sizeof(p));
	ck_assert_int_eq(hc(XEN_HC_hvm_op, HVMOP_set_param, ARG, 0), -XEN_EINVAL);
	ck_assert_int_eq(hc(XEN_HC_hvm_op, HVMOP_get_param, UNMAPPED, 0), -XEN_EFAULT);

	memcpy(at(ARG_GPA), &uv, sizeof(uv));
	ck_assert_int_eq(hc(XEN_HC_hvm_op, HVMOP_set_evtchn_upcall_vector, ARG, 0), 0);
	ck_assert_uint_eq(rec.vector_calls, 1);
	ck_assert_uint_eq(rec.vcpu, 1);
	ck_assert_uint_eq(rec.vector, 0xf3);
	uv.vector = 0x0e;
	memcpy(at(ARG_GPA), &uv, sizeof(uv));
	ck_assert_int_eq(hc(XEN_HC_hvm_op, HVMOP_set_evtchn_upcall_vector, ARG, 0), -XEN_EINVAL);
	uv.vector = 0xf3;
	uv.vcpu = NR_VCPUS;
	memcpy(at(ARG_GPA), &uv, sizeof(uv));
	ck_assert_int_eq(hc(XEN_HC_hvm_op, HVMOP_set_evtchn_upcall_vector, ARG, 0), -XEN_ENOENT);
	ck_assert_uint_eq(rec.vector_calls, 1);
}
END_TEST

START_TEST(event_channels)
{
	struct xen_evtchn_bind_ipi ip = { .vcpu = 1 };
	struct evtchn_bind_virq bv = { .virq = SV_VIRQ_DEBUG, .vcpu = 0 };
	struct evtchn_alloc_unbound au = { .dom = XEN_DOMID_SELF, .remote_dom = 0 };
	struct evtchn_bind_vcpu bc;
	struct xen_evtchn_status st;
	uint32_t ipi, virq, unb;

	memcpy(at(ARG_GPA), &ip, sizeof(ip));
	ck_assert_int_eq(hc(XEN_HC_event_channel_op, XEN_EVTCHNOP_bind_ipi, ARG, 0), 0);
	memcpy(&ip, at(ARG_GPA), sizeof(ip));
	ipi = ip.port;
	ck_assert_uint_ne(ipi, 0);
	/* A send on the IPI port raises it on its own vCPU. */
	memcpy(at(ARG_GPA), &ipi, 4);
	ck_assert_int_eq(hc(XEN_HC_event_channel_op, EVTCHNOP_send, ARG, 0), 0);
	ck_assert(shinfo->evtchn_pending[ipi / 64] & (1ull << (ipi % 64)));
	ck_assert_uint_eq(rec.kicks[1], 1);

	memset(&st, 0, sizeof(st));
	st.dom = XEN_DOMID_SELF;
	st.port = ipi;
	memcpy(at(ARG_GPA), &st, sizeof(st));
	ck_assert_int_eq(hc(XEN_HC_event_channel_op, EVTCHNOP_status, ARG, 0), 0);
	memcpy(&st, at(ARG_GPA), sizeof(st));
	ck_assert_uint_eq(st.status, XEN_EVTCHNSTAT_ipi);
	ck_assert_uint_eq(st.vcpu, 1);

	/* An IPI port stays on its vCPU. */
	bc.port = ipi;
	bc.vcpu = 0;
	memcpy(at(ARG_GPA), &bc, sizeof(bc));
	ck_assert_int_eq(hc(XEN_HC_event_channel_op, EVTCHNOP_bind_vcpu, ARG, 0), -XEN_EINVAL);

	memcpy(at(ARG_GPA), &bv, sizeof(bv));
	ck_assert_int_eq(hc(XEN_HC_event_channel_op, EVTCHNOP_bind_virq, ARG, 0), 0);
	memcpy(&bv, at(ARG_GPA), sizeof(bv));
	virq = bv.port;
	st.port = virq;
	memcpy(at(ARG_GPA), &st, sizeof(st));
	ck_assert_int_eq(hc(XEN_HC_event_channel_op, EVTCHNOP_status, ARG, 0), 0);
	memcpy(&st, at(ARG_GPA), sizeof(st));
	ck_assert_uint_eq(st.status, XEN_EVTCHNSTAT_virq);
	ck_assert_uint_eq(st.u.virq, SV_VIRQ_DEBUG);

	memcpy(at(ARG_GPA), &au, sizeof(au));
	ck_assert_int_eq(hc(XEN_HC_event_channel_op, EVTCHNOP_alloc_unbound, ARG, 0), 0);
	memcpy(&au, at(ARG_GPA), sizeof(au));
	unb = au.port;
	bc.port = unb;
	bc.vcpu = 1;
	memcpy(at(ARG_GPA), &bc, sizeof(bc));
	ck_assert_int_eq(hc(XEN_HC_event_channel_op, EVTCHNOP_bind_vcpu, ARG, 0), 0);
	ck_assert_int_eq(evtchn_vcpu_of(e, unb), 1);
	st.port = unb;
	memcpy(at(ARG_GPA), &st, sizeof(st));
	ck_assert_int_eq(hc(XEN_HC_event_channel_op, EVTCHNOP_status, ARG, 0), 0);
	memcpy(&st, at(ARG_GPA), sizeof(st));
	ck_assert_uint_eq(st.status, XEN_EVTCHNSTAT_unbound);
	ck_assert_uint_eq(st.u.unbound_dom, 0);

	/* Close, then the port is closed; a bad port is -EINVAL. */
	memcpy(at(ARG_GPA), &ipi, 4);
	ck_assert_int_eq(hc(XEN_HC_event_channel_op, EVTCHNOP_close, ARG, 0), 0);
	ck_assert_int_eq(hc(XEN_HC_event_channel_op, EVTCHNOP_close, ARG, 0), -XEN_EINVAL);
	ck_assert_int_eq(hc(XEN_HC_event_channel_op, EVTCHNOP_unmask, ARG, 0), -XEN_EINVAL);

	/* Hostile: another domain's table, pointers nowhere, a struct across a hole. */
	au.dom = DOMID + 1;
	memcpy(at(ARG_GPA), &au, sizeof(au));
	ck_assert_int_eq(hc(XEN_HC_event_channel_op, EVTCHNOP_alloc_unbound, ARG, 0), -XEN_EPERM);
	ck_assert_int_eq(hc(XEN_HC_event_channel_op, EVTCHNOP_send, NONCANON, 0), -XEN_EFAULT);
	ck_assert_int_eq(hc(XEN_HC_event_channel_op, EVTCHNOP_status, UNMAPPED, 0), -XEN_EFAULT);
	ck_assert_int_eq(hc(XEN_HC_event_channel_op, XEN_EVTCHNOP_bind_ipi, PT_VA_A + 0x1ffc, 0),
			 -XEN_EFAULT);
	ip.vcpu = 5;
	memcpy(at(ARG_GPA), &ip, sizeof(ip));
	ck_assert_int_eq(hc(XEN_HC_event_channel_op, XEN_EVTCHNOP_bind_ipi, ARG, 0), -XEN_ENOENT);
}
END_TEST

START_TEST(sched_grant_console)
{
	struct xen_gnttab_query_size qs = { .dom = XEN_DOMID_SELF };
	struct xen_gnttab_set_version sv = { .version = 1 };
	uint32_t reason;
	static const char msg[] = "across the page";

	ck_assert_int_eq(hc(XEN_HC_sched_op, XEN_SCHEDOP_yield, 0, 0), 0);
	ck_assert_uint_eq(rec.yields, 1);
	reason = XEN_SHUTDOWN_suspend;
	memcpy(at(ARG_GPA), &reason, 4);
	ck_assert_int_eq(hc(XEN_HC_sched_op, XEN_SCHEDOP_shutdown, ARG, 0), -XEN_EINVAL);
	ck_assert_int_eq(hc(XEN_HC_sched_op, XEN_SCHEDOP_shutdown, UNMAPPED, 0), -XEN_EFAULT);
	ck_assert_uint_eq(rec.shutdown, 0);
	reason = XEN_SHUTDOWN_crash;
	memcpy(at(ARG_GPA), &reason, 4);
	ck_assert_int_eq(hc(XEN_HC_sched_op, XEN_SCHEDOP_shutdown, ARG, 0), 0);
	ck_assert_uint_eq(rec.reason, SV_SHUTDOWN_crash);
	reason = XEN_SHUTDOWN_reboot;
	memcpy(at(ARG_GPA), &reason, 4);
	ck_assert_int_eq(hc(XEN_HC_sched_op, XEN_SCHEDOP_shutdown, ARG, 0), 0);
	ck_assert_uint_eq(rec.reason, SV_SHUTDOWN_reboot);

	memcpy(at(ARG_GPA), &qs, sizeof(qs));
	ck_assert_int_eq(hc(XEN_HC_grant_table_op, XEN_GNTTABOP_query_size, ARG, 1), 0);
	memcpy(&qs, at(ARG_GPA), sizeof(qs));
	ck_assert_int_eq(qs.status, 0);
	ck_assert_uint_eq(qs.max_nr_frames, SV_GNTTAB_MAX_FRAMES);
	ck_assert_int_eq(hc(XEN_HC_grant_table_op, XEN_GNTTABOP_query_size, ARG, 2), -XEN_EINVAL);
	memcpy(at(ARG_GPA), &sv, sizeof(sv));
	ck_assert_int_eq(hc(XEN_HC_grant_table_op, XEN_GNTTABOP_set_version, ARG, 1), 0);
	sv.version = 0;
	memcpy(at(ARG_GPA), &sv, sizeof(sv));
	ck_assert_int_eq(hc(XEN_HC_grant_table_op, XEN_GNTTABOP_set_version, ARG, 1), 0);
	memcpy(&sv, at(ARG_GPA), sizeof(sv));
	ck_assert_uint_eq(sv.version, 1);
	sv.version = 2;
	memcpy(at(ARG_GPA), &sv, sizeof(sv));
	ck_assert_int_eq(hc(XEN_HC_grant_table_op, XEN_GNTTABOP_set_version, ARG, 1), -XEN_ENOSYS);
	ck_assert_int_eq(hc(XEN_HC_grant_table_op, 0 /* map */, ARG, 1), -XEN_ENOSYS);

	/* A console write across two pages apart in RAM arrives whole. */
	memcpy(at(0x20ff8), msg, 8);
	memcpy(at(0x10000), msg + 8, sizeof(msg) - 8);
	ck_assert_int_eq(
		hc(XEN_HC_console_io, XEN_CONSOLEIO_write, sizeof(msg) - 1, PT_VA_A + 0xff8), 0);
	ck_assert_uint_eq(rec.text_len, sizeof(msg) - 1);
	ck_assert_mem_eq(rec.text, msg, sizeof(msg) - 1);
	ck_assert_int_eq(hc(XEN_HC_console_io, XEN_CONSOLEIO_write, SV_CONSOLE_IO_MAX + 1, ARG),
			 -XEN_EINVAL);
	ck_assert_int_eq(hc(XEN_HC_console_io, XEN_CONSOLEIO_write, 1ull << 63, ARG), -XEN_EINVAL);
	ck_assert_int_eq(hc(XEN_HC_console_io, XEN_CONSOLEIO_write, 16, PT_VA_A + 0x1ff8),
			 -XEN_EFAULT);
	ck_assert_uint_eq(rec.console, 1);
}
END_TEST

START_TEST(grant_frames_reach_the_op)
{
	static const struct xen_hcall_ops with_grants = {
		.console_write = t_console,
		.shutdown = t_shutdown,
		.set_upcall_vector = t_vector,
		.get_paging = t_paging,
		.map_grant_frame = t_map_grant,
		.yield = t_yield,
	};

	env.ops = &with_grants;
	put_xatp(XEN_DOMID_SELF, XENMAPSPACE_grant_table, 3, 0x48000);
	ck_assert_int_eq(hc(XEN_HC_memory_op, XENMEM_add_to_physmap, ARG, 0), 0);
	ck_assert_uint_eq(rec.grant_maps, 1);
	ck_assert_uint_eq(rec.grant_idx, 3);
	ck_assert_uint_eq(rec.grant_gpfn, 0x48000);
	/* Another domain's frames are not ours to map. */
	put_xatp(DOMID + 1, XENMAPSPACE_grant_table, 3, 0x48000);
	ck_assert_int_eq(hc(XEN_HC_memory_op, XENMEM_add_to_physmap, ARG, 0), -XEN_EPERM);
	ck_assert_uint_eq(rec.grant_maps, 1);
}
END_TEST

START_TEST(paging_read_once)
{
	uint64_t arg[5] = { XENVER_extraversion, PT_VA_A, 0, 0, 0 };

	/* No pointer, no register read; one per call however many pages it touches. */
	env.pg_valid = false;
	ck_assert_int_eq(xen_hcall_dispatch(&env, XEN_HC_xen_version, (uint64_t[5]){ 0 }),
			 (XEN_VERSION_MAJOR << 16) | XEN_VERSION_MINOR);
	ck_assert_uint_eq(rec.paging, 0);
	arg[1] = PT_VA_A + 0xff8;
	ck_assert_int_eq(xen_hcall_dispatch(&env, XEN_HC_xen_version, arg), 0);
	ck_assert_uint_eq(rec.paging, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xen_hcall");
	TCase *tc = tcase_create("dispatch");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, version_and_features);
	tcase_add_test(tc, unknown_calls);
	tcase_add_test(tc, shared_info_moves);
	tcase_add_test(tc, vcpu_info_moves);
	tcase_add_test(tc, hvm_ops);
	tcase_add_test(tc, event_channels);
	tcase_add_test(tc, sched_grant_console);
	tcase_add_test(tc, grant_frames_reach_the_op);
	tcase_add_test(tc, paging_read_once);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
