// SPDX-License-Identifier: MIT
/*
 * Event channels without KVM: the delivery rules on a shared-info page, the
 * port table, guest-to-guest channels, and hostile event_channel_op calls.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <splitvisor/start_info.h>

#include "evtchn.h"
#include "evtchn_shinfo.h"
#include "hypercall.h"

#define RAM_SIZE (1u << 20)
#define ARG_GPA	 0x20000u

struct rec {
	unsigned int kicks[SV_SHINFO_MAX_VCPUS];
	unsigned int attached, detached;
};

static struct guest_mem mem, mem2;
static struct sv_shared_info *si, *si2;
static struct evtchn *e, *e2;
static struct rec rec, rec2;

static void t_kick(void *ctx, unsigned int vcpu)
{
	((struct rec *)ctx)->kicks[vcpu]++;
}

static int t_attach(void *ctx, uint32_t port, unsigned int vcpu, int fds[2])
{
	(void)port;
	(void)vcpu;
	fds[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fds[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	((struct rec *)ctx)->attached++;
	return 0;
}

static void t_detach(void *ctx, uint32_t port, unsigned int vcpu, const int fds[2])
{
	(void)port;
	(void)vcpu;
	close(fds[0]);
	close(fds[1]);
	((struct rec *)ctx)->detached++;
}

static const struct evtchn_ops ops = { t_kick, t_attach, t_detach };

static void setup(void)
{
	ck_assert_int_eq(guest_mem_create(&mem, "ec-test", RAM_SIZE), 0);
	ck_assert_int_eq(guest_mem_create(&mem2, "ec-test2", RAM_SIZE), 0);
	si = guest_ptr(&mem, SV_SHARED_INFO_GPA, sizeof(*si));
	si2 = guest_ptr(&mem2, SV_SHARED_INFO_GPA, sizeof(*si2));
	memset(&rec, 0, sizeof(rec));
	memset(&rec2, 0, sizeof(rec2));
	ck_assert_int_eq(evtchn_create(101, 4, si, &ops, &rec, &e), 0);
	ck_assert_int_eq(evtchn_create(102, 2, si2, &ops, &rec2, &e2), 0);
}

static void teardown(void)
{
	evtchn_destroy(e);
	evtchn_destroy(e2);
	guest_mem_destroy(&mem);
	guest_mem_destroy(&mem2);
}

static bool pending(struct sv_shared_info *s, uint32_t p)
{
	return s->evtchn_pending[p / 64] & (1ull << (p % 64));
}

/* ---- delivery rules ---- */

START_TEST(first_event_raises_upcall)
{
	ck_assert(shinfo_set_pending(si, 1, 70));
	ck_assert(pending(si, 70));
	ck_assert_uint_eq(si->vcpu_info[1].pending_sel, 1ull << 1);
	ck_assert_uint_eq(si->vcpu_info[1].upcall_pending, 1);
	ck_assert_uint_eq(si->vcpu_info[0].upcall_pending, 0);
}
END_TEST

START_TEST(already_pending_stops)
{
	ck_assert(shinfo_set_pending(si, 0, 5));
	si->vcpu_info[0].upcall_pending = 0;
	si->vcpu_info[0].pending_sel = 0;
	ck_assert(!shinfo_set_pending(si, 0, 5));
	ck_assert_uint_eq(si->vcpu_info[0].pending_sel, 0);
	ck_assert_uint_eq(si->vcpu_info[0].upcall_pending, 0);
}
END_TEST

START_TEST(masked_sets_only_pending)
{
	si->evtchn_mask[0] = 1ull << 9;
	ck_assert(!shinfo_set_pending(si, 0, 9));
	ck_assert(pending(si, 9));
	ck_assert_uint_eq(si->vcpu_info[0].pending_sel, 0);
	ck_assert_uint_eq(si->vcpu_info[0].upcall_pending, 0);
	/* Unmask with the event pending: selector, upcall, kick. */
	ck_assert(shinfo_unmask(si, 0, 9));
	ck_assert_uint_eq(si->evtchn_mask[0], 0);
	ck_assert_uint_eq(si->vcpu_info[0].pending_sel, 1);
	ck_assert_uint_eq(si->vcpu_info[0].upcall_pending, 1);
	/* Unmask with nothing pending does nothing more. */
	ck_assert(!shinfo_unmask(si, 0, 10));
}
END_TEST

