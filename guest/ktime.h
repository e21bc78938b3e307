/* SPDX-License-Identifier: MIT */
/*
 * Guest system time (ns = TSC * 1000000 / tsc_khz, as the core counts it) and
 * sleeping on the per-vCPU one-shot timer without spinning.
 */
#ifndef GUEST_KTIME_H
#define GUEST_KTIME_H

#include <stdint.h>

struct percpu;

#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_SEC  1000000000ull

void time_init(uint64_t tsc_khz);
uint64_t now_ns(void);
/* TSC cycles to units of 1/scale ns, e.g. scale 100 gives centi-nanoseconds. */
uint64_t tsc_cycles_to_scaled_ns(uint64_t cycles, uint64_t scale);

/* Blocks this vCPU until guest system time reaches deadline_ns; 0 or -errno. */
int sleep_until(uint64_t deadline_ns);
int msleep(uint64_t ms);

/* From the upcall vector, interrupts off. */
void time_handle_upcall(struct percpu *pc);

#endif
