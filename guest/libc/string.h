/* SPDX-License-Identifier: MIT */
/*
 * The guest's <string.h>: the few string and memory functions the kernel
 * (and the compiler) needs. Standard names and signatures so that code shared
 * with the host, the frontend drivers, builds against either C library.
 */
#ifndef GUEST_LIBC_STRING_H
#define GUEST_LIBC_STRING_H

#include <stddef.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

#endif
