/* SPDX-License-Identifier: MIT */
/*
 * The control socket of the hypervisor core (svcored, <rundir>/core.sock): the
 * privcmd-like path by which process domains ask the core for things. A
 * message is a 16-byte header and `len` payload bytes (at most
 * SV_CTL_PAYLOAD_MAX). Requests carry a req_id that the reply echoes; the
 * reply's status is 0 or a negative errno, and an error reply may carry a
 * NUL-terminated sentence as payload. Events (op >= SV_CTL_EV_BASE) have
 * req_id 0. All integers are host-endian: both ends run on one host.
 *
 * The dom0 toolstack socket (dom0.sock) uses the same framing with its own ops.
 */
#ifndef SPLITVISOR_CONTROL_H
#define SPLITVISOR_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#define SV_CTL_VERSION	   1u
#define SV_CTL_HDR_SIZE	   16u
#define SV_CTL_PAYLOAD_MAX 4096u
#define SV_CTL_MSG_MAX	   (SV_CTL_HDR_SIZE + SV_CTL_PAYLOAD_MAX)

#define SV_CTL_TOKEN_LEN     64u /* hex characters in core.token */
#define SV_CTL_NAME_SIZE     72u /* SV_MAX_NAME_LEN + NUL, padded */
#define SV_CTL_PATH_SIZE     1024u
#define SV_CTL_CMDLINE_SIZE  1024u /* SV_MAX_CMDLINE */
#define SV_CTL_DETAIL_SIZE   2048u
#define SV_CTL_DOMID_MAX     0x7fefu /* Xen's DOMID_FIRST_RESERVED - 1 */
#define SV_CTL_DOMID_INVALID 0x7ff4u /* Xen's DOMID_INVALID */

struct sv_ctl_hdr {
	uint32_t op;
	uint32_t len;	 /* payload bytes that follow */
	uint32_t req_id; /* echoed in the reply; 0 in events */
	int32_t status;	 /* requests: 0; replies: 0 or -errno */
};

enum sv_ctl_op {
	SV_CTL_HELLO = 1,     /* sv_ctl_hello -> sv_ctl_hello_reply */
	SV_CTL_CREATE = 2,    /* sv_ctl_create -> sv_ctl_domid (created and running) */
	SV_CTL_DESTROY = 3,   /* sv_ctl_domid -> empty; also removes an ended domain */
	SV_CTL_PAUSE = 4,     /* sv_ctl_domid -> empty */
	SV_CTL_UNPAUSE = 5,   /* sv_ctl_domid -> empty */
	SV_CTL_INFO = 6,      /* sv_ctl_domid -> sv_ctl_dominfo */
	SV_CTL_LIST = 7,      /* sv_ctl_list -> up to SV_CTL_LIST_MAX sv_ctl_dominfo */
	SV_CTL_MEMFD = 8,     /* sv_ctl_domid -> sv_ctl_memfd_reply + the memfd (SCM_RIGHTS) */
	SV_CTL_SUBSCRIBE = 9, /* empty -> empty; then events, buffered console first */
	SV_CTL_STOP = 10,     /* empty -> empty; destroys every domain, svcored exits */
	/* sv_ctl_domid -> sv_ctl_store_bind_reply + notify and raise eventfds (SCM_RIGHTS) */
	SV_CTL_STORE_BIND = 11,
	/* sv_ctl_domid -> sv_ctl_store_bind_reply + eventfds, for the guest's console port */
	SV_CTL_CONSOLE_BIND = 12,
	/*
	 * sv_ctl_evtchn -> sv_ctl_store_bind_reply + eventfds: binds a port the guest
	 * allocated unbound for this process (a frontend's event-channel key).
	 */
	SV_CTL_EVTCHN_BIND = 13,
	SV_CTL_EVTCHN_CLOSE = 14, /* sv_ctl_evtchn -> empty: undoes EVTCHN_BIND */
	SV_CTL_GNTTAB = 15,	  /* sv_ctl_domid -> sv_ctl_gnttab_reply */
	/*
	 * dom0: sv_ctl_procdom -> sv_ctl_domid + one end of a socketpair that is
	 * already a core.sock connection of that process domain (a driver domain):
	 * see "Process domains" below.
	 */
	SV_CTL_PROCDOM_CREATE = 16,
	/* process domain: sv_ctl_gnt_area + a memfd (SCM_RIGHTS) -> empty */
	SV_CTL_GNT_AREA = 17,
	/* process domain: sv_ctl_gnt_copy -> sv_ctl_gnt_copy_reply; segments in the area */
	SV_CTL_GNT_COPY = 18,
	/* process domain: sv_ctl_gnt_map -> sv_ctl_gnt_map_reply + a memfd of that one page */
	SV_CTL_GNT_MAP = 19,
	SV_CTL_GNT_UNMAP = 20, /* process domain: sv_ctl_gnt_map -> empty */
	SV_CTL_OP_COUNT,

