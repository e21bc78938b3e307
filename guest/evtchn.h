/* SPDX-License-Identifier: MIT */
/*
 * Event channels, the guest's side: hypercall wrappers, a handler per port,
 * the upcall demultiplexer and a halting wait. Each vCPU binds its own
 * VIRQ_TIMER, so the one-shot timer arrives as an event.
 */
#ifndef GUEST_EVTCHN_H
#define GUEST_EVTCHN_H

#include <stdint.h>
#include <splitvisor/event_channel.h>

struct percpu;

typedef void evtchn_handler_fn(uint32_t port, void *data);

/* vCPU 0 at boot: finds the shared-info page and binds VIRQ_TIMER; 0 or -errno. */
int evtchn_init(void);
/* Each secondary vCPU once it is up: binds its VIRQ_TIMER. */
int evtchn_init_cpu(void);

int evtchn_alloc_unbound(uint16_t remote_dom, uint32_t *port);
int evtchn_bind_interdomain(uint16_t remote_dom, uint32_t remote_port, uint32_t *port);
int evtchn_bind_virq(uint32_t virq, uint32_t vcpu, uint32_t *port);
int evtchn_bind_vcpu(uint32_t port, uint32_t vcpu);
int evtchn_close(uint32_t port);
int evtchn_status(struct evtchn_status *st);
void evtchn_mask(uint32_t port);
/* Clears the mask; asks the core to deliver an event that arrived while masked. */
int evtchn_unmask(uint32_t port);
/* The fast send: one `out` to the notify port. Errors are invisible here. */
void evtchn_send(uint32_t port);
/* The same through event_channel_op(send), which reports errors. */
int evtchn_send_checked(uint32_t port);

/* fn runs in the upcall, interrupts off, on the vCPU the port is bound to. */
void evtchn_set_handler(uint32_t port, evtchn_handler_fn *fn, void *data);

/*
 * Halts until port has fired since the last wait on it (returns at once if it
 * has). The port must be bound to the calling vCPU. deadline_ns 0 waits
 * forever; otherwise -ETIMEDOUT at that guest system time.
 */
int evtchn_wait(uint32_t port, uint64_t deadline_ns);

/* The upcall vector's work, interrupts off. */
void evtchn_do_upcall(struct percpu *pc);

#endif
