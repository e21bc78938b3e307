// SPDX-License-Identifier: MIT
/*
 * Transactions, optimistic: a transaction keeps its own entries for every node
 * it touched (read markers, private copies, deletions) with the main node's
 * generation at first touch. Commit fails with EAGAIN if any of those nodes
 * changed since, otherwise applies the copies and fires the watches. Adding or
 * removing a child changes the parent, so creations under a read directory
 * conflict too. The node quota is checked again at commit: transactions opened
 * side by side each saw the count before the others committed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs_internal.h"

struct xs_txn *xs_txn_find(struct xs_conn *conn, uint32_t id)
{
	struct xs_txn *t = conn->txns;

	while (t && t->id != id)
		t = t->next;
	return t;
}

struct xs_node *xs_txn_lookup(struct xs_txn *txn, const char *path, size_t len)
{
	return xs_tree_find(&txn->entries, path, len);
}

static int entry_copy_main(struct xs_node *e, const struct xs_node *main)
{
	int ret = -ENOMEM;

	e->value = malloc(main->value_len ? main->value_len : 1);
	e->children = malloc(main->children_len ? main->children_len : 1);
	if (!e->value || !e->children)
		goto out;
	if (main->value_len)
		memcpy(e->value, main->value, main->value_len);
	if (main->children_len)
		memcpy(e->children, main->children, main->children_len);
	e->value_len = main->value_len;
	e->children_len = main->children_len;
	ret = xs_perms_copy(&e->perms, &main->perms);
out:
	if (ret)
		xs_node_clear(e);
	return ret;
}

/* The transaction's entry for path, created on first touch (one access). */
int xs_txn_touch(struct xs_req *req, const char *path, size_t len, bool copy, struct xs_node **out)
{
	struct xs_txn *txn = req->txn;
	struct xs_node *e = xs_txn_lookup(txn, path, len);
	struct xs_node *main = xs_tree_find(&req->srv->nodes, path, len);
	int ret;

	if (!e) {
		if (req->quota && txn->accesses >= req->quota->txn_nodes)
			return -ENOSPC;
		e = xs_node_alloc(path, len);
		if (!e)
			return -ENOMEM;
		e->base_gen = main ? main->gen : 0;
		e->state = XS_ENTRY_READ;
		xs_ht_insert(&txn->entries, &e->h);
		if (txn->last)
			txn->last->txn_next = e;
		else
			txn->first = e;
		txn->last = e;
		txn->accesses++;
	}
	if (copy && e->state == XS_ENTRY_READ && main) {
		ret = entry_copy_main(e, main);
		if (ret)
			return ret;
		e->state = XS_ENTRY_NODE;
	}
	*out = e;
	return 0;
}

int xs_txn_start(struct xs_req *req, uint32_t *id)
{
	struct xs_conn *conn = req->conn;
	struct xs_txn *txn;

	if (req->quota && conn->nr_txns >= req->quota->transactions)
		return -ENOSPC;
	txn = calloc(1, sizeof(*txn));
	if (!txn || xs_ht_init(&txn->entries)) {
		free(txn);
		return -ENOMEM;
	}
	do {
		txn->id = ++req->srv->next_txn_id;
	} while (txn->id == 0);
	txn->conn = conn;
	txn->next = conn->txns;
	conn->txns = txn;
	conn->nr_txns++;
	*id = txn->id;
	xs_persist_txn(conn, txn->id, true);
	return 0;
}

void xs_txn_free(struct xs_txn *txn)
{
	struct xs_node *e = txn->first;

	while (e) {
		struct xs_node *next = e->txn_next;

		xs_node_free(e);
		e = next;
	}
	xs_ht_destroy(&txn->entries);
	free(txn);
}

void xs_txn_free_all(struct xs_conn *conn)
{
	while (conn->txns) {
		struct xs_txn *txn = conn->txns;

		conn->txns = txn->next;
		xs_txn_free(txn);
	}
	conn->nr_txns = 0;
}

static uint16_t perms_owner(const struct xs_perms *p)
{
	return p->n ? p->p[0].domid : 0;
}

