/* SPDX-License-Identifier: MIT */
/*
 * The toolstack socket (<rundir>/dom0.sock) between svctl and svdom0. Same
 * framing as the core's control socket (splitvisor/control.h), its own ops.
 */
#ifndef SV_TOOLSTACK_PROTO_H
#define SV_TOOLSTACK_PROTO_H

#include <splitvisor/control.h>

enum sv_ts_op {
	SV_TS_CREATE = 1,   /* sv_ctl_create -> sv_ctl_domid */
	SV_TS_LIST = 2,	    /* sv_ctl_list -> sv_ctl_dominfo[] (as the core's list) */
	SV_TS_PAUSE = 3,    /* sv_ts_name -> empty */
	SV_TS_UNPAUSE = 4,  /* sv_ts_name -> empty */
	SV_TS_DESTROY = 5,  /* sv_ts_name -> empty */
	SV_TS_SHUTDOWN = 6, /* sv_ts_shutdown -> text, once the domain ended or timed out */
	SV_TS_CONSOLE = 7,  /* sv_ts_console -> empty, then console events until the end */
	SV_TS_STOP = 8,	    /* empty -> empty; svdom0 stops svcored and exits */
	/* Domain XML goes up in chunks: each sv_ts_xml + data; replies before the last are empty. */
	SV_TS_DEFINE = 9,	 /* sv_ts_xml + data -> text (the name) */
	SV_TS_CREATE_XML = 10,	 /* sv_ts_xml + data -> sv_ctl_domid */
	SV_TS_UNDEFINE = 11,	 /* sv_ts_name -> empty */
	SV_TS_START = 12,	 /* sv_ts_name -> sv_ctl_domid */
	SV_TS_DUMPXML = 13,	 /* sv_ts_name -> sv_ts_size, then SV_TS_EV_DATA until size bytes */
	SV_TS_LIST_DEFINED = 14, /* sv_ts_list_defined -> sv_ts_defined[] (the ones not running) */
	SV_TS_BLOCK_LIST = 15,	 /* sv_ts_name -> text: a table of the domain's block devices */
	/*
	 * Raw keyboard bytes (1..4096) for the domain this connection follows with
	 * SV_TS_CONSOLE -> empty; -EAGAIN while the guest has not read earlier input
	 * (send the same bytes again later), -ENOTCONN without a console ring.
	 */
	SV_TS_CONSOLE_INPUT = 16,
	SV_TS_BLOCK_ATTACH = 17, /* sv_ts_block -> empty: a new disk for a running domain */
	SV_TS_BLOCK_DETACH =
		18,	     /* sv_ts_block (source ignored) -> empty: asks the frontend to close */
	SV_TS_NET_LIST = 19, /* sv_ts_name -> text: a table of the domain's interfaces */
	SV_TS_NET_ATTACH = 20, /* sv_ts_net -> empty: a new interface for a running domain */
	SV_TS_NET_DETACH = 21, /* sv_ts_net (only name and mac) -> empty: Xen's unplug */
	/*
	 * sv_ts_inject -> empty: a fault in a driver domain. kill, hang and resume are
	 * signals from svdom0; the others go to svdd (SV_DD_INJECT), whose answer this is.
	 */
	SV_TS_INJECT = 22,
	SV_TS_LIST_DD = 23,   /* sv_ts_list_defined -> sv_ts_dd_info[]: the driver domains */
	SV_TS_DEV_STATS = 24, /* sv_ts_name -> sv_ts_dev_stats[]: counters of its disks and vifs */
	SV_TS_OP_COUNT,

	SV_TS_EV_CONSOLE = 0x100, /* raw console bytes */
	SV_TS_EV_ENDED = 0x101,	  /* a sentence: how the domain ended */
	SV_TS_EV_DATA = 0x102,	  /* a piece of a reply too large for one message */
};

/* A document uploaded over several messages is refused beyond this. */
#define SV_TS_XML_MAX  (1024u * 1024u)
#define SV_TS_XML_MORE 1u /* more chunks follow */

struct sv_ts_xml {
	uint32_t flags;
	uint32_t len;	  /* data bytes after this header */
	char source[256]; /* file name for messages */
};

#define SV_TS_XML_CHUNK (SV_CTL_PAYLOAD_MAX - sizeof(struct sv_ts_xml))

struct sv_ts_size {
	uint32_t size;
	uint32_t pad;
};

struct sv_ts_list_defined {
	uint32_t start; /* index into the definitions not running */
	uint32_t pad;
};

struct sv_ts_defined {
	char name[SV_CTL_NAME_SIZE];
	uint32_t vcpus;
	uint32_t memory_mib; /* currentMemory, rounded up */
};

#define SV_TS_DEFINED_MAX (SV_CTL_PAYLOAD_MAX / sizeof(struct sv_ts_defined))

struct sv_ts_name {
	char name[SV_CTL_NAME_SIZE];
};

struct sv_ts_shutdown {
	char name[SV_CTL_NAME_SIZE];
	uint32_t timeout_ms;
	uint32_t pad;
};

