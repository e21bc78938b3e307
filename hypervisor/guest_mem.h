/* SPDX-License-Identifier: MIT */
#ifndef SV_GUEST_MEM_H
#define SV_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

#include <splitvisor/guest_ram.h>

/*
 * Guest RAM: one memfd mapped in the core, shareable with other domains by fd. Its offsets
 * are guest-physical addresses; RAM above 3 GiB lies beyond the sparse hole that
 * splitvisor/guest_ram.h describes.
 */
struct guest_mem {
	int fd;
	uint8_t *hva;
	uint64_t end; /* RAM ends here, in guest-physical space; the memfd is this long */
};

/* size: the guest's RAM in bytes, a multiple of 4 KiB. */
int guest_mem_create(struct guest_mem *mem, const char *name, uint64_t size);
void guest_mem_destroy(struct guest_mem *mem);

/*
 * Host pointer for [gpa, gpa + len) or NULL when any byte of it lies outside
 * RAM, the hole included. Every guest-supplied address goes through here.
 */
static inline void *guest_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	if (!sv_ram_contains(mem->end, gpa, len))
		return NULL;
	return mem->hva + gpa;
}

/* Where the RAM below the hole ends: the first memslot's and the boot modules' limit. */
static inline uint64_t guest_mem_low_end(const struct guest_mem *mem)
{
	return mem->end < SV_RAM_HOLE_START ? mem->end : SV_RAM_HOLE_START;
}

#endif