	SV_CTL_EV_BASE = 0x100,
	SV_CTL_EV_CONSOLE = 0x100, /* sv_ctl_ev_console + data */
	SV_CTL_EV_ENDED = 0x101,   /* sv_ctl_ev_ended */
};

struct sv_ctl_hello {
	uint32_t version; /* SV_CTL_VERSION */
	uint32_t flags;	  /* 0 */
	/* core.token's contents for dom0; empty (all NUL) for an unprivileged client */
	char token[SV_CTL_NAME_SIZE];
};

struct sv_ctl_hello_reply {
	uint32_t version;
	uint32_t domid; /* 0 for the control domain, SV_CTL_DOMID_INVALID otherwise */
	uint32_t privileged;
	uint32_t pad;
};

/* Strings are NUL-terminated inside their field; the rest of the field is ignored. */
struct sv_ctl_create {
	char name[SV_CTL_NAME_SIZE];
	uint32_t memory_mib;	       /* SV_MIN_MEMORY_MIB..SV_MAX_MEMORY_MIB */
	uint32_t vcpus;		       /* 1..SV_MAX_VCPUS */
	char kernel[SV_CTL_PATH_SIZE]; /* absolute path, opened by the core */
	char cmdline[SV_CTL_CMDLINE_SIZE];
	uint32_t flags; /* SV_CTL_CREATE_* */
	/* Seconds added to UTC in the guest's wall clock (shared info): 0, or the host's UTC
	 * offset for <clock offset='localtime'>; within +-SV_CTL_WALLCLOCK_OFFSET_MAX. */
	int32_t wallclock_offset_s;
	/* Per-domain limits (<controller type='xenbus'>); 0 = the core's maximum. */
	uint32_t max_grant_frames;   /* 1..SV_GNTTAB_MAX_FRAMES */
	uint32_t max_event_channels; /* 2..SV_EVTCHN_NR_PORTS - 1: ports 1..N */
	/* "" or an absolute path, opened by the core: loaded above the kernel (docs/abi.md) */
	char initrd[SV_CTL_PATH_SIZE];
};

#define SV_CTL_WALLCLOCK_OFFSET_MAX 86399 /* less than a day either way */

/* Created with its vCPUs parked: dom0 sets up xenstore and devices, then unpauses. */
#define SV_CTL_CREATE_PAUSED (1u << 0)
/* The kernel must boot as a Linux PVH domU (<type>xenpvh</type>): refused otherwise. */
#define SV_CTL_CREATE_PVH (1u << 1)

struct sv_ctl_domid {
	uint32_t domid;
	uint32_t pad;
};

struct sv_ctl_list {
	uint32_t start_domid; /* lists domains with domid >= this, ascending */
	uint32_t pad;
};

enum sv_ctl_state {
	SV_CTL_STATE_RUNNING = 0,
	SV_CTL_STATE_PAUSED = 1,
	SV_CTL_STATE_SHUTDOWN = 2, /* ended: poweroff, reboot or destroyed */
	SV_CTL_STATE_CRASHED = 3,  /* ended: crash or fault */
};

struct sv_ctl_dominfo {
	uint32_t domid;
	uint32_t state; /* enum sv_ctl_state */
	uint32_t vcpus;
	uint32_t memory_mib;
	uint64_t start_time_ns; /* CLOCK_REALTIME at creation */
	uint32_t exit_reason;	/* enum sv_exit_reason, when ended */
	int32_t exit_code;	/* the guest's code for poweroff */
	char name[SV_CTL_NAME_SIZE];
	/* Counters since creation while it runs (sv_domain_stats), for svctl top; 0 once ended. */
	uint64_t cpu_ns, exits, hypercalls, notifies;
	uint32_t stat_flags; /* SV_CTL_INFO_* */
	uint32_t pad;
};

#define SV_CTL_INFO_EXITS 1u /* exits is KVM's count (the kernel has binary statistics) */

#define SV_CTL_LIST_MAX (SV_CTL_PAYLOAD_MAX / sizeof(struct sv_ctl_dominfo))

struct sv_ctl_memfd_reply {
	uint64_t size;
};

struct sv_ctl_store_bind_reply {
	uint32_t port;	/* the guest's store_evtchn */
	uint32_t vcpu;	/* the vCPU the guest bound it to, for shinfo_set_pending */
	uint32_t flags; /* SV_CTL_BIND_* */
};

/*
 * The core sets the port pending itself when the raise eventfd is written: the process
 * must not touch the guest's shared info (a Linux PVH guest moved it; a driver domain
 * cannot see it).
 */