static void commit_fire(struct xs_server *srv, const struct xs_node *e, const struct xs_node *main)
{
	if (e->state == XS_ENTRY_DELETED) {
		/* Nobody outside saw a node created and removed in here. */
		if (main)
			xs_watch_fire(srv, e->path, e->path_len, &main->perms, NULL,
				      e->fire != XS_FIRE_DELETE_CHILD);
	} else if (e->fire == XS_FIRE_PERMS) {
		xs_watch_fire(srv, e->path, e->path_len, &e->perms, main ? &main->perms : NULL,
			      true);
	} else if (e->fire != XS_FIRE_NONE) {
		xs_watch_fire(srv, e->path, e->path_len, &e->perms, NULL, true);
	}
}

static void commit_apply(struct xs_server *srv, struct xs_txn *txn, struct xs_node *e,
			 struct xs_node *main)
{
	xs_persist_mark(srv, e->path, e->path_len);
	if (e->state == XS_ENTRY_DELETED) {
		if (main) {
			xs_domain_account(srv, perms_owner(&main->perms), -1);
			xs_ht_remove(&srv->nodes, &main->h);
			xs_node_free(main);
		}
		return;
	}
	if (main) {
		struct xs_node tmp = *main;

		xs_domain_account(srv, perms_owner(&main->perms), perms_owner(&e->perms));
		main->value = e->value;
		main->value_len = e->value_len;
		main->children = e->children;
		main->children_len = e->children_len;
		main->perms = e->perms;
		e->value = tmp.value;
		e->value_len = tmp.value_len;
		e->children = tmp.children;
		e->children_len = tmp.children_len;
		e->perms = tmp.perms;
		main->gen = ++srv->gen;
		return;
	}
	/* New node: the entry itself moves into the tree (the caller unlinked it). */
	xs_ht_remove(&txn->entries, &e->h);
	e->txn_next = NULL;
	e->base_gen = 0;
	e->dirty = false;
	e->fire = XS_FIRE_NONE;
	e->gen = ++srv->gen;
	xs_ht_insert(&srv->nodes, &e->h);
	xs_domain_account(srv, -1, perms_owner(&e->perms));
}

/* quota is NULL for the control domain. */
static int txn_commit(struct xs_server *srv, struct xs_txn *txn, const struct xs_quota *quota)
{
	const struct xs_domain *dom = txn->conn->dom;
	struct xs_node *e, **pp;

	if (txn->error)
		return txn->error;
	for (e = txn->first; e; e = e->txn_next) {
		struct xs_node *main = xs_tree_find(&srv->nodes, e->path, e->path_len);

		if ((main ? main->gen : 0) != e->base_gen)
			return -EAGAIN;
	}
	/* A transaction that frees nodes always commits, even over the quota. */
	if (quota && txn->nodes_delta > 0 &&
	    (long)dom->nodes + txn->nodes_delta > (long)quota->nodes)
		return -ENOSPC;
	/* Events first: deletions need the old permissions. */
	for (e = txn->first; e; e = e->txn_next) {
		if (e->dirty)
			commit_fire(srv, e, xs_tree_find(&srv->nodes, e->path, e->path_len));
	}
	pp = &txn->first;
	while ((e = *pp)) {
		struct xs_node *main;
		bool moves;

		if (!e->dirty || e->state == XS_ENTRY_READ) {
			pp = &e->txn_next;
			continue;
		}
		main = xs_tree_find(&srv->nodes, e->path, e->path_len);
		moves = !main && e->state == XS_ENTRY_NODE;
		if (moves)
			*pp = e->txn_next;
		else
			pp = &e->txn_next;
		commit_apply(srv, txn, e, main);
	}
	return 0;
}

int xs_txn_end(struct xs_req *req, bool commit)
{
	struct xs_txn *txn = req->txn, **pp = &req->conn->txns;
	int ret = 0;

	while (*pp && *pp != txn)
		pp = &(*pp)->next;
	if (!*pp)
		return -ENOENT;
	*pp = txn->next;
	req->conn->nr_txns--;
	xs_persist_txn(req->conn, txn->id, false);
	if (commit)
		ret = txn_commit(req->srv, txn, req->quota);
	req->txn = NULL;
	xs_txn_free(txn);
	return ret;
}
