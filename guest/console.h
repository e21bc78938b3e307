/* SPDX-License-Identifier: MIT */
/* printk: formatted, line-buffered per vCPU, written through console_io. */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>

int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintk(const char *fmt, va_list ap);
void console_flush(void);

/*
 * For the crash path: no lock, no buffering, safe even if this vCPU faulted
 * while it held the console lock.
 */
void console_write_raw(const char *buf, size_t len);
int printk_raw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
