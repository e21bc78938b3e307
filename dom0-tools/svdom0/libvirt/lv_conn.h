/* SPDX-License-Identifier: MIT */
/*
 * libvirt's RPC packets on a non-blocking socket: a u32 length that counts
 * itself, a 24-byte header, the payload. Incoming packets are bounded before
 * anything is allocated; outgoing ones wait in a bounded queue, and a peer
 * that lets the queue fill (it stopped reading) is dropped.
 */
#ifndef SV_LV_CONN_H
#define SV_LV_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lv_xdr.h"

#define LV_PROGRAM	     0x20008086u
#define LV_PROTOCOL_VERSION  1u
#define LV_KEEPALIVE_PROGRAM 0x6b656570u
#define LV_KEEPALIVE_VERSION 1u

#define LV_LEN_SIZE 4u
#define LV_HDR_SIZE 24u
/* Clients send calls and console keystrokes: a 1 MiB document fits with room to spare. */
#define LV_IN_MAX (2u * 1024u * 1024u)
/* What libvirt's clients accept in one packet. */
#define LV_PACKET_MAX (16u * 1024u * 1024u + 4u)
/* Queued output beyond this means the peer stopped reading. */
#define LV_OUT_MAX (8u * 1024u * 1024u)

enum lv_type {
	LV_CALL = 0,
	LV_REPLY = 1,
	LV_MESSAGE = 2,
	LV_STREAM = 3,
	LV_CALL_WITH_FDS = 4,
	LV_REPLY_WITH_FDS = 5,
};

enum lv_status { LV_OK = 0, LV_ERROR = 1, LV_CONTINUE = 2 };

struct lv_hdr {
	uint32_t prog, vers;
	int32_t proc;
	uint32_t type, serial, status;
};

/* The whole packet's length from its first 4 bytes: 0, or -EMSGSIZE outside [28, max]. */
int lv_frame_len(const uint8_t len_bytes[LV_LEN_SIZE], uint32_t max, uint32_t *len);
/* Decodes the header at the start of in (the bytes after the length). */
void lv_hdr_get(struct lv_xdr_in *in, struct lv_hdr *h);
/* Starts a packet in out: a length placeholder and h; lv_frame_end fills the length. */
void lv_frame_begin(struct lv_xdr_out *out, const struct lv_hdr *h);
int lv_frame_end(struct lv_xdr_out *out);

struct lv_out_buf;

struct lv_conn {
	int fd;
	bool dead;
	uint8_t len_bytes[LV_LEN_SIZE];
	uint32_t pkt_len; /* 0 until the length is known; then the whole packet's */
	uint32_t have;	  /* bytes of the current packet read so far */
	uint8_t *pkt;	  /* the packet after its length */
	struct lv_out_buf *head, *tail;
	size_t out_bytes;
};

void lv_conn_init(struct lv_conn *c, int fd);
/*
 * Reads towards the next packet: 1 when one is complete (pkt, pkt_len -
 * LV_LEN_SIZE bytes of it), 0 when the socket has no more for now, -errno at
 * end of file, on an error or a length out of bounds (dead is set).
 */
int lv_conn_read(struct lv_conn *c);
/* Drops the complete packet, to read the next. */
void lv_conn_pop(struct lv_conn *c);
/* Queues a finished packet (takes a copy); over LV_OUT_MAX queued the peer is dead. */
int lv_conn_queue(struct lv_conn *c, const void *buf, size_t len);
/* Sends what the socket takes; a hard error sets dead. */
void lv_conn_flush(struct lv_conn *c);
/* Closes the socket and drops what is queued or half read. */
void lv_conn_close(struct lv_conn *c);

#endif
