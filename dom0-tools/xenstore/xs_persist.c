// SPDX-License-Identifier: MIT
/*
 * The store's journal. Records are appended to a shared mapping of the file: a
 * store into the mapping is in the page cache the moment it is made, so a
 * daemon killed with SIGKILL loses nothing it wrote, and an append costs a copy,
 * not a system call. A record's length word is stored last, so one cut short
 * reads as the end; its check catches a file cut short or damaged otherwise.
 *
 * A record holds what one request (or direct call) changed: main-tree nodes as
 * they are now (value, permissions, children) or their removal, the watch and
 * transaction changes of guests' ring connections, every message queued on a
 * ring connection with the ring position its end will have, and each touched
 * ring connection's positions. Socket clients are not kept: their sockets die
 * with the daemon. Past a size, the journal is rewritten as one snapshot.
 *
 * Exactly-once on the rings: xs_ring.c moves req_cons and hands output to the
 * guest only after the record is in. A new daemon moves req_cons to the
 * journaled position (the requests before it ran) and queues what the ring's
 * rsp_prod shows was not sent yet.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xs_persist.h"

/* Record building. */

static void *buf_reserve(struct pj_buf *b, size_t n)
{
	void *r;

	if (b->failed)
		return NULL;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		unsigned char *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	r = b->p + b->len;
	b->len += n;
	return r;
}

static void buf_put(struct pj_buf *b, const void *d, size_t n)
{
	void *r = buf_reserve(b, n);

	if (r && n)
		memcpy(r, d, n);
}

static void buf_u8(struct pj_buf *b, uint8_t v)
{
	buf_put(b, &v, 1);
}

static void buf_u16(struct pj_buf *b, uint16_t v)
{
	buf_put(b, &v, 2);
}

static void buf_u32(struct pj_buf *b, uint32_t v)
{
	buf_put(b, &v, 4);
}

static void buf_str(struct pj_buf *b, const void *s, size_t n)
{
	buf_u32(b, (uint32_t)n);
	buf_put(b, s, n);
}

