// SPDX-License-Identifier: MIT
/*
 * One IDT shared by all vCPUs. Every gate is an interrupt gate, so handlers
 * run with IF=0. Exceptions are fatal unless this vCPU's fixup hook claims
 * them; the upcall vector goes to time.c's handler and is EOIed here.
 */
#include <splitvisor/hypercall.h>
#include "apic.h"
#include "arch.h"
#include "boot_info.h"
#include "console.h"
#include "hypercall.h"
#include "percpu.h"
#include "ktime.h"
#include "traps.h"
#include "evtchn.h"

#define IDT_ENTRIES	   256
#define GATE_INTERRUPT	   0x8e /* present, DPL 0, 64-bit interrupt gate */
#define SPURIOUS_VECTOR	   0xff
#define UPCALL_STUB_VECTOR 0x100 /* what isr_upcall pushes */
#define BACKTRACE_DEPTH	   8

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

struct idt_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern const uint64_t isr_exception_stubs[32];
extern char isr_upcall[], isr_spurious[];

static struct idt_gate idt[IDT_ENTRIES] __attribute__((aligned(16)));

static const char *const exception_names[32] = {
	[0] = "#DE divide error",
	[1] = "#DB debug",
	[2] = "NMI",
	[3] = "#BP breakpoint",
	[4] = "#OF overflow",
	[5] = "#BR bound range",
	[6] = "#UD invalid opcode",
	[7] = "#NM device not available",
	[8] = "#DF double fault",
	[9] = "coprocessor segment overrun",
	[10] = "#TS invalid TSS",
	[11] = "#NP segment not present",
	[12] = "#SS stack fault",
	[13] = "#GP general protection",
	[14] = "#PF page fault",
	[16] = "#MF x87 error",
	[17] = "#AC alignment check",
	[18] = "#MC machine check",
	[19] = "#XM SIMD error",
	[20] = "#VE virtualization",
	[21] = "#CP control protection",
	[28] = "#HV hypervisor injection",
	[29] = "#VC VMM communication",
	[30] = "#SX security",
};

static void set_gate(unsigned int vector, uint64_t handler)
{
	struct idt_gate *g = &idt[vector];

	g->offset_low = handler & 0xffff;
	g->selector = SV_BOOT_CS;
	g->ist = 0;
	g->type_attr = GATE_INTERRUPT;
	g->offset_mid = (handler >> 16) & 0xffff;
	g->offset_high = handler >> 32;
	g->reserved = 0;
}

void traps_load_idt(void)
{
	struct idt_pointer p = { .limit = sizeof(idt) - 1, .base = (uint64_t)(uintptr_t)idt };

	asm volatile("lidt %0" ::"m"(p));
}

void traps_init(uint32_t upcall_vector)
{
	for (unsigned int v = 0; v < 32; v++)
		set_gate(v, isr_exception_stubs[v]);
	/* Other vectors stay not-present: a stray one turns into a reported #NP. */
	set_gate(upcall_vector, (uint64_t)(uintptr_t)isr_upcall);
	set_gate(SPURIOUS_VECTOR, (uint64_t)(uintptr_t)isr_spurious);
	traps_load_idt();
}

/* Follows saved frame pointers while they stay inside RAM and keep going up. */
static void print_backtrace(uint64_t rbp)
{
	uint64_t limit = start_info ? start_info->mem_bytes : 0;

	printk_raw("backtrace:");
	for (int i = 0; i < BACKTRACE_DEPTH; i++) {
		const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;

		if (rbp < SV_RESERVED_END || rbp + 16 > limit || rbp & 7)
			break;
		printk_raw(" 0x%llx", (unsigned long long)frame[1]);
		if (frame[0] <= rbp)
			break;
		rbp = frame[0];
	}
	printk_raw("\n");
}

static void dump_registers(const struct trap_frame *f)
{
	uint64_t v = f->vector;
	const char *name = v < 32 && exception_names[v] ? exception_names[v] : "reserved";

	printk_raw("*** vcpu %u: exception %llu (%s), error code 0x%llx\n", this_cpu()->cpu,
		   (unsigned long long)v, name, (unsigned long long)f->error_code);
	printk_raw("rip    %016llx cs %04llx rflags %016llx\n", (unsigned long long)f->rip,
		   (unsigned long long)f->cs, (unsigned long long)f->rflags);
	printk_raw("rsp    %016llx ss %04llx cr3    %016llx\n", (unsigned long long)f->rsp,
		   (unsigned long long)f->ss, (unsigned long long)read_cr3());
	if (v == TRAP_PF)
		printk_raw("cr2    %016llx (%s, %s, %s)\n", (unsigned long long)read_cr2(),
			   f->error_code & 1 ? "protection" : "not present",
			   f->error_code & 2 ? "write" : "read",
			   f->error_code & 16 ? "fetch" : "data");
	printk_raw("rax %016llx rbx %016llx rcx %016llx\n", (unsigned long long)f->rax,
		   (unsigned long long)f->rbx, (unsigned long long)f->rcx);
	printk_raw("rdx %016llx rsi %016llx rdi %016llx\n", (unsigned long long)f->rdx,
		   (unsigned long long)f->rsi, (unsigned long long)f->rdi);
	printk_raw("rbp %016llx r8  %016llx r9  %016llx\n", (unsigned long long)f->rbp,
		   (unsigned long long)f->r8, (unsigned long long)f->r9);
	printk_raw("r10 %016llx r11 %016llx r12 %016llx\n", (unsigned long long)f->r10,
		   (unsigned long long)f->r11, (unsigned long long)f->r12);
	printk_raw("r13 %016llx r14 %016llx r15 %016llx\n", (unsigned long long)f->r13,
		   (unsigned long long)f->r14, (unsigned long long)f->r15);
	print_backtrace(f->rbp);
}

void trap_dispatch(struct trap_frame *f);

void trap_dispatch(struct trap_frame *f)
{
	struct percpu *pc = this_cpu();

	if (f->vector == UPCALL_STUB_VECTOR) {
		pc->upcalls++;
		evtchn_do_upcall(pc);
		apic_eoi();
		return;
	}

	if (pc->trap_fixup && pc->trap_fixup(f))
		return;

	/* Whatever this vCPU had half-printed goes out first, then the dump. */
	console_write_raw(pc->line, pc->line_len);
	if (pc->line_len && pc->line[pc->line_len - 1] != '\n')
		console_write_raw("\n", 1);
	pc->line_len = 0;
	dump_registers(f);
	hc_sched_shutdown(SV_SHUTDOWN_crash, (uint32_t)f->vector);
	cpu_halt_forever();
}
