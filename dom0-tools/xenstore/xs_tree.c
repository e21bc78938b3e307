// SPDX-License-Identifier: MIT
/*
 * The tree. Every node sits in one hash table keyed by its absolute path and
 * keeps its children as a list of names, so a lookup costs the path length and
 * no operation recurses: walks use an explicit list.
 *
 * An operation inside a transaction works on a "view": the transaction's own
 * entries (copies, read markers, deletions) in front of the main tree. The same
 * code serves both; the view_* helpers are the only place that differs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs_internal.h"

struct xs_node *xs_node_alloc(const char *path, size_t len)
{
	struct xs_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->path = malloc(len + 1);
	if (!n->path) {
		free(n);
		return NULL;
	}
	memcpy(n->path, path, len);
	n->path[len] = '\0';
	n->path_len = len;
	n->h.key = n->path;
	n->h.key_len = len;
	n->h.hash = xs_hash(path, len);
	n->state = XS_ENTRY_NODE;
	return n;
}

void xs_node_clear(struct xs_node *node)
{
	free(node->value);
	free(node->children);
	node->value = NULL;
	node->children = NULL;
	node->value_len = 0;
	node->children_len = 0;
	xs_perms_free(&node->perms);
}

void xs_node_free(struct xs_node *node)
{
	if (!node)
		return;
	xs_node_clear(node);
	free(node->path);
	free(node);
}

struct xs_node *xs_tree_find(const struct xs_htable *ht, const char *path, size_t len)
{
	struct xs_hnode *h = xs_ht_find(ht, path, len, xs_hash(path, len));

	return h ? container_of(h, struct xs_node, h) : NULL;
}

int xs_tree_init(struct xs_server *srv)
{
	struct xs_node *root;
	int ret = xs_ht_init(&srv->nodes);

	if (ret)
		return ret;
	root = xs_node_alloc("/", 1);
	if (!root || xs_perms_set_default(&root->perms, 0, XS_PERM_NONE)) {
		xs_node_free(root);
		xs_ht_destroy(&srv->nodes);
		return -ENOMEM;
	}
	root->gen = ++srv->gen;
	xs_ht_insert(&srv->nodes, &root->h);
	return 0;
}

void xs_tree_destroy(struct xs_server *srv)
{
	for (size_t i = 0; i < srv->nodes.nbuckets; i++) {
		struct xs_hnode *h = srv->nodes.buckets[i];

		while (h) {
			struct xs_hnode *next = h->next;

			xs_node_free(container_of(h, struct xs_node, h));
			h = next;
		}
	}
	xs_ht_destroy(&srv->nodes);
}

static size_t parent_len(const char *path, size_t len)
{
	const char *slash = memrchr(path, '/', len);

	return slash && slash != path ? (size_t)(slash - path) : 1;
}

static size_t name_offset(size_t parent_len)
{
	return parent_len == 1 ? 1 : parent_len + 1;
}

static int children_add(struct xs_node *node, const char *name, size_t len)
{
	char *c = realloc(node->children, node->children_len + len + 1);

	if (!c)
		return -ENOMEM;
	memcpy(c + node->children_len, name, len);
	c[node->children_len + len] = '\0';
	node->children = c;
	node->children_len += (uint32_t)(len + 1);
	return 0;
}

static void children_remove(struct xs_node *node, const char *name, size_t len)
{
	size_t off = 0;

	while (off < node->children_len) {
		size_t n = strlen(node->children + off);

		if (n == len && memcmp(node->children + off, name, len) == 0) {
			memmove(node->children + off, node->children + off + n + 1,
				node->children_len - off - n - 1);
			node->children_len -= (uint32_t)(n + 1);
			return;
		}
		off += n + 1;
	}
}

/* The node visible at path, NULL if none; a transaction records the read. */
static int view_get(struct xs_req *req, const char *path, size_t len, struct xs_node **out)
{
	struct xs_node *e;
	int ret;

	*out = NULL;
	if (!req->txn) {
		*out = xs_tree_find(&req->srv->nodes, path, len);
		return 0;
	}
	ret = xs_txn_touch(req, path, len, false, &e);
	if (ret)
		return ret;
	if (e->state == XS_ENTRY_NODE)
		*out = e;
	else if (e->state == XS_ENTRY_READ)
		*out = xs_tree_find(&req->srv->nodes, path, len);
	return 0;
}