#define SV_CTL_BIND_CORE_RAISES (1u << 0)

struct sv_ctl_evtchn {
	uint32_t domid;
	uint32_t port; /* the guest's port */
};

struct sv_ctl_gnttab_reply {
	uint64_t table_gpa; /* where the guest's grant table is; -ENOENT before setup_table */
	uint32_t nr_frames;
	uint32_t pad;
};

/*
 * Process domains (driver domains). A process domain is a host process with its
 * own domid and no privilege: it reaches the core only through the connection
 * that SV_CTL_PROCDOM_CREATE returned, and on it only these ops are allowed:
 * HELLO (empty token; the reply says its domid), EVTCHN_BIND and EVTCHN_CLOSE
 * of ports a guest allocated unbound for its domid, GNT_AREA, GNT_COPY,
 * GNT_MAP and GNT_UNMAP of grants that name its domid. Everything else is
 * -EPERM. It never gets a guest's memfd: EVTCHN_BIND passes it the notify
 * eventfd and a send eventfd that the core reads and raises the port from
 * (the shared-info page stays the core's), GNT_MAP passes a memfd holding only
 * the granted page, and GNT_COPY copies between grants and its own area.
 * When the connection closes (the process died), the core closes every port
 * it bound (the guests' ends become unbound again), ends its maps and frees
 * its domid.
 */
struct sv_ctl_procdom {
	char name[SV_CTL_NAME_SIZE];
	uint32_t domid; /* 1..SV_CTL_DOMID_MAX, or 0: the core picks one */
	uint32_t pad;
};

#define SV_CTL_GNT_AREA_MAX (64u << 20) /* bytes, a multiple of 4096 */
#define SV_CTL_GNT_COPY_MAX 1024u	/* segments in one GNT_COPY */

struct sv_ctl_gnt_area {
	/*
	 * Of the memfd passed with it, which the core seals with F_SEAL_SHRINK (make it
	 * with MFD_ALLOW_SEALING) and maps shared.
	 */
	uint64_t size;
};

/* One segment of a grant copy, as the process domain writes it in its area. */
struct sv_ctl_gnt_copy_seg {
	uint32_t ref;	      /* the granter's grant reference */
	uint16_t offset;      /* in the granted page */
	uint16_t len;	      /* offset + len <= 4096 */
	uint64_t area_offset; /* the other end, in the area */
	uint32_t flags;	      /* SV_CTL_GNT_COPY_TO_GRANT or 0 (from the grant) */
	int32_t status;	      /* out: 0 or -errno, as lib/grant_access.h says */
};

#define SV_CTL_GNT_COPY_TO_GRANT (1u << 0)

struct sv_ctl_gnt_copy {
	uint32_t domid;	     /* the granter */
	uint32_t count;	     /* 1..SV_CTL_GNT_COPY_MAX segments */
	uint64_t ops_offset; /* where the segments are in the area (8-byte aligned) */
};

struct sv_ctl_gnt_copy_reply {
	uint32_t failed; /* segments whose status is not 0 */
	uint32_t pad;
};

struct sv_ctl_gnt_map {
	uint32_t domid; /* the granter */
	uint32_t ref;
	uint32_t flags; /* SV_CTL_GNT_MAP_READONLY */
	uint32_t pad;
};

#define SV_CTL_GNT_MAP_READONLY (1u << 0)

struct sv_ctl_gnt_map_reply {
	uint64_t gpa; /* the granted page's guest-physical address (for diagnostics) */
};

struct sv_ctl_ev_console {
	uint32_t domid;
	uint32_t len;	  /* data bytes after this struct */
	uint64_t dropped; /* bytes the core had to drop before these (buffer full) */
};

#define SV_CTL_CONSOLE_CHUNK (SV_CTL_PAYLOAD_MAX - sizeof(struct sv_ctl_ev_console))

struct sv_ctl_ev_ended {
	struct sv_ctl_dominfo info;
	char detail[SV_CTL_DETAIL_SIZE];
};

_Static_assert(sizeof(struct sv_ctl_hdr) == SV_CTL_HDR_SIZE, "sv_ctl_hdr layout");
_Static_assert(sizeof(struct sv_ctl_dominfo) == 144, "sv_ctl_dominfo layout");
_Static_assert(sizeof(struct sv_ctl_create) <= SV_CTL_PAYLOAD_MAX, "create fits");
_Static_assert(sizeof(struct sv_ctl_gnt_copy_seg) == 24, "sv_ctl_gnt_copy_seg layout");
_Static_assert(sizeof(struct sv_ctl_ev_ended) <= SV_CTL_PAYLOAD_MAX, "ended fits");

#endif
