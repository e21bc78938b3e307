/* SPDX-License-Identifier: MIT */
/* The one way the core's modules fill a caller's error buffer. */
#ifndef SV_ERRMSG_H
#define SV_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Writes the message into err (when given) and returns ret, so callers can `return errmsg_set(...)`. */
static inline int errmsg_set(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static inline int errmsg_set(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

#endif
