/* SPDX-License-Identifier: MIT */
#ifndef SV_ELF_LOADER_H
#define SV_ELF_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

struct elf_info {
	uint64_t entry;
	uint64_t load_start; /* lowest loaded address */
	uint64_t load_end;   /* first byte after the highest segment */
};

/*
 * Loads the PT_LOAD segments of an ELF64 x86-64 executable image into guest
 * RAM at their physical addresses. Refusals:
 *   -ENOEXEC     not an ELF64 little-endian x86-64 executable, or no PT_LOAD
 *   -EBADMSG     truncated: headers or segment data past the end of the image
 *   -ERANGE      a segment or the entry point outside RAM
 *   -EADDRINUSE  a segment overlapping the core's reserved pages or another segment
 * err receives a sentence saying what and where.
 */
int elf_load(const void *image, size_t len, struct guest_mem *mem, uint64_t reserved_end,
	     struct elf_info *info, char *err, size_t errlen);

/* elf_load with the entry point given (a Linux PVH note's) in place of e_entry. */
#define ELF_ENTRY_FROM_HEADER UINT64_MAX
int elf_load_entry(const void *image, size_t len, struct guest_mem *mem, uint64_t reserved_end,
		   uint64_t entry, struct elf_info *info, char *err, size_t errlen);

/*
 * Reads a whole regular file of at most max bytes into a malloc'd buffer (*buf, *len; free it).
 * what names the file in messages ("kernel", "initrd"); -EFBIG above max, else -errno.
 */
int elf_read_file(const char *path, const char *what, size_t max, uint8_t **buf, size_t *len,
		  char *err, size_t errlen);

/* Reads a file and loads it as above; -errno of open/read on I/O errors. */
int elf_load_file(const char *path, struct guest_mem *mem, uint64_t reserved_end,
		  struct elf_info *info, char *err, size_t errlen);

#endif
