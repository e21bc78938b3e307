/* SPDX-License-Identifier: MIT */
/*
 * The part of Xen's hypercall ABI that a stock Linux PVH domU uses, served on
 * SV_XEN_HYPERCALL_PORT (docs/abi.md, "Linux PVH guests: the Xen-ABI gate").
 * Numbers and layouts are Xen's (x86_64); the definitions are our own, written
 * from the facts in shared/LINUX-PVH-FACTS.md. Pointers are guest-virtual.
 */
#ifndef SPLITVISOR_XEN_ABI_H
#define SPLITVISOR_XEN_ABI_H

#include <stdint.h>

/* Hypercall numbers (eax). */
#define XEN_HC_memory_op	12
#define XEN_HC_xen_version	17
#define XEN_HC_console_io	18
#define XEN_HC_grant_table_op	20
#define XEN_HC_vcpu_op		24
#define XEN_HC_sched_op		29
#define XEN_HC_event_channel_op 32
#define XEN_HC_hvm_op		34

/* Xen's errno values, returned negated in rax. */
#define XEN_EPERM  1
#define XEN_ENOENT 2
#define XEN_ESRCH  3
#define XEN_ENOMEM 12
#define XEN_EFAULT 14
#define XEN_EBUSY  16
#define XEN_EEXIST 17
#define XEN_EINVAL 22
#define XEN_ENOSPC 28
#define XEN_ENOSYS 38

#define XEN_DOMID_SELF 0x7ff0u

/* The version we claim: major >= 4 keeps Linux's xenbus out of its old-Xen quirks. */
#define XEN_VERSION_MAJOR 4
#define XEN_VERSION_MINOR 17

/* xen_version(cmd, arg) */
#define XENVER_version	     0
#define XENVER_extraversion  1 /* arg: char[16] */
#define XENVER_get_features  6 /* arg: struct xen_feature_info */
#define XEN_EXTRAVERSION_LEN 16

struct xen_feature_info {
	uint32_t submap_idx;
	uint32_t submap; /* out */
};

#define XENFEAT_auto_translated_physmap 2
#define XENFEAT_hvm_callback_vector	8

/* memory_op(cmd, arg) */
#define XENMEM_add_to_physmap 7

#define XENMAPSPACE_shared_info 0
#define XENMAPSPACE_grant_table 1

/*
 * Where a Linux PVH guest's grant frames live: RAM in the legacy ROM window that
 * Linux reserves itself (0xA0000-0x100000); add_to_physmap(grant_table, idx,
 * gpfn) makes gpfn, in a hole above RAM, another view of frame idx here.
 */
#define SV_PVH_GNTTAB_GPA 0xc0000ull

struct xen_add_to_physmap {
	uint16_t domid;
	uint16_t size;
	uint32_t space;
	uint64_t idx;
	uint64_t gpfn;
};

/* vcpu_op(cmd, vcpuid, arg) */
#define VCPUOP_register_vcpu_info 10

struct xen_vcpu_register_vcpu_info {
	uint64_t mfn; /* guest frame number of the page */
	uint32_t offset;
	uint32_t rsvd;
};

/* hvm_op(op, arg) */
#define HVMOP_set_param		       0
#define HVMOP_get_param		       1
#define HVMOP_set_evtchn_upcall_vector 23

struct xen_hvm_param {
	uint16_t domid;
	uint16_t pad;
	uint32_t index;
	uint64_t value;
};

struct xen_hvm_evtchn_upcall_vector {
	uint32_t vcpu;
	uint8_t vector;
	uint8_t pad[3];
};

#define HVM_PARAM_CALLBACK_IRQ	 0
#define HVM_PARAM_STORE_PFN	 1
#define HVM_PARAM_STORE_EVTCHN	 2
#define HVM_PARAM_CONSOLE_PFN	 17
#define HVM_PARAM_CONSOLE_EVTCHN 18

/* event_channel_op(cmd, arg): the commands that differ from ours (event_channel.h). */
#define XEN_EVTCHNOP_bind_ipi 7

#define XEN_EVTCHNSTAT_closed	   0
#define XEN_EVTCHNSTAT_unbound	   1
#define XEN_EVTCHNSTAT_interdomain 2
#define XEN_EVTCHNSTAT_virq	   4
#define XEN_EVTCHNSTAT_ipi	   5

struct xen_evtchn_bind_ipi {
	uint32_t vcpu;
	uint32_t port; /* out */
};

struct xen_evtchn_status {
	uint16_t dom;
	uint16_t pad;
	uint32_t port;
	uint32_t status; /* out */
	uint32_t vcpu;	 /* out */
	union {
		uint16_t unbound_dom;
		struct {
			uint16_t dom;
			uint16_t pad;
			uint32_t port;
		} interdomain;
		uint32_t virq;
	} u; /* out */
};

/* sched_op(cmd, arg) */
#define XEN_SCHEDOP_yield    0
#define XEN_SCHEDOP_shutdown 2 /* arg: struct xen_sched_shutdown */
#define XEN_SCHEDOP_poll     3

struct xen_sched_shutdown {
	uint32_t reason;
};

#define XEN_SHUTDOWN_poweroff 0
#define XEN_SHUTDOWN_reboot   1
#define XEN_SHUTDOWN_suspend  2
#define XEN_SHUTDOWN_crash    3
#define XEN_SHUTDOWN_watchdog 4

/* grant_table_op(cmd, arg, count) */
#define XEN_GNTTABOP_query_size	 6
#define XEN_GNTTABOP_set_version 8

struct xen_gnttab_query_size {
	uint16_t dom;
	uint16_t pad;
	uint32_t nr_frames;	/* out */
	uint32_t max_nr_frames; /* out */
	int16_t status;		/* out */
	uint16_t pad2;
};

struct xen_gnttab_set_version {
	uint32_t version;
};

/* console_io(cmd, count, buffer) */
#define XEN_CONSOLEIO_write 0

_Static_assert(sizeof(struct xen_add_to_physmap) == 24, "add_to_physmap layout");
_Static_assert(sizeof(struct xen_vcpu_register_vcpu_info) == 16, "vcpu_info reg layout");
_Static_assert(sizeof(struct xen_hvm_param) == 16, "hvm_param layout");
_Static_assert(sizeof(struct xen_hvm_evtchn_upcall_vector) == 8, "upcall vector layout");
_Static_assert(sizeof(struct xen_evtchn_status) == 24, "evtchn status layout");
_Static_assert(sizeof(struct xen_gnttab_query_size) == 16, "query_size layout");

#endif
