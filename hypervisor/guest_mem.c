// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_mem.h"

int guest_mem_create(struct guest_mem *mem, const char *name, uint64_t size)
{
	uint64_t end = sv_ram_end(size);
	char label[96];
	int ret;

	mem->fd = -1;
	mem->hva = NULL;
	mem->end = 0;
	if (!size || size % 4096)
		return -EINVAL;

	snprintf(label, sizeof(label), "sv-ram-%s", name);
	mem->fd = memfd_create(label, MFD_CLOEXEC);
	if (mem->fd < 0)
		return -errno;
	/* The hole is never written, so it stays a hole in the file too. */
	if (ftruncate(mem->fd, (off_t)end) < 0) {
		ret = -errno;
		goto out;
	}
	/* NORESERVE: a 3 GiB guest that touches 40 MiB costs 40 MiB. */
	mem->hva = mmap(NULL, end, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, mem->fd, 0);
	if (mem->hva == MAP_FAILED) {
		mem->hva = NULL;
		ret = -errno;
		goto out;
	}
	mem->end = end;
	return 0;
out:
	close(mem->fd);
	mem->fd = -1;
	return ret;
}

void guest_mem_destroy(struct guest_mem *mem)
{
	if (mem->hva)
		munmap(mem->hva, mem->end);
	if (mem->fd >= 0)
		close(mem->fd);
	mem->hva = NULL;
	mem->fd = -1;
	mem->end = 0;
}
