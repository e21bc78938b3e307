// SPDX-License-Identifier: MIT
/*
 * selftest: exceptions, timer accuracy, the page allocator and heap, and every
 * vCPU coming up and taking a timer upcall. Prints "selftest: PASS" (exit 0)
 * or "selftest: FAIL <what>" (exit 1) for the first failure.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include "apps.h"
#include "arch.h"
#include "array_size.h"
#include "boot_info.h"
#include "console.h"
#include "heap.h"
#include "ktime.h"
#include "page_alloc.h"
#include "percpu.h"
#include "printf.h"
#include "smp.h"
#include "traps.h"

#define UNMAPPED_ADDR	  0x100000000ull /* just above the 4 GiB identity map */
#define NONCANONICAL_ADDR 0x8000000000000000ull
#define PF_ERR_PRESENT	  (1ull << 0)
#define PF_ERR_WRITE	  (1ull << 1)
#define PF_ERR_USER	  (1ull << 2)
#define SLEEP_SLACK_NS	  (20 * NSEC_PER_MSEC)
#define SLEEP_TRIES	  3
#define AP_WAIT_NS	  (5 * NSEC_PER_SEC)
#define HEAP_BLOCKS	  128
#define MAGIC_RBX	  0x1111222233334444ull
#define MAGIC_R15	  0x5555666677778888ull

