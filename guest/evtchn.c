// SPDX-License-Identifier: MIT
/*
 * The consumer side of the 2-level event channels. The core (or a process
 * domain) sets pending, then the selector and upcall_pending; we clear
 * upcall_pending first, then take the selector, then the pending bits, and
 * look at upcall_pending again, so an event set while we scan is never lost.
 */
#include <errno.h>
#include <splitvisor/limits.h>

#include "arch.h"
#include "boot_info.h"
#include "evtchn.h"
#include "hypercall.h"
#include "ktime.h"
#include "percpu.h"

#define WORD(p) ((p) / 64u)
#define BIT(p)	(1ull << ((p) % 64u))

struct handler {
	evtchn_handler_fn *fn;
	void *data;
};

static struct sv_shared_info *shinfo;
static struct handler handlers[SV_EVTCHN_NR_PORTS];
/* Ports that fired since their last evtchn_wait. */
static uint64_t fired[SV_EVTCHN_NR_PORTS / 64];
/*
 * Ports bound to each vCPU. The pending words are shared by all vCPUs, so a
 * vCPU takes only its own bits: another vCPU's port is for that vCPU.
 */
static uint64_t cpu_ports[SV_MAX_VCPUS][SV_EVTCHN_NR_PORTS / 64];

static void set_port_cpu(uint32_t port, uint32_t cpu)
{
	for (uint32_t c = 0; c < SV_MAX_VCPUS; c++) {
		if (c == cpu)
			__atomic_fetch_or(&cpu_ports[c][WORD(port)], BIT(port), __ATOMIC_SEQ_CST);
		else
			__atomic_fetch_and(&cpu_ports[c][WORD(port)], ~BIT(port), __ATOMIC_SEQ_CST);
	}
}

static long evtchn_op(uint32_t cmd, void *arg)
{
	return hypercall3(SV_HC_event_channel_op, cmd, (uint64_t)(uintptr_t)arg, 0);
}

int evtchn_alloc_unbound(uint16_t remote_dom, uint32_t *port)
{
	struct evtchn_alloc_unbound a = { .dom = SV_DOMID_SELF, .remote_dom = remote_dom };
	long ret = evtchn_op(EVTCHNOP_alloc_unbound, &a);

	if (!ret && a.port < SV_EVTCHN_NR_PORTS)
		set_port_cpu(a.port, 0);
	if (!ret)
		*port = a.port;
	return (int)ret;
}

int evtchn_bind_interdomain(uint16_t remote_dom, uint32_t remote_port, uint32_t *port)
{
	struct evtchn_bind_interdomain a = { .remote_dom = remote_dom, .remote_port = remote_port };
	long ret = evtchn_op(EVTCHNOP_bind_interdomain, &a);

	if (!ret && a.local_port < SV_EVTCHN_NR_PORTS)
		set_port_cpu(a.local_port, 0);
	if (!ret)
		*port = a.local_port;
	return (int)ret;
}

int evtchn_bind_virq(uint32_t virq, uint32_t vcpu, uint32_t *port)
{
	struct evtchn_bind_virq a = { .virq = virq, .vcpu = vcpu };
	long ret = evtchn_op(EVTCHNOP_bind_virq, &a);

	if (!ret && a.port < SV_EVTCHN_NR_PORTS && vcpu < SV_MAX_VCPUS)
		set_port_cpu(a.port, vcpu);
	if (!ret)
		*port = a.port;
	return (int)ret;
}

int evtchn_bind_vcpu(uint32_t port, uint32_t vcpu)
{
	struct evtchn_bind_vcpu a = { .port = port, .vcpu = vcpu };
	long ret = evtchn_op(EVTCHNOP_bind_vcpu, &a);

	if (!ret && port < SV_EVTCHN_NR_PORTS && vcpu < SV_MAX_VCPUS) {
		set_port_cpu(port, vcpu);
		/*
		 * An event that came before the port was ours (a backend binds it
		 * pending, before we run) is left pending by the demultiplexer, and a
		 * pending port takes no new event: take it now, as a wake-up.
		 */
		if (vcpu == this_cpu()->cpu &&
		    (__atomic_fetch_and(&shinfo->evtchn_pending[WORD(port)], ~BIT(port),
					__ATOMIC_SEQ_CST) &
		     BIT(port)))
			__atomic_fetch_or(&fired[WORD(port)], BIT(port), __ATOMIC_SEQ_CST);
	}
	return (int)ret;
}

int evtchn_close(uint32_t port)
{
	struct evtchn_port_op a = { .port = port };
	long ret = evtchn_op(EVTCHNOP_close, &a);

	if (!ret && port < SV_EVTCHN_NR_PORTS) {
		handlers[port].fn = NULL;
		__atomic_fetch_and(&fired[WORD(port)], ~BIT(port), __ATOMIC_SEQ_CST);
	}
	return (int)ret;
}

int evtchn_status(struct evtchn_status *st)
{
	return (int)evtchn_op(EVTCHNOP_status, st);
}

int evtchn_send_checked(uint32_t port)
{
	struct evtchn_port_op a = { .port = port };

	return (int)evtchn_op(EVTCHNOP_send, &a);
}

void evtchn_send(uint32_t port)
{
	outl(SV_NOTIFY_PORT, port);
}

