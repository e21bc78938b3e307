// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include <splitvisor/start_info.h>

#include "boot.h"
#include "x86_bits.h"

#define SV_BOOT_PD_PAGES 4 /* 4 x 1 GiB */

/* Access bits are preset so the CPU never has to write the GDT. */
static const uint64_t boot_gdt[] = {
	0, 0x00af9b000000ffffull, /* 0x08: 64-bit code, DPL 0 */
	0x00cf93000000ffffull,	  /* 0x10: data, DPL 0 */
	0x00cf9b000000ffffull,	  /* 0x18: 32-bit code, DPL 0 (Linux PVH entry) */
};

int boot_build_tables(struct guest_mem *mem)
{
	uint64_t *pml4, *pdpt, *pd;
	unsigned int i;

	if (mem->end < SV_RESERVED_END)
		return -EINVAL;
	pml4 = guest_ptr(mem, SV_PML4_GPA, 4096);
	pdpt = guest_ptr(mem, SV_PDPT_GPA, 4096);
	pd = guest_ptr(mem, SV_PD_GPA, 4096 * SV_BOOT_PD_PAGES);
	memset(guest_ptr(mem, 0, SV_RESERVED_END), 0, SV_RESERVED_END);
	memcpy(guest_ptr(mem, SV_GDT_GPA, sizeof(boot_gdt)), boot_gdt, sizeof(boot_gdt));

	pml4[0] = SV_PDPT_GPA | PTE_P | PTE_W;
	for (i = 0; i < SV_BOOT_PD_PAGES; i++)
		pdpt[i] = (SV_PD_GPA + 4096ull * i) | PTE_P | PTE_W;
	for (i = 0; i < 512 * SV_BOOT_PD_PAGES; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_W | PTE_PS;
	return 0;
}

static int boot_read_entry(const struct guest_mem *mem, uint64_t table, unsigned int idx,
			   uint64_t *entry)
{
	const uint64_t *t = guest_ptr(mem, table & PTE_ADDR, 4096);

	if (!t)
		return -EFAULT;
	*entry = t[idx];
	return (*entry & PTE_P) ? 0 : -EFAULT;
}

int boot_translate(const struct guest_mem *mem, uint64_t va, uint64_t *pa)
{
	uint64_t e;
	int ret;

	/* Bits 63:47 must all equal bit 47. */
	if ((uint64_t)((int64_t)(va << 16) >> 16) != va)
		return -EFAULT;
	ret = boot_read_entry(mem, SV_PML4_GPA, (va >> 39) & 511, &e);
	if (!ret)
		ret = boot_read_entry(mem, e, (va >> 30) & 511, &e);
	if (ret)
		return ret;
	if (e & PTE_PS) {
		*pa = (e & PTE_ADDR & ~((1ull << 30) - 1)) | (va & ((1ull << 30) - 1));
		return 0;
	}
	ret = boot_read_entry(mem, e, (va >> 21) & 511, &e);
	if (ret)
		return ret;
	if (e & PTE_PS) {
		*pa = (e & PTE_ADDR & ~((1ull << 21) - 1)) | (va & ((1ull << 21) - 1));
		return 0;
	}
	ret = boot_read_entry(mem, e, (va >> 12) & 511, &e);
	if (ret)
		return ret;
	*pa = (e & PTE_ADDR) | (va & 4095);
	return 0;
}

static void boot_segment(struct kvm_segment *s, uint16_t sel, int code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->type = code ? 0xb : 0x3;
	s->present = 1;
	s->dpl = 0;
	s->s = 1;
	s->l = code;
	s->db = !code;
	s->g = 1;
}

void boot_sregs(struct kvm_sregs *sregs)
{
	boot_segment(&sregs->cs, SV_BOOT_CS, 1);
	boot_segment(&sregs->ds, SV_BOOT_DS, 0);
	sregs->es = sregs->ds;
	sregs->fs = sregs->ds;
	sregs->gs = sregs->ds;
	sregs->ss = sregs->ds;
	/* VMX refuses long mode without a busy 64-bit TSS in TR; nothing ever uses it. */
	memset(&sregs->tr, 0, sizeof(sregs->tr));
	sregs->tr.type = 0xb;
	sregs->tr.present = 1;
	sregs->tr.limit = 0x67;
	sregs->gdt.base = SV_GDT_GPA;
	sregs->gdt.limit = sizeof(boot_gdt) - 1;
	sregs->idt.base = 0;
	sregs->idt.limit = 0;
	sregs->cr3 = SV_PML4_GPA;
	sregs->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	sregs->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sregs->efer = EFER_LME | EFER_LMA;
}

/* Flat 4 GiB protected mode without paging, as Xen enters a PVH kernel's PHYS32 entry. */
void boot_pvh_sregs(struct kvm_sregs *sregs)
{
	boot_segment(&sregs->cs, SV_BOOT_CS32, 0);
	sregs->cs.type = 0xb;
	boot_segment(&sregs->ds, SV_BOOT_DS, 0);
	sregs->es = sregs->ds;
	sregs->fs = sregs->ds;
	sregs->gs = sregs->ds;
	sregs->ss = sregs->ds;
	memset(&sregs->tr, 0, sizeof(sregs->tr));
	sregs->tr.type = 0xb; /* 32-bit TSS, busy */
	sregs->tr.present = 1;
	sregs->tr.limit = 0x67;
	memset(&sregs->ldt, 0, sizeof(sregs->ldt));
	sregs->ldt.type = 0x2;
	sregs->ldt.unusable = 1;
	sregs->gdt.base = SV_GDT_GPA;
	sregs->gdt.limit = sizeof(boot_gdt) - 1;
	sregs->idt.base = 0;
	sregs->idt.limit = 0;
	sregs->cr0 = CR0_PE;
	sregs->cr3 = 0;
	sregs->cr4 = 0;
	sregs->efer = 0;
}

void boot_pvh_regs(struct kvm_regs *regs, uint64_t entry, uint64_t start_info_gpa)
{
	memset(regs, 0, sizeof(*regs));
	regs->rip = entry;
	regs->rbx = start_info_gpa;
	regs->rflags = 0x2; /* IF, TF and VM clear */
}
