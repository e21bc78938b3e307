/* SPDX-License-Identifier: MIT */
/* Limits every part of Splitvisor agrees on (core, toolstack, XML checks). */
#ifndef SPLITVISOR_LIMITS_H
#define SPLITVISOR_LIMITS_H

/* Smallest guest worth booting: reserved low pages, 1 MiB kernel base, heap. */
#define SV_MIN_MEMORY_MIB 8u
/* The identity map covers 4 GiB and the APIC/IOAPIC hole starts at 3 GiB. */
#define SV_MAX_MEMORY_MIB 3072u
#define SV_MAX_VCPUS	  32u
#define SV_MAX_NAME_LEN	  64u
#define SV_MAX_CMDLINE	  1024u

#endif