/* Like view_get, but the node may be changed (a transaction copies it). */
static int view_get_mut(struct xs_req *req, const char *path, size_t len, struct xs_node **out)
{
	struct xs_node *e;
	int ret;

	if (!req->txn)
		return view_get(req, path, len, out);
	ret = xs_txn_touch(req, path, len, true, &e);
	if (ret)
		return ret;
	*out = e->state == XS_ENTRY_NODE ? e : NULL;
	return ret;
}

static uint16_t node_owner(const struct xs_node *node)
{
	return node->perms.n ? node->perms.p[0].domid : 0;
}

/* A new node inheriting perms; an unprivileged creator becomes the owner. */
static int view_create(struct xs_req *req, const char *path, size_t len,
		       const struct xs_perms *perms, struct xs_node **out)
{
	struct xs_node *n;
	int ret;

	if (req->txn) {
		ret = xs_txn_touch(req, path, len, false, &n);
		if (ret)
			return ret;
		xs_node_clear(n);
		n->fire = XS_FIRE_NONE;
	} else {
		n = xs_node_alloc(path, len);
		if (!n)
			return -ENOMEM;
	}
	ret = xs_perms_copy(&n->perms, perms);
	if (ret) {
		if (!req->txn)
			xs_node_free(n);
		return ret;
	}
	if (req->domid != 0)
		n->perms.p[0].domid = req->domid;
	if (req->txn) {
		n->state = XS_ENTRY_NODE;
		if (node_owner(n) == req->domid)
			req->txn->nodes_delta++;
	} else {
		xs_ht_insert(&req->srv->nodes, &n->h);
		xs_domain_account(req->srv, -1, node_owner(n));
	}
	*out = n;
	return 0;
}

static void view_changed(struct xs_req *req, struct xs_node *node)
{
	if (req->txn) {
		node->dirty = true;
		return;
	}
	node->gen = ++req->srv->gen;
	xs_persist_mark(req->srv, node->path, node->path_len);
}

/* Transactions fire at commit; the last kind wins, but a write keeps a perms change. */
static void view_fire(struct xs_req *req, struct xs_node *node, enum xs_fire kind,
		      const struct xs_perms *old)
{
	if (req->txn) {
		if (!(kind == XS_FIRE_CHANGE && node->fire == XS_FIRE_PERMS))
			node->fire = (uint8_t)kind;
		return;
	}
	xs_watch_fire(req->srv, node->path, node->path_len, &node->perms, old,
		      kind != XS_FIRE_DELETE_CHILD);
}

static int view_delete(struct xs_req *req, struct xs_node *node, enum xs_fire kind)
{
	struct xs_node *e;
	int ret;

	if (!req->txn) {
		xs_persist_mark(req->srv, node->path, node->path_len);
		xs_domain_account(req->srv, node_owner(node), -1);
		xs_ht_remove(&req->srv->nodes, &node->h);
		xs_node_free(node);
		return 0;
	}
	ret = xs_txn_touch(req, node->path, node->path_len, false, &e);
	if (ret)
		return ret;
	if (node_owner(node) == req->domid)
		req->txn->nodes_delta--;
	xs_node_clear(e);
	e->state = XS_ENTRY_DELETED;
	e->dirty = true;
	e->fire = (uint8_t)kind;
	return 0;
}

/* Failing half-way through a transaction poisons it: its commit must fail. */
static int txn_failed(struct xs_req *req, int ret)
{
	if (ret && req->txn && !req->txn->error)
		req->txn->error = ret;
	return ret;
}

int xs_tree_get(struct xs_req *req, const char *path, size_t len, unsigned int want,
		struct xs_node **out)
{
	int ret = view_get(req, path, len, out);

	if (ret)
		return ret;
	if (!*out)
		return -ENOENT;
	if (!xs_perm_allows(&(*out)->perms, req->domid, want))
		return -EACCES;
	return 0;
}

