// SPDX-License-Identifier: MIT
/*
 * The journal read back (format: xs_persist.c): nodes go straight into the
 * tree; what belongs to a guest's ring connection waits in a pj_domain until
 * its ring is attached again, and is dropped if it never is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_persist.h"

/* Replay. */

static struct pj_domain *dom_find(struct xs_persist *p, uint16_t domid, bool create)
{
	struct pj_domain *d;

	for (d = p->domains; d; d = d->next)
		if (d->domid == domid)
			return d;
	if (!create)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->domid = domid;
	d->next = p->domains;
	p->domains = d;
	return d;
}

static void dom_clear_watches(struct pj_domain *d)
{
	while (d->watches) {
		struct pj_watch *w = d->watches;

		d->watches = w->next;
		free(w->path);
		free(w->token);
		free(w);
	}
	d->watches_tail = NULL;
	d->nr_txns = 0;
}

static void dom_free(struct pj_domain *d)
{
	dom_clear_watches(d);
	while (d->out_head) {
		struct pj_out *o = d->out_head;

		d->out_head = o->next;
		free(o);
	}
	free(d->txns);
	free(d->in);
	free(d);
}

void pj_forget_domains(struct xs_persist *p)
{
	while (p->domains) {
		struct pj_domain *d = p->domains;

		p->domains = d->next;
		dom_free(d);
	}
}

static void dom_unlink(struct xs_persist *p, struct pj_domain *d)
{
	struct pj_domain **pp = &p->domains;

	while (*pp != d)
		pp = &(*pp)->next;
	*pp = d->next;
}

static char *dup_str(const unsigned char *s, uint32_t n)
{
	char *c = malloc(n + 1u);

	if (c) {
		memcpy(c, s, n);
		c[n] = '\0';
	}
	return c;
}

/* A path or token from the journal: no NUL inside, not empty, not too long. */
static bool str_ok(const unsigned char *s, uint32_t n, uint32_t max)
{
	return s && n && n <= max && !memchr(s, '\0', n);
}

static int apply_node(struct xs_server *srv, struct pj_rd *r)
{
	uint32_t plen, vlen, slen, clen;
	const unsigned char *path = rd_str(r, &plen), *val = rd_str(r, &vlen);
	const unsigned char *perms = rd_str(r, &slen), *children = rd_str(r, &clen);
	struct xs_node *node;
	struct xs_perms pm;
	char *v, *c;
	int old_owner = -1;

	if (r->bad || !str_ok(path, plen, XS_ABS_PATH_MAX) || path[0] != '/' ||
	    vlen > XS_PAYLOAD_MAX || (clen && children[clen - 1] != '\0'))
		return -EINVAL;
	if (xs_perms_parse((const char *)perms, slen, &pm))
		return -EINVAL;
	v = malloc(vlen ? vlen : 1);
	c = malloc(clen ? clen : 1);
	node = xs_tree_find(&srv->nodes, (const char *)path, plen);
	if (!node)
		node = xs_node_alloc((const char *)path, plen);
	else
		old_owner = node->perms.n ? node->perms.p[0].domid : 0;
	if (!v || !c || !node) {
		free(v);
		free(c);
		if (node && old_owner < 0)
			xs_node_free(node);
		xs_perms_free(&pm);
		return -ENOMEM;
	}
	xs_node_clear(node);
	memcpy(v, val, vlen);
	memcpy(c, children, clen);
	node->value = v;
	node->value_len = vlen;
	node->children = c;
	node->children_len = clen;
	node->perms = pm;
	node->gen = ++srv->gen;
	if (old_owner < 0)
		xs_ht_insert(&srv->nodes, &node->h);
	xs_domain_account(srv, old_owner, pm.p[0].domid);
	return 0;
}