START_TEST(selector_already_set_no_upcall)
{
	ck_assert(shinfo_set_pending(si, 0, 3));
	si->vcpu_info[0].upcall_pending = 0;
	/* Same word, selector bit still set: the guest has not scanned it yet. */
	ck_assert(!shinfo_set_pending(si, 0, 4));
	ck_assert_uint_eq(si->vcpu_info[0].upcall_pending, 0);
	/* Another word: selector newly set, upcall again. */
	ck_assert(shinfo_set_pending(si, 0, 4095));
	ck_assert_uint_eq(si->vcpu_info[0].pending_sel, 1ull | (1ull << 63));
}
END_TEST

START_TEST(upcall_mask_suppresses_kick)
{
	si->vcpu_info[2].upcall_mask = 1;
	ck_assert(!shinfo_set_pending(si, 2, 100));
	/* Still recorded, for the guest to find when it unmasks upcalls. */
	ck_assert_uint_eq(si->vcpu_info[2].upcall_pending, 1);
	ck_assert_uint_eq(si->vcpu_info[2].pending_sel, 1ull << 1);
	ck_assert(!shinfo_set_pending(si, 2, 101));
}
END_TEST

/*
 * The HVM rules (a Linux PVH guest): a stale selector and upcall flag, left by an upcall the
 * guest's APIC dropped early in its boot, must not silence a newly pending port or an unmask
 * that finds one pending; an already pending or masked port still raises nothing.
 */
START_TEST(hvm_stale_flags_still_raise)
{
	struct sv_vcpu_info vi = { .pending_sel = ~0ull, .upcall_pending = 1, .upcall_mask = 1 };

	ck_assert(shinfo_set_pending_vi(si, &vi, 5, true));
	ck_assert(!shinfo_set_pending_vi(si, &vi, 5, true));
	si->evtchn_mask[0] |= 1ull << 6;
	ck_assert(!shinfo_set_pending_vi(si, &vi, 6, true));
	ck_assert(shinfo_unmask_vi(si, &vi, 6, true));
	ck_assert(!(si->evtchn_mask[0] & (1ull << 6)));
	/* Nothing pending: an unmask raises nothing. */
	ck_assert(!shinfo_unmask_vi(si, &vi, 7, true));
	/* Our own guests keep one edge per upcall_pending. */
	ck_assert(!shinfo_set_pending_vi(si, &vi, 8, false));
}
END_TEST

START_TEST(take_next_consumes)
{
	shinfo_set_pending(si, 0, 7);
	shinfo_set_pending(si, 0, 200);
	ck_assert_uint_eq(shinfo_take_next(si, 0), 7);
	ck_assert_uint_eq(shinfo_take_next(si, 0), 200);
	ck_assert_uint_eq(shinfo_take_next(si, 0), 0);
	ck_assert_uint_eq(si->vcpu_info[0].pending_sel, 0);
	ck_assert(!pending(si, 7) && !pending(si, 200));
}
END_TEST

/* ---- port table ---- */

START_TEST(alloc_close_status)
{
	struct evtchn_status st = { .dom = SV_DOMID_SELF };
	uint32_t p;

	ck_assert_int_eq(evtchn_alloc_unbound(e, 0, &p), 0);
	ck_assert_uint_eq(p, 1);
	st.port = p;
	ck_assert_int_eq(evtchn_status(e, &st), 0);
	ck_assert_uint_eq(st.status, EVTCHNSTAT_unbound);
	ck_assert_uint_eq(st.remote_dom, 0);
	ck_assert_int_eq(evtchn_send(e, p), -ENOTCONN);
	ck_assert_int_eq(evtchn_close(e, p), 0);
	ck_assert_int_eq(evtchn_close(e, p), -EINVAL);
	ck_assert_int_eq(evtchn_send(e, p), -EINVAL);
	ck_assert_int_eq(evtchn_status(e, &st), 0);
	ck_assert_uint_eq(st.status, EVTCHNSTAT_closed);
	/* Freed ports are reused. */
	ck_assert_int_eq(evtchn_alloc_unbound(e, SV_DOMID_SELF, &p), 0);
	ck_assert_uint_eq(p, 1);
	ck_assert_int_eq(evtchn_alloc_unbound(e, 0x7ff1, &p), -EINVAL);
}
END_TEST

