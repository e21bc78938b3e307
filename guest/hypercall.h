/* SPDX-License-Identifier: MIT */
/*
 * Hypercall wrappers. The gate is `outl %eax, $SV_HYPERCALL_PORT`; arguments go
 * in rdi, rsi, rdx, r10, r8 and the core changes nothing but rax, so those are
 * plain inputs. "memory" because the core reads and writes guest buffers.
 */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include <stdint.h>
#include <splitvisor/hypercall.h>

static inline long hypercall5(uint32_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			      uint64_t a5)
{
	register uint64_t r10 asm("r10") = a4;
	register uint64_t r8 asm("r8") = a5;
	uint64_t rax = nr;

	asm volatile("outl %%eax, %[port]"
		     : "+a"(rax)
		     : [port] "i"(SV_HYPERCALL_PORT), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8)
		     : "memory");
	return (long)rax;
}

static inline long hypercall3(uint32_t nr, uint64_t a1, uint64_t a2, uint64_t a3)
{
	uint64_t rax = nr;

	asm volatile("outl %%eax, %[port]"
		     : "+a"(rax)
		     : [port] "i"(SV_HYPERCALL_PORT), "D"(a1), "S"(a2), "d"(a3)
		     : "memory");
	return (long)rax;
}

static inline long hc_xen_version(uint32_t cmd)
{
	return hypercall3(SV_HC_xen_version, cmd, 0, 0);
}

static inline long hc_console_write(const char *buf, uint32_t len)
{
	return hypercall3(SV_HC_console_io, SV_CONSOLEIO_write, len, (uint64_t)(uintptr_t)buf);
}

static inline long hc_set_timer_op(uint64_t deadline_ns)
{
	return hypercall3(SV_HC_set_timer_op, deadline_ns, 0, 0);
}

static inline long hc_sched_yield(void)
{
	return hypercall3(SV_HC_sched_op, SV_SCHEDOP_yield, 0, 0);
}

/* Returns with interrupts enabled, after an upcall (or a spurious wake-up). */
static inline long hc_sched_block(void)
{
	return hypercall3(SV_HC_sched_op, SV_SCHEDOP_block, 0, 0);
}

static inline long hc_sched_shutdown(uint32_t reason, uint32_t code)
{
	return hypercall3(SV_HC_sched_op, SV_SCHEDOP_shutdown, reason, code);
}

static inline long hc_vcpu_up(uint32_t vcpu, const struct sv_vcpu_context *ctx)
{
	return hypercall3(SV_HC_vcpu_op, SV_VCPUOP_up, vcpu, (uint64_t)(uintptr_t)ctx);
}

#endif
