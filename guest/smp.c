// SPDX-License-Identifier: MIT
#include <errno.h>
#include <splitvisor/hypercall.h>
#include "apic.h"
#include "arch.h"
#include "boot_info.h"
#include "console.h"
#include "evtchn.h"
#include "hypercall.h"
#include "page_alloc.h"
#include "panic.h"
#include "percpu.h"
#include "smp.h"
#include "traps.h"

#define AP_STACK_PAGES 4

struct percpu percpu_area[SV_MAX_VCPUS];

static uint32_t cpus_online = 1;

/* entry.S: sets up a C call frame and calls ap_main(percpu). */
extern char ap_entry[];
void ap_main(struct percpu *pc);

static void set_gs_base(struct percpu *pc)
{
	wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)pc);
}

void smp_init_boot_cpu(void)
{
	struct percpu *pc = &percpu_area[0];

	pc->self = pc;
	pc->cpu = 0;
	pc->online = 1;
	set_gs_base(pc);
}

/* Blocks forever with nothing armed: the vCPU costs the host nothing. */
static __attribute__((noreturn)) void idle(void)
{
	for (;;) {
		irq_disable();
		hc_sched_block();
	}
}

void ap_main(struct percpu *pc)
{
	int ret;

	set_gs_base(pc);
	traps_load_idt();
	ret = apic_init_cpu();
	if (ret)
		panic("vcpu %u: cannot enable the local APIC (%d)", pc->cpu, ret);
	pc->apic_id = apic_id();
	ret = evtchn_init_cpu();
	if (ret)
		panic("vcpu %u: cannot bind VIRQ_TIMER (%d)", pc->cpu, ret);
	__atomic_store_n(&pc->online, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&cpus_online, 1, __ATOMIC_ACQ_REL);
	if (pc->work)
		pc->work();
	console_flush();
	idle();
}

int smp_start_cpu(uint32_t cpu, void (*work)(void))
{
	struct percpu *pc;
	long ret;

	if (cpu == 0 || cpu >= start_info->nr_vcpus)
		return -EINVAL;
	pc = &percpu_area[cpu];
	if (pc->stack)
		return -EBUSY;
	pc->stack = alloc_pages(AP_STACK_PAGES);
	if (!pc->stack)
		return -ENOMEM;
	pc->self = pc;
	pc->cpu = cpu;
	pc->work = work;
	pc->boot.rip = (uint64_t)(uintptr_t)ap_entry;
	pc->boot.rsp = (uint64_t)(uintptr_t)pc->stack + AP_STACK_PAGES * PAGE_SIZE;
	pc->boot.rdi = (uint64_t)(uintptr_t)pc;
	ret = hc_vcpu_up(cpu, &pc->boot);
	if (ret < 0) {
		free_pages(pc->stack, AP_STACK_PAGES);
		pc->stack = NULL;
		return (int)ret;
	}
	return 0;
}

uint32_t smp_cpus_online(void)
{
	return __atomic_load_n(&cpus_online, __ATOMIC_ACQUIRE);
}
