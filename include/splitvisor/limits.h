/* SPDX-License-Identifier: MIT */
/* Limits every part of Splitvisor agrees on (core, toolstack, XML checks). */
#ifndef SPLITVISOR_LIMITS_H
#define SPLITVISOR_LIMITS_H

/* Smallest guest worth booting: reserved low pages, 1 MiB kernel base, heap. */
#define SV_MIN_MEMORY_MIB 8u
/*
 * Splitvisor's own kernels: their identity map covers 4 GiB, and RAM stops at the hole at
 * 3 GiB (splitvisor/guest_ram.h).
 */
#define SV_MAX_MEMORY_MIB 3072u
/* A Linux PVH guest takes RAM above 4 GiB too. */
#define SV_MAX_PVH_MEMORY_MIB 65536u
#define SV_MAX_VCPUS	      32u
#define SV_MAX_NAME_LEN	      64u
#define SV_MAX_CMDLINE	      1024u

#endif
