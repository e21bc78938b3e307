/* SPDX-License-Identifier: MIT */
/* x86-64 instructions the kernel needs, as small inline functions. */
#ifndef GUEST_ARCH_H
#define GUEST_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#define PAGE_SIZE  4096ul
#define PAGE_SHIFT 12

#define X86_EFLAGS_IF (1ul << 9)

#define MSR_IA32_APIC_BASE 0x1b
#define MSR_GS_BASE	   0xc0000101

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	/* lfence keeps earlier instructions from drifting past the read. */
	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t val)
{
	asm volatile("wrmsr" ::"c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)) : "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *a, uint32_t *b, uint32_t *c,
			 uint32_t *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(subleaf));
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;

	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr3(void)
{
	uint64_t v;

	asm volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_flags(void)
{
	uint64_t f;

	asm volatile("pushfq; popq %0" : "=r"(f)::"memory");
	return f;
}

static inline void irq_disable(void)
{
	asm volatile("cli" ::: "memory");
}

static inline void irq_enable(void)
{
	asm volatile("sti" ::: "memory");
}

static inline uint64_t irq_save(void)
{
	uint64_t flags = read_flags();

	irq_disable();
	return flags;
}

static inline void irq_restore(uint64_t flags)
{
	if (flags & X86_EFLAGS_IF)
		irq_enable();
}

static inline void cpu_relax(void)
{
	asm volatile("pause" ::: "memory");
}

static inline void outl(uint16_t port, uint32_t val)
{
	asm volatile("outl %0, %w1" ::"a"(val), "Nd"(port) : "memory");
}

/* Stops this vCPU for good: interrupts off, halt in a loop. */
static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
	for (;;)
		asm volatile("cli; hlt" ::: "memory");
}

#endif