static char failure[160];

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Records the first failure; returns -1 so callers can `return fail(...)`. */
static int fail(const char *fmt, ...)
{
	va_list ap;

	if (!failure[0]) {
		va_start(ap, fmt);
		kvsnprintf(failure, sizeof(failure), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- exceptions ---- */

/* Filled in partly by the probe's asm (labels), partly by the fixup hook. */
static struct {
	uint64_t fault_rip;  /* the instruction expected to fault */
	uint64_t resume_rip; /* right after it; also where a trap (#BP) reports */
	bool armed;
	bool hit;
	uint64_t vector, error_code, rip, cr2;
} probe;

static bool probe_fixup(struct trap_frame *f)
{
	if (!probe.armed || (f->rip != probe.fault_rip && f->rip != probe.resume_rip))
		return false;
	probe.armed = false;
	probe.hit = true;
	probe.vector = f->vector;
	probe.error_code = f->error_code;
	probe.rip = f->rip;
	probe.cr2 = read_cr2();
	f->rip = probe.resume_rip;
	return true;
}

/* Records the addresses of labels 1 (the probed instruction) and 2 (after it). */
#define PROBE_LABELS                \
	"leaq 1f(%%rip), %%rax\n\t" \
	"movq %%rax, %[fault]\n\t"  \
	"leaq 2f(%%rip), %%rax\n\t" \
	"movq %%rax, %[resume]\n\t"

#define PROBE_OUTPUTS [fault] "=m"(probe.fault_rip), [resume] "=m"(probe.resume_rip)

/* Also checks that the entry stubs hand back callee-saved registers intact. */
static void probe_ud2(void)
{
	uint64_t rbx, r15;

	asm volatile(PROBE_LABELS "movabsq %[m1], %%rbx\n\t"
				  "movabsq %[m2], %%r15\n"
				  "1:\tud2\n"
				  "2:\tmovq %%rbx, %[rbx]\n\t"
				  "movq %%r15, %[r15]"
		     : PROBE_OUTPUTS, [rbx] "=r"(rbx), [r15] "=r"(r15)
		     : [m1] "i"(MAGIC_RBX), [m2] "i"(MAGIC_R15)
		     : "rax", "rbx", "r15", "memory");
	if (probe.hit && (rbx != MAGIC_RBX || r15 != MAGIC_R15))
		fail("registers changed across #UD: rbx 0x%llx r15 0x%llx", (unsigned long long)rbx,
		     (unsigned long long)r15);
}

static void probe_int3(void)
{
	asm volatile(PROBE_LABELS "1:\tint3\n2:" : PROBE_OUTPUTS : : "rax", "memory");
}

static void probe_divide(void)
{
	asm volatile(PROBE_LABELS "movl $1, %%eax\n\t"
				  "xorl %%edx, %%edx\n\t"
				  "xorl %%ecx, %%ecx\n"
				  "1:\tdivl %%ecx\n2:"
		     : PROBE_OUTPUTS
		     :
		     : "rax", "rcx", "rdx", "memory");
}

static void probe_unmapped_read(void)
{
	asm volatile(PROBE_LABELS "movabsq %[addr], %%rcx\n"
				  "1:\tmovq (%%rcx), %%rax\n2:"
		     : PROBE_OUTPUTS
		     : [addr] "i"(UNMAPPED_ADDR)
		     : "rax", "rcx", "memory");
}

static void probe_noncanonical_read(void)
{
	asm volatile(PROBE_LABELS "movabsq %[addr], %%rcx\n"
				  "1:\tmovq (%%rcx), %%rax\n2:"
		     : PROBE_OUTPUTS
		     : [addr] "i"(NONCANONICAL_ADDR)
		     : "rax", "rcx", "memory");
}

struct exception_case {
	const char *name;
	void (*probe)(void);
	uint64_t vector;
	bool trap; /* reported with rip after the instruction */
};

static const struct exception_case exception_cases[] = {
	{ "#UD ud2", probe_ud2, TRAP_UD, false },
	{ "#BP int3", probe_int3, TRAP_BP, true },
	{ "#DE divide by zero", probe_divide, TRAP_DE, false },
	{ "#PF read above 4 GiB", probe_unmapped_read, TRAP_PF, false },
	{ "#GP non-canonical read", probe_noncanonical_read, TRAP_GP, false },
};

static int check_exception(const struct exception_case *c)
{
	struct percpu *pc = this_cpu();

	memset(&probe, 0, sizeof(probe));
	probe.armed = true;
	pc->trap_fixup = probe_fixup;
	c->probe();
	pc->trap_fixup = NULL;

	if (!probe.hit)
		return fail("%s: no exception", c->name);
	if (probe.vector != c->vector)
		return fail("%s: vector %llu, want %llu", c->name, (unsigned long long)probe.vector,
			    (unsigned long long)c->vector);
	if (probe.rip != (c->trap ? probe.resume_rip : probe.fault_rip))
		return fail("%s: reported rip 0x%llx", c->name, (unsigned long long)probe.rip);
	if (c->vector == TRAP_PF) {
		if (probe.cr2 != UNMAPPED_ADDR)
			return fail("%s: cr2 0x%llx, want 0x%llx", c->name,
				    (unsigned long long)probe.cr2, UNMAPPED_ADDR);
		if (probe.error_code & (PF_ERR_PRESENT | PF_ERR_WRITE | PF_ERR_USER))
			return fail("%s: error code 0x%llx", c->name,
				    (unsigned long long)probe.error_code);
	} else if (probe.error_code != 0) {
		return fail("%s: error code 0x%llx, want 0", c->name,
			    (unsigned long long)probe.error_code);
	}
	printk("selftest: caught %s at 0x%llx (error 0x%llx%s)\n", c->name,
	       (unsigned long long)probe.rip, (unsigned long long)probe.error_code,
	       c->vector == TRAP_PF ? ", cr2 checked" : "");
	return failure[0] ? -1 : 0;
}

static int test_exceptions(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(exception_cases); i++) {
		if (check_exception(&exception_cases[i]))
			return -1;
	}
	return 0;
}

/* ---- page allocator and heap ---- */

static uint64_t pattern(const void *base, size_t i)
{
	return ((uint64_t)(uintptr_t)base * 0x9e3779b97f4a7c15ull) ^ (i * 0x100000001b3ull);
}

static void fill(void *p, size_t bytes)
{
	uint64_t *w = p;

	for (size_t i = 0; i < bytes / 8; i++)
		w[i] = pattern(p, i);
}

static bool intact(const void *p, size_t bytes)
{
	const uint64_t *w = p;

	for (size_t i = 0; i < bytes / 8; i++) {
		if (w[i] != pattern(p, i))
			return false;
	}
	return true;
}

static int test_pages(void)
{
	size_t free_before = page_alloc_free_count(), taken = 0;
	void *a, *b, **chain = NULL, **next;

	a = alloc_pages(4);
	b = alloc_pages(1);
	if (!a || !b)
		return fail("alloc_pages: NULL with %zu pages free", free_before);
	if ((uintptr_t)a & (PAGE_SIZE - 1) || (uintptr_t)b & (PAGE_SIZE - 1))
		return fail("alloc_pages: unaligned %p %p", a, b);
	if ((char *)b < (char *)a + 4 * PAGE_SIZE && (char *)a < (char *)b + PAGE_SIZE)
		return fail("alloc_pages: %p and %p overlap", a, b);
	fill(a, 4 * PAGE_SIZE);
	fill(b, PAGE_SIZE);
	if (!intact(a, 4 * PAGE_SIZE) || !intact(b, PAGE_SIZE))
		return fail("alloc_pages: pattern lost");
	if (free_pages(a, 4) || free_pages(b, 1))
		return fail("free_pages: refused a valid free");
	if (!free_pages(b, 1))
		return fail("free_pages: double free not detected");
	if (alloc_pages(0) || alloc_pages(free_before + 1))
		return fail("alloc_pages: impossible request satisfied");

	/* Exhaust the pool one page at a time, chaining the pages through themselves. */
	while ((next = alloc_pages(1))) {
		next[0] = chain;
		next[1] = next;
		next[PAGE_SIZE / sizeof(void *) - 1] = next;
		chain = next;
		taken++;
	}
	if (taken != free_before)
		return fail("page exhaustion: got %zu pages, %zu were free", taken, free_before);
	if (kmalloc(1 << 20))
		return fail("kmalloc: 1 MiB succeeded with no free pages");
	while (chain) {
		next = chain[0];
		if (chain[1] != chain || chain[PAGE_SIZE / sizeof(void *) - 1] != chain)
			return fail("page exhaustion: page %p overwritten", (void *)chain);
		if (free_pages(chain, 1))
			return fail("free_pages: refused %p", (void *)chain);
		chain = next;
	}
	if (page_alloc_free_count() != free_before)
		return fail("free_pages: %zu free after freeing all, want %zu",
			    page_alloc_free_count(), free_before);
	printk("selftest: pages ok (%zu free of %zu, all taken and given back)\n", free_before,
	       page_alloc_total_count());
	return 0;
}

static int test_heap(void)
{
	static void *blocks[HEAP_BLOCKS];
	size_t sizes[HEAP_BLOCKS];
	char *a, *b, *c, *d, *e;

	a = kmalloc(100);
	b = kmalloc(5000);
	c = kmalloc(1);
	if (!a || !b || !c)
		return fail("kmalloc: NULL for a small request");
	if ((uintptr_t)a & 15 || (uintptr_t)b & 15 || (uintptr_t)c & 15)
		return fail("kmalloc: unaligned %p %p %p", a, b, c);
	fill(a, 96);
	fill(b, 5000);
	c[0] = 0x5a;
	if (!intact(a, 96) || !intact(b, 5000) || c[0] != 0x5a)
		return fail("kmalloc: pattern lost between neighbours");
	kfree(b);
	d = kmalloc(4000);
	if (d != b)
		return fail("kmalloc: freed block %p not reused (got %p)", b, d);
	kfree(d);
	kfree(a);
	if (kfree_checked(a) != -EINVAL)
		return fail("kfree: double free not detected");
	kfree(c);
	/*
	 * A 40-byte request is a 64-byte block whose canary directly follows the
	 * payload: overrun by 8 bytes, into the canary but not the next block.
	 */
	e = kmalloc(40);
	if (!e)
		return fail("kmalloc: NULL for 40 bytes");
	memset(e, 0xaa, 48);
	if (kfree_checked(e) != -EINVAL)
		return fail("kfree: overrun not detected");
	if (kmalloc(~(size_t)0) || kmalloc(start_info->mem_bytes))
		return fail("kmalloc: impossible request satisfied");

	for (int i = 0; i < HEAP_BLOCKS; i++) {
		sizes[i] = ((size_t)i * 977) % 3000 + 8;
		blocks[i] = kmalloc(sizes[i]);
		if (!blocks[i])
			return fail("kmalloc: NULL for block %d of %zu bytes", i, sizes[i]);
		fill(blocks[i], sizes[i]);
	}
	/* Free every other block first so freeing the rest has neighbours to merge. */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = pass; i < HEAP_BLOCKS; i += 2) {
			if (!intact(blocks[i], sizes[i]))
				return fail("kmalloc: block %d trampled", i);
			if (kfree_checked(blocks[i]))
				return fail("kfree: refused block %d", i);
		}
	}
	printk("selftest: heap ok (%zu bytes free)\n", heap_free_bytes());
	return 0;
}

