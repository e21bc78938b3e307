/* SPDX-License-Identifier: MIT */
/*
 * The client's side of xenstore's wire protocol: message framing and error
 * names (shared with the server), and a blocking client of svdom0's
 * xenstore.sock. Programs below the control domain (svctl, the benchmarks)
 * talk to xenstore with this alone.
 */
#ifndef SV_LIB_XS_CLIENT_H
#define SV_LIB_XS_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <splitvisor/xs_wire.h>

/* One message into buf; returns its size or a negative errno. */
ssize_t xs_msg_encode(void *buf, size_t cap, uint32_t type, uint32_t req_id, uint32_t tx_id,
		      const void *payload, size_t len);
/* Returns the size of the complete message at buf, 0 if incomplete, -EPROTO if bad. */
ssize_t xs_msg_decode(const void *buf, size_t len, struct xs_msg_hdr *hdr, const void **payload);
const char *xs_error_name(int err);		      /* -EACCES or EACCES -> "EACCES" */
int xs_error_from_name(const char *name, size_t len); /* "EACCES" -> -EACCES */

/* A blocking client of xenstore.sock. */
/* Reads one whole message from a xenstore socket: 0, -EPIPE or -EPROTO. */
int xs_sock_recv(int fd, struct xs_msg_hdr *h, char *payload);
/*
 * One request on a xenstore.sock connection; the reply's header in h and its
 * payload, NUL-terminated, in reply (XS_PAYLOAD_MAX + 1 bytes). 0 or -errno
 * (an error reply as its errno).
 */
int xs_sock_request(int fd, uint32_t type, const char *path, const char *val, struct xs_msg_hdr *h,
		    char *reply);

#endif
