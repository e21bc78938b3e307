/* SPDX-License-Identifier: MIT */
/* The local APIC of the current vCPU (KVM's in-kernel one), in x2APIC mode. */
#ifndef GUEST_APIC_H
#define GUEST_APIC_H

#include <stdint.h>

/* Software-enables this vCPU's APIC so upcall MSIs are accepted; 0 or -errno. */
int apic_init_cpu(void);
uint32_t apic_id(void);
void apic_eoi(void);

#endif
