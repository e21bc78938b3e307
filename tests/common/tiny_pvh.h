/* SPDX-License-Identifier: MIT */
/*
 * A hand-made Linux-like PVH kernel for tests: an ELF64 whose executable segment holds int3
 * padding and then the vmmcall/vmcall hypercall pair 16 bytes apart, a data segment with bss,
 * and a PT_NOTE with a GNU note and then Xen's PHYS32_ENTRY note (type 18).
 */
#ifndef SV_TEST_TINY_PVH_H
#define SV_TEST_TINY_PVH_H

#include <elf.h>
#include <stdint.h>
#include <string.h>

#define TEXT_PA		     0x200000ull
#define DATA_PA		     0x300000ull
#define ENTRY_PA	     (TEXT_PA + 0x10)
#define PAD_AT		     0x20u /* int3 padding, where the loader puts its send stub */
#define PAD_LEN		     0x50u
#define STUB_AT		     0x40u /* the nearest 16-aligned 32 bytes with 16 int3 either side */
#define VMMCALL_AT	     0x70u /* in the text segment; vmcall 16 bytes later */
#define TEXT_OFF	     512u
#define TEXT_LEN	     256u
#define DATA_OFF	     768u
#define DATA_LEN	     64u
#define NOTE_OFF	     256u
#define ELF_LEN		     832u
#define ELF_NOTE_TYPE_PHYS32 18u

static inline void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* The ELF, with its entry note of note_len payload bytes (4 or 8 are valid). */
static inline void make_elf(uint8_t *e, unsigned int note_len)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)e;
	Elf64_Phdr *ph = (Elf64_Phdr *)(e + sizeof(*eh));
	uint8_t *n = e + NOTE_OFF, *text = e + TEXT_OFF;
	uint64_t entry = ENTRY_PA;

	memset(e, 0, ELF_LEN);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = 0xffffffff81000000ull; /* Linux's virtual entry: must be ignored */
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 3;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD,
			      .p_flags = PF_R | PF_X,
			      .p_offset = TEXT_OFF,
			      .p_vaddr = 0xffffffff81000000ull,
			      .p_paddr = TEXT_PA,
			      .p_filesz = TEXT_LEN,
			      .p_memsz = TEXT_LEN,
			      .p_align = 4096 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD,
			      .p_flags = PF_R | PF_W,
			      .p_offset = DATA_OFF,
			      .p_vaddr = 0,
			      .p_paddr = DATA_PA,
			      .p_filesz = DATA_LEN,
			      .p_memsz = 4096,
			      .p_align = 4096 };
	/* A GNU note first, then Xen's entry note. */
	put32(n, 4);
	put32(n + 4, 4);
	put32(n + 8, 3);
	memcpy(n + 12, "GNU", 4);
	put32(n + 16, 0x12345678);
	put32(n + 20, 4);
	put32(n + 24, note_len);
	put32(n + 28, ELF_NOTE_TYPE_PHYS32);
	memcpy(n + 32, "Xen", 4);
	memcpy(n + 36, &entry, note_len < 8 ? note_len : 8);
	ph[2] = (Elf64_Phdr){ .p_type = PT_NOTE,
			      .p_flags = PF_R,
			      .p_offset = NOTE_OFF,
			      .p_filesz = 36 + ((note_len + 3) & ~3u),
			      .p_align = 4 };
	memset(text, 0x90, TEXT_LEN);
	memset(text + PAD_AT, 0xcc, PAD_LEN);
	memcpy(text + VMMCALL_AT, "\x0f\x01\xd9\xc3", 4);
	memcpy(text + VMMCALL_AT + 16, "\x0f\x01\xc1\xc3", 4);
	memset(e + DATA_OFF, 0x5a, DATA_LEN);
}

#define RUN_CODE_AT 0x90u /* the program, reached by a short jump from the entry */
#define RUN_MSG_AT  0xd0u
#define RUN_MSG	    "pvh: hello from the 32-bit entry\n"
_Static_assert(RUN_MSG_AT + sizeof(RUN_MSG) <= TEXT_LEN, "the message fits the text segment");
#define RUN_REASON (DATA_PA + 0x100) /* in bss: reason 0, poweroff */
#define RUN_STACK  (DATA_PA + 0x1000)

static inline uint8_t *emit_imm32(uint8_t *p, uint8_t op, uint32_t imm)
{
	*p++ = op;
	put32(p, imm);
	return p + 4;
}

/* call rel32 to the hypercall site at VMMCALL_AT, whose `ret` comes back after the gate. */
static inline uint8_t *emit_call_gate(uint8_t *text, uint8_t *p)
{
	uint32_t next = (uint32_t)(p + 5 - text);

	return emit_imm32(p, 0xe8, VMMCALL_AT - next);
}

/*
 * The same ELF with a program behind the entry that runs in the PVH entry state (flat
 * protected mode, no paging, no stack): it sets a stack, writes RUN_MSG through Xen's
 * console_io and powers off through sched_op shutdown, both by calling the rewritten
 * hypercall site with Xen's registers (eax number; rdi, rsi, rdx arguments).
 */
static inline void make_runnable_elf(uint8_t *e)
{
	uint8_t *text = e + TEXT_OFF, *p;

	make_elf(e, 8);
	text[ENTRY_PA - TEXT_PA] = 0xeb; /* jmp rel8 */
	text[ENTRY_PA - TEXT_PA + 1] = (uint8_t)(RUN_CODE_AT - (ENTRY_PA - TEXT_PA + 2));
	p = text + RUN_CODE_AT;
	p = emit_imm32(p, 0xbc, (uint32_t)RUN_STACK); /* mov $stack, %esp */
	p = emit_imm32(p, 0xb8, 18);		      /* mov $console_io, %eax */
	*p++ = 0x31;				      /* xor %edi, %edi: CONSOLEIO_write */
	*p++ = 0xff;
	p = emit_imm32(p, 0xbe, sizeof(RUN_MSG) - 1);		   /* mov $len, %esi */
	p = emit_imm32(p, 0xba, (uint32_t)(TEXT_PA + RUN_MSG_AT)); /* mov $msg, %edx */
	p = emit_call_gate(text, p);
	p = emit_imm32(p, 0xb8, 29);		       /* mov $sched_op, %eax */
	p = emit_imm32(p, 0xbf, 2);		       /* mov $SCHEDOP_shutdown, %edi */
	p = emit_imm32(p, 0xbe, (uint32_t)RUN_REASON); /* mov $&reason, %esi */
	p = emit_call_gate(text, p);
	*p++ = 0xf4; /* hlt */
	*p++ = 0xeb; /* jmp back to the hlt */
	*p++ = 0xfd;
	memcpy(text + RUN_MSG_AT, RUN_MSG, sizeof(RUN_MSG));
}

#endif
