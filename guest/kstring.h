/* SPDX-License-Identifier: MIT */
/* String helpers the kernel wants beyond what libc names (those are in <string.h>). */
#ifndef GUEST_KSTRING_H
#define GUEST_KSTRING_H

/* Parses a decimal (or 0x hex) unsigned number that must fill all of s. */
int parse_u64(const char *s, unsigned long long *out);

#endif
