// SPDX-License-Identifier: MIT
/*
 * Each vCPU collects its own partial line so output of different vCPUs does
 * not interleave mid-line; the lock orders whole lines between vCPUs.
 */
#include <splitvisor/hypercall.h>
#include "console.h"
#include "hypercall.h"
#include "percpu.h"
#include "printf.h"
#include "spinlock.h"

#define PRINTK_MAX 512

static struct spinlock console_lock = SPINLOCK_INIT;

void console_write_raw(const char *buf, size_t len)
{
	while (len) {
		uint32_t chunk = len > SV_CONSOLE_IO_MAX ? SV_CONSOLE_IO_MAX : (uint32_t)len;

		if (hc_console_write(buf, chunk) < 0)
			return;
		buf += chunk;
		len -= chunk;
	}
}

/* Interrupts are off: the line buffer belongs to this vCPU alone. */
static void flush_line(struct percpu *pc)
{
	if (!pc->line_len)
		return;
	spin_lock(&console_lock);
	console_write_raw(pc->line, pc->line_len);
	spin_unlock(&console_lock);
	pc->line_len = 0;
}

void console_flush(void)
{
	uint64_t flags = irq_save();

	flush_line(this_cpu());
	irq_restore(flags);
}

int vprintk(const char *fmt, va_list ap)
{
	char msg[PRINTK_MAX];
	struct percpu *pc;
	uint64_t flags;
	int n, len;

	n = sv_vsnprintf(msg, sizeof(msg), fmt, ap);
	len = n < (int)sizeof(msg) ? n : (int)sizeof(msg) - 1;

	flags = irq_save();
	pc = this_cpu();
	for (int i = 0; i < len; i++) {
		pc->line[pc->line_len++] = msg[i];
		if (msg[i] == '\n' || pc->line_len == sizeof(pc->line))
			flush_line(pc);
	}
	irq_restore(flags);
	return n;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

int printk_raw(const char *fmt, ...)
{
	char msg[PRINTK_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = sv_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	console_write_raw(msg, n < (int)sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	return n;
}
