/* SPDX-License-Identifier: MIT */
/* Boot-wide state and the ways out of the kernel. */
#ifndef GUEST_KERNEL_H
#define GUEST_KERNEL_H

#include <stdint.h>
#include <splitvisor/start_info.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The core's start-info page (read-only for us). */
extern const struct sv_start_info *start_info;

/* Linker-script symbols. */
extern char __kernel_start[], __kernel_end[], __bss_start[], __bss_end[];

/* Flushes this vCPU's console line and shuts the domain down. */
__attribute__((noreturn)) void kernel_shutdown(uint32_t reason, uint32_t code);
__attribute__((noreturn)) void poweroff(uint32_t code);
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

#endif
