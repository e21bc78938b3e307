/* SPDX-License-Identifier: MIT */
/*
 * The producer side of event delivery over a shared-info page, in one place:
 * the core uses it for its own sends and timer VIRQs, and a process domain
 * uses it on its own mapping of the guest's page before writing the port's
 * irqfd. Every access is atomic because the guest writes the same words.
 */
#ifndef SV_EVTCHN_SHINFO_H
#define SV_EVTCHN_SHINFO_H

#include <stdbool.h>
#include <stdint.h>

#include <splitvisor/event_channel.h>

/*
 * Marks port pending for vcpu. Returns true when the caller must raise the
 * upcall vector on that vCPU (write the irqfd, or KVM_SIGNAL_MSI): the port was
 * not pending, not masked, its selector bit and upcall_pending were newly set,
 * and the guest has upcalls unmasked.
 */
bool shinfo_set_pending(struct sv_shared_info *s, unsigned int vcpu, uint32_t port);

/* Clears the mask bit; true when the upcall must be raised (same rules as above). */
bool shinfo_unmask(struct sv_shared_info *s, unsigned int vcpu, uint32_t port);

/*
 * The same on a vCPU whose vcpu_info lives elsewhere (a Linux guest's
 * register_vcpu_info): pending and mask bits in s, selector and upcall flag in
 * vi. ignore_mask (the HVM rules): raise even when the guest masked upcalls, as
 * Xen does for HVM guests (Linux never clears the mask it does not use), and for
 * every newly pending unmasked port even when the selector and upcall flag were
 * already set (an upcall the guest's APIC dropped must not silence later ones).
 */
bool shinfo_set_pending_vi(struct sv_shared_info *s, struct sv_vcpu_info *vi, uint32_t port,
			   bool ignore_mask);
bool shinfo_unmask_vi(struct sv_shared_info *s, struct sv_vcpu_info *vi, uint32_t port,
		      bool ignore_mask);

/*
 * Consumer side, for host-side tests and tools: takes the next pending,
 * unmasked port off vcpu's selector (clearing its pending bit). Returns the
 * port, or 0 when none is left. Clears upcall_pending before scanning.
 */
uint32_t shinfo_take_next(struct sv_shared_info *s, unsigned int vcpu);

#endif
