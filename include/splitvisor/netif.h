/* SPDX-License-Identifier: MIT */
/*
 * The network device protocol (netif), Xen's layout: two sv_ring_shared rings
 * (ring.h) of 256 slots each. TX carries the guest's frames to the backend:
 * 12-byte requests naming a granted page, an offset and a size (the first
 * slot of a frame gives the whole frame's size, later slots their own part,
 * chained with MORE_DATA; an EXTRA_INFO flag means the next slot is an extra
 * info, e.g. GSO). RX carries frames to the guest: the guest posts 8-byte
 * requests with an id and an empty granted page; each response goes into its
 * request's slot with the id, offset, flags and the bytes written (or a
 * negative status). The handshake's keys and states: docs/abi.md.
 */
#ifndef SPLITVISOR_NETIF_H
#define SPLITVISOR_NETIF_H

#include <stdint.h>
#include <splitvisor/ring.h>

/* TX request flags */
#define NETTXF_CSUM_BLANK     (1u << 0) /* the checksum is not filled in yet */
#define NETTXF_DATA_VALIDATED (1u << 1) /* the checksum was checked */
#define NETTXF_MORE_DATA      (1u << 2) /* the frame goes on in the next slot */
#define NETTXF_EXTRA_INFO     (1u << 3) /* the next slot is a netif_extra_info */

/* RX response flags */
#define NETRXF_DATA_VALIDATED (1u << 0)
#define NETRXF_CSUM_BLANK     (1u << 1)
#define NETRXF_MORE_DATA      (1u << 2)
#define NETRXF_EXTRA_INFO     (1u << 3)

/* Response status: >= 0 is okay (RX: the bytes written). */
#define NETIF_RSP_DROPPED (-2)
#define NETIF_RSP_ERROR	  (-1)
#define NETIF_RSP_OKAY	  0
#define NETIF_RSP_NULL	  1 /* a slot that only carried an extra info */

/* Extra info */
#define NETIF_EXTRA_TYPE_NONE	   0
#define NETIF_EXTRA_TYPE_GSO	   1
#define NETIF_EXTRA_TYPE_MCAST_ADD 2
#define NETIF_EXTRA_TYPE_MCAST_DEL 3
#define NETIF_EXTRA_TYPE_HASH	   4
#define NETIF_EXTRA_TYPE_MAX	   5
#define NETIF_EXTRA_FLAG_MORE	   (1u << 0)
#define XEN_NETIF_GSO_TYPE_NONE	   0
#define XEN_NETIF_GSO_TYPE_TCPV4   1
#define XEN_NETIF_GSO_TYPE_TCPV6   2

/* Limits: what a backend accepts per frame, and the largest frame. */
#define NETIF_MAX_SLOTS_PER_FRAME 18u	  /* Xen's XEN_NETBK_LEGACY_SLOTS_MAX */
#define NETIF_MAX_FRAME		  0xffffu /* size is a u16 */
#define NETIF_ETH_HLEN		  14u
#define NETIF_ETH_MIN_FRAME	  NETIF_ETH_HLEN /* a header and nothing else */
#define NETIF_MTU_DEFAULT	  1500u
#define NETIF_PAGE		  4096u

struct netif_tx_request {
	uint32_t gref;
	uint16_t offset; /* in the granted page */
	uint16_t flags;	 /* NETTXF_* */
	uint16_t id;	 /* echoed in the response */
	uint16_t size;	 /* first slot: the whole frame; later slots: this slot's part */
};

struct netif_tx_response {
	uint16_t id;
	int16_t status; /* NETIF_RSP_* */
};

struct netif_extra_info {
	uint8_t type;  /* NETIF_EXTRA_TYPE_* */
	uint8_t flags; /* NETIF_EXTRA_FLAG_* */
	union {
		struct {
			uint16_t size; /* the MSS */
			uint8_t type;  /* XEN_NETIF_GSO_TYPE_* */
			uint8_t pad;
			uint16_t features;
		} gso;
		uint16_t pad[3];
	} u;
};

struct netif_rx_request {
	uint16_t id;
	uint16_t pad;
	uint32_t gref; /* an empty page the backend writes into */
};

struct netif_rx_response {
	uint16_t id;
	uint16_t offset; /* where in the page the data starts */
	uint16_t flags;	 /* NETRXF_* */
	int16_t status;	 /* bytes written, or NETIF_RSP_* < 0 */
};

union netif_tx_slot {
	struct netif_tx_request req;
	struct netif_tx_response rsp;
	struct netif_extra_info extra;
};

union netif_rx_slot {
	struct netif_rx_request req;
	struct netif_rx_response rsp;
	struct netif_extra_info extra;
};

_Static_assert(sizeof(struct netif_tx_request) == 12, "tx request layout");
_Static_assert(sizeof(struct netif_tx_response) == 4, "tx response layout");
_Static_assert(sizeof(struct netif_extra_info) == 8, "extra info layout");
_Static_assert(sizeof(struct netif_rx_request) == 8, "rx request layout");
_Static_assert(sizeof(struct netif_rx_response) == 8, "rx response layout");
_Static_assert(sizeof(union netif_tx_slot) == 12, "tx slot layout");
_Static_assert(sizeof(union netif_rx_slot) == 8, "rx slot layout");

#define NETIF_TX_RING_ENTRIES sv_ring_entries(NETIF_PAGE, sizeof(union netif_tx_slot)) /* 256 */
#define NETIF_RX_RING_ENTRIES sv_ring_entries(NETIF_PAGE, sizeof(union netif_rx_slot)) /* 256 */

/* Xenstore keys of the handshake (relative to the device's directories). */
#define NETIF_KEY_TX_RING_REF	     "tx-ring-ref"
#define NETIF_KEY_RX_RING_REF	     "rx-ring-ref"
#define NETIF_KEY_EVENT_CHANNEL	     "event-channel"
#define NETIF_KEY_EVENT_CHANNEL_TX   "event-channel-tx"
#define NETIF_KEY_EVENT_CHANNEL_RX   "event-channel-rx"
#define NETIF_KEY_REQUEST_RX_COPY    "request-rx-copy"
#define NETIF_KEY_FEATURE_RX_NOTIFY  "feature-rx-notify"
#define NETIF_KEY_FEATURE_SG	     "feature-sg"
#define NETIF_KEY_FEATURE_GSO_TCPV4  "feature-gso-tcpv4"
#define NETIF_KEY_FEATURE_GSO_TCPV6  "feature-gso-tcpv6"
#define NETIF_KEY_FEATURE_RX_COPY    "feature-rx-copy"
#define NETIF_KEY_FEATURE_SPLIT_EVTC "feature-split-event-channels"
#define NETIF_KEY_MAC		     "mac" /* "00:16:3e:xx:yy:zz" */
#define NETIF_KEY_MTU		     "mtu"
#define NETIF_KEY_HANDLE	     "handle"

#endif
