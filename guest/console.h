/* SPDX-License-Identifier: MIT */
/* printk: formatted, line-buffered per vCPU, written to the PV console ring or console_io. */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintk(const char *fmt, va_list ap);
void console_flush(void);

/*
 * After evtchn_init: output goes into the PV console ring when the start info
 * names a console port. 0, or -ENOENT without one (output stays on console_io).
 */
int console_init(void);
/* Lines that took the hypercall because the ring stayed full. */
uint64_t console_fallback_bytes(void);
/*
 * Keyboard input from the ring, vCPU 0 only: waits for at least one byte
 * until deadline_ns (0: forever). Bytes read, -ETIMEDOUT, or -ENOENT without
 * a console backend.
 */
int console_read(char *buf, size_t cap, uint64_t deadline_ns);
/* One byte (0..255) or -errno, as console_read. */
int console_getc(uint64_t deadline_ns);

/*
 * For the crash path: no lock, no buffering, safe even if this vCPU faulted
 * while it held the console lock.
 */
void console_write_raw(const char *buf, size_t len);
int printk_raw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
