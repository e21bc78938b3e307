/* SPDX-License-Identifier: MIT */
/* Internals shared by domain.c, vcpu.c and cpuid.c; nothing outside hypervisor/ sees them. */
#ifndef SV_DOMAIN_PRIV_H
#define SV_DOMAIN_PRIV_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>

#include <splitvisor/hypercall.h>
#include <splitvisor/limits.h>

#include "elf_loader.h"
#include "grant_table.h"
#include "guest_mem.h"
#include <splitvisor/core.h>

struct sv_vcpu {
	struct sv_domain *dom;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	bool up; /* may run guest code (vCPU 0 from start, others after vcpu_op up) */
	struct sv_vcpu_context up_ctx;
	int timer_fd;
};

struct sv_domain {
	char name[SV_MAX_NAME_LEN + 1];
	char cmdline[SV_MAX_CMDLINE];
	uint32_t domid;
	sv_console_fn *console;
	void *console_opaque;
	pthread_mutex_t console_lock;

	int kvm_fd;
	int vm_fd;
	size_t run_size;
	bool sync_regs;
	struct kvm_cpuid2 *cpuid;
	uint64_t tsc_khz;
	struct sv_guest_mem mem;
	struct sv_elf_info elf;
	struct sv_gnttab gnttab;

	unsigned int nr_vcpus;
	struct sv_vcpu *vcpus;
	struct sv_evtchn *evtchn; /* port table (evtchn.c) */

	pthread_t timer_thread;
	bool timer_started;
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
int sv_vcpu_init(struct sv_domain *d, struct sv_vcpu *v, unsigned int id);
void sv_vcpu_release(struct sv_vcpu *v);
void *sv_vcpu_thread(void *arg);
void sv_vcpu_kick(struct sv_vcpu *v);
int sv_vcpu_raise_upcall(struct sv_vcpu *v);

/* evtchn_kvm.c */
int sv_domain_evtchn_init(struct sv_domain *d);
void sv_domain_evtchn_release(struct sv_domain *d);
/* Timer expiry: VIRQ_TIMER's port when bound on v, else the bare upcall. */
int sv_vcpu_timer_fire(struct sv_vcpu *v);

/* cpuid.c */
int sv_cpuid_get_supported(int kvm_fd, struct kvm_cpuid2 **out);
int sv_cpuid_set_vcpu(const struct kvm_cpuid2 *base, int vcpu_fd, unsigned int apic_id);

/* domain.c: the first call decides how the domain ended; later ones are ignored. */
void sv_domain_end(struct sv_domain *d, enum sv_exit_reason reason, int code, const char *detail);
void sv_domain_console_write(struct sv_domain *d, const char *buf, size_t len);

#endif