START_TEST(exhaust_ports)
{
	uint32_t p, i;

	for (i = 1; i < SV_EVTCHN_NR_PORTS; i++) {
		ck_assert_int_eq(evtchn_alloc_unbound(e, 0, &p), 0);
		ck_assert_uint_eq(p, i);
	}
	ck_assert_int_eq(evtchn_alloc_unbound(e, 0, &p), -ENOSPC);
	ck_assert_int_eq(evtchn_bind_virq(e, SV_VIRQ_TIMER, 0, &p), -ENOSPC);
	ck_assert_int_eq(evtchn_close(e, 1234), 0);
	ck_assert_int_eq(evtchn_alloc_unbound(e, 0, &p), 0);
	ck_assert_uint_eq(p, 1234);
}
END_TEST

START_TEST(virq_binding)
{
	struct evtchn_status st = { .dom = SV_DOMID_SELF };
	uint32_t p, q;

	ck_assert_int_eq(evtchn_raise_virq(e, 1, SV_VIRQ_TIMER), -ENOENT);
	ck_assert_int_eq(evtchn_bind_virq(e, SV_VIRQ_TIMER, 1, &p), 0);
	ck_assert_int_eq(evtchn_bind_virq(e, SV_VIRQ_TIMER, 1, &q), -EEXIST);
	ck_assert_int_eq(evtchn_bind_virq(e, SV_VIRQ_TIMER, 2, &q), 0);
	ck_assert_int_eq(evtchn_bind_virq(e, SV_NR_VIRQS, 0, &q), -EINVAL);
	ck_assert_int_eq(evtchn_bind_virq(e, 0xffffffffu, 0, &q), -EINVAL);
	ck_assert_int_eq(evtchn_bind_virq(e, SV_VIRQ_DEBUG, 4, &q), -ENOENT);
	ck_assert_int_eq(evtchn_raise_virq(e, 1, SV_VIRQ_TIMER), 0);
	ck_assert(pending(si, p));
	ck_assert_uint_eq(rec.kicks[1], 1);
	ck_assert_uint_eq(si->vcpu_info[1].upcall_pending, 1);
	st.port = p;
	ck_assert_int_eq(evtchn_status(e, &st), 0);
	ck_assert_uint_eq(st.status, EVTCHNSTAT_virq);
	ck_assert_uint_eq(st.vcpu, 1);
	ck_assert_uint_eq(st.remote_port, SV_VIRQ_TIMER);
	ck_assert_int_eq(evtchn_send(e, p), -EINVAL);
	ck_assert_int_eq(evtchn_bind_vcpu(e, p, 0), -EINVAL);
	ck_assert_int_eq(evtchn_close(e, p), 0);
	ck_assert_int_eq(evtchn_raise_virq(e, 1, SV_VIRQ_TIMER), -ENOENT);
	ck_assert_int_eq(evtchn_bind_virq(e, SV_VIRQ_TIMER, 1, &p), 0);
}
END_TEST

