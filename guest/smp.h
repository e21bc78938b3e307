/* SPDX-License-Identifier: MIT */
/* Per-vCPU data and starting secondary vCPUs through vcpu_op up. */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include <stdint.h>

/* Points GS at vCPU 0's per-CPU data; the very first thing kmain does. */
void smp_init_boot_cpu(void);
/*
 * Starts vCPU `cpu` (1..nr_vcpus-1) on its own stack; once its IDT and APIC
 * are set up it runs work() and then idles (blocked). 0 or -errno.
 */
int smp_start_cpu(uint32_t cpu, void (*work)(void));
uint32_t smp_cpus_online(void);

#endif
