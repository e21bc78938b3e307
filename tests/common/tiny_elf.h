/* SPDX-License-Identifier: MIT */
/* A hand-made ELF64 executable for tests: one PT_LOAD of code plus 4 KiB of bss at 1 MiB. */
#ifndef SV_TEST_TINY_ELF_H
#define SV_TEST_TINY_ELF_H

#include <elf.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <splitvisor/start_info.h>

struct tiny_elf {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	uint8_t code[64];
};

static inline void tiny_elf_init(struct tiny_elf *t, const void *code, size_t len)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->eh.e_ident, ELFMAG, SELFMAG);
	t->eh.e_ident[EI_CLASS] = ELFCLASS64;
	t->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	t->eh.e_ident[EI_VERSION] = EV_CURRENT;
	t->eh.e_type = ET_EXEC;
	t->eh.e_machine = EM_X86_64;
	t->eh.e_version = EV_CURRENT;
	t->eh.e_entry = SV_KERNEL_BASE;
	t->eh.e_phoff = offsetof(struct tiny_elf, ph);
	t->eh.e_ehsize = sizeof(Elf64_Ehdr);
	t->eh.e_phentsize = sizeof(Elf64_Phdr);
	t->eh.e_phnum = 1;
	t->ph[0].p_type = PT_LOAD;
	t->ph[0].p_offset = offsetof(struct tiny_elf, code);
	t->ph[0].p_paddr = t->ph[0].p_vaddr = SV_KERNEL_BASE;
	t->ph[0].p_filesz = sizeof(t->code);
	t->ph[0].p_memsz = sizeof(t->code) + 4096;
	memset(t->code, 0xf4, sizeof(t->code)); /* hlt */
	if (code)
		memcpy(t->code, code, len < sizeof(t->code) ? len : sizeof(t->code));
}

/* Writes the image to a temp file; returns 0 and the path in buf. */
static inline int tiny_elf_write(const struct tiny_elf *t, char *buf, size_t buflen)
{
	FILE *f;

	snprintf(buf, buflen, "/tmp/sv-tiny-elf-XXXXXX");
	f = fdopen(mkstemp(buf), "w");
	if (!f)
		return -1;
	fwrite(t, sizeof(*t), 1, f);
	return fclose(f);
}

#endif
