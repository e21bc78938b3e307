/* SPDX-License-Identifier: MIT */
/*
 * Event channels, Xen's 2-level model: per-domain ports, pending and mask
 * bitmaps in the shared-info page (SV_SHARED_INFO_GPA), a per-vCPU
 * upcall-pending flag and one upcall vector (SV_UPCALL_VECTOR).
 *
 * event_channel_op(cmd, arg): arg is the guest-physical address of the
 * command's struct; output fields are written back there.
 *
 * Sending: a guest writes the port number with `outl %eax, $SV_NOTIFY_PORT`.
 * When the remote end is a process domain the write is caught by an
 * ioeventfd (datamatch = port) and never reaches the core's userspace;
 * otherwise the core handles it as EVTCHNOP_send. EVTCHNOP_send works too.
 */
#ifndef SPLITVISOR_EVENT_CHANNEL_H
#define SPLITVISOR_EVENT_CHANNEL_H

#include <stdint.h>

#define SV_HC_event_channel_op 32

#define SV_EVTCHN_NR_PORTS 4096u /* port 0 is never allocated */
#define SV_DOMID_SELF	   0x7ff0u

#define EVTCHNOP_bind_interdomain 0
#define EVTCHNOP_bind_virq	  1
#define EVTCHNOP_close		  3
#define EVTCHNOP_send		  4
#define EVTCHNOP_status		  5
#define EVTCHNOP_alloc_unbound	  6
#define EVTCHNOP_bind_vcpu	  8
#define EVTCHNOP_unmask		  9

#define SV_VIRQ_TIMER	0
#define SV_VIRQ_DEBUG	1
#define SV_VIRQ_CONSOLE 2
#define SV_NR_VIRQS	3

/* EVTCHNOP_status results */
#define EVTCHNSTAT_closed      0
#define EVTCHNSTAT_unbound     1
#define EVTCHNSTAT_interdomain 2
#define EVTCHNSTAT_virq	       4
#define EVTCHNSTAT_ipi	       5 /* Xen-ABI guests only */

struct evtchn_alloc_unbound {
	uint16_t dom;	     /* SV_DOMID_SELF or own id */
	uint16_t remote_dom; /* who may bind the other end */
	uint32_t port;	     /* out */
};

struct evtchn_bind_interdomain {
	uint16_t remote_dom;
	uint16_t pad;
	uint32_t remote_port;
	uint32_t local_port; /* out */
};

struct evtchn_bind_virq {
	uint32_t virq;
	uint32_t vcpu;
	uint32_t port; /* out */
};

struct evtchn_port_op { /* close, send, unmask */
	uint32_t port;
};

struct evtchn_status {
	uint16_t dom; /* SV_DOMID_SELF only, for now */
	uint16_t pad;
	uint32_t port;
	uint32_t status;      /* out: EVTCHNSTAT_* */
	uint32_t vcpu;	      /* out */
	uint32_t remote_dom;  /* out: interdomain/unbound */
	uint32_t remote_port; /* out: interdomain; virq number for virq */
};

struct evtchn_bind_vcpu {
	uint32_t port;
	uint32_t vcpu;
};

/* The shared-info page. */
#define SV_SHINFO_MAX_VCPUS 32

struct sv_vcpu_info {
	uint8_t upcall_pending;
	uint8_t upcall_mask;
	uint8_t pad[6];
	uint64_t pending_sel; /* bit i: word i of evtchn_pending may have work */
	uint8_t reserved[48];
};

struct sv_shared_info {
	struct sv_vcpu_info vcpu_info[SV_SHINFO_MAX_VCPUS]; /* @0, 64 B each */
	uint64_t evtchn_pending[64];			    /* @2048 */
	uint64_t evtchn_mask[64];			    /* @2560 */
	/*
	 * The wall clock at guest system time 0 (the TSC's zero), as Xen's wc_*: the guest's
	 * time of day is wc_sec.wc_nsec plus its system time. UTC, or the host's local time
	 * for <clock offset='localtime'>. The core writes it once, before the guest runs;
	 * wc_version is even when it is stable.
	 */
	uint32_t wc_version;	/* @3072 */
	uint32_t wc_nsec;	/* @3076 */
	uint64_t wc_sec;	/* @3080: seconds since 1970-01-01 */
	uint8_t reserved[1008]; /* @3088 */
};

_Static_assert(sizeof(struct sv_vcpu_info) == 64, "vcpu_info layout");
_Static_assert(sizeof(struct sv_shared_info) == 4096, "shared info layout");

#endif
