// SPDX-License-Identifier: MIT
/*
 * Watches, indexed by path. A change to a node fires the watches on the node
 * and on each of its ancestors; hashing the prefixes in one pass keeps firing
 * O(path length) however many watches exist. Events carry the changed path and
 * reach a watcher only if it may read the node (XSA-115).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs_internal.h"

struct xs_perms *xs_special_perms(struct xs_server *srv, const char *path)
{
	if (strcmp(path, XS_WATCH_INTRODUCE) == 0)
		return &srv->special_perms[0];
	if (strcmp(path, XS_WATCH_RELEASE) == 0)
		return &srv->special_perms[1];
	return NULL;
}

/* The absolute (or special) path a watch request names; *strip for relative ones. */
static int watch_path(struct xs_req *req, const char *path, char *abs, size_t *len, size_t *strip)
{
	int ret;

	*strip = 0;
	if (path[0] == '@') {
		if (!xs_special_perms(req->srv, path))
			return -EINVAL;
		*len = strlen(path);
		memcpy(abs, path, *len + 1);
		return 0;
	}
	ret = xs_path_canon(req->domid, path, abs, len);
	if (!ret && path[0] != '/')
		*strip = *len - strlen(path);
	return ret;
}

static struct xs_watch *watch_find(struct xs_conn *conn, const char *path, size_t len,
				   const char *token, size_t tlen)
{
	struct xs_watch *w;

	for (w = conn->watches; w; w = w->conn_next) {
		if (w->path_len == len && memcmp(w->path, path, len) == 0 && w->token_len == tlen &&
		    memcmp(w->token, token, tlen) == 0)
			return w;
	}
	return NULL;
}

static void watch_free(struct xs_server *srv, struct xs_watch *w)
{
	xs_ht_remove(&srv->watches, &w->h);
	if (w->conn->dom->watches)
		w->conn->dom->watches--;
	free(w->path);
	free(w->token);
	free(w);
}

int xs_watch_add(struct xs_req *req, const char *path, const char *token, size_t tlen)
{
	char abs[XS_PATH_BUF];
	struct xs_conn *conn = req->conn;
	struct xs_watch *w;
	size_t len, strip;
	int ret;

	if (tlen > XS_WATCH_TOKEN_MAX)
		return -E2BIG;
	ret = watch_path(req, path, abs, &len, &strip);
	if (ret)
		return ret;
	if (watch_find(conn, abs, len, token, tlen))
		return -EEXIST;
	if (req->quota && conn->dom->watches >= req->quota->watches)
		return -E2BIG;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->path = malloc(len + 1);
	w->token = malloc(tlen + 1);
	if (!w->path || !w->token) {
		free(w->path);
		free(w->token);
		free(w);
		return -ENOMEM;
	}
	memcpy(w->path, abs, len + 1);
	memcpy(w->token, token, tlen + 1);
	w->path_len = len;
	w->token_len = tlen;
	w->strip = strip;
	w->conn = conn;
	w->h.key = w->path;
	w->h.key_len = len;
	w->h.hash = xs_hash(w->path, len);
	xs_ht_insert(&req->srv->watches, &w->h);
	w->conn_next = conn->watches;
	conn->watches = w;
	conn->dom->watches++;
	xs_persist_watch(conn, w, true);
	return 0;
}

int xs_watch_remove(struct xs_req *req, const char *path, const char *token, size_t tlen)
{
	char abs[XS_PATH_BUF];
	struct xs_watch **pp, *w;
	size_t len, strip;
	int ret = watch_path(req, path, abs, &len, &strip);

	if (ret)
		return ret;
	w = watch_find(req->conn, abs, len, token, tlen);
	if (!w)
		return -ENOENT;
	for (pp = &req->conn->watches; *pp != w; pp = &(*pp)->conn_next)
		;
	*pp = w->conn_next;
	xs_persist_watch(req->conn, w, false);
	watch_free(req->srv, w);
	return 0;
}

void xs_watch_remove_all(struct xs_conn *conn)
{
	while (conn->watches) {
		struct xs_watch *w = conn->watches;

		conn->watches = w->conn_next;
		watch_free(conn->srv, w);
	}
}

static void watch_deliver(struct xs_watch *w, const char *path, size_t len,
			  const struct xs_perms *a, const struct xs_perms *b)
{
	uint16_t domid = w->conn->domid;

	if (!xs_perm_allows(a, domid, XS_PERM_READ) &&
	    !(b && xs_perm_allows(b, domid, XS_PERM_READ)))
		return;
	xs_conn_queue_event(w->conn, path + w->strip, len - w->strip, w->token, w->token_len);
}

static void fire_exact(struct xs_server *srv, const char *key, size_t klen, uint32_t hash,
		       const char *path, size_t len, const struct xs_perms *a,
		       const struct xs_perms *b)
{
	struct xs_hnode *h;

	for (h = xs_ht_find(&srv->watches, key, klen, hash); h;
	     h = xs_ht_find_next(h, key, klen, hash))
		watch_deliver(container_of(h, struct xs_watch, h), path, len, a, b);
}

/*
 * a: the node's permissions that decide who hears of it; b: optional second set
 * (the old ones of a permission change), either one granting read is enough.
 */
void xs_watch_fire(struct xs_server *srv, const char *path, size_t len, const struct xs_perms *a,
		   const struct xs_perms *b, bool ancestors)
{
	uint64_t h = xs_hash_start();

	if (srv->watches.count == 0)
		return;
	if (!ancestors) {
		fire_exact(srv, path, len, xs_hash(path, len), path, len, a, b);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (i > 0 && path[i] == '/')
			fire_exact(srv, path, i, xs_hash_end(h), path, len, a, b);
		h = xs_hash_step(h, (unsigned char)path[i]);
		if (i == 0)
			fire_exact(srv, path, 1, xs_hash_end(h), path, len, a, b);
	}
	if (len > 1)
		fire_exact(srv, path, len, xs_hash_end(h), path, len, a, b);
}

void xs_watch_fire_special(struct xs_server *srv, const char *name)
{
	xs_watch_fire(srv, name, strlen(name), xs_special_perms(srv, name), NULL, false);
}
