/* SPDX-License-Identifier: MIT */
/*
 * The ways out of the kernel. Apart from kmain so that low-level code (the
 * heap, SMP bring-up) can give up without depending on the boot path.
 */
#ifndef GUEST_PANIC_H
#define GUEST_PANIC_H

#include <stdint.h>

/* Flushes this vCPU's console line and shuts the domain down. */
__attribute__((noreturn)) void kernel_shutdown(uint32_t reason, uint32_t code);
__attribute__((noreturn)) void poweroff(uint32_t code);
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

#endif