static void buf_free(struct pj_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

uint64_t pj_check(const unsigned char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull ^ len;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	for (; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h ^ (h >> 32);
}

/* The mapping. */

void pj_fail(struct xs_persist *p, const char *what, int err)
{
	if (!p->failed)
		fprintf(stderr, "xenstore journal %s: %s: %s; no longer kept\n", p->path, what,
			strerror(err));
	p->failed = true;
}

static int map_file(int fd, size_t cap, unsigned char **map)
{
	void *m;

	if (ftruncate(fd, (off_t)cap))
		return -errno;
	m = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	*map = m;
	return 0;
}

/* Writes one record at at; its length word last. */
static void rec_write(unsigned char *at, const unsigned char *payload, size_t len)
{
	uint32_t type = PJ_REC_TYPE;
	uint64_t check = pj_check(payload, len);

	memcpy(at + PJ_REC_HDR, payload, len);
	memcpy(at + 4, &type, 4);
	memcpy(at + 8, &check, 8);
	__atomic_store_n((uint32_t *)at, (uint32_t)len, __ATOMIC_RELEASE);
}

static int pj_append(struct xs_persist *p, const unsigned char *payload, size_t len)
{
	/* A zero length word must follow: the end mark. */
	size_t need = p->used + PJ_REC_HDR + align8(len) + PJ_REC_HDR;

	if (len > UINT32_MAX)
		return -E2BIG;
	if (need > p->cap) {
		size_t cap = p->cap;
		void *m;

		while (cap < need)
			cap *= 2;
		if (ftruncate(p->fd, (off_t)cap))
			return -errno;
		m = mremap(p->map, p->cap, cap, MREMAP_MAYMOVE);
		if (m == MAP_FAILED)
			return -errno;
		p->map = m;
		p->cap = cap;
	}
	rec_write(p->map + p->used, payload, len);
	p->used += PJ_REC_HDR + align8(len);
	return 0;
}

/* Items. */

static void item_node(struct pj_buf *b, const struct xs_node *node)
{
	char perms[XS_PAYLOAD_MAX];
	ssize_t plen = xs_perms_format(&node->perms, perms, sizeof(perms));

	if (plen < 0) {
		b->failed = true;
		return;
	}
	buf_u8(b, PJ_NODE);
	buf_str(b, node->path, node->path_len);
	buf_str(b, node->value, node->value_len);
	buf_str(b, perms, (size_t)plen);
	buf_str(b, node->children, node->children_len);
}

static void item_ring(struct pj_buf *b, const struct xs_conn *conn)
{
	buf_u8(b, PJ_RING);
	buf_u16(b, conn->domid);
	buf_u32(b, conn->in_pos);
	buf_u32(b, conn->out_pos);
	buf_u32(b, conn->out_sent);
	buf_str(b, conn->in, conn->in_have);
}

static void item_out(struct pj_buf *b, uint16_t domid, uint32_t end, const void *m, size_t len)
{
	buf_u8(b, PJ_OUT);
	buf_u16(b, domid);
	buf_u32(b, end);
	buf_str(b, m, len);
}

static void item_watch(struct pj_buf *b, uint8_t type, uint16_t domid, const struct xs_watch *w)
{
	buf_u8(b, type);
	buf_u16(b, domid);
	buf_str(b, w->path + w->strip, w->path_len - w->strip);
	buf_str(b, w->token, w->token_len);
}

static void item_txn(struct pj_buf *b, uint8_t type, uint16_t domid, uint32_t id, uint32_t next)
{
	buf_u8(b, type);
	buf_u16(b, domid);
	buf_u32(b, id);
	if (type == PJ_TXN_OPEN)
		buf_u32(b, next);
}

static void item_special(struct pj_buf *b, uint8_t which, const struct xs_perms *perms)
{
	char buf[XS_PAYLOAD_MAX];
	ssize_t n = xs_perms_format(perms, buf, sizeof(buf));

	if (n < 0) {
		b->failed = true;
		return;
	}
	buf_u8(b, PJ_SPECIAL);
	buf_u8(b, which);
	buf_str(b, buf, (size_t)n);
}

/* Everything a journaled connection has, as a fresh journal would hold it. */
static void items_conn(struct pj_buf *b, const struct xs_conn *conn)
{
	uint32_t pos;

	for (const struct xs_watch *w = conn->watches; w; w = w->conn_next)
		item_watch(b, PJ_WATCH, conn->domid, w);
	for (const struct xs_txn *t = conn->txns; t; t = t->next)
		item_txn(b, PJ_TXN_OPEN, conn->domid, t->id, conn->srv->next_txn_id);
	pos = conn->out_sent - (conn->out_head ? (uint32_t)conn->out_head->off : 0);
	for (const struct xs_outmsg *m = conn->out_head; m; m = m->next) {
		pos += (uint32_t)m->len;
		item_out(b, conn->domid, pos, m->data, m->len);
	}
	item_ring(b, conn);
}

static void items_snapshot(struct pj_buf *b, struct xs_server *srv)
{
	size_t bucket = 0;
	struct xs_hnode *h = NULL;

	while ((h = xs_ht_iter(&srv->nodes, &bucket, h)))
		item_node(b, container_of(h, struct xs_node, h));
	item_special(b, 0, &srv->special_perms[0]);
	item_special(b, 1, &srv->special_perms[1]);
	for (const struct xs_conn *c = srv->conns; c; c = c->next)
		if (c->journaled && !c->dead)
			items_conn(b, c);
}

/* Rewrites the journal as one record of the whole state: tmp file, then rename. */
int pj_compact(struct xs_persist *p, struct xs_server *srv)
{
	struct pj_buf b = { 0 };
	unsigned char *map = NULL;
	char tmp[PATH_MAX];
	size_t cap = PJ_MIN_CAP, used;
	int fd = -1, ret;

	items_snapshot(&b, srv);
	ret = -ENOMEM;
	if (b.failed)
		goto out;
	ret = -ENAMETOOLONG;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", p->path) >= (int)sizeof(tmp))
		goto out;
	used = PJ_FILE_HDR + PJ_REC_HDR + align8(b.len);
	while (cap < 2 * used + PJ_REC_HDR)
		cap *= 2;
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ret = fd < 0 ? -errno : map_file(fd, cap, &map);
	if (ret)
		goto out;
	memcpy(map, PJ_MAGIC, 8);
	rec_write(map + PJ_FILE_HDR, b.p, b.len);
	ret = rename(tmp, p->path) ? -errno : 0;
	if (ret)
		goto out;
	munmap(p->map, p->cap);
	close(p->fd);
	p->map = map;
	p->fd = fd;
	p->cap = cap;
	p->used = used;
	p->compact_at = PJ_COMPACT_AT > 4 * used ? PJ_COMPACT_AT : 4 * used;
	map = NULL;
	fd = -1;
out:
	if (map)
		munmap(map, cap);
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	buf_free(&b);
	return ret;
}

/* Hooks. */

void xs_persist_touch(struct xs_conn *conn)
{
	struct xs_persist *p = conn->srv->persist;

	if (!p || p->quiet || p->failed || !conn->journaled || conn->journal_touched)
		return;
	if (p->nr_touched == p->cap_touched) {
		size_t cap = p->cap_touched ? 2 * p->cap_touched : 8;
		struct xs_conn **t = realloc(p->touched, cap * sizeof(*t));

		if (!t) {
			pj_fail(p, "touched connections", ENOMEM);
			return;
		}
		p->touched = t;
		p->cap_touched = cap;
	}
	p->touched[p->nr_touched++] = conn;
	conn->journal_touched = true;
}

/* conn is being freed: what it had in the record being built needs it no more. */
void xs_persist_conn_gone(struct xs_conn *conn)
{
	struct xs_persist *p = conn->srv->persist;

	if (!p || !conn->journal_touched)
		return;
	for (size_t i = 0; i < p->nr_touched; i++) {
		if (p->touched[i] == conn) {
			p->touched[i] = p->touched[--p->nr_touched];
			break;
		}
	}
	conn->journal_touched = false;
}

static struct xs_persist *hook(struct xs_server *srv)
{
	struct xs_persist *p = srv->persist;

	return p && !p->quiet && !p->failed ? p : NULL;
}

void xs_persist_mark(struct xs_server *srv, const char *path, size_t len)
{
	struct xs_persist *p = hook(srv);
	uint32_t last;

	if (!p)
		return;
	/* Creating a path marks each parent right after its child's parent. */
	if (p->have_mark) {
		memcpy(&last, p->marks.p + p->last_mark, 4);
		if (last == len && !memcmp(p->marks.p + p->last_mark + 4, path, len))
			return;
	}
	p->last_mark = p->marks.len;
	p->have_mark = !p->marks.failed;
	buf_str(&p->marks, path, len);
}

void xs_persist_out(struct xs_conn *conn, const struct xs_outmsg *m)
{
	struct xs_persist *p = hook(conn->srv);

	if (!p)
		return;
	conn->out_pos += (uint32_t)m->len;
	item_out(&p->items, conn->domid, conn->out_pos, m->data, m->len);
	xs_persist_touch(conn);
}

void xs_persist_watch(struct xs_conn *conn, const struct xs_watch *w, bool add)
{
	struct xs_persist *p = hook(conn->srv);

	if (!p || !conn->journaled)
		return;
	item_watch(&p->items, add ? PJ_WATCH : PJ_UNWATCH, conn->domid, w);
	xs_persist_touch(conn);
}

void xs_persist_txn(struct xs_conn *conn, uint32_t id, bool open)
{
	struct xs_persist *p = hook(conn->srv);

	if (!p || !conn->journaled)
		return;
	item_txn(&p->items, open ? PJ_TXN_OPEN : PJ_TXN_END, conn->domid, id,
		 conn->srv->next_txn_id);
	xs_persist_touch(conn);
}

static void conn_item(struct xs_conn *conn, uint8_t type)
{
	struct xs_persist *p = hook(conn->srv);

	if (!p || !conn->journaled)
		return;
	buf_u8(&p->items, type);
	buf_u16(&p->items, conn->domid);
	xs_persist_touch(conn);
}

void xs_persist_conn_reset(struct xs_conn *conn)
{
	conn_item(conn, PJ_RESET);
}

/* A domid may come back with a new domain: the old one's output must not reach it. */
void xs_persist_conn_released(struct xs_conn *conn)
{
	conn_item(conn, PJ_GONE);
}

void xs_persist_special(struct xs_server *srv, const char *name)
{
	struct xs_persist *p = hook(srv);
	const struct xs_perms *perms = xs_special_perms(srv, name);

	if (p && perms)
		item_special(&p->items, perms == &srv->special_perms[0] ? 0 : 1, perms);
}

void xs_persist_commit(struct xs_server *srv)
{
	struct xs_persist *p = hook(srv);
	struct pj_rd marks;
	int ret;

	if (!p || (!p->marks.len && !p->items.len && !p->nr_touched))
		return;
	p->rec.len = 0;
	marks = (struct pj_rd){ .p = p->marks.p, .len = p->marks.len };
	while (marks.off < marks.len) {
		uint32_t len;
		const char *path = (const char *)rd_str(&marks, &len);
		struct xs_node *node = xs_tree_find(&srv->nodes, path, len);

		if (node) {
			item_node(&p->rec, node);
		} else {
			buf_u8(&p->rec, PJ_DEL);
			buf_str(&p->rec, path, len);
		}
	}
	buf_put(&p->rec, p->items.p, p->items.len);
	for (size_t i = 0; i < p->nr_touched; i++) {
		item_ring(&p->rec, p->touched[i]);
		p->touched[i]->journal_touched = false;
	}
	ret = p->marks.failed || p->items.failed || p->rec.failed ? -ENOMEM : 0;
	p->marks.len = p->items.len = 0;
	p->have_mark = false;
	p->nr_touched = 0;
	if (!ret && p->adopted && p->used + p->rec.len > p->compact_at)
		ret = pj_compact(p, srv);
	else if (!ret)
		ret = pj_append(p, p->rec.p, p->rec.len);
	if (ret)
		pj_fail(p, "appending a record", -ret);
}

int xs_persist_open(struct xs_server *srv, const char *path, bool load, char *err, size_t errlen)
{
	struct xs_persist *p = calloc(1, sizeof(*p));
	size_t size = 0, cap = PJ_MIN_CAP;
	struct stat st;
	int ret = -ENOMEM;

	if (err && errlen)
		err[0] = '\0';
	if (!p)
		goto out;
	p->fd = -1;
	p->path = strdup(path);
	if (!p->path)
		goto out;
	p->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | (load ? 0 : O_TRUNC), 0600);
	ret = p->fd < 0 || fstat(p->fd, &st) ? -errno : 0;
	if (ret)
		goto out;
	size = (size_t)st.st_size;
	if (size >= PJ_FILE_HDR && load) {
		char magic[8];

		ret = pread(p->fd, magic, 8, 0) == 8 ? 0 : -EIO;
		if (!ret && memcmp(magic, PJ_MAGIC, 8))
			ret = -EINVAL;
		if (ret) {
			snprintf(err, errlen, "%s is not a xenstore journal", path);
			goto out;
		}
	} else {
		size = 0;
	}
	while (cap < size + PJ_REC_HDR)
		cap *= 2;
	ret = map_file(p->fd, cap, &p->map);
	if (ret) {
		snprintf(err, errlen, "cannot map %s: %s", path, strerror(-ret));
		goto out;
	}
	p->cap = cap;
	p->used = PJ_FILE_HDR;
	memcpy(p->map, PJ_MAGIC, 8);
	srv->persist = p;
	p->quiet = true;
	if (size)
		pj_replay(p, srv, size, err, errlen);
	p->quiet = false;
	/* Whatever follows the last good record goes: new records must not run into it. */
	if (ftruncate(p->fd, (off_t)p->used) || ftruncate(p->fd, (off_t)p->cap)) {
		ret = -errno;
		srv->persist = NULL;
		snprintf(err, errlen, "cannot truncate %s: %s", path, strerror(-ret));
		goto out;
	}
	p->compact_at = PJ_COMPACT_AT;
	p->adopted = !p->domains;
	return 0;
out:
	if (p) {
		if (p->map)
			munmap(p->map, cap);
		if (p->fd >= 0)
			close(p->fd);
		free(p->path);
		free(p);
	}
	return ret;
}

size_t xs_persist_size(const struct xs_server *srv)
{
	return srv->persist ? srv->persist->used : 0;
}

void xs_persist_close(struct xs_server *srv)
{
	xs_persist_free(srv);
}

void xs_persist_free(struct xs_server *srv)
{
	struct xs_persist *p = srv->persist;

	if (!p)
		return;
	srv->persist = NULL;
	pj_forget_domains(p);
	for (size_t i = 0; i < p->nr_touched; i++)
		p->touched[i]->journal_touched = false;
	munmap(p->map, p->cap);
	close(p->fd);
	buf_free(&p->marks);
	buf_free(&p->items);
	buf_free(&p->rec);
	free(p->touched);
	free(p->path);
	free(p);
}
