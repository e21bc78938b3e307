// SPDX-License-Identifier: MIT
/* vCPU threads: the KVM_RUN loop, port-I/O exits, the hypercall gate, faults. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <splitvisor/start_info.h>

#include "boot.h"
#include "pvh_acpi.h"
#include "pvh_boot.h"
#include "domain_priv.h"
#include "evtchn.h"
#include "guest_va.h"
#include "hypercall.h"
#include "x86_bits.h"

#define RFLAGS_IF    (1ull << 9)
#define MSR_IA32_TSC 0x10

int vcpu_init(struct sv_domain *d, struct vcpu *v, unsigned int id)
{
	int ret;

	v->dom = d;
	v->id = id;
	v->timer_fd = -1;
	v->stats_fd = -1;
	v->fd = ioctl(d->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0)
		return -errno;
	vcpu_stats_open(v);
	v->run = mmap(NULL, d->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return -errno;
	}
	v->upcall_vector = d->pvh ? 0 : SV_UPCALL_VECTOR;
	ret = cpuid_set_vcpu(d->cpuid, v->fd, id, d->pvh,
			     ioctl(d->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0);
	if (ret)
		return ret;
	v->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (v->timer_fd < 0)
		return -errno;
	return 0;
}

void vcpu_release(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, v->dom->run_size);
	if (v->fd >= 0)
		close(v->fd);
	if (v->timer_fd >= 0)
		close(v->timer_fd);
	vcpu_stats_close(v);
	v->run = NULL;
	v->fd = -1;
	v->timer_fd = -1;
}

/* Forces the thread out of KVM_RUN (or keeps it from entering) so it rereads the domain state. */
void vcpu_kick(struct vcpu *v)
{
	if (!v->thread_started)
		return;
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(v->thread, SIGUSR1);
}

static int vcpu_set_entry_state(struct vcpu *v, uint64_t rip, uint64_t rsp, uint64_t rdi)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	boot_sregs(&sregs);
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;
	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rsp = rsp;
	regs.rdi = rdi;
	regs.rflags = 0x2;
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	/* With an in-kernel APIC, secondary vCPUs otherwise sit waiting for INIT/SIPI. */
	if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0)
		return -errno;
	return 0;
}

/*
 * A Linux PVH kernel's boot vCPU enters its PHYS32 entry in flat protected mode with ebx
 * pointing at the hvm_start_info. Its other vCPUs keep KVM's reset state: the kernel starts
 * them natively with INIT and SIPI through the in-kernel local APIC.
 */
static int vcpu_set_pvh_entry_state(struct vcpu *v)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (v->id)
		return 0;
	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	boot_pvh_sregs(&sregs);
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;
	boot_pvh_regs(&regs, v->dom->elf.entry, PVH_START_INFO);
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0 ? -errno : 0;
}

