/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor core's API: build a domain from a kernel ELF, run its vCPUs
 * on KVM, pause, destroy and wait for it. Nothing here parses XML or hosts a
 * device: those live in the control domain.
 */
#ifndef SPLITVISOR_CORE_H
#define SPLITVISOR_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitvisor/exit.h>

struct sv_domain;

/* Called from vCPU threads, one call at a time per domain. */
typedef void sv_console_fn(void *opaque, const char *buf, size_t len);

struct sv_domain_params {
	const char *name;
	uint32_t domid;
	uint32_t memory_mib;
	uint32_t vcpus;
	/* our own ELF64 kernel, or a Linux bzImage or vmlinux with the PVH note (a PVH domain) */
	const char *kernel;
	const char *initrd; /* NULL or a path: loaded above the kernel */
	const char *cmdline;
	bool require_pvh;	     /* refuse a kernel that would not boot as a PVH domain */
	int32_t wallclock_offset_s;  /* added to UTC in the shared info's wall clock */
	uint32_t max_grant_frames;   /* 0 = SV_GNTTAB_MAX_FRAMES */
	uint32_t max_event_channels; /* 0 = every port; else ports 1..N */
	sv_console_fn *console;
	void *console_opaque;
};

struct sv_domain_exit {
	enum sv_exit_reason reason;
	int code;	   /* the guest's exit code for poweroff */
	char detail[2048]; /* why, and a register dump for faults */
};

/* 0 when /dev/kvm can run our guests, else -errno and a sentence in err. */
int sv_kvm_probe(char *err, size_t errlen);

int sv_domain_create(const struct sv_domain_params *p, struct sv_domain **out, char *err,
		     size_t errlen);
int sv_domain_start(struct sv_domain *d);
/* Before sv_domain_start too: the vCPUs then park until sv_domain_unpause. */
int sv_domain_pause(struct sv_domain *d);
int sv_domain_unpause(struct sv_domain *d);
/* Asks every vCPU to stop; the domain ends with SV_EXIT_DESTROYED unless it ended already. */
void sv_domain_destroy(struct sv_domain *d);
/* Waits for the end (timeout_ms < 0: forever); -ETIMEDOUT if it has not ended. */
int sv_domain_wait(struct sv_domain *d, int timeout_ms, struct sv_domain_exit *ex);
/* Destroys if needed, joins every thread and releases every fd and page. */
void sv_domain_free(struct sv_domain *d);

const char *sv_exit_reason_name(enum sv_exit_reason r);

/*
 * For process domains (backends): the domain's RAM as the core maps it, with
 * its memfd (owned by the core: dup it to keep it), and where the guest put
 * its grant table (-ENOENT before grant_table_op(setup_table)). The table can
 * move at any time: ask again rather than caching it. A caller that caches it
 * (dom0's backends, through SV_CTL_GNTTAB) pins it: from then on the guest's
 * setup_table may only repeat the same location and size (else -EBUSY).
 */
int sv_domain_memory(struct sv_domain *d, int *memfd, void **hva, uint64_t *size);
int sv_domain_grant_table(struct sv_domain *d, uint64_t *gpa, uint32_t *nr_frames);
int sv_domain_grant_table_pin(struct sv_domain *d, uint64_t *gpa, uint32_t *nr_frames);

/*
 * Counters since the domain was created, summed over its vCPUs and read
 * without a lock (svctl top): VM exits as KVM counts them (exits_known false
 * when the kernel has no binary statistics), the vCPU threads' CPU time, and
 * the hypercalls and notify-port kicks that reached this process (kicks that
 * an ioeventfd took to a backend are counted by the backends).
 */
struct sv_domain_stats {
	uint64_t cpu_ns, exits, hypercalls, notifies;
	bool exits_known;
};
int sv_domain_stats(struct sv_domain *d, struct sv_domain_stats *st);

/*
 * Event channels whose other end is a process domain (dom0, a driver domain).
 * alloc_unbound makes a port in d that process remote_domid may bind.
 * bind_process binds it (or a port the guest offered to process_domid) and
 * returns two non-blocking eventfds the caller owns: notify_fd is readable
 * after the guest sent on the port; after setting the port pending with
 * shinfo_set_pending() (evtchn_shinfo.h) on sv_domain_shared_info(d), for
 * the vCPU sv_evtchn_port_vcpu() names, write 1 to raise_fd when that returned
 * true. The new binding starts pending. close_process unbinds the process end;
 * the guest's port stays, unbound. Errors as in docs/abi.md.
 */
int sv_evtchn_alloc_unbound(struct sv_domain *d, uint16_t remote_domid, uint32_t *port);
int sv_evtchn_bind_process(struct sv_domain *d, uint32_t port, uint16_t process_domid,
			   int *notify_fd, int *raise_fd);
int sv_evtchn_close_process(struct sv_domain *d, uint32_t port);
int sv_evtchn_port_vcpu(struct sv_domain *d, uint32_t port);
/*
 * True when the core raises d's process ports itself (a Linux PVH guest, whose shared
 * info and vcpu_info move): raise_fd is then a plain eventfd the core reads, and the
 * process writes it without touching the shared info.
 */
bool sv_evtchn_core_raises(struct sv_domain *d);
/*
 * Raises a port bound with bind_process, for a process that may not see the
 * shared-info page (a driver domain writes its send eventfd; the core reads
 * it and calls this): sets it pending and raises the upcall when needed.
 * -EINVAL when the port is not bound to a process, -EPERM when another process
 * (process_domid) bound it: the guest may have closed the port and offered its
 * number to someone else since.
 */
int sv_evtchn_raise_process(struct sv_domain *d, uint32_t port, uint16_t process_domid);
/* The domid of the process that bound port, or -EINVAL when it is not bound to one. */
int sv_evtchn_process_domid(struct sv_domain *d, uint32_t port);

/*
 * Grant maps for process domains that may not see the RAM memfd. page_remap
 * pauses the guest, moves the page at gpa (4096-aligned, inside RAM) into a
 * 1-page memfd mapped over it in the core's RAM mapping (the guest and the
 * core then use that page; the RAM memfd keeps the old copy), unpauses and
 * returns a new fd of that memfd, the caller's: read-only when readonly, else
 * read-write. The memfd is sealed against shrinking and growing. A second
 * remap of the same page shares it (a count). page_restore drops one; the
 * last copies the page back into the RAM memfd and maps the RAM memfd there
 * again (paused too). -EINVAL bad gpa, -ENOENT restore of a page not moved.
 * Pages still moved when the domain is freed are dropped with it.
 */
int sv_domain_page_remap(struct sv_domain *d, uint64_t gpa, bool readonly, int *page_fd);
int sv_domain_page_restore(struct sv_domain *d, uint64_t gpa);
/* How many pages are moved (for tests and diagnostics). */
unsigned int sv_domain_page_remaps(struct sv_domain *d);
/*
 * The xenstore and console ports a Linux PVH guest reads with HVMOP_get_param
 * (our own guests read them from their start info).
 */
void sv_domain_set_xen_ports(struct sv_domain *d, uint32_t store_port, uint32_t console_port);
/* Whether d boots a Linux PVH kernel (which uses the console ring, not console_io). */
bool sv_domain_is_pvh(struct sv_domain *d);
/*
 * The guest's shared-info page as the core maps it (struct sv_shared_info). A
 * Linux PVH guest moves it (XENMEM_add_to_physmap): ask again after it did.
 */
void *sv_domain_shared_info(struct sv_domain *d);

#endif
