/* SPDX-License-Identifier: MIT */
/*
 * Stock Linux kernels as Xen PVH guests: the ELF out of a bzImage, the PVH entry note, and the
 * rewrite of the kernel's direct vmcall/vmmcall hypercalls into our port-I/O gate. See
 * docs/abi.md, "Linux PVH guests".
 */
#ifndef SV_LINUX_IMAGE_H
#define SV_LINUX_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elf_loader.h"

/* Bounds on what a kernel file may make us allocate. */
#define LINUX_MAX_FILE	(256u << 20)
#define LINUX_MAX_ELF	(256u << 20)
#define LINUX_MEMLIMIT	(256u << 20) /* xz/lzma decoder state (the kernel's dictionary) */
#define LINUX_BZ_MAGIC	0x53726448u  /* "HdrS" at 0x202 */
#define LINUX_NOTE_TYPE 18u	     /* XEN_ELFNOTE_PHYS32_ENTRY */

/*
 * The ELF inside a kernel file: a bzImage's payload decompressed, or a copy of a plain ELF.
 * *elf is malloc'd (free it); *format names what was found: the payload's compression ("xz", ...) or "ELF".
 * Refusals: -ENOEXEC neither a bzImage nor an ELF; -EOPNOTSUPP a compression we do not read
 * (lzo, unknown magic); -EBADMSG a truncated or corrupt header or payload, or an output size
 * other than the payload's trailing size field; -EFBIG a declared size above LINUX_MAX_ELF.
 */
int linux_image_extract(const uint8_t *file, size_t len, uint8_t **elf, size_t *elf_len,
			const char **format, char *err, size_t errlen);

/*
 * The PVH entry point from a PT_NOTE segment's "Xen" note of type 18 (4- or 8-byte payload).
 * -ENOENT: no such note (not a PVH kernel); -EBADMSG: a mangled note or note segment.
 */
int linux_pvh_entry(const uint8_t *elf, size_t len, uint64_t *entry, char *err, size_t errlen);

/*
 * Rewrites the hypercall pair in the ELF's executable PT_LOAD file bytes: `0f 01 c1` (vmcall)
 * with `0f 01 d9` (vmmcall) exactly 16 bytes before it. Exactly one match is required, else
 * -ENOEXEC saying how many. When each is followed by only a return and padding (Linux's two
 * 16-byte hypercall functions) and int3 padding before them has room, both jump to a stub
 * written there that takes EVTCHNOP_send to the notify port and everything else to
 * `out %eax, $port`, and keep their returns (*send_stub true; docs/abi.md); otherwise each
 * instruction becomes `e7 <port> 90` (out %eax, $port; nop). *where receives the vmcall's
 * physical address (p_paddr based). where and send_stub may be NULL.
 */
int linux_patch_hypercalls(uint8_t *elf, size_t len, uint8_t port, uint64_t *where, bool *send_stub,
			   char *err, size_t errlen);

/*
 * All of the above on a kernel file's bytes (patched in place when it is an ELF): extracts,
 * finds the entry note, rewrites the hypercall pair to `out %eax, $port` and loads the
 * segments at p_paddr, none below reserved_end. info->entry is the note's entry, *site the
 * rewritten vmcall's address. -ENOENT with nothing loaded for an ELF without the note (our own
 * kernels); other refusals as above and as elf_load's.
 */
int linux_load(uint8_t *file, size_t len, struct guest_mem *mem, uint64_t reserved_end,
	       uint8_t port, struct elf_info *info, uint64_t *site, char *err, size_t errlen);

#endif