/* ---- timer ---- */

/*
 * One sleep: 0, 1 when it woke more than SLEEP_SLACK_NS late, or a failure. Late is the
 * host's doing as often as ours: a vCPU thread that the host does not schedule (two
 * emulated test VMs share our CI machine's two cores) wakes late with a correct timer.
 */
static int sleep_once(uint64_t ms)
{
	struct percpu *pc = this_cpu();
	uint64_t upcalls = pc->upcalls, t0, t1, deadline, late;
	int ret;

	t0 = now_ns();
	deadline = t0 + ms * NSEC_PER_MSEC;
	ret = sleep_until(deadline);
	t1 = now_ns();
	if (ret)
		return fail("sleep %llu ms: set_timer_op returned %d", (unsigned long long)ms, ret);
	if (t1 < deadline)
		return fail("sleep %llu ms: woke %llu ns early", (unsigned long long)ms,
			    (unsigned long long)(deadline - t1));
	late = t1 - deadline;
	printk("selftest: sleep %llu ms took %llu.%03llu ms (%llu us late, %llu upcalls)\n",
	       (unsigned long long)ms, (unsigned long long)((t1 - t0) / NSEC_PER_MSEC),
	       (unsigned long long)((t1 - t0) % NSEC_PER_MSEC / 1000),
	       (unsigned long long)(late / 1000), (unsigned long long)(pc->upcalls - upcalls));
	if (pc->upcalls == upcalls)
		return fail("sleep %llu ms: no timer upcall", (unsigned long long)ms);
	return late > SLEEP_SLACK_NS;
}

