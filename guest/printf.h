/* SPDX-License-Identifier: MIT */
/*
 * A small C99-style formatter, pure C so the host can unit-test it. Supports
 * flags "-0+ #", width and precision (also "*"), length hh h l ll z j t and
 * conversions d i u x X o c s p %. No floating point. Like snprintf it
 * returns the length the full output would have had and always terminates
 * the buffer when size > 0. Prefixed so a host build never clashes with libc.
 */
#ifndef GUEST_PRINTF_H
#define GUEST_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
