/* SPDX-License-Identifier: MIT */
/*
 * What a Linux PVH guest reads at boot, written into its RAM: hvm_start_info, the module list
 * (the initrd), the memory map, the command line and an MPS 1.4 MP table. Layout in
 * docs/abi.md, "Linux PVH guests".
 */
#ifndef SV_PVH_BOOT_H
#define SV_PVH_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "pvh_fw.h"

/* Guest-physical layout below 1 MiB; the core's own pages (0x1000-0x10000) stay where they are. */
#define PVH_LOW_RAM_START 0x10000ull
#define PVH_LOW_RAM_END	  0x9c000ull /* reserved from here to 1 MiB */
#define PVH_START_INFO	  0x9c000ull
#define PVH_MODLIST	  0x9c040ull
#define PVH_MEMMAP	  0x9c100ull
#define PVH_CMDLINE	  0x9d000ull
#define PVH_MP_FLOAT	  0xf0000ull  /* "_MP_", then the "PCMP" table right after */
#define PVH_HIGH_RAM	  0x100000ull /* kernel segments may not start below this */

struct pvh_boot_params {
	unsigned int nr_vcpus;
	const char *cmdline; /* NUL-terminated, under SV_MAX_CMDLINE bytes */
	uint64_t initrd_gpa; /* 0 with initrd_len 0: none */
	uint64_t initrd_len;
};

/*
 * Writes everything above; -ERANGE when RAM ends below 1 MiB. The memory map lists RAM up to
 * the hole at 3 GiB and, for a larger guest, the rest from 4 GiB.
 */
int pvh_boot_write(struct guest_mem *mem, const struct pvh_boot_params *p, char *err,
		   size_t errlen);

/*
 * Reads an initrd file into RAM at the first page boundary at or above min_gpa; it must end
 * inside RAM below the hole at 3 GiB (-ENOSPC otherwise). -errno of open/read, -EINVAL not a file.
 */
int pvh_load_initrd(struct guest_mem *mem, const char *path, uint64_t min_gpa, uint64_t *gpa,
		    uint64_t *len, char *err, size_t errlen);

#endif
