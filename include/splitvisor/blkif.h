/* SPDX-License-Identifier: MIT */
/*
 * The block device protocol (blkif), Xen's x86_64 layout: 112-byte requests
 * and 16-byte responses in a sv_ring_shared ring (ring.h), 32 slots per page.
 * Sectors are 512 bytes whatever the disk's sector-size; a segment names a
 * granted 4 KiB page and the inclusive sector range [first_sect, last_sect]
 * (0..7) inside it. The handshake's xenstore keys and states: docs/abi.md.
 */
#ifndef SPLITVISOR_BLKIF_H
#define SPLITVISOR_BLKIF_H

#include <stdint.h>
#include <splitvisor/ring.h>

#define BLKIF_OP_READ		 0
#define BLKIF_OP_WRITE		 1
#define BLKIF_OP_WRITE_BARRIER	 2
#define BLKIF_OP_FLUSH_DISKCACHE 3
#define BLKIF_OP_DISCARD	 5
#define BLKIF_OP_INDIRECT	 6

#define BLKIF_MAX_SEGMENTS_PER_REQUEST	     11u
#define BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST 8u
#define BLKIF_SEGS_PER_INDIRECT_FRAME	     512u /* 4096 / sizeof(struct blkif_request_segment) */
/* What our backend offers in feature-max-indirect-segments (as Linux's does). */
#define SV_BLKIF_MAX_INDIRECT_SEGMENTS 256u

#define BLKIF_SECTOR_SIZE    512u
#define BLKIF_SECTS_PER_PAGE 8u

#define BLKIF_RSP_OKAY	     0
#define BLKIF_RSP_ERROR	     (-1)
#define BLKIF_RSP_EOPNOTSUPP (-2)

#define BLKIF_DISCARD_SECURE 0x1u

/* info key bits */
#define VDISK_CDROM	0x1u
#define VDISK_REMOVABLE 0x2u
#define VDISK_READONLY	0x4u

/* The largest ring a backend offers: max-ring-page-order. */
#define SV_BLKIF_MAX_RING_ORDER 2u
#define SV_BLKIF_MAX_RING_PAGES (1u << SV_BLKIF_MAX_RING_ORDER)

struct blkif_request_segment {
	uint32_t gref;
	uint8_t first_sect;
	uint8_t last_sect;
	uint16_t pad;
};

/* read, write, write_barrier, flush_diskcache (nr_segments 0 for a pure flush) */
struct blkif_request {
	uint8_t operation;
	uint8_t nr_segments;
	uint16_t handle;
	uint32_t pad;
	uint64_t id;
	uint64_t sector_number;
	struct blkif_request_segment seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};

struct blkif_request_discard {
	uint8_t operation; /* BLKIF_OP_DISCARD */
	uint8_t flag;	   /* BLKIF_DISCARD_SECURE */
	uint16_t handle;
	uint32_t pad;
	uint64_t id;
	uint64_t sector_number;
	uint64_t nr_sectors;
	uint8_t pad2[80];
};

/*
 * The segments live in granted pages (indirect_grefs, read-only is enough),
 * BLKIF_SEGS_PER_INDIRECT_FRAME descriptors per page.
 */
struct blkif_request_indirect {
	uint8_t operation;   /* BLKIF_OP_INDIRECT */
	uint8_t indirect_op; /* BLKIF_OP_READ or BLKIF_OP_WRITE */
	uint16_t nr_segments;
	uint32_t pad;
	uint64_t id;
	uint64_t sector_number;
	uint16_t handle;
	uint16_t pad2;
	uint32_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	uint8_t pad3[52];
};

struct blkif_response {
	uint64_t id;
	uint8_t operation;
	uint8_t pad;
	int16_t status; /* BLKIF_RSP_* */
	uint32_t pad2;
};

union blkif_slot {
	struct blkif_request req;
	struct blkif_request_discard discard;
	struct blkif_request_indirect indirect;
	struct blkif_response rsp;
};

_Static_assert(sizeof(struct blkif_request_segment) == 8, "segment layout");
_Static_assert(sizeof(struct blkif_request) == 112, "request layout");
_Static_assert(sizeof(struct blkif_request_discard) == 112, "discard layout");
_Static_assert(sizeof(struct blkif_request_indirect) == 112, "indirect layout");
_Static_assert(sizeof(struct blkif_response) == 16, "response layout");
_Static_assert(sizeof(union blkif_slot) == 112, "slot layout");

#define BLKIF_RING_ENTRIES(ring_bytes) sv_ring_entries((ring_bytes), sizeof(union blkif_slot))

/* Xenstore keys of the handshake (relative to the device's directories). */
#define BLKIF_KEY_RING_REF	     "ring-ref" /* or ring-ref%u with ring-page-order */
#define BLKIF_KEY_RING_PAGE_ORDER    "ring-page-order"
#define BLKIF_KEY_MAX_RING_ORDER     "max-ring-page-order"
#define BLKIF_KEY_EVENT_CHANNEL	     "event-channel"
#define BLKIF_KEY_PROTOCOL	     "protocol"
#define BLKIF_PROTOCOL_NATIVE	     "x86_64-abi"
#define BLKIF_KEY_SECTORS	     "sectors"
#define BLKIF_KEY_SECTOR_SIZE	     "sector-size"
#define BLKIF_KEY_INFO		     "info"
#define BLKIF_KEY_MODE		     "mode" /* "r" or "w" */
#define BLKIF_KEY_FEATURE_FLUSH	     "feature-flush-cache"
#define BLKIF_KEY_FEATURE_BARRIER    "feature-barrier"
#define BLKIF_KEY_FEATURE_DISCARD    "feature-discard"
#define BLKIF_KEY_FEATURE_PERSISTENT "feature-persistent"
#define BLKIF_KEY_FEATURE_INDIRECT   "feature-max-indirect-segments"

#endif