static void vcpu_fault(struct vcpu *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Up to 16 bytes of the guest's code at rip, as hex, for a fault's dump: the instruction
 * that faulted says more than its address. Nothing where the guest's page tables do not
 * lead to RAM (then the dump has the registers only).
 */
static void vcpu_snprint_code(struct vcpu *v, const struct kvm_sregs *s, uint64_t rip, char *buf,
			      size_t size)
{
	struct gva_paging pg = { .cr0 = s->cr0, .cr3 = s->cr3, .cr4 = s->cr4, .efer = s->efer };
	uint64_t va = (s->efer & EFER_LMA) && s->cs.l ? rip : s->cs.base + rip;
	size_t len = 16, i;
	uint8_t code[16];
	int n = 0;

	/* The rest of the page only: the next one may not be mapped. */
	if (4096 - (va & 4095) < len)
		len = 4096 - (va & 4095);
	if (copy_from_guest_va(&v->dom->mem, &pg, code, va, len))
		return;
	n = snprintf(buf, size, "\n code at %llx:", (unsigned long long)va);
	for (i = 0; i < len && n > 0 && (size_t)n < size; i++)
		n += snprintf(buf + n, size - (size_t)n, " %02x", code[i]);
}

/*
 * Ends the domain with the reason and as much machine state as KVM will give: the
 * registers, the segments that decide how rip is read, and the code bytes at rip.
 */
static void vcpu_fault(struct vcpu *v, const char *fmt, ...)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	char buf[sizeof(v->dom->exit.detail)];
	size_t n;
	int m;
	va_list ap;

	n = (size_t)snprintf(buf, sizeof(buf), "vcpu %u: ", v->id);
	va_start(ap, fmt);
	n += (size_t)vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (n < sizeof(buf) && !ioctl(v->fd, KVM_GET_REGS, &r) &&
	    !ioctl(v->fd, KVM_GET_SREGS, &s)) {
		m = snprintf(buf + n, sizeof(buf) - n,
			     "\n rip %016llx rsp %016llx rflags %016llx\n"
			     " rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
			     " rsi %016llx rdi %016llx rbp %016llx r8  %016llx\n"
			     " r9  %016llx r10 %016llx r11 %016llx r12 %016llx\n"
			     " r13 %016llx r14 %016llx r15 %016llx\n"
			     " cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx efer %llx\n"
			     " cs %04x base %llx l %u db %u ss %04x dpl %u",
			     r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi,
			     r.rbp, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, s.cr0,
			     s.cr2, s.cr3, s.cr4, s.efer, s.cs.selector,
			     (unsigned long long)s.cs.base, s.cs.l, s.cs.db, s.ss.selector,
			     s.ss.dpl);
		if (m > 0)
			n += (size_t)m;
		if (n < sizeof(buf))
			vcpu_snprint_code(v, &s, r.rip, buf + n, sizeof(buf) - n);
	}
	v->dom->end(v->dom, SV_EXIT_FAULT, -1, buf);
}

uint64_t vcpu_guest_now_ns(struct vcpu *v, int *err)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = MSR_IA32_TSC };

	if (ioctl(v->fd, KVM_GET_MSRS, &m) != 1) {
		*err = -EIO;
		return 0;
	}
	*err = 0;
	return (uint64_t)((unsigned __int128)m.e.data * 1000000u / v->dom->tsc_khz);
}

static int hc_set_timer(void *ctx, uint64_t deadline)
{
	struct vcpu *v = ctx;
	struct itimerspec its = { 0 };
	uint64_t now, delta;
	int ret;

	if (deadline) {
		now = vcpu_guest_now_ns(v, &ret);
		if (ret)
			return ret;
		if (deadline <= now)
			return evtchn_kvm_timer_fire(v);
		delta = deadline - now;
		its.it_value.tv_sec = (time_t)(delta / 1000000000u);
		its.it_value.tv_nsec = (long)(delta % 1000000000u);
	}
	return timerfd_settime(v->timer_fd, 0, &its, NULL) < 0 ? -errno : 0;
}

/* Like `sti; hlt`: KVM sleeps in the kernel until an interrupt can be taken. */
static int hc_block(void *ctx)
{
	struct vcpu *v = ctx;
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_HALTED };

	v->run->s.regs.regs.rflags |= RFLAGS_IF;
	v->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	return ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0 ? -errno : 0;
}

static void hc_shutdown(void *ctx, unsigned int reason, int code)
{
	vcpu_shutdown(ctx, reason, code);
}

static int hc_vcpu_up(void *ctx, unsigned int id, const struct sv_vcpu_context *c)
{
	struct vcpu *v = ctx;
	struct sv_domain *d = v->dom;
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	if (d->vcpus[id].up) {
		ret = -EEXIST;
		goto out;
	}
	d->vcpus[id].up_ctx = *c;
	d->vcpus[id].up = true;
	pthread_cond_broadcast(&d->cond);
out:
	pthread_mutex_unlock(&d->lock);
	return ret;
}

static void hc_console_write(void *ctx, const char *buf, size_t len)
{
	vcpu_console_write(ctx, buf, len);
}