static int apply_del(struct xs_server *srv, struct pj_rd *r)
{
	uint32_t len;
	const unsigned char *path = rd_str(r, &len);
	struct xs_node *node;

	if (r->bad || !str_ok(path, len, XS_ABS_PATH_MAX))
		return -EINVAL;
	node = xs_tree_find(&srv->nodes, (const char *)path, len);
	if (!node || len == 1)
		return 0;
	xs_domain_account(srv, node->perms.n ? node->perms.p[0].domid : 0, -1);
	xs_ht_remove(&srv->nodes, &node->h);
	xs_node_free(node);
	return 0;
}

/* Messages that end at or before sent reached the guest: forget them. */
static void dom_drop_sent(struct pj_domain *d)
{
	while (d->out_head && (int32_t)(d->out_head->end - d->out_sent) <= 0) {
		struct pj_out *o = d->out_head;

		d->out_head = o->next;
		free(o);
	}
	if (!d->out_head)
		d->out_tail = NULL;
}

static int apply_ring(struct pj_domain *d, struct pj_rd *r)
{
	uint32_t in_have;
	const unsigned char *in;

	d->in_pos = rd_u32(r);
	d->out_pos = rd_u32(r);
	d->out_sent = rd_u32(r);
	in = rd_str(r, &in_have);
	if (r->bad || in_have > XS_MSG_MAX)
		return -EINVAL;
	free(d->in);
	d->in = NULL;
	d->in_have = 0;
	if (in_have) {
		d->in = malloc(in_have);
		if (!d->in)
			return -ENOMEM;
		memcpy(d->in, in, in_have);
		d->in_have = in_have;
	}
	d->have_pos = true;
	dom_drop_sent(d);
	return 0;
}

static int apply_out(struct pj_domain *d, struct pj_rd *r)
{
	uint32_t end = rd_u32(r), len;
	const unsigned char *m = rd_str(r, &len);
	struct pj_out *o;

	if (r->bad || len < XS_HDR_SIZE || len > XS_MSG_MAX)
		return -EINVAL;
	o = malloc(sizeof(*o) + len);
	if (!o)
		return -ENOMEM;
	o->next = NULL;
	o->end = end;
	o->len = len;
	memcpy(o->data, m, len);
	if (d->out_tail)
		d->out_tail->next = o;
	else
		d->out_head = o;
	d->out_tail = o;
	return 0;
}

static int apply_watch(struct pj_domain *d, struct pj_rd *r, bool add)
{
	uint32_t plen, tlen;
	const unsigned char *path = rd_str(r, &plen), *token = rd_str(r, &tlen);
	struct pj_watch *w, **pp;

	if (r->bad || !str_ok(path, plen, XS_ABS_PATH_MAX) ||
	    (tlen && !str_ok(token, tlen, XS_WATCH_TOKEN_MAX)))
		return -EINVAL;
	if (!add) {
		for (pp = &d->watches; (w = *pp); pp = &w->next) {
			if (strlen(w->path) == plen && !memcmp(w->path, path, plen) &&
			    strlen(w->token) == tlen && !memcmp(w->token, token, tlen)) {
				*pp = w->next;
				free(w->path);
				free(w->token);
				free(w);
				break;
			}
		}
		d->watches_tail = NULL;
		for (w = d->watches; w; w = w->next)
			d->watches_tail = w;
		return 0;
	}
	w = calloc(1, sizeof(*w));
	if (w) {
		w->path = dup_str(path, plen);
		w->token = dup_str(token ? token : (const unsigned char *)"", tlen);
	}
	if (!w || !w->path || !w->token) {
		if (w) {
			free(w->path);
			free(w->token);
		}
		free(w);
		return -ENOMEM;
	}
	if (d->watches_tail)
		d->watches_tail->next = w;
	else
		d->watches = w;
	d->watches_tail = w;
	return 0;
}

