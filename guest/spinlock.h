/* SPDX-License-Identifier: MIT */
/* Test-and-test-and-set spinlock; the irqsave variants keep upcalls out. */
#ifndef GUEST_SPINLOCK_H
#define GUEST_SPINLOCK_H

#include <stdint.h>
#include "arch.h"

struct spinlock {
	uint32_t locked;
};

#define SPINLOCK_INIT \
	{             \
		0     \
	}

static inline void spin_lock(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			cpu_relax();
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
	uint64_t flags = irq_save();

	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	spin_unlock(l);
	irq_restore(flags);
}

#endif