static const struct hcall_ops vcpu_hc_ops = {
	.console_write = hc_console_write,
	.shutdown = hc_shutdown,
	.set_timer = hc_set_timer,
	.block = hc_block,
	.vcpu_up = hc_vcpu_up,
};

static int vcpu_handle_hypercall(struct vcpu *v)
{
	struct hcall_env env = {
		.mem = &v->dom->mem,
		.nr_vcpus = v->dom->nr_vcpus,
		.ops = &vcpu_hc_ops,
		.ctx = v,
		.gnttab = &v->dom->gnttab,
		.evtchn = v->dom->evtchn,
	};
	struct kvm_regs regs, *r;
	uint64_t arg[5];
	int ret;

	ret = vcpu_hcall_args(v, &regs, &r, arg);
	if (ret)
		return ret;
	return vcpu_hcall_return(v, r, hcall_dispatch(&env, r->rax & 0xffffffffu, arg));
}

/*
 * A Linux guest probes legacy ports (CMOS, PIT, serial, port 0x80 delays) as on
 * a PC: nothing answers there, as on a bus with no device: writes vanish, reads
 * are all ones. Our own guests never touch a port we did not give them, so for
 * them it stays a fault.
 */
static int vcpu_unclaimed_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint64_t len = (uint64_t)run->io.size * run->io.count;

	if (run->io.direction == KVM_EXIT_IO_IN && len <= v->dom->run_size &&
	    run->io.data_offset <= v->dom->run_size - len)
		memset((uint8_t *)run + run->io.data_offset, 0xff, len);
	return 0;
}

/*
 * A PVH domain's board: the ACPI power block and the reset ports Linux's poweroff and reboot
 * write (pvh_acpi.c). They end the domain as SCHEDOP_shutdown would; all else is the empty
 * bus. Only single one-byte accesses are decoded, as Linux makes them.
 */
static int vcpu_pvh_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	uint32_t val;

	if (run->io.size != 1 || run->io.count != 1)
		return vcpu_unclaimed_io(v);
	val = out ? *data : 0;
	switch (pvh_board_io(run->io.port, out, &val)) {
	case PVH_IO_POWEROFF:
		vcpu_shutdown(v, SV_SHUTDOWN_poweroff, 0);
		return 0;
	case PVH_IO_REBOOT:
		vcpu_shutdown(v, SV_SHUTDOWN_reboot, 0);
		return 0;
	case PVH_IO_DONE:
		if (!out)
			*data = (uint8_t)val;
		return 0;
	default:
		return vcpu_unclaimed_io(v);
	}
}

static int vcpu_handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	if (run->io.port == SV_NULL_IO_PORT && run->io.direction == KVM_EXIT_IO_OUT)
		return 0;
	/*
	 * A notify-port write no ioeventfd matched: the port's remote is a guest, or
	 * it is unbound or closed. An `out` has no result, so errors are dropped.
	 */
	if (run->io.port == SV_NOTIFY_PORT && run->io.direction == KVM_EXIT_IO_OUT &&
	    run->io.size == 4 && run->io.count == 1) {
		uint32_t port;

		memcpy(&port, (uint8_t *)run + run->io.data_offset, sizeof(port));
		__atomic_fetch_add(&v->notifies, 1, __ATOMIC_RELAXED);
		evtchn_send(v->dom->evtchn, port);
		return 0;
	}
	if (run->io.port == SV_HYPERCALL_PORT && run->io.direction == KVM_EXIT_IO_OUT &&
	    run->io.size == 4 && run->io.count == 1) {
		__atomic_fetch_add(&v->hypercalls, 1, __ATOMIC_RELAXED);
		return vcpu_handle_hypercall(v);
	}
	if (run->io.port == SV_XEN_HYPERCALL_PORT && run->io.direction == KVM_EXIT_IO_OUT &&
	    run->io.size == 4 && run->io.count == 1) {
		__atomic_fetch_add(&v->hypercalls, 1, __ATOMIC_RELAXED);
		return xen_vcpu_hypercall(v);
	}
	if (v->dom->pvh)
		return vcpu_pvh_io(v);
	vcpu_fault(v, "unhandled port I/O: %s port 0x%x size %u count %u",
		   run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", run->io.port, run->io.size,
		   run->io.count);
	return -EINVAL;
}