static int apply_txn(struct xs_server *srv, struct pj_domain *d, struct pj_rd *r, bool open)
{
	uint32_t id = rd_u32(r);

	if (open) {
		uint32_t next = rd_u32(r);

		if (r->bad)
			return -EINVAL;
		srv->next_txn_id = next;
		if (d->nr_txns == d->cap_txns) {
			uint32_t cap = d->cap_txns ? 2 * d->cap_txns : 8;
			uint32_t *t = realloc(d->txns, cap * sizeof(*t));

			if (!t)
				return -ENOMEM;
			d->txns = t;
			d->cap_txns = cap;
		}
		d->txns[d->nr_txns++] = id;
		return 0;
	}
	for (uint32_t i = 0; i < d->nr_txns; i++) {
		if (d->txns[i] == id) {
			d->txns[i] = d->txns[--d->nr_txns];
			break;
		}
	}
	return r->bad ? -EINVAL : 0;
}

static int apply_special(struct xs_server *srv, struct pj_rd *r)
{
	uint8_t which = rd_u8(r);
	uint32_t len;
	const unsigned char *s = rd_str(r, &len);
	struct xs_perms pm;

	if (r->bad || which > 1 || xs_perms_parse((const char *)s, len, &pm))
		return -EINVAL;
	xs_perms_free(&srv->special_perms[which]);
	srv->special_perms[which] = pm;
	return 0;
}

static int apply_record(struct xs_persist *p, struct xs_server *srv, const unsigned char *rec,
			size_t len)
{
	struct pj_rd r = { .p = rec, .len = len };
	int ret = 0;

	while (!ret && r.off < r.len) {
		uint8_t type = rd_u8(&r);
		struct pj_domain *d = NULL;

		if (type == PJ_NODE) {
			ret = apply_node(srv, &r);
			continue;
		}
		if (type == PJ_DEL) {
			ret = apply_del(srv, &r);
			continue;
		}
		if (type == PJ_SPECIAL) {
			ret = apply_special(srv, &r);
			continue;
		}
		if ((type >= PJ_RING && type <= PJ_RESET) || type == PJ_GONE) {
			uint16_t domid = rd_u16(&r);

			if (r.bad || domid == 0 || domid > XS_DOMID_MAX)
				return -EINVAL;
			d = dom_find(p, domid, true);
			if (!d)
				return -ENOMEM;
		}
		switch (type) {
		case PJ_RING:
			ret = apply_ring(d, &r);
			break;
		case PJ_OUT:
			ret = apply_out(d, &r);
			break;
		case PJ_WATCH:
		case PJ_UNWATCH:
			ret = apply_watch(d, &r, type == PJ_WATCH);
			break;
		case PJ_TXN_OPEN:
		case PJ_TXN_END:
			ret = apply_txn(srv, d, &r, type == PJ_TXN_OPEN);
			break;
		case PJ_RESET:
			dom_clear_watches(d);
			break;
		case PJ_GONE:
			dom_unlink(p, d);
			dom_free(d);
			break;
		default:
			return -EINVAL;
		}
	}
	return ret;
}

/* Replays every whole record; the first torn or failing one ends the journal. */
void pj_replay(struct xs_persist *p, struct xs_server *srv, size_t size, char *err, size_t errlen)
{
	size_t off = PJ_FILE_HDR;

	while (off + PJ_REC_HDR <= size) {
		const unsigned char *h = p->map + off;
		uint32_t len, type;
		uint64_t check;
		int ret;

		memcpy(&len, h, 4);
		memcpy(&type, h + 4, 4);
		memcpy(&check, h + 8, 8);
		if (len == 0)
			break;
		if (type != PJ_REC_TYPE || len > size - off - PJ_REC_HDR ||
		    pj_check(h + PJ_REC_HDR, len) != check) {
			snprintf(err, errlen, "torn record at offset %zu ignored", off);
			break;
		}
		ret = apply_record(p, srv, h + PJ_REC_HDR, len);
		if (ret) {
			snprintf(err, errlen, "record at offset %zu: %s; the rest ignored", off,
				 strerror(-ret));
			break;
		}
		off += PJ_REC_HDR + align8(len);
	}
	p->used = off;
}