void evtchn_mask(uint32_t port)
{
	if (port < SV_EVTCHN_NR_PORTS)
		__atomic_fetch_or(&shinfo->evtchn_mask[WORD(port)], BIT(port), __ATOMIC_SEQ_CST);
}

int evtchn_unmask(uint32_t port)
{
	struct evtchn_port_op a = { .port = port };

	if (port >= SV_EVTCHN_NR_PORTS)
		return -EINVAL;
	__atomic_fetch_and(&shinfo->evtchn_mask[WORD(port)], ~BIT(port), __ATOMIC_SEQ_CST);
	/* Pending while masked: the selector was not set, so the core must raise it now. */
	if (__atomic_load_n(&shinfo->evtchn_pending[WORD(port)], __ATOMIC_SEQ_CST) & BIT(port))
		return (int)evtchn_op(EVTCHNOP_unmask, &a);
	return 0;
}

void evtchn_set_handler(uint32_t port, evtchn_handler_fn *fn, void *data)
{
	uint64_t flags;

	if (port >= SV_EVTCHN_NR_PORTS)
		return;
	flags = irq_save();
	handlers[port].data = data;
	handlers[port].fn = fn;
	irq_restore(flags);
}

static void timer_virq(uint32_t port, void *data)
{
	struct percpu *pc = this_cpu();

	(void)port;
	(void)data;
	pc->timer_virqs++;
	time_handle_upcall(pc);
}

int evtchn_init_cpu(void)
{
	struct percpu *pc = this_cpu();
	uint32_t port = 0;
	int ret;

	ret = evtchn_bind_virq(SV_VIRQ_TIMER, pc->cpu, &port);
	if (ret)
		return ret;
	evtchn_set_handler(port, timer_virq, NULL);
	__atomic_store_n(&pc->timer_port, port, __ATOMIC_RELEASE);
	/*
	 * An upcall raised before our APIC was enabled was dropped, but it left
	 * upcall_pending set, and while that is set no event raises the vector
	 * again: do its work now (interrupts are still off).
	 */
	evtchn_do_upcall(pc);
	return 0;
}

int evtchn_init(void)
{
	uint64_t gpa = start_info->shared_info_gpa;

	if (!gpa || (gpa & (PAGE_SIZE - 1)) || gpa + PAGE_SIZE > start_info->mem_bytes)
		return -EINVAL;
	shinfo = (struct sv_shared_info *)(uintptr_t)gpa;
	return evtchn_init_cpu();
}

static void scan_word(uint32_t cpu, unsigned int w)
{
	uint64_t bits = __atomic_load_n(&shinfo->evtchn_pending[w], __ATOMIC_SEQ_CST) &
			~__atomic_load_n(&shinfo->evtchn_mask[w], __ATOMIC_SEQ_CST) &
			__atomic_load_n(&cpu_ports[cpu][w], __ATOMIC_SEQ_CST);
	struct handler *h;
	unsigned int b;
	uint32_t port;

	while (bits) {
		b = (unsigned int)__builtin_ctzll(bits);
		bits &= bits - 1;
		port = w * 64u + b;
		/* Clear before handling: an event sent during the handler sets it again. */
		__atomic_fetch_and(&shinfo->evtchn_pending[w], ~(1ull << b), __ATOMIC_SEQ_CST);
		__atomic_fetch_or(&fired[w], 1ull << b, __ATOMIC_SEQ_CST);
		h = &handlers[port];
		if (h->fn)
			h->fn(port, h->data);
	}
}

void evtchn_do_upcall(struct percpu *pc)
{
	struct sv_vcpu_info *vi;
	uint64_t sel;

	/* Before the VIRQ is bound, the core raises the bare vector for the timer. */
	if (!__atomic_load_n(&pc->timer_port, __ATOMIC_ACQUIRE))
		time_handle_upcall(pc);
	if (!shinfo)
		return;
	vi = &shinfo->vcpu_info[pc->cpu];
	while (__atomic_exchange_n(&vi->upcall_pending, 0, __ATOMIC_SEQ_CST)) {
		sel = __atomic_exchange_n(&vi->pending_sel, 0, __ATOMIC_SEQ_CST);
		while (sel) {
			scan_word(pc->cpu, (unsigned int)__builtin_ctzll(sel));
			sel &= sel - 1;
		}
	}
}

/*
 * Race-free: the check runs with interrupts off, and sched_op(block) enables
 * them and halts in one step, so an upcall after the check ends the block.
 */
int evtchn_wait(uint32_t port, uint64_t deadline_ns)
{
	struct percpu *pc = this_cpu();
	uint64_t flags;
	int ret = 0;

	if (port == 0 || port >= SV_EVTCHN_NR_PORTS)
		return -EINVAL;
	flags = irq_save();
	while (!(__atomic_fetch_and(&fired[WORD(port)], ~BIT(port), __ATOMIC_SEQ_CST) &
		 BIT(port))) {
		if (deadline_ns) {
			if (now_ns() >= deadline_ns) {
				ret = -ETIMEDOUT;
				break;
			}
			pc->timer_deadline = deadline_ns;
			ret = (int)hc_set_timer_op(deadline_ns);
			if (ret)
				break;
		}
		hc_sched_block();
		irq_disable();
	}
	irq_restore(flags);
	return ret;
}
