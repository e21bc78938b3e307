/* SPDX-License-Identifier: MIT */
#ifndef SV_GUEST_MEM_H
#define SV_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

/* Guest RAM: one memfd mapped in the core, shareable with other domains by fd. */
struct guest_mem {
	int fd;
	uint8_t *hva;
	uint64_t size;
};

int guest_mem_create(struct guest_mem *mem, const char *name, uint64_t size);
void guest_mem_destroy(struct guest_mem *mem);

/*
 * Host pointer for [gpa, gpa + len) or NULL when any byte of it lies outside
 * RAM. Every guest-supplied address goes through here.
 */
static inline void *guest_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	if (gpa > mem->size || len > mem->size - gpa)
		return NULL;
	return mem->hva + gpa;
}

#endif