/* Creates path and its missing parents; needs write access to the closest parent. */
static int tree_create(struct xs_req *req, const char *path, size_t len, struct xs_node **out)
{
	struct xs_node *parent = NULL, *child;
	size_t plen = len, nr_new = 0;
	int ret;

	do {
		plen = parent_len(path, plen);
		nr_new++;
		ret = view_get(req, path, plen, &parent);
		if (ret)
			return ret;
	} while (!parent);
	if (!xs_perm_allows(&parent->perms, req->domid, XS_PERM_WRITE))
		return -EACCES;
	if (req->quota) {
		long used = (long)req->conn->dom->nodes + (req->txn ? req->txn->nodes_delta : 0);

		/* All nr_new paths were touched above: no transaction access is left to count. */
		if (used + (long)nr_new > (long)req->quota->nodes)
			return -ENOSPC;
	}
	ret = view_get_mut(req, path, plen, &parent);
	if (ret || !parent)
		return ret ? ret : -ENOENT;
	while (plen < len) {
		size_t start = name_offset(plen);
		const char *slash = memchr(path + start, '/', len - start);
		size_t clen = slash ? (size_t)(slash - path) : len;

		ret = children_add(parent, path + start, clen - start);
		if (ret)
			goto out;
		ret = view_create(req, path, clen, &parent->perms, &child);
		if (ret) {
			children_remove(parent, path + start, clen - start);
			goto out;
		}
		view_changed(req, parent);
		view_changed(req, child);
		parent = child;
		plen = clen;
	}
	*out = parent;
out:
	return txn_failed(req, ret);
}

int xs_tree_write(struct xs_req *req, const char *path, size_t len, const void *val, size_t vlen)
{
	struct xs_node *node;
	char *copy;
	int ret;

	if (req->quota && vlen > req->quota->value_size)
		return -ENOSPC;
	copy = malloc(vlen ? vlen : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, val, vlen);
	ret = view_get(req, path, len, &node);
	if (ret)
		goto out;
	if (node) {
		ret = -EACCES;
		if (!xs_perm_allows(&node->perms, req->domid, XS_PERM_WRITE))
			goto out;
		ret = view_get_mut(req, path, len, &node);
	} else {
		ret = tree_create(req, path, len, &node);
	}
	if (ret)
		goto out;
	free(node->value);
	node->value = copy;
	node->value_len = (uint32_t)vlen;
	copy = NULL;
	view_changed(req, node);
	view_fire(req, node, XS_FIRE_CHANGE, NULL);
out:
	free(copy);
	return ret;
}

int xs_tree_mkdir(struct xs_req *req, const char *path, size_t len)
{
	struct xs_node *node;
	int ret = view_get(req, path, len, &node);

	if (ret)
		return ret;
	if (node)
		return xs_perm_allows(&node->perms, req->domid, XS_PERM_WRITE) ? 0 : -EACCES;
	ret = tree_create(req, path, len, &node);
	if (ret)
		return ret;
	view_fire(req, node, XS_FIRE_CHANGE, NULL);
	return 0;
}

/* Breadth-first list of the subtree at node, parents before children. */
static int collect_subtree(struct xs_req *req, struct xs_node *node, struct xs_node ***list,
			   size_t *count)
{
	size_t n = 0, cap = 16;
	struct xs_node **l = malloc(cap * sizeof(*l));
	char *buf = malloc(XS_PATH_BUF + 1);
	int ret = -ENOMEM;

	if (!l || !buf)
		goto out;
	l[n++] = node;
	for (size_t i = 0; i < n; i++) {
		const struct xs_node *cur = l[i];

		for (size_t off = 0; off < cur->children_len;) {
			size_t nlen = strlen(cur->children + off);
			size_t blen = cur->path_len + 1 + nlen;
			struct xs_node *child;

			/* Paths are checked on creation, so a child path always fits. */
			if (blen > XS_ABS_PATH_MAX) {
				ret = -EIO;
				goto out;
			}
			memcpy(buf, cur->path, cur->path_len);
			buf[cur->path_len] = '/';
			memcpy(buf + cur->path_len + 1, cur->children + off, nlen);
			off += nlen + 1;
			ret = view_get(req, buf, blen, &child);
			if (ret)
				goto out;
			if (!child)
				continue;
			if (n == cap) {
				struct xs_node **bigger = realloc(l, 2 * cap * sizeof(*l));

				ret = -ENOMEM;
				if (!bigger)
					goto out;
				l = bigger;
				cap *= 2;
			}
			l[n++] = child;
		}
	}
	ret = 0;
out:
	free(buf);
	if (ret) {
		free(l);
		l = NULL;
	}
	*list = l;
	*count = n;
	return ret;
}

