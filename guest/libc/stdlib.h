/* SPDX-License-Identifier: MIT */
/*
 * The guest's <stdlib.h>: allocation under the standard names, so that the
 * frontend drivers allocate the same way in the kernel and on the host.
 * Kernel code itself keeps using kmalloc/kzalloc/kfree (heap.h).
 */
#ifndef GUEST_LIBC_STDLIB_H
#define GUEST_LIBC_STDLIB_H

#include <stddef.h>

void *malloc(size_t size);
void *calloc(size_t nmemb, size_t size);
/* Like kfree: NULL is a no-op, a pointer the heap did not hand out panics. */
void free(void *p);

#endif
