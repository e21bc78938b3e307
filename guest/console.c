// SPDX-License-Identifier: MIT
/*
 * Each vCPU collects its own partial line so output of different vCPUs does
 * not interleave mid-line; the lock orders whole lines between vCPUs.
 *
 * Lines go into the PV console ring once console_init found a backend (a
 * console port in the start info); before that, without one (svctl run), and
 * for the crash path they go through the console_io hypercall. A full ring is
 * waited for briefly on vCPU 0, then the line takes the hypercall too: the
 * core hands those bytes to the same log, so output is never lost because no
 * control domain drains the ring, only possibly reordered against it.
 */
#include <errno.h>
#include <splitvisor/byte_ring.h>
#include <splitvisor/console.h>
#include <splitvisor/hypercall.h>
#include "boot_info.h"
#include "console.h"
#include "evtchn.h"
#include "hypercall.h"
#include "ktime.h"
#include "percpu.h"
#include "printf.h"
#include "spinlock.h"

#define PRINTK_MAX 512
/* How long vCPU 0 waits for the backend to make room before taking the hypercall. */
#define CONSOLE_FULL_WAIT_NS (20ull * 1000000ull)

static struct spinlock console_lock = SPINLOCK_INIT;
static struct sv_console_ring *ring;
static uint32_t console_port;
/* The backend did not make room in time: skip the wait until it drains again. */
static bool stalled;
static uint64_t fallback_bytes;
/*
 * Set while this vCPU is inside flush_line: the wait for room enables
 * interrupts, and an upcall that prints then must not touch the line buffer
 * or take the lock again.
 */
static bool flushing[SV_MAX_VCPUS];

int console_init(void)
{
	int ret;

	if (!start_info->console_evtchn || !start_info->console_ring_gpa)
		return -ENOENT;
	/* Input wake-ups and room in the out ring come to vCPU 0, where the waits run. */
	ret = evtchn_bind_vcpu(start_info->console_evtchn, 0);
	if (ret)
		return ret;
	console_port = start_info->console_evtchn;
	__atomic_store_n(&ring, (struct sv_console_ring *)(uintptr_t)start_info->console_ring_gpa,
			 __ATOMIC_RELEASE);
	/* Tell a backend that bound before us that the ring is in use. */
	evtchn_send(console_port);
	return 0;
}

uint64_t console_fallback_bytes(void)
{
	return __atomic_load_n(&fallback_bytes, __ATOMIC_RELAXED);
}

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

/* Under console_lock, interrupts off. */
static void console_out(const char *buf, size_t len)
{
	struct sv_console_ring *r = __atomic_load_n(&ring, __ATOMIC_ACQUIRE);
	long n;

	while (r && len) {
		n = sv_bring_write(r->out, SV_CONSOLE_OUT_SIZE, &r->out_cons, &r->out_prod, buf,
				   len);
		if (n < 0) {
			/* The backend corrupted our indices: the ring is no use any more. */
			__atomic_store_n(&ring, NULL, __ATOMIC_RELEASE);
			break;
		}
		if (n > 0) {
			evtchn_send(console_port);
			stalled = false;
			buf += n;
			len -= (size_t)n;
			continue;
		}
		/* Only vCPU 0 gets the port's events; the others do not wait. */
		if (stalled || this_cpu()->cpu != 0 ||
		    evtchn_wait(console_port, now_ns() + CONSOLE_FULL_WAIT_NS)) {
			stalled = true;
			break;
		}
	}
	if (!len)
		return;
	if (r)
		__atomic_fetch_add(&fallback_bytes, len, __ATOMIC_RELAXED);
	console_write_raw(buf, len);
}

int console_read(char *buf, size_t cap, uint64_t deadline_ns)
{
	struct sv_console_ring *r = __atomic_load_n(&ring, __ATOMIC_ACQUIRE);
	long n;
	int ret;

	if (!r)
		return -ENOENT;
	if (!cap)
		return 0;
	for (;;) {
		n = sv_bring_read(r->in, SV_CONSOLE_IN_SIZE, &r->in_cons, &r->in_prod, buf, cap,
				  false);
		if (n < 0)
			return -EIO;
		if (n > 0) {
			/* The backend may hold more input than fitted. */
			evtchn_send(console_port);
			return (int)n;
		}
		ret = evtchn_wait(console_port, deadline_ns);
		if (ret)
			return ret;
	}
}

int console_getc(uint64_t deadline_ns)
{
	char c;
	int ret = console_read(&c, 1, deadline_ns);

	return ret < 0 ? ret : (unsigned char)c;
}

/* Interrupts are off: the line buffer belongs to this vCPU alone. */
static void flush_line(struct percpu *pc)
{
	if (!pc->line_len)
		return;
	flushing[pc->cpu] = true;
	spin_lock(&console_lock);
	console_out(pc->line, pc->line_len);
	spin_unlock(&console_lock);
	pc->line_len = 0;
	flushing[pc->cpu] = false;
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

	n = kvsnprintf(msg, sizeof(msg), fmt, ap);
	len = n < (int)sizeof(msg) ? n : (int)sizeof(msg) - 1;

	flags = irq_save();
	pc = this_cpu();
	if (flushing[pc->cpu]) {
		/* An upcall that came while this vCPU waited for room in the ring. */
		irq_restore(flags);
		console_write_raw(msg, (size_t)len);
		return n;
	}
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
	n = kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	console_write_raw(msg, n < (int)sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	return n;
}