/* Returns true when the thread should go on running guest code. */
static bool vcpu_wait_runnable(struct vcpu *v)
{
	struct sv_domain *d = v->dom;
	bool go;

	pthread_mutex_lock(&d->lock);
	if (!d->ending && (d->paused || !v->up)) {
		d->parked++;
		pthread_cond_broadcast(&d->cond);
		while (!d->ending && (d->paused || !v->up))
			pthread_cond_wait(&d->cond, &d->lock);
		d->parked--;
	}
	go = !d->ending;
	pthread_mutex_unlock(&d->lock);
	return go;
}

/*
 * KVM's words beside an internal error: for an emulation failure (suberror 1) they hold the
 * instruction bytes and the exit that led there, which tell an unemulated instruction from
 * an access KVM could not decode.
 */
static void vcpu_fault_internal(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char words[16 * 17 + 1] = "";
	uint32_t i, nd = run->internal.ndata;
	int n = 0;

	if (nd > sizeof(run->internal.data) / sizeof(run->internal.data[0]))
		nd = sizeof(run->internal.data) / sizeof(run->internal.data[0]);
	for (i = 0; i < nd && n >= 0 && (size_t)n < sizeof(words); i++)
		n += snprintf(words + n, sizeof(words) - (size_t)n, " %llx",
			      (unsigned long long)run->internal.data[i]);
	vcpu_fault(v, "KVM internal error, suberror %u, data%s", run->internal.suberror,
		   nd ? words : " none");
}

static int vcpu_handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return vcpu_handle_io(v);
	case KVM_EXIT_INTR:
		return 0;
	case KVM_EXIT_SHUTDOWN:
		/*
		 * On AMD, KVM INITs the vCPU before it reports a shutdown (the VMCB is undefined
		 * after one), so the dump below is the reset state, not where the guest was.
		 */
		vcpu_fault(v, "triple fault (on AMD the registers below are the INIT state KVM "
			      "resets the vCPU to; the faulting context is lost)");
		return -EFAULT;
	case KVM_EXIT_MMIO:
		vcpu_fault(v, "%s of %u bytes at unbacked guest-physical 0x%llx",
			   run->mmio.is_write ? "write" : "read", run->mmio.len,
			   run->mmio.phys_addr);
		return -EFAULT;
	case KVM_EXIT_FAIL_ENTRY:
		vcpu_fault(v, "VM entry failed, hardware reason 0x%llx",
			   run->fail_entry.hardware_entry_failure_reason);
		return -EFAULT;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu_fault_internal(v);
		return -EFAULT;
	default:
		vcpu_fault(v, "unhandled KVM exit %u", run->exit_reason);
		return -EFAULT;
	}
}

void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct sv_domain *d = v->dom;
	bool entered = false;
	int ret;

	__atomic_store_n(&v->tid, gettid(), __ATOMIC_RELAXED);
	if (d->sync_regs)
		v->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	for (;;) {
		if (!vcpu_wait_runnable(v))
			break;
		if (!entered) {
			if (d->pvh)
				ret = vcpu_set_pvh_entry_state(v);
			else if (v->id)
				ret = vcpu_set_entry_state(v, v->up_ctx.rip, v->up_ctx.rsp,
							   v->up_ctx.rdi);
			else
				ret = vcpu_set_entry_state(v, d->elf.entry, SV_BOOT_STACK_TOP,
							   SV_START_INFO_GPA);
			if (ret) {
				vcpu_fault(v, "cannot set the entry state: %s", strerror(-ret));
				break;
			}
			entered = true;
		}
		ret = ioctl(v->fd, KVM_RUN, 0);
		if (ret < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
				continue;
			}
			vcpu_fault(v, "KVM_RUN failed: %s", strerror(errno));
			break;
		}
		if (vcpu_handle_exit(v))
			break;
	}
	return NULL;
}
