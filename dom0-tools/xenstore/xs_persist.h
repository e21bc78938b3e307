/* SPDX-License-Identifier: MIT */
/* Private to xs_persist.c (writing) and xs_persist_load.c (replay and restore). */
#ifndef SV_XS_PERSIST_H
#define SV_XS_PERSIST_H

#include <string.h>

#include "xs_internal.h"

#define PJ_MAGIC      "SVXSJNL1"
#define PJ_FILE_HDR   16u
#define PJ_REC_HDR    16u
#define PJ_REC_TYPE   0x4a52u
#define PJ_MIN_CAP    (1u << 20)
#define PJ_COMPACT_AT (4u << 20)

enum pj_item {
	PJ_NODE = 1, /* path, value, perms, children */
	PJ_DEL,	     /* path */
	PJ_RING,     /* domid, in_pos, out_pos, out_sent, unfinished request */
	PJ_OUT,	     /* domid, end position, message */
	PJ_WATCH,    /* domid, path as the guest gave it, token */
	PJ_UNWATCH,  /* domid, path, token */
	PJ_TXN_OPEN, /* domid, id, next_txn_id */
	PJ_TXN_END,  /* domid, id */
	PJ_RESET,    /* domid: its watches and transactions are gone */
	PJ_SPECIAL,  /* 0 @introduceDomain or 1 @releaseDomain, perms */
	PJ_GONE,     /* domid: nothing of its connection is kept (released, or a new one) */
};

struct pj_buf {
	unsigned char *p;
	size_t len, cap;
	bool failed;
};

struct pj_out {
	struct pj_out *next;
	uint32_t end;
	uint32_t len;
	unsigned char data[];
};

struct pj_watch {
	struct pj_watch *next;
	char *path;
	char *token;
};

/* What the journal holds for a domain whose ring has not come back yet. */
struct pj_domain {
	struct pj_domain *next;
	uint16_t domid;
	bool have_pos;
	uint32_t in_pos, out_pos, out_sent;
	uint32_t in_have;
	unsigned char *in;
	struct pj_out *out_head, *out_tail;
	struct pj_watch *watches, *watches_tail;
	uint32_t *txns;
	uint32_t nr_txns, cap_txns;
};

struct xs_persist {
	int fd;
	char *path;
	unsigned char *map;
	size_t cap, used;
	size_t compact_at;
	bool quiet;   /* replaying or restoring: all of it is in the journal already */
	bool adopted; /* no pj_domain left: a snapshot can be taken */
	bool failed;
	struct pj_buf marks, items, rec;
	size_t last_mark;
	bool have_mark;
	struct xs_conn **touched;
	size_t nr_touched, cap_touched;
	struct pj_domain *domains;
};

/* Reading a record: every length is checked against what is left. */
struct pj_rd {
	const unsigned char *p;
	size_t len, off;
	bool bad;
};

static inline bool rd_get(struct pj_rd *r, void *d, size_t n)
{
	if (r->bad || r->len - r->off < n) {
		r->bad = true;
		if (n)
			memset(d, 0, n);
		return false;
	}
	memcpy(d, r->p + r->off, n);
	r->off += n;
	return true;
}

static inline uint32_t rd_u32(struct pj_rd *r)
{
	uint32_t v;

	rd_get(r, &v, 4);
	return v;
}

static inline uint16_t rd_u16(struct pj_rd *r)
{
	uint16_t v;

	rd_get(r, &v, 2);
	return v;
}

static inline uint8_t rd_u8(struct pj_rd *r)
{
	uint8_t v;

	rd_get(r, &v, 1);
	return v;
}

static inline const unsigned char *rd_str(struct pj_rd *r, uint32_t *n)
{
	const unsigned char *s;

	*n = rd_u32(r);
	if (r->bad || r->len - r->off < *n) {
		r->bad = true;
		*n = 0;
		return NULL;
	}
	s = r->p + r->off;
	r->off += *n;
	return s;
}

static inline size_t align8(size_t n)
{
	return (n + 7u) & ~(size_t)7u;
}

uint64_t pj_check(const unsigned char *p, size_t len);
void pj_fail(struct xs_persist *p, const char *what, int err);
/* Rewrites the journal as one snapshot record of srv's state. */
int pj_compact(struct xs_persist *p, struct xs_server *srv);
/* Applies every whole record of the first size bytes; sets p->used to their end. */
void pj_replay(struct xs_persist *p, struct xs_server *srv, size_t size, char *err, size_t errlen);
void pj_forget_domains(struct xs_persist *p);

#endif
