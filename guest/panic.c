// SPDX-License-Identifier: MIT
/* Shutdown and panic: they need only the console and the hypercall gate, never kmain. */
#include <stdarg.h>
#include <splitvisor/hypercall.h>
#include "arch.h"
#include "console.h"
#include "hypercall.h"
#include "panic.h"
#include "printf.h"

void kernel_shutdown(uint32_t reason, uint32_t code)
{
	console_flush();
	hc_sched_shutdown(reason, code);
	/* Only reached if the core refused; nothing sensible is left to do. */
	cpu_halt_forever();
}

void poweroff(uint32_t code)
{
	kernel_shutdown(SV_SHUTDOWN_poweroff, code);
}

void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	irq_disable();
	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk_raw("panic: %s\n", msg);
	hc_sched_shutdown(SV_SHUTDOWN_crash, 255);
	cpu_halt_forever();
}
