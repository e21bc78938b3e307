/* SPDX-License-Identifier: MIT */
/*
 * Per-vCPU data. The GS base of each vCPU points at its struct percpu, whose
 * first field points at itself, so this_cpu() is one %gs-relative load.
 */
#ifndef GUEST_PERCPU_H
#define GUEST_PERCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <splitvisor/hypercall.h>
#include <splitvisor/limits.h>

struct trap_frame;

#define CONSOLE_LINE_MAX 256

struct percpu {
	struct percpu *self; /* must stay first: this_cpu() reads %gs:0 */
	uint32_t cpu;
	uint32_t apic_id;

	/* Timer bookkeeping, touched only by this vCPU (upcall handler or sleeper). */
	uint64_t upcalls;
	uint64_t timer_deadline; /* last deadline programmed, 0 when none is pending */
	uint64_t timers_fired;
	uint64_t sleep_wakeups;
	uint32_t timer_port;  /* this vCPU's VIRQ_TIMER port, 0 until bound */
	uint64_t timer_virqs; /* timer events taken through that port */

	/* Called for exceptions first; true means the frame was fixed, resume it. */
	bool (*trap_fixup)(struct trap_frame *frame);

	/* Partial console line, flushed at '\n' or when full. */
	size_t line_len;
	char line[CONSOLE_LINE_MAX];

	void *stack;		     /* AP stack from the page allocator */
	struct sv_vcpu_context boot; /* read by the core on vcpu_op up */
	void (*work)(void);	     /* what an AP runs once it is up */
	uint32_t online;
};

extern struct percpu percpu_area[SV_MAX_VCPUS];

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	/* volatile: must not be hoisted above the GS base write during bring-up. */
	asm volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

#endif
