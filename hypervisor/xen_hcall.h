/* SPDX-License-Identifier: MIT */
/*
 * The Xen-ABI gate (SV_XEN_HYPERCALL_PORT) for stock Linux PVH guests: Xen's
 * hypercall numbers and structure layouts (splitvisor/xen_abi.h), pointers
 * guest-virtual, translated on the calling vCPU. Everything not served is
 * -ENOSYS. Nothing here touches KVM: what needs it goes through xen_hcall_ops
 * (xen_vcpu.c supplies the real ones), so unit tests run it on plain memory.
 */
#ifndef SV_XEN_HCALL_H
#define SV_XEN_HCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "grant_table.h"
#include "guest_mem.h"
#include "guest_va.h"

struct evtchn;

struct xen_hcall_ops {
	void (*console_write)(void *ctx, const char *buf, size_t len);
	/* reason: SV_SHUTDOWN_poweroff, _reboot or _crash */
	void (*shutdown)(void *ctx, unsigned int reason, int code);
	/* vcpu < nr_vcpus, vector >= 0x10: the caller checked */
	int (*set_upcall_vector)(void *ctx, unsigned int vcpu, uint8_t vector);
	/* The calling vCPU's paging registers, read once per hypercall when needed. */
	int (*get_paging)(void *ctx, struct gva_paging *pg);
	/* XENMAPSPACE_grant_table: back gpfn with grant frame idx; NULL: -ENOSYS. */
	int (*map_grant_frame)(void *ctx, uint64_t idx, uint64_t gpfn);
	/* SCHEDOP_yield and _poll */
	void (*yield)(void *ctx);
};

struct xen_env {
	const struct guest_mem *mem;
	struct evtchn *evtchn; /* NULL: event_channel_op and the shared info are -ENOSYS */
	struct gnttab *gnttab;
	uint16_t domid;
	unsigned int nr_vcpus;
	/* HVMOP_get_param's answers */
	uint64_t store_pfn, console_pfn;
	uint32_t store_port, console_port;
	const struct xen_hcall_ops *ops;
	void *ctx;
	/* The caller leaves these zero; the first pointer fills them (ops->get_paging). */
	bool pg_valid;
	struct gva_paging pg;
};

/* Returns the value for the guest's rax: a result or a negative Xen errno. */
int64_t xen_hcall_dispatch(struct xen_env *env, uint64_t nr, const uint64_t arg[5]);

#endif
