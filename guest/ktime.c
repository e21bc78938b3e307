// SPDX-License-Identifier: MIT
#include "arch.h"
#include "hypercall.h"
#include "ktime.h"
#include "percpu.h"

static uint64_t tsc_khz;

void time_init(uint64_t khz)
{
	tsc_khz = khz;
}

/*
 * cycles * 1e6 * scale / khz without 128-bit division (which would need
 * libgcc): split cycles into whole kHz periods and a remainder. Exact.
 */
uint64_t tsc_cycles_to_scaled_ns(uint64_t cycles, uint64_t scale)
{
	uint64_t mult = 1000000ull * scale;

	return (cycles / tsc_khz) * mult + (cycles % tsc_khz) * mult / tsc_khz;
}

uint64_t now_ns(void)
{
	return tsc_cycles_to_scaled_ns(rdtsc(), 1);
}

/*
 * Race-free wait: with IF=0 check the time, arm the timer, then block; the
 * core enables interrupts and halts in one step, so an expiry that lands in
 * between stays pending in the APIC and ends the block at once. The timer is
 * re-armed on every pass so that a wake-up for any other reason (or an early
 * expiry) cannot leave us blocked with nothing armed.
 */
int sleep_until(uint64_t deadline_ns)
{
	uint64_t flags = irq_save();
	struct percpu *pc = this_cpu();
	long ret = 0;

	while (now_ns() < deadline_ns) {
		pc->timer_deadline = deadline_ns;
		ret = hc_set_timer_op(deadline_ns);
		if (ret < 0)
			goto out;
		hc_sched_block();
		irq_disable();
		pc->sleep_wakeups++;
	}
out:
	irq_restore(flags);
	return ret < 0 ? (int)ret : 0;
}

int msleep(uint64_t ms)
{
	return sleep_until(now_ns() + ms * NSEC_PER_MSEC);
}

void time_handle_upcall(struct percpu *pc)
{
	if (pc->timer_deadline && now_ns() >= pc->timer_deadline) {
		pc->timer_deadline = 0;
		pc->timers_fired++;
	}
}
