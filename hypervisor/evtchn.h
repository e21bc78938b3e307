/* SPDX-License-Identifier: MIT */
/*
 * Event-channel port tables, one per guest domain, and the operations on
 * them. Nothing here touches KVM: raising an upcall and wiring an
 * ioeventfd/irqfd pair go through struct evtchn_ops, so unit tests can run
 * it on plain memory (evtchn_kvm.c supplies the real ops).
 *
 * Errors: -EINVAL bad port (0, >= 4096, not open in this domain), wrong state
 * or bad virq/vcpu; -ENOTCONN send on an unbound port; -ENOSPC no free port;
 * -EEXIST virq already bound on that vCPU; -ESRCH no such remote domain;
 * -EPERM the remote port is not offered to the caller; -EFAULT bad pointer.
 */
#ifndef SV_EVTCHN_H
#define SV_EVTCHN_H

#include <stdbool.h>
#include <stdint.h>

#include <splitvisor/event_channel.h>
#include <splitvisor/xen_abi.h>

#include "guest_mem.h"

struct evtchn;

struct evtchn_ops {
	/* Raise the upcall vector on vcpu. */
	void (*kick)(void *ctx, unsigned int vcpu);
	/*
	 * Create the fast path of a process-domain port: fds[0] signalled by the
	 * guest's notify-port write of port, fds[1] an irqfd for vcpu's upcall.
	 */
	int (*attach)(void *ctx, uint32_t port, unsigned int vcpu, int fds[2]);
	/* Undo attach and close fds. */
	void (*detach)(void *ctx, uint32_t port, unsigned int vcpu, const int fds[2]);
};

int evtchn_create(uint16_t domid, unsigned int nr_vcpus, struct sv_shared_info *shinfo,
		  const struct evtchn_ops *ops, void *ctx, struct evtchn **out);
/*
 * At most max_channels ports (1..max_channels) are allocated from now on; 0 = every port.
 * Ports open above it stay open. -EINVAL above SV_EVTCHN_NR_PORTS - 1.
 */
int evtchn_set_limit(struct evtchn *e, uint32_t max_channels);
/* Closes every port (peers become unbound, process fast paths are detached). */
void evtchn_destroy(struct evtchn *e);

/* Guest operations, as event_channel_op performs them for a vCPU of e's domain. */
int evtchn_alloc_unbound(struct evtchn *e, uint16_t remote_dom, uint32_t *port);
int evtchn_bind_interdomain(struct evtchn *e, uint16_t remote_dom, uint32_t remote_port,
			    uint32_t *port);
int evtchn_bind_virq(struct evtchn *e, uint32_t virq, uint32_t vcpu, uint32_t *port);
int evtchn_close(struct evtchn *e, uint32_t port);
int evtchn_send(struct evtchn *e, uint32_t port);
int evtchn_status(struct evtchn *e, struct evtchn_status *st);
int evtchn_unmask(struct evtchn *e, uint32_t port);
int evtchn_bind_vcpu(struct evtchn *e, uint32_t port, uint32_t vcpu);

/* A Xen-ABI guest's IPI port on vcpu: a send sets it pending on that vCPU. */
int evtchn_bind_ipi(struct evtchn *e, uint32_t vcpu, uint32_t *port);

/*
 * Linux PVH guests (the Xen-ABI gate). set_xen_hvm: upcalls go out whatever the
 * guest's upcall_mask says, as Xen does for HVM guests. set_shared_info moves
 * the page (XENMEM_add_to_physmap): the content is copied, and later events go
 * to the new one. set_vcpu_info moves a vCPU's vcpu_info (register_vcpu_info):
 * content copied, every selector bit and the upcall flag set, the upcall raised.
 * Callers check that the new places lie in RAM and stay inside their page.
 */
void evtchn_set_xen_hvm(struct evtchn *e, bool on);
struct sv_shared_info *evtchn_shared_info(struct evtchn *e);
int evtchn_set_shared_info(struct evtchn *e, struct sv_shared_info *s);
int evtchn_set_vcpu_info(struct evtchn *e, unsigned int vcpu, struct sv_vcpu_info *vi);
/* The vCPU's upcall flag, wherever its vcpu_info is now. */
bool evtchn_upcall_pending(struct evtchn *e, unsigned int vcpu);

/* Sets the VIRQ's port pending; -ENOENT when the guest has not bound it on vcpu. */
int evtchn_raise_virq(struct evtchn *e, unsigned int vcpu, uint32_t virq);

/* Process-domain ends (see svcore.h). */
int evtchn_bind_proc(struct evtchn *e, uint32_t port, uint16_t process_domid, int *notify_fd,
		     int *raise_fd);
int evtchn_close_proc(struct evtchn *e, uint32_t port);
/*
 * Delivers an event on a port bound by process process_domid, for it: -EINVAL if
 * not bound to a process, -EPERM if bound by another one.
 */
int evtchn_raise_proc(struct evtchn *e, uint32_t port, uint16_t process_domid);
/*
 * For a domain whose process ports the core raises (Linux PVH, evtchn_core_raises): the
 * raise eventfd of port became readable; empties it and delivers. -EINVAL when the port
 * is no longer bound to a process (it was closed on the way).
 */
int evtchn_proc_raise_ready(struct evtchn *e, uint32_t port);
/* The domid of the process that bound port, or -EINVAL if none did. */
int evtchn_proc_domid(struct evtchn *e, uint32_t port);
/* The vCPU whose selector a port's events go to, or -EINVAL. */
int evtchn_vcpu_of(struct evtchn *e, uint32_t port);

/*
 * The event_channel_op commands both hypercall gates serve with the same argument structs;
 * each gate copies the struct in once, runs it here and copies results back. (status has
 * a layout per gate; bind_ipi is only Xen's, for Linux.)
 */
union evtchn_op_args {
	struct evtchn_alloc_unbound au;
	struct evtchn_bind_interdomain bi;
	struct evtchn_bind_virq bv;
	struct evtchn_port_op po;
	struct evtchn_bind_vcpu bc;
	struct xen_evtchn_bind_ipi ip;
};
/* cmd's argument size, or 0 when cmd is not one of them (bind_ipi counts with xen_ops). */
size_t evtchn_op_len(uint64_t cmd, bool xen_ops);
/* Runs cmd (evtchn_op_len said yes); *copy_back: a is the result the guest gets back. */
int evtchn_op_run(struct evtchn *e, uint64_t cmd, union evtchn_op_args *a, bool *copy_back);

/* event_channel_op(cmd, gpa): copies the struct in once, runs cmd, copies results out. */
int64_t evtchn_hypercall(struct evtchn *e, const struct guest_mem *mem, uint64_t cmd, uint64_t gpa);

#endif
