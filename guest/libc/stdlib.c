// SPDX-License-Identifier: MIT
/* <stdlib.h>'s allocator is the kernel heap; only calloc has anything of its own to check. */
#include <stdint.h>
#include <stdlib.h>
#include "heap.h"

void *malloc(size_t size)
{
	return kmalloc(size);
}

void *calloc(size_t nmemb, size_t size)
{
	/* The product must not wrap into a small allocation. */
	if (size && nmemb > SIZE_MAX / size)
		return NULL;
	return kzalloc(nmemb * size);
}

void free(void *p)
{
	kfree(p);
}
