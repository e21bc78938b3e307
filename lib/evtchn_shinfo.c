// SPDX-License-Identifier: MIT
/* Event delivery rules over the shared-info page (see evtchn_shinfo.h). */
#include "evtchn_shinfo.h"

#define PORT_WORD(p) ((p) / 64u)
#define PORT_BIT(p)  (1ull << ((p) % 64u))

/*
 * The selector bit and upcall flag, once pending is set and the port is unmasked.
 *
 * An HVM guest (ignore_mask) is raised for every newly pending port, even with the flags
 * already set: its upcall is an edge into its local APIC, which KVM drops while the APIC
 * is software-disabled, as it is early in a Linux boot. With one edge per upcall_pending,
 * as a PV guest gets, an upcall lost there would leave the flags set and every later event
 * silent. Linux takes a spurious upcall in its stride (it scans and finds nothing).
 */
static bool mark_vcpu(struct sv_vcpu_info *vi, uint32_t port, bool ignore_mask)
{
	uint64_t sel = 1ull << PORT_WORD(port);

	if (ignore_mask) {
		__atomic_fetch_or(&vi->pending_sel, sel, __ATOMIC_SEQ_CST);
		__atomic_store_n(&vi->upcall_pending, 1, __ATOMIC_SEQ_CST);
		return true;
	}
	if (__atomic_fetch_or(&vi->pending_sel, sel, __ATOMIC_SEQ_CST) & sel)
		return false;
	if (__atomic_exchange_n(&vi->upcall_pending, 1, __ATOMIC_SEQ_CST))
		return false;
	/* A guest that masked upcalls checks upcall_pending when it unmasks. */
	return !__atomic_load_n(&vi->upcall_mask, __ATOMIC_SEQ_CST);
}

bool shinfo_set_pending_vi(struct sv_shared_info *s, struct sv_vcpu_info *vi, uint32_t port,
			   bool ignore_mask)
{
	uint64_t bit = PORT_BIT(port);
	unsigned int w = PORT_WORD(port) % 64u;

	if (__atomic_fetch_or(&s->evtchn_pending[w], bit, __ATOMIC_SEQ_CST) & bit)
		return false;
	if (__atomic_load_n(&s->evtchn_mask[w], __ATOMIC_SEQ_CST) & bit)
		return false;
	return mark_vcpu(vi, port, ignore_mask);
}

bool shinfo_set_pending(struct sv_shared_info *s, unsigned int vcpu, uint32_t port)
{
	return shinfo_set_pending_vi(s, &s->vcpu_info[vcpu % SV_SHINFO_MAX_VCPUS], port, false);
}

bool shinfo_unmask_vi(struct sv_shared_info *s, struct sv_vcpu_info *vi, uint32_t port,
		      bool ignore_mask)
{
	uint64_t bit = PORT_BIT(port);
	unsigned int w = PORT_WORD(port) % 64u;

	__atomic_fetch_and(&s->evtchn_mask[w], ~bit, __ATOMIC_SEQ_CST);
	if (!(__atomic_load_n(&s->evtchn_pending[w], __ATOMIC_SEQ_CST) & bit))
		return false;
	return mark_vcpu(vi, port, ignore_mask);
}

bool shinfo_unmask(struct sv_shared_info *s, unsigned int vcpu, uint32_t port)
{
	return shinfo_unmask_vi(s, &s->vcpu_info[vcpu % SV_SHINFO_MAX_VCPUS], port, false);
}

uint32_t shinfo_take_next(struct sv_shared_info *s, unsigned int vcpu)
{
	struct sv_vcpu_info *vi = &s->vcpu_info[vcpu % SV_SHINFO_MAX_VCPUS];
	uint64_t sel, bits;
	unsigned int w, b;

	__atomic_store_n(&vi->upcall_pending, 0, __ATOMIC_SEQ_CST);
	sel = __atomic_load_n(&vi->pending_sel, __ATOMIC_SEQ_CST);
	while (sel) {
		w = (unsigned int)__builtin_ctzll(sel);
		bits = __atomic_load_n(&s->evtchn_pending[w], __ATOMIC_SEQ_CST) &
		       ~__atomic_load_n(&s->evtchn_mask[w], __ATOMIC_SEQ_CST);
		if (!bits) {
			/* Word drained: drop its selector bit, then look again for a late set. */
			__atomic_fetch_and(&vi->pending_sel, ~(1ull << w), __ATOMIC_SEQ_CST);
			bits = __atomic_load_n(&s->evtchn_pending[w], __ATOMIC_SEQ_CST) &
			       ~__atomic_load_n(&s->evtchn_mask[w], __ATOMIC_SEQ_CST);
			if (!bits) {
				sel &= sel - 1;
				continue;
			}
			__atomic_fetch_or(&vi->pending_sel, 1ull << w, __ATOMIC_SEQ_CST);
		}
		b = (unsigned int)__builtin_ctzll(bits);
		__atomic_fetch_and(&s->evtchn_pending[w], ~(1ull << b), __ATOMIC_SEQ_CST);
		return w * 64u + b;
	}
	return 0;
}
