/* SPDX-License-Identifier: MIT */
/* The IDT, exception reporting and the upcall entry. */
#ifndef GUEST_TRAPS_H
#define GUEST_TRAPS_H

#include <stdint.h>

/* What isr.S leaves on the stack: its pushes, then the CPU's. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error_code; /* 0 for exceptions without one */
	uint64_t rip, cs, rflags, rsp, ss;
};

_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap frame must match isr.S");

#define TRAP_DE 0
#define TRAP_BP 3
#define TRAP_UD 6
#define TRAP_GP 13
#define TRAP_PF 14

/* Builds the IDT (exceptions, the upcall vector) and loads it on vCPU 0. */
void traps_init(uint32_t upcall_vector);
/* Loads the shared IDT on a secondary vCPU. */
void traps_load_idt(void);

#endif
