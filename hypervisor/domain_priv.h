/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by domain.c, vcpu.c, evtchn_kvm.c and cpuid.c; nothing outside hypervisor/
 * sees them. Calls between these files run one way, domain.c -> vcpu.c -> evtchn_kvm.c, so no
 * file calls back into one that calls it: what vcpu.c needs from domain.c (ending the domain)
 * reaches it through a hook that domain.c stores in struct sv_domain.
 */
#ifndef SV_DOMAIN_PRIV_H
#define SV_DOMAIN_PRIV_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>

#include <splitvisor/hypercall.h>
#include <splitvisor/limits.h>
#include <splitvisor/core.h>
#include <splitvisor/grant_table.h>

#include "elf_loader.h"
#include "grant_table.h"
#include "guest_mem.h"

struct vcpu {
	struct sv_domain *dom;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	bool up; /* may run guest code (vCPU 0 from start, others after vcpu_op up) */
	struct sv_vcpu_context up_ctx;
	int timer_fd;
	/* The vector upcalls arrive on: SV_UPCALL_VECTOR, or what a Linux guest asked; 0 none. */
	uint8_t upcall_vector;
	/* vcpu_stats.c: read racily by svctl top's requests, written only by this vCPU's thread */
	pid_t tid;
	uint64_t hypercalls, notifies;
	int stats_fd; /* KVM_GET_STATS_FD, or -1 */
	off_t exits_off;
};

/* A guest page moved into a memfd of its own for a process domain's grant map (page_remap.c). */
struct page_remap {
	uint64_t gpa;
	int fd;		   /* the 1-page memfd, mapped over gpa in mem */
	unsigned int refs; /* maps sharing it */
};

#define SV_DOMAIN_EV_PORT (1u << 30)

struct sv_domain {
	char name[SV_MAX_NAME_LEN + 1];
	char cmdline[SV_MAX_CMDLINE];
	uint32_t domid;
	sv_console_fn *console;
	void *console_opaque;
	pthread_mutex_t console_lock;
	/*
	 * domain.c's domain_end, for vCPU faults and shutdown hypercalls (see the top of this
	 * file). The first call decides how the domain ended; later ones are ignored.
	 */
	void (*end)(struct sv_domain *d, enum sv_exit_reason reason, int code, const char *detail);

	int kvm_fd;
	int vm_fd;
	size_t run_size;
	bool sync_regs;
	struct kvm_cpuid2 *cpuid;
	uint64_t tsc_khz;
	struct guest_mem mem;
	struct elf_info elf;
	/*
	 * A stock Linux kernel booted as a Xen PVH domU (a bzImage, or an ELF with the PVH entry
	 * note): vCPU 0 enters elf.entry in 32-bit protected mode (boot_pvh_sregs) with EBX =
	 * PVH_START_INFO; its hypercalls arrive on SV_XEN_HYPERCALL_PORT. False: our own kernel.
	 */
	bool pvh;
	uint64_t initrd_gpa, initrd_len; /* 0, 0: none */
	struct gnttab gnttab;

	unsigned int nr_vcpus;
	struct vcpu *vcpus;
	struct evtchn *evtchn; /* port table (evtchn.c) */
	void *shinfo_private;  /* pvh: the shared info until the guest maps it */
	/* What HVMOP_get_param answers; the ports are set by sv_domain_set_xen_ports. */
	uint64_t store_ring_gpa, console_ring_gpa;
	uint32_t xen_store_port, xen_console_port;
	/* pvh: the guest frame number each grant frame is mapped at (0: not), under remap_lock */
	uint64_t xen_gnt_gpfn[SV_GNTTAB_MAX_FRAMES];

	pthread_mutex_t remap_lock; /* guards remaps */
	struct page_remap *remaps;
	unsigned int nr_remaps;

	pthread_t timer_thread;
	bool timer_started;
	/* vCPU timerfds (data: the vCPU), stop_efd, core-raised ports (SV_DOMAIN_EV_PORT | port) */
	int timer_epfd;
	int stop_efd;

	/* lock protects everything below; cond announces changes of it */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool started;
	bool paused;
	bool ending;
	bool joined;
	unsigned int parked; /* vCPU threads waiting outside KVM_RUN */
	struct sv_domain_exit exit;
};

/* vcpu.c */
int vcpu_init(struct sv_domain *d, struct vcpu *v, unsigned int id);
/* vcpu_stats.c: the vCPU's KVM statistics, when the kernel has them (else stats_fd -1). */
void vcpu_stats_open(struct vcpu *v);
void vcpu_stats_close(struct vcpu *v);
void vcpu_release(struct vcpu *v);
/* The guest's system time (its TSC in ns); *err -EIO when KVM cannot read the TSC. */
uint64_t vcpu_guest_now_ns(struct vcpu *v, int *err);
void *vcpu_thread(void *arg);
void vcpu_kick(struct vcpu *v);

/* evtchn_kvm.c */
int evtchn_kvm_init(struct sv_domain *d);
void evtchn_kvm_release(struct sv_domain *d);
/* Timer expiry: VIRQ_TIMER's port when bound on v, else the bare upcall. */
int evtchn_kvm_timer_fire(struct vcpu *v);
/* HVMOP_set_evtchn_upcall_vector: v's upcalls (irqfd route and direct) use vector. */
int evtchn_kvm_set_upcall_vector(struct vcpu *v, uint8_t vector);

/* vcpu_gate.c, for both gates (vcpu.c, xen_vcpu.c): the same effects either way */
void vcpu_console_write(struct vcpu *v, const char *buf, size_t len);
void vcpu_shutdown(struct vcpu *v, unsigned int reason, int code);
/*
 * Both gates' register convention: *r points at the calling vCPU's registers (the copy KVM
 * synced, or buf read now) and arg at rdi, rsi, rdx, r10, r8; vcpu_hcall_return puts the
 * result in rax alone and hands the registers back to KVM.
 */
int vcpu_hcall_args(struct vcpu *v, struct kvm_regs *buf, struct kvm_regs **r, uint64_t arg[5]);
int vcpu_hcall_return(struct vcpu *v, struct kvm_regs *r, int64_t result);
/* xen_vcpu.c: an `out` to SV_XEN_HYPERCALL_PORT. */
int xen_vcpu_hypercall(struct vcpu *v);

/* cpuid.c */
int cpuid_get_supported(int kvm_fd, struct kvm_cpuid2 **out);
/* xen: the Xen leaves and timer bits a Linux PVH guest looks for, instead of ours. */
int cpuid_set_vcpu(const struct kvm_cpuid2 *base, int vcpu_fd, unsigned int apic_id, bool xen,
		   bool tsc_deadline);

#endif