static int restore_txn(struct xs_conn *conn, uint32_t id)
{
	struct xs_txn *t = calloc(1, sizeof(*t));

	if (!t || xs_ht_init(&t->entries)) {
		free(t);
		return -ENOMEM;
	}
	t->id = id;
	t->conn = conn;
	/* Its reads and writes are gone: it can only fail, and the guest retries. */
	t->error = -EAGAIN;
	t->next = conn->txns;
	conn->txns = t;
	conn->nr_txns++;
	return 0;
}

static int restore(struct xs_conn *conn, struct pj_domain *d, struct xs_ring_page *ring)
{
	uint32_t req_cons = __atomic_load_n(&ring->req_cons, __ATOMIC_ACQUIRE);
	uint32_t req_prod = __atomic_load_n(&ring->req_prod, __ATOMIC_ACQUIRE);
	uint32_t rsp_prod = __atomic_load_n(&ring->rsp_prod, __ATOMIC_ACQUIRE);
	struct xs_req req = { .srv = conn->srv, .conn = conn, .domid = conn->domid };
	int ret;

	if (d->have_pos) {
		/* Handled requests lie between the ring's req_cons and req_prod... */
		if ((uint32_t)(d->in_pos - req_cons) > (uint32_t)(req_prod - req_cons) ||
		    (uint32_t)(req_prod - req_cons) > XS_RING_SIZE)
			return -EIO;
		/* ...and what the guest was given between what we know was sent and queued. */
		if ((uint32_t)(rsp_prod - d->out_sent) > (uint32_t)(d->out_pos - d->out_sent))
			return -EIO;
		for (struct pj_out *o = d->out_head; o; o = o->next) {
			uint32_t start = o->end - o->len;

			if ((int32_t)(o->end - rsp_prod) <= 0)
				continue;
			ret = xs_conn_restore_out(conn, o->data, o->len,
						  (int32_t)(rsp_prod - start) > 0 ? rsp_prod - start
										  : 0);
			if (ret)
				return ret;
		}
		if (d->in_have)
			memcpy(conn->in, d->in, d->in_have);
		conn->in_have = d->in_have;
		conn->in_pos = d->in_pos;
		conn->out_pos = d->out_pos;
		conn->out_sent = rsp_prod;
		__atomic_store_n(&ring->req_cons, d->in_pos, __ATOMIC_RELEASE);
	}
	for (struct pj_watch *w = d->watches; w; w = w->next) {
		ret = xs_watch_add(&req, w->path, w->token, strlen(w->token));
		if (ret && ret != -EEXIST)
			return ret;
	}
	for (uint32_t i = 0; i < d->nr_txns; i++) {
		ret = restore_txn(conn, d->txns[i]);
		if (ret)
			return ret;
	}
	return 0;
}

int xs_persist_ring_attach(struct xs_conn *conn, struct xs_ring_page *ring)
{
	struct xs_persist *p = conn->srv->persist;
	struct pj_domain *d;
	bool restored;
	int ret = 0;

	if (!p || p->failed)
		return 0;
	conn->in_pos = __atomic_load_n(&ring->req_cons, __ATOMIC_ACQUIRE);
	conn->out_pos = conn->out_sent = __atomic_load_n(&ring->rsp_prod, __ATOMIC_ACQUIRE);
	d = dom_find(p, conn->domid, false);
	restored = d != NULL;
	if (d) {
		p->quiet = true;
		ret = restore(conn, d, ring);
		p->quiet = false;
		dom_unlink(p, d);
		dom_free(d);
		if (ret)
			return ret;
	}
	conn->journaled = true;
	/* A new connection: what an older domain of this domid left is not its. */
	if (!restored)
		xs_persist_conn_released(conn);
	xs_persist_touch(conn);
	xs_persist_commit(conn->srv);
	return 0;
}

int xs_persist_adopted(struct xs_server *srv)
{
	struct xs_persist *p = srv->persist;
	int ret;

	if (!p)
		return 0;
	pj_forget_domains(p);
	p->adopted = true;
	if (p->failed)
		return -EIO;
	ret = pj_compact(p, srv);
	if (ret)
		pj_fail(p, "rewriting", -ret);
	return ret;
}
