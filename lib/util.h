/* SPDX-License-Identifier: MIT */
/* Small helpers every host program needs the same way: the clock, strict number parsing. */
#ifndef SV_LIB_UTIL_H
#define SV_LIB_UTIL_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds: every figure and deadline of ours uses this clock. */
uint64_t util_now_ns(void);

/* Strict unsigned parse: the whole string, within [min, max]; -EINVAL or -ERANGE. */
int util_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);

/* "xx:xx:xx:xx:xx:xx", exactly: six pairs of hex digits and colons, nothing more; -EINVAL. */
int util_mac_parse(const char *text, uint8_t mac[6]);
/* The same form, lower case, into out (18 bytes with the NUL). */
void util_mac_format(const uint8_t mac[6], char out[18]);

#endif
