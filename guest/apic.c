// SPDX-License-Identifier: MIT
/*
 * x2APIC when CPUID offers it (it should), otherwise the xAPIC page at
 * 0xfee00000, which the boot page tables map and the core lets through.
 */
#include <errno.h>
#include <stdbool.h>
#include "apic.h"
#include "arch.h"

#define APIC_BASE_EXTD	  (1ull << 10)
#define APIC_BASE_ENABLE  (1ull << 11)
#define CPUID1_ECX_X2APIC (1u << 21)

#define X2APIC_MSR(reg) (0x800 + ((reg) >> 4))

/* Register offsets in the xAPIC page; the x2APIC MSR is 0x800 + offset / 16. */
#define APIC_ID	       0x020
#define APIC_TPR       0x080
#define APIC_EOI       0x0b0
#define APIC_SVR       0x0f0
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370

#define APIC_SVR_ENABLE (1u << 8)
#define SPURIOUS_VECTOR 0xff
#define APIC_LVT_MASKED (1u << 16)

#define XAPIC_MMIO_BASE 0xfee00000ul

static bool use_x2apic;

static void apic_write(uint32_t reg, uint32_t val)
{
	if (use_x2apic)
		wrmsr(X2APIC_MSR(reg), val);
	else
		*(volatile uint32_t *)(XAPIC_MMIO_BASE + reg) = val;
}

static uint32_t apic_read(uint32_t reg)
{
	if (use_x2apic)
		return (uint32_t)rdmsr(X2APIC_MSR(reg));
	return *(volatile uint32_t *)(XAPIC_MMIO_BASE + reg);
}

int apic_init_cpu(void)
{
	uint32_t a, b, c, d;
	uint64_t base;

	cpuid(1, 0, &a, &b, &c, &d);
	use_x2apic = c & CPUID1_ECX_X2APIC;

	base = rdmsr(MSR_IA32_APIC_BASE);
	/* KVM refuses disabled -> x2APIC in one step, so enable xAPIC first. */
	if (!(base & APIC_BASE_ENABLE)) {
		base |= APIC_BASE_ENABLE;
		wrmsr(MSR_IA32_APIC_BASE, base);
	}
	if (use_x2apic && !(base & APIC_BASE_EXTD))
		wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD);
	else if (!use_x2apic && (base & 0xfffff000ull) != XAPIC_MMIO_BASE)
		return -ENOSYS;

	apic_write(APIC_TPR, 0);
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	apic_write(APIC_LVT_LINT0, APIC_LVT_MASKED);
	apic_write(APIC_LVT_LINT1, APIC_LVT_MASKED);
	apic_write(APIC_LVT_ERROR, APIC_LVT_MASKED);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | SPURIOUS_VECTOR);
	return 0;
}

uint32_t apic_id(void)
{
	uint32_t id = apic_read(APIC_ID);

	return use_x2apic ? id : id >> 24;
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}
