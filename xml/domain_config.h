/* SPDX-License-Identifier: MIT */
/*
 * A domain definition as parsed from libvirt domain XML: plain data. Strings are malloc'd
 * and NULL when the document did not give them; sv_domain_config_free() releases them.
 */
#ifndef SPLITVISOR_DOMAIN_CONFIG_H
#define SPLITVISOR_DOMAIN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SV_UUID_LEN    16
#define SV_UUID_STRLEN 36 /* 8-4-4-4-12 hex digits and dashes, without the NUL */
#define SV_MAC_LEN     6
#define SV_DOMID_NONE  (-1)

enum sv_os_type {
	SV_OS_XEN,    /* <type>xen</type>: paravirtualised */
	SV_OS_LINUX,  /* <type>linux</type>: libvirt's old spelling of xen */
	SV_OS_XENPVH, /* <type>xenpvh</type> */
	SV_OS_EXE,    /* <type>exe</type>: a driver domain, the host process svdd; no kernel */
};

enum sv_lifecycle_action {
	SV_ACTION_DESTROY,
	SV_ACTION_RESTART,
	SV_ACTION_PRESERVE,
};

enum sv_disk_type {
	SV_DISK_FILE,
	SV_DISK_BLOCK,
};

/* The image format, from <driver type>: blkback serves raw itself, qcow2 through QEMU. */
enum sv_disk_format {
	SV_DISK_FORMAT_RAW,
	SV_DISK_FORMAT_QCOW2,
};

enum sv_disk_device {
	SV_DISK_DEVICE_DISK,
	SV_DISK_DEVICE_CDROM,
};

enum sv_net_type {
	SV_NET_BRIDGE,
	SV_NET_ETHERNET,
	SV_NET_NETWORK, /* a named network: our switch of that name, as for a bridge */
};

struct sv_disk_config {
	enum sv_disk_type type;
	enum sv_disk_device device;
	char *driver_name;	    /* <driver name>: tap, tap2, phy, file, qemu; NULL = default */
	char *driver_type;	    /* <driver type>: "raw" or "qcow2"; NULL = default (raw) */
	enum sv_disk_format format; /* from driver_type */
	char *driver_cache;	    /* <driver cache>; NULL = default */
	char *source;		    /* file path or block device; NULL only for an empty cdrom */
	char *target_dev;	    /* "xvda", "xvdb", ... (bus is always xen) */
	bool readonly;		    /* always true for a cdrom */
	char *backend_domain;	    /* driver domain name; NULL = the control domain */
};

/* libvirt's <bandwidth> direction: KiB/s and KiB; 0 = no limit. */
struct sv_net_rate {
	uint64_t average_kib; /* KiB per second */
	uint64_t burst_kib;   /* KiB; 0 = the backend's default */
};

/* <interface>/<ip address prefix family>: stored, shown, and the first IPv4 one is offered
 * to the guest as device/vif/N/ip. */
struct sv_net_ip {
	char *address;	     /* as written; checked with inet_pton for its family */
	unsigned int prefix; /* 0..32 (ipv4) or 0..128 (ipv6) */
	bool has_prefix;
	bool ipv6;
};

struct sv_net_config {
	enum sv_net_type type;
	uint8_t mac[SV_MAC_LEN]; /* generated in Xen's 00:16:3e range when not given */
	char *bridge;		 /* bridge: the bridge's name; network: the network's */
	char *target_dev;	 /* host-side device name; NULL = chosen at start */
	char *backend_domain;	 /* driver domain name; NULL = the control domain */
	/* the model is always netfront */
	struct sv_net_rate inbound;  /* to the guest */
	struct sv_net_rate outbound; /* from the guest */
	char *script;		     /* <script path>: kept and shown, never run */
	struct sv_net_ip *ips;
	size_t nips;
};

struct sv_console_config {
	unsigned int port; /* <target type='xen' port='N'/>; type is always pty */
};

enum sv_clock_offset {
	SV_CLOCK_UTC,	    /* the default, and <clock offset='utc'/> */
	SV_CLOCK_LOCALTIME, /* the host's UTC offset when the domain starts */
};

/*
 * Elements kept only so that dumpxml shows them (graphics, input, video, sound, memballoon,
 * features PV ignores): the element as serialized XML, checked when parsed.
 */
struct sv_xml_kept {
	bool in_devices; /* a child of <devices>, else of <domain> */
	char *xml;
};

struct sv_domain_config {
	int domid; /* live domain id, SV_DOMID_NONE when not running */
	char *name;
	uint8_t uuid[SV_UUID_LEN];	   /* generated when not given */
	char uuid_str[SV_UUID_STRLEN + 1]; /* lower-case 8-4-4-4-12 form of uuid */
	char *title;
	char *description;
	uint64_t memory_kib;
	uint64_t current_memory_kib; /* equals memory_kib when not given */
	unsigned int vcpus;
	unsigned int current_vcpus; /* equals vcpus when not given */
	enum sv_os_type os_type;
	char *machine; /* "xenpv" or "xenpvh" as given, NULL when not given */
	char *kernel;  /* NULL only for SV_OS_EXE or with a bootloader */
	char *initrd;
	char *cmdline;
	/* <bootloader> ("" when empty; NULL when absent): the kernel comes from the first disk */
	char *bootloader;
	char *bootloader_args; /* <bootloader_args>, pygrub's arguments */
	bool has_clock;	       /* a <clock> element was given (kept for dumpxml) */
	enum sv_clock_offset clock_offset;
	bool has_xenbus;	     /* <controller type='xenbus'> was given */
	uint32_t max_grant_frames;   /* its maxGrantFrames; 0 = the core's maximum */
	uint32_t max_event_channels; /* its maxEventChannels; 0 = the core's maximum */
	struct sv_xml_kept *kept;
	size_t nkept;
	/* One warning per line for what was accepted but has no effect; not compared. */
	char *warnings;
	enum sv_lifecycle_action on_poweroff;
	enum sv_lifecycle_action on_reboot;
	enum sv_lifecycle_action on_crash;
	struct sv_disk_config *disks;
	size_t ndisks;
	struct sv_net_config *nets;
	size_t nnets;
	struct sv_console_config *consoles;
	size_t nconsoles;
};

#endif
