/* SPDX-License-Identifier: MIT */
/* The few string and memory functions the kernel (and the compiler) needs. */
#ifndef GUEST_KSTRING_H
#define GUEST_KSTRING_H

#include <stddef.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

/* Parses a decimal (or 0x hex) unsigned number that must fill all of s. */
int parse_u64(const char *s, unsigned long long *out);

#endif
