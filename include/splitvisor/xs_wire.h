/* SPDX-License-Identifier: MIT */
/*
 * Xenstore wire format, shared by the control domain's xenstore server, process
 * clients and guest xenbus clients. Numbers and layout follow Xen's published
 * protocol so Xen tools and people feel at home; written here from the facts.
 *
 * A message is a 16-byte header followed by `len` payload bytes (at most
 * XS_PAYLOAD_MAX): NUL-terminated strings, except that the last argument of a
 * write is raw bytes. Errors come back as XS_ERROR carrying the errno name.
 */
#ifndef SPLITVISOR_XS_WIRE_H
#define SPLITVISOR_XS_WIRE_H

#include <stddef.h>
#include <stdint.h>

enum xs_msg_type {
	XS_CONTROL = 0,
	XS_DIRECTORY = 1,
	XS_READ = 2,
	XS_GET_PERMS = 3,
	XS_WATCH = 4,
	XS_UNWATCH = 5,
	XS_TRANSACTION_START = 6,
	XS_TRANSACTION_END = 7,
	XS_INTRODUCE = 8,
	XS_RELEASE = 9,
	XS_GET_DOMAIN_PATH = 10,
	XS_WRITE = 11,
	XS_MKDIR = 12,
	XS_RM = 13,
	XS_SET_PERMS = 14,
	XS_WATCH_EVENT = 15,
	XS_ERROR = 16,
	XS_IS_DOMAIN_INTRODUCED = 17,
	XS_RESUME = 18,
	XS_SET_TARGET = 19,
	/* 20 is unused (Xen's later directory_part); it is rejected as unknown. */
	XS_RESET_WATCHES = 21,
	XS_TYPE_COUNT
};

struct xs_msg_hdr {
	uint32_t type;
	uint32_t req_id; /* echoed in the reply; 0 in watch events */
	uint32_t tx_id;	 /* 0 = outside any transaction */
	uint32_t len;	 /* payload bytes that follow */
};

#define XS_HDR_SIZE	16u
#define XS_PAYLOAD_MAX	4096u
#define XS_ABS_PATH_MAX 3072u
#define XS_REL_PATH_MAX 2048u
#define XS_MSG_MAX	(XS_HDR_SIZE + XS_PAYLOAD_MAX)
/* Keeps every watch event (path <= XS_ABS_PATH_MAX, token, two NULs) in one payload. */
#define XS_WATCH_TOKEN_MAX (XS_PAYLOAD_MAX - XS_ABS_PATH_MAX - 2u)

/*
 * Error names a reply may carry, in Xen's order. Values on the wire are the
 * names; each side maps them to its own errno numbers.
 */
#define XS_ERROR_NAMES(X) \
	X(EINVAL)         \
	X(EACCES)         \
	X(EEXIST)         \
	X(EISDIR)         \
	X(ENOENT)         \
	X(ENOMEM)         \
	X(ENOSPC)         \
	X(EIO)            \
	X(ENOTEMPTY)      \
	X(ENOSYS)         \
	X(EROFS)          \
	X(EBUSY)          \
	X(EAGAIN)         \
	X(EISCONN)        \
	X(E2BIG)          \
	X(EPERM)

/* Permission letters in get_perms/set_perms strings: "<letter><domid>". */
#define XS_PERM_NONE  0u /* 'n' */
#define XS_PERM_READ  1u /* 'r' */
#define XS_PERM_WRITE 2u /* 'w' */
#define XS_PERM_BOTH  3u /* 'b' */

/* Special watch paths (not nodes of the tree). */
#define XS_WATCH_INTRODUCE "@introduceDomain"
#define XS_WATCH_RELEASE   "@releaseDomain"

/*
 * The shared xenstore ring page between a guest and the control domain. Both
 * rings carry a byte stream of messages; indices are free-running u32 byte
 * counts, the slot is idx & (XS_RING_SIZE - 1). The guest produces requests
 * (req_prod) and consumes responses (rsp_cons); the server the other way round.
 */
#define XS_RING_SIZE	 1024u
#define XS_RING_IDX(idx) ((idx) & (XS_RING_SIZE - 1u))

struct xs_ring_page {
	char req[XS_RING_SIZE];
	char rsp[XS_RING_SIZE];
	uint32_t req_cons, req_prod;
	uint32_t rsp_cons, rsp_prod;
	uint32_t server_features; /* XS_RING_FEATURE_* */
	uint32_t connection;	  /* XS_RING_CONNECTED / XS_RING_RECONNECT */
	uint32_t error;		  /* XS_RING_ERROR_* */
};

#define XS_RING_FEATURE_RECONNECTION 1u
#define XS_RING_FEATURE_ERROR	     2u
#define XS_RING_CONNECTED	     0u
#define XS_RING_RECONNECT	     1u
#define XS_RING_ERROR_NONE	     0u
#define XS_RING_ERROR_COMM	     1u /* generic */
#define XS_RING_ERROR_RINGIDX	     2u /* indices out of range */
#define XS_RING_ERROR_PROTO	     3u /* malformed message */

_Static_assert(sizeof(struct xs_msg_hdr) == XS_HDR_SIZE, "xs_msg_hdr layout");
_Static_assert(offsetof(struct xs_ring_page, rsp) == 1024, "xs ring rsp offset");
_Static_assert(offsetof(struct xs_ring_page, req_cons) == 2048, "xs ring req_cons offset");
_Static_assert(offsetof(struct xs_ring_page, rsp_cons) == 2056, "xs ring rsp_cons offset");
_Static_assert(offsetof(struct xs_ring_page, server_features) == 2064, "xs ring features");

#endif
