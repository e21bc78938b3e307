/* SPDX-License-Identifier: MIT */
/*
 * The hypercall gate: a guest executes `outl %eax, $SV_HYPERCALL_PORT` with the
 * hypercall number in eax and arguments in rdi, rsi, rdx, r10, r8; the result
 * comes back in rax (0 or a value on success, a negative errno on failure).
 * Numbers follow Xen's so that Xen people recognise them. Guest pointers are
 * guest-physical addresses (the boot page tables identity-map RAM).
 */
#ifndef SPLITVISOR_HYPERCALL_H
#define SPLITVISOR_HYPERCALL_H

#include <stdint.h>

/* An immediate-form `out` leaves rdx free for the third argument. */
#define SV_HYPERCALL_PORT 0xe0
/* Event-channel notify port (ioeventfd with the port number as datamatch). */
#define SV_NOTIFY_PORT 0xe4
/* Writes here return at once: the bare port-I/O exit used as a benchmark baseline. */
#define SV_NULL_IO_PORT 0xe8
/*
 * The Xen-ABI gate for stock Linux PVH guests: the loader rewrites the kernel's
 * `vmcall`/`vmmcall` into `outl %eax, $SV_XEN_HYPERCALL_PORT; nop`. Number in eax,
 * arguments in rdi, rsi, rdx, r10, r8 as Xen's; pointers are guest-virtual and the
 * structures are Xen's own layouts (docs/abi.md, "Linux PVH guests").
 */
#define SV_XEN_HYPERCALL_PORT 0xec

#define SV_HC_set_timer_op 15
#define SV_HC_xen_version  17
#define SV_HC_console_io   18
#define SV_HC_vcpu_op	   24
#define SV_HC_sched_op	   29
#define SV_HC_MAX	   64

/* xen_version commands */
#define SV_VERSION_version  0 /* returns (major << 16) | minor */
#define SV_VERSION_features 6 /* returns a mask of SV_FEAT_* */

#define SV_ABI_MAJOR   1
#define SV_ABI_MINOR   0
#define SV_ABI_VERSION ((SV_ABI_MAJOR << 16) | SV_ABI_MINOR)

/* CPUID leaf 0x40000000: max leaf in eax, signature in ebx, ecx, edx. */
#define SV_CPUID_BASE	   0x40000000u
#define SV_CPUID_SIGNATURE "SplitvisorVM"
/* Leaf 0x40000001: eax = SV_ABI_VERSION. */

#define SV_FEAT_CONSOLE_IO (1u << 0)
#define SV_FEAT_TIMER	   (1u << 1)
#define SV_FEAT_VCPU_UP	   (1u << 2)

/* console_io(cmd, count, buffer) */
#define SV_CONSOLEIO_write 0
#define SV_CONSOLE_IO_MAX  4096u /* bytes per call; longer writes are -EINVAL */

/* sched_op(cmd, ...) */
#define SV_SCHEDOP_yield    0
#define SV_SCHEDOP_block    1 /* enables interrupts and halts until the next upcall */
#define SV_SCHEDOP_shutdown 2 /* (reason, exit code) */

#define SV_SHUTDOWN_poweroff 0
#define SV_SHUTDOWN_reboot   1
#define SV_SHUTDOWN_suspend  2 /* refused with -EINVAL for now */
#define SV_SHUTDOWN_crash    3

/*
 * set_timer_op(deadline): one-shot timer on the calling vCPU. The deadline is
 * in guest system time, nanoseconds = TSC * 1000000 / tsc_khz (start info).
 * 0 cancels. A deadline in the past fires at once. Expiry raises the upcall
 * vector on that vCPU.
 */

/* vcpu_op(cmd, vcpuid, arg) */
#define SV_VCPUOP_up 0 /* arg: guest address of struct sv_vcpu_context */

struct sv_vcpu_context {
	uint64_t rip;
	uint64_t rsp;
	uint64_t rdi; /* first argument for the entry function */
};

#endif