START_TEST(interdomain_between_guests)
{
	struct evtchn_status st = { .dom = SV_DOMID_SELF };
	uint32_t a, b, c;

	ck_assert_int_eq(evtchn_alloc_unbound(e, 102, &a), 0);
	ck_assert_int_eq(evtchn_bind_interdomain(e2, 101, a + 1, &b), -EINVAL);
	ck_assert_int_eq(evtchn_bind_interdomain(e2, 999, a, &b), -ESRCH);
	ck_assert_int_eq(evtchn_bind_interdomain(e2, 101, 0, &b), -EINVAL);
	ck_assert_int_eq(evtchn_bind_interdomain(e2, 101, 4096, &b), -EINVAL);
	ck_assert_int_eq(evtchn_bind_interdomain(e2, 101, a, &b), 0);
	/* New binding starts pending on the binder's side. */
	ck_assert(pending(si2, b));
	ck_assert_uint_eq(rec2.kicks[0], 1);
	/* Already bound: nobody else gets it. */
	ck_assert_int_eq(evtchn_bind_interdomain(e2, 101, a, &c), -EINVAL);
	ck_assert_int_eq(evtchn_send(e2, b), 0);
	ck_assert(pending(si, a));
	ck_assert_uint_eq(rec.kicks[0], 1);
	/* Move a to vCPU 3: the next event goes to its selector. */
	ck_assert_int_eq(evtchn_bind_vcpu(e, a, 3), 0);
	ck_assert_int_eq(evtchn_bind_vcpu(e, a, 4), -ENOENT);
	si->evtchn_pending[0] = 0;
	ck_assert_int_eq(evtchn_send(e2, b), 0);
	ck_assert_uint_eq(rec.kicks[3], 1);
	ck_assert_int_eq(evtchn_send(e, a), 0);
	/* Closing one end leaves the other unbound. */
	ck_assert_int_eq(evtchn_close(e, a), 0);
	st.port = b;
	ck_assert_int_eq(evtchn_status(e2, &st), 0);
	ck_assert_uint_eq(st.status, EVTCHNSTAT_unbound);
	ck_assert_int_eq(evtchn_send(e2, b), -ENOTCONN);
	/* A port offered to domain 102 is not for 103. */
	ck_assert_int_eq(evtchn_alloc_unbound(e, 103, &a), 0);
	ck_assert_int_eq(evtchn_bind_interdomain(e2, 101, a, &c), -EPERM);
}
END_TEST

START_TEST(peer_destroyed)
{
	struct evtchn_status st = { .dom = SV_DOMID_SELF };
	uint32_t a, b;

	ck_assert_int_eq(evtchn_alloc_unbound(e, 102, &a), 0);
	ck_assert_int_eq(evtchn_bind_interdomain(e2, 101, a, &b), 0);
	evtchn_destroy(e);
	e = NULL;
	st.port = b;
	ck_assert_int_eq(evtchn_status(e2, &st), 0);
	ck_assert_uint_eq(st.status, EVTCHNSTAT_unbound);
	ck_assert_int_eq(evtchn_send(e2, b), -ENOTCONN);
	ck_assert_int_eq(evtchn_close(e2, b), 0);
}
END_TEST

START_TEST(loopback)
{
	uint32_t a, b;

	ck_assert_int_eq(evtchn_alloc_unbound(e, SV_DOMID_SELF, &a), 0);
	ck_assert_int_eq(evtchn_bind_interdomain(e, SV_DOMID_SELF, a, &b), 0);
	ck_assert(pending(si, b));
	ck_assert_int_eq(evtchn_send(e, b), 0);
	ck_assert(pending(si, a));
	ck_assert_int_eq(evtchn_close(e, b), 0);
	ck_assert_int_eq(evtchn_send(e, a), -ENOTCONN);
}
END_TEST