int xs_tree_rm(struct xs_req *req, const char *path, size_t len)
{
	size_t plen = parent_len(path, len), count = 0;
	struct xs_node *node, *parent, **list = NULL;
	int ret;

	if (len == 1)
		return -EINVAL;
	ret = view_get(req, path, len, &node);
	if (ret)
		return ret;
	if (!node) {
		/* Already gone is fine as long as the parent is there. */
		ret = view_get(req, path, plen, &parent);
		return ret ? ret : parent ? 0 : -ENOENT;
	}
	if (!xs_perm_allows(&node->perms, req->domid, XS_PERM_WRITE))
		return -EACCES;
	ret = collect_subtree(req, node, &list, &count);
	if (ret)
		return ret;
	ret = view_get_mut(req, path, plen, &parent);
	if (ret || !parent) {
		ret = ret ? ret : -EIO;
		goto out;
	}
	/* Fire while the nodes still exist; a transaction marks them in view_delete. */
	for (size_t i = 0; !req->txn && i < count; i++)
		view_fire(req, list[i], i ? XS_FIRE_DELETE_CHILD : XS_FIRE_DELETE, NULL);
	children_remove(parent, path + name_offset(plen), len - name_offset(plen));
	view_changed(req, parent);
	for (size_t i = count; i-- > 0;) {
		ret = view_delete(req, list[i], i ? XS_FIRE_DELETE_CHILD : XS_FIRE_DELETE);
		if (ret)
			goto out;
	}
out:
	free(list);
	return txn_failed(req, ret);
}

int xs_tree_set_perms(struct xs_req *req, const char *path, size_t len, struct xs_perms *perms)
{
	struct xs_perms old;
	struct xs_node *node;
	int ret;

	if (req->quota && perms->n > req->quota->perms_per_node)
		return -ENOSPC;
	ret = xs_tree_get(req, path, len, XS_PERM_NONE, &node);
	if (ret)
		return ret;
	if (req->domid != 0 && node_owner(node) != req->domid)
		return -EACCES;
	if (req->domid != 0 && perms->p[0].domid != node_owner(node))
		return -EPERM;
	ret = view_get_mut(req, path, len, &node);
	if (ret || !node)
		return txn_failed(req, ret ? ret : -EIO);
	old = node->perms;
	node->perms = *perms;
	perms->p = NULL;
	perms->n = 0;
	if (!req->txn)
		xs_domain_account(req->srv, old.n ? old.p[0].domid : 0, node_owner(node));
	view_changed(req, node);
	view_fire(req, node, XS_FIRE_PERMS, &old);
	xs_perms_free(&old);
	return 0;
}

/*
 * A released domid may be reused: drop its permission entries and hand its
 * nodes to dom0 so a new domain with the same id inherits nothing (XSA-322).
 * Each node changed gets a new generation, so a transaction that copied it
 * before fails with EAGAIN instead of committing the old list back (XSA-417).
 */
void xs_tree_forget_domain(struct xs_server *srv, uint16_t domid)
{
	size_t bucket = 0;
	struct xs_hnode *h = NULL;

	while ((h = xs_ht_iter(&srv->nodes, &bucket, h))) {
		struct xs_node *node = container_of(h, struct xs_node, h);
		struct xs_perms *p = &node->perms;
		bool changed = false;
		uint32_t keep = 1;

		if (!p->n)
			continue;
		if (p->p[0].domid == domid) {
			p->p[0].domid = 0;
			xs_domain_account(srv, domid, 0);
			changed = true;
		}
		for (uint32_t i = 1; i < p->n; i++) {
			if (p->p[i].domid != domid)
				p->p[keep++] = p->p[i];
		}
		changed |= keep != p->n;
		p->n = keep;
		if (changed) {
			node->gen = ++srv->gen;
			xs_persist_mark(srv, node->path, node->path_len);
		}
	}
}