/* A timer that fires late every time fails; one late wake-up in SLEEP_TRIES does not. */
static int test_sleep(uint64_t ms)
{
	for (int i = 0; i < SLEEP_TRIES; i++) {
		int ret = sleep_once(ms);

		if (ret <= 0)
			return ret;
	}
	return fail("sleep %llu ms: more than %llu ms late %d times in a row",
		    (unsigned long long)ms, (unsigned long long)(SLEEP_SLACK_NS / NSEC_PER_MSEC),
		    SLEEP_TRIES);
}

/* ---- vCPUs ---- */

static uint32_t vcpus_reported;
static uint32_t vcpus_failed;

static void ap_report(void)
{
	struct percpu *pc = this_cpu();
	uint64_t upcalls = pc->upcalls;

	printk("selftest: vcpu %u up\n", pc->cpu);
	if (pc->apic_id != pc->cpu) {
		printk("selftest: vcpu %u has APIC ID %u\n", pc->cpu, pc->apic_id);
		__atomic_add_fetch(&vcpus_failed, 1, __ATOMIC_ACQ_REL);
		return;
	}
	if (msleep(1) || pc->upcalls == upcalls || !pc->timers_fired) {
		printk("selftest: vcpu %u took no timer upcall\n", pc->cpu);
		__atomic_add_fetch(&vcpus_failed, 1, __ATOMIC_ACQ_REL);
		return;
	}
	__atomic_add_fetch(&vcpus_reported, 1, __ATOMIC_ACQ_REL);
}

static int test_vcpus(void)
{
	uint32_t n = start_info->nr_vcpus, reported, failed;
	uint64_t deadline;
	int ret;

	printk("selftest: vcpu 0 up\n");
	for (uint32_t cpu = 1; cpu < n; cpu++) {
		ret = smp_start_cpu(cpu, ap_report);
		if (ret)
			return fail("vcpu_op up %u returned %d", cpu, ret);
	}
	/* Wait blocked, not spinning: a spinning vCPU delays the others' wake-ups. */
	deadline = now_ns() + AP_WAIT_NS;
	for (;;) {
		reported = __atomic_load_n(&vcpus_reported, __ATOMIC_ACQUIRE);
		failed = __atomic_load_n(&vcpus_failed, __ATOMIC_ACQUIRE);
		if (reported + failed >= n - 1 || now_ns() >= deadline)
			break;
		if (msleep(1))
			return fail("vcpus: sleeping on vcpu 0 failed");
	}
	if (reported != n - 1)
		return fail("vcpus: %u of %u secondary vCPUs reported in (%u failed)", reported,
			    n - 1, failed);
	printk("selftest: all %u vCPUs up\n", n);
	return 0;
}

int selftest_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (test_exceptions() || test_pages() || test_heap() || test_sleep(10) || test_sleep(50) ||
	    test_vcpus()) {
		printk("selftest: FAIL %s\n", failure);
		return 1;
	}
	printk("selftest: PASS\n");
	return 0;
}