START_TEST(process_end)
{
	uint32_t p;
	uint64_t v;
	int nfd, rfd;

	ck_assert_int_eq(evtchn_alloc_unbound(e, 0, &p), 0);
	ck_assert_int_eq(evtchn_bind_proc(e, p, 1, &nfd, &rfd), -EPERM);
	ck_assert_int_eq(evtchn_bind_proc(e, 0, 0, &nfd, &rfd), -EINVAL);
	ck_assert_int_eq(evtchn_bind_proc(e, p, 0, &nfd, &rfd), 0);
	ck_assert(pending(si, p));
	ck_assert_int_eq(evtchn_bind_proc(e, p, 0, &nfd, &rfd), -EINVAL);
	/* The slow-path send reaches the process's notify fd. */
	ck_assert_int_eq(evtchn_send(e, p), 0);
	ck_assert_int_eq(read(nfd, &v, sizeof(v)), sizeof(v));
	/* A process that cannot see shared info raises through the core. */
	si->evtchn_pending[p / 64] &= ~(1ull << (p % 64));
	ck_assert(!pending(si, p));
	ck_assert_int_eq(evtchn_proc_domid(e, p), 0);
	ck_assert_int_eq(evtchn_raise_proc(e, p, 7), -EPERM);
	ck_assert(!pending(si, p));
	ck_assert_int_eq(evtchn_raise_proc(e, p, 0), 0);
	ck_assert(pending(si, p));
	ck_assert_int_eq(evtchn_raise_proc(e, 0, 0), -EINVAL);
	ck_assert_int_eq(evtchn_raise_proc(e, SV_EVTCHN_NR_PORTS, 0), -EINVAL);
	/*
	 * The backend raises the vCPU it learnt at bind time: moving the port would leave
	 * it raising the old one, so the move is refused and the binding stays.
	 */
	ck_assert_int_eq(evtchn_bind_vcpu(e, p, 2), -EBUSY);
	ck_assert_int_eq(evtchn_vcpu_of(e, p), 0);
	ck_assert_int_eq(evtchn_bind_vcpu(e, p, 0), 0); /* the vCPU it is on: nothing moves */
	ck_assert_int_eq(evtchn_bind_vcpu(e, p, 9), -ENOENT);
	ck_assert_int_eq(evtchn_close_proc(e, p), 0);
	ck_assert_int_eq(evtchn_close_proc(e, p), -EINVAL);
	ck_assert_uint_eq(rec.detached, 1);
	ck_assert_int_eq(evtchn_send(e, p), -ENOTCONN);
	ck_assert_int_eq(evtchn_raise_proc(e, p, 0), -EINVAL);
	ck_assert_int_eq(evtchn_proc_domid(e, p), -EINVAL);
	close(nfd);
	close(rfd);
	/* Destroy detaches what is still bound. */
	ck_assert_int_eq(evtchn_bind_proc(e, p, 0, &nfd, &rfd), 0);
	close(nfd);
	close(rfd);
	evtchn_destroy(e);
	e = NULL;
	ck_assert_uint_eq(rec.detached, 2);
}
END_TEST

/* ---- the hypercall ---- */

static int64_t ec_op(uint64_t cmd, uint64_t gpa)
{
	struct hcall_env env = { .mem = &mem, .nr_vcpus = 4, .evtchn = e };
	uint64_t arg[5] = { cmd, gpa, 0xdead, 0xbeef, 0 };

	return hcall_dispatch(&env, SV_HC_event_channel_op, arg);
}

static void *arg_ptr(size_t len)
{
	uint8_t *p = guest_ptr(&mem, ARG_GPA, len);

	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < len; i++)
		p[i] = 0;
	return p;
}