#define SV_TS_BLOCK_READONLY 1u

struct sv_ts_block {
	char name[SV_CTL_NAME_SIZE];
	char source[SV_CTL_PATH_SIZE]; /* absolute */
	char dev[16];		       /* xvdX */
	uint32_t flags;		       /* SV_TS_BLOCK_* */
	uint32_t pad;
};

#define SV_TS_NET_BRIDGE   0u /* join the switch named by link */
#define SV_TS_NET_ETHERNET 1u /* a TAP device named by link ("" = vif<domid>.<handle>) */

struct sv_ts_net {
	char name[SV_CTL_NAME_SIZE];
	uint8_t mac[6];
	uint8_t has_mac; /* 0: a generated Xen-OUI address (attach) */
	uint8_t pad;
	uint32_t type; /* SV_TS_NET_* */
	char link[16]; /* switch or TAP device name, NUL-terminated */
};

enum sv_ts_fault {
	SV_TS_FAULT_KILL = 1,	      /* SIGKILL: the driver domain restarts per on_crash */
	SV_TS_FAULT_HANG = 2,	      /* SIGSTOP */
	SV_TS_FAULT_RESUME = 3,	      /* SIGCONT */
	SV_TS_FAULT_SLOW = 4,	      /* arg: ms before each ring batch, 1..SV_TS_SLOW_MAX_MS */
	SV_TS_FAULT_CORRUPT_RING = 5, /* the next response of every ring is garbage */
	SV_TS_FAULT_DROP_NOTIFY = 6,  /* raise no more events */
	SV_TS_FAULT_CLEAR = 7,	      /* undo slow and drop-notify */
};

#define SV_TS_SLOW_MAX_MS 60000u

/* The control domain's name, as xl says it: 'svctl inject Domain-0' reaches svdom0's backends. */
#define SV_TS_DOM0_NAME "Domain-0"

struct sv_ts_inject {
	char name[SV_CTL_NAME_SIZE];
	uint32_t fault; /* enum sv_ts_fault */
	uint32_t arg;
};

enum sv_ts_dd_state {
	SV_TS_DD_RUNNING = 0,
	SV_TS_DD_HUNG = 1,	 /* stopped by 'inject hang' */
	SV_TS_DD_RESTARTING = 2, /* died; a new svdd is on its way */
	SV_TS_DD_ENDED = 3,	 /* died and stays so (on_crash preserve, or restarts throttled) */
	SV_TS_DD_STOPPED = 4,	 /* destroyed or shut down, kept (its domid) for its guests */
};

struct sv_ts_dd_info {
	char name[SV_CTL_NAME_SIZE];
	uint32_t domid;
	uint32_t state;	   /* enum sv_ts_dd_state */
	int32_t pid;	   /* svdd's, 0 when none runs */
	uint32_t restarts; /* since it was started */
	uint32_t memory_mib;
	uint32_t pad;
	uint64_t start_time_ns; /* CLOCK_REALTIME when this svdd started */
};

#define SV_TS_DD_INFO_MAX (SV_CTL_PAYLOAD_MAX / sizeof(struct sv_ts_dd_info))

#define SV_TS_CONSOLE_NO_FOLLOW 1u /* send the log so far, then close */

struct sv_ts_console {
	char name[SV_CTL_NAME_SIZE];
	uint32_t flags;
	uint32_t pad;
};

/* svdom0 reads the u32 after the name the same way for both. */
_Static_assert(sizeof(struct sv_ts_console) == sizeof(struct sv_ts_shutdown), "same layout");

/*
 * SV_TS_DEV_STATS: one entry per disk and interface of a domain, counters since
 * the device connected, as its backend in svdom0 keeps them (read without a
 * lock: svdom0's loop owns them). A device a driver domain serves has
 * SV_TS_DEV_REMOTE and no counters here.
 */
enum { SV_TS_DEV_VBD = 0, SV_TS_DEV_VIF = 1 };
#define SV_TS_DEV_REMOTE 1u
struct sv_ts_dev_stats {
	uint32_t kind;					   /* SV_TS_DEV_* */
	uint32_t id;					   /* the disk's devid, the vif's handle */
	uint32_t be_domid;				   /* 0: svdom0 */
	uint32_t flags;					   /* SV_TS_DEV_* flags */
	char name[16];					   /* "xvda", "vif0" (the handle) */
	uint64_t requests, read_bytes, write_bytes;	   /* disks */
	uint64_t tx_frames, rx_frames, tx_bytes, rx_bytes; /* vifs: tx is what the guest sent */
	uint64_t drops, notifications, copies;
	/*
	 * System calls the backend made for the device (a vif's include its TAP
	 * device's), and grant operations: a disk's maps, unmaps and copies, a
	 * vif's grant copies (copies again).
	 */
	uint64_t syscalls, grant_ops;
};
_Static_assert(sizeof(struct sv_ts_dev_stats) == 128, "sv_ts_dev_stats layout");
#define SV_TS_DEV_STATS_MAX (SV_CTL_PAYLOAD_MAX / sizeof(struct sv_ts_dev_stats))

#endif
