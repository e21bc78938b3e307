/* SPDX-License-Identifier: MIT */
/*
 * What the loader handed us: the core's start-info page and the image's
 * bounds. A leaf the whole kernel reads, kept apart from kmain so that the
 * subsystems kmain starts do not depend back on it.
 */
#ifndef GUEST_BOOT_INFO_H
#define GUEST_BOOT_INFO_H

#include <splitvisor/start_info.h>

/* The core's start-info page (read-only for us); NULL until kmain stores it. */
extern const struct sv_start_info *start_info;

/* Linker-script symbols. */
extern char __kernel_start[], __kernel_end[], __bss_start[], __bss_end[];

#endif