START_TEST(hostile_hypercalls)
{
	struct hcall_env none = { .mem = &mem, .nr_vcpus = 4 };
	uint64_t arg[5] = { EVTCHNOP_send, ARG_GPA };
	struct evtchn_alloc_unbound *au;
	struct evtchn_port_op *po;
	struct evtchn_bind_virq *bv;
	struct evtchn_status *st;
	struct evtchn_bind_interdomain *bi;

	ck_assert_int_eq(hcall_dispatch(&none, SV_HC_event_channel_op, arg), -ENOSYS);
	ck_assert_int_eq(ec_op(2, ARG_GPA), -EINVAL);
	ck_assert_int_eq(ec_op(7, ARG_GPA), -EINVAL);
	ck_assert_int_eq(ec_op(UINT64_MAX, ARG_GPA), -EINVAL);
	ck_assert_int_eq(ec_op(EVTCHNOP_send, RAM_SIZE), -EFAULT);
	ck_assert_int_eq(ec_op(EVTCHNOP_send, RAM_SIZE - 2), -EFAULT);
	ck_assert_int_eq(ec_op(EVTCHNOP_status, UINT64_MAX - 3), -EFAULT);
	ck_assert_int_eq(ec_op(EVTCHNOP_alloc_unbound, RAM_SIZE - 4), -EFAULT);

	au = arg_ptr(sizeof(*au));
	au->dom = 55;
	ck_assert_int_eq(ec_op(EVTCHNOP_alloc_unbound, ARG_GPA), -EPERM);
	au->dom = SV_DOMID_SELF;
	au->remote_dom = 0;
	ck_assert_int_eq(ec_op(EVTCHNOP_alloc_unbound, ARG_GPA), 0);
	ck_assert_uint_eq(au->port, 1);

	po = arg_ptr(sizeof(*po));
	static const uint32_t bad[] = { 0, 2, 4095, 4096, 65536, 0xffffffffu };
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		po->port = bad[i];
		ck_assert_int_eq(ec_op(EVTCHNOP_send, ARG_GPA), -EINVAL);
		ck_assert_int_eq(ec_op(EVTCHNOP_close, ARG_GPA), -EINVAL);
		ck_assert_int_eq(ec_op(EVTCHNOP_unmask, ARG_GPA), -EINVAL);
	}
	po->port = 1;
	ck_assert_int_eq(ec_op(EVTCHNOP_send, ARG_GPA), -ENOTCONN);

	bv = arg_ptr(sizeof(*bv));
	bv->virq = 3;
	ck_assert_int_eq(ec_op(EVTCHNOP_bind_virq, ARG_GPA), -EINVAL);
	bv->virq = SV_VIRQ_TIMER;
	bv->vcpu = 4;
	ck_assert_int_eq(ec_op(EVTCHNOP_bind_virq, ARG_GPA), -ENOENT);
	bv->vcpu = 0xffffffffu;
	ck_assert_int_eq(ec_op(EVTCHNOP_bind_virq, ARG_GPA), -ENOENT);
	bv->vcpu = 3;
	ck_assert_int_eq(ec_op(EVTCHNOP_bind_virq, ARG_GPA), 0);
	ck_assert_uint_eq(bv->port, 2);

	st = arg_ptr(sizeof(*st));
	st->dom = 7;
	st->port = 2;
	ck_assert_int_eq(ec_op(EVTCHNOP_status, ARG_GPA), -EPERM);
	st->dom = SV_DOMID_SELF;
	ck_assert_int_eq(ec_op(EVTCHNOP_status, ARG_GPA), 0);
	ck_assert_uint_eq(st->status, EVTCHNSTAT_virq);
	ck_assert_uint_eq(st->vcpu, 3);
	st->port = 4096;
	ck_assert_int_eq(ec_op(EVTCHNOP_status, ARG_GPA), -EINVAL);

	bi = arg_ptr(sizeof(*bi));
	bi->remote_dom = 102;
	bi->remote_port = 1;
	ck_assert_int_eq(ec_op(EVTCHNOP_bind_interdomain, ARG_GPA), -EINVAL);
	bi->remote_dom = 0x7fff;
	ck_assert_int_eq(ec_op(EVTCHNOP_bind_interdomain, ARG_GPA), -ESRCH);
	/* Our own port 1 is offered to dom 0, not to us. */
	bi->remote_dom = SV_DOMID_SELF;
	ck_assert_int_eq(ec_op(EVTCHNOP_bind_interdomain, ARG_GPA), -EPERM);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("evtchn");
	TCase *rules = tcase_create("delivery");
	TCase *table = tcase_create("ports");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(rules, setup, teardown);
	tcase_add_test(rules, first_event_raises_upcall);
	tcase_add_test(rules, already_pending_stops);
	tcase_add_test(rules, masked_sets_only_pending);
	tcase_add_test(rules, selector_already_set_no_upcall);
	tcase_add_test(rules, upcall_mask_suppresses_kick);
	tcase_add_test(rules, hvm_stale_flags_still_raise);
	tcase_add_test(rules, take_next_consumes);
	suite_add_tcase(s, rules);
	tcase_add_checked_fixture(table, setup, teardown);
	tcase_add_test(table, alloc_close_status);
	tcase_add_test(table, exhaust_ports);
	tcase_add_test(table, virq_binding);
	tcase_add_test(table, interdomain_between_guests);
	tcase_add_test(table, peer_destroyed);
	tcase_add_test(table, loopback);
	tcase_add_test(table, process_end);
	tcase_add_test(table, hostile_hypercalls);
	suite_add_tcase(s, table);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
