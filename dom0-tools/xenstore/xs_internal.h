/* SPDX-License-Identifier: MIT */
/* Private to the xenstore library: shared structures of its pieces. */
#ifndef SV_XS_INTERNAL_H
#define SV_XS_INTERNAL_H

#include "xenstore.h"

#define XS_DOMID_MAX	  0x7fefu /* Xen's DOMID_FIRST_RESERVED - 1 */
#define XS_LOCAL_DOMAIN	  "/local/domain/"
#define XS_DOMAIN_BUCKETS 256u
#define XS_PATH_BUF	  (XS_ABS_PATH_MAX + 1u)

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* xs_hash.c: chained hash table of intrusive nodes keyed by byte strings. */
struct xs_hnode {
	struct xs_hnode *next;
	const char *key;
	size_t key_len;
	uint32_t hash;
};

struct xs_htable {
	struct xs_hnode **buckets;
	size_t nbuckets;
	size_t count;
};

/*
 * Keyed per process (a random key from getrandom): FNV-1a over a 64-bit state that
 * starts from half the key, folded into 32 bits with the other half. Steps can be
 * taken one byte at a time, so every prefix of a path is hashed in one pass.
 */
uint64_t xs_hash_start(void);
static inline uint64_t xs_hash_step(uint64_t h, unsigned char c)
{
	return (h ^ c) * 1099511628211ull;
}
uint32_t xs_hash_end(uint64_t h);
uint32_t xs_hash(const char *s, size_t len);
int xs_ht_init(struct xs_htable *ht);
void xs_ht_destroy(struct xs_htable *ht);
struct xs_hnode *xs_ht_find(const struct xs_htable *ht, const char *key, size_t len, uint32_t hash);
struct xs_hnode *xs_ht_find_next(const struct xs_hnode *prev, const char *key, size_t len,
				 uint32_t hash);
/* n->key, n->key_len and n->hash must be set. */
void xs_ht_insert(struct xs_htable *ht, struct xs_hnode *n);
void xs_ht_remove(struct xs_htable *ht, struct xs_hnode *n);
/* Any entry, for draining a table; NULL when empty. */
struct xs_hnode *xs_ht_any(const struct xs_htable *ht);
/* Iteration: start with *bucket = 0, cur = NULL. */
struct xs_hnode *xs_ht_iter(const struct xs_htable *ht, size_t *bucket, struct xs_hnode *cur);

/* xs_perms.c */
struct xs_perm {
	uint16_t domid;
	uint8_t perm; /* XS_PERM_* */
};

struct xs_perms {
	struct xs_perm *p; /* p[0] is the owner; its letter is everyone's default */
	uint32_t n;
};

unsigned int xs_perm_for(const struct xs_perms *perms, uint16_t domid);
bool xs_perm_allows(const struct xs_perms *perms, uint16_t domid, unsigned int want);
int xs_perms_parse(const char *buf, size_t len, struct xs_perms *out);
ssize_t xs_perms_format(const struct xs_perms *perms, char *buf, size_t cap);
int xs_perms_copy(struct xs_perms *dst, const struct xs_perms *src);
void xs_perms_free(struct xs_perms *perms);
int xs_perms_set_default(struct xs_perms *perms, uint16_t owner, unsigned int perm);

/* xs_tree.c: nodes live in a table keyed by their absolute path. */
enum xs_entry_state {
	XS_ENTRY_NODE,	  /* a real node (main tree or a transaction's copy) */
	XS_ENTRY_READ,	  /* transaction only: the main node was looked at */
	XS_ENTRY_DELETED, /* transaction only: removed in the transaction */
};

enum xs_fire {
	XS_FIRE_NONE,
	XS_FIRE_CHANGE,	      /* created or written: path and ancestors' watchers */
	XS_FIRE_PERMS,	      /* permissions changed: readable before or after */
	XS_FIRE_DELETE,	      /* root of a removal: path and ancestors' watchers */
	XS_FIRE_DELETE_CHILD, /* below a removal: watchers on exactly this path */
};

struct xs_node {
	struct xs_hnode h; /* key is path */
	char *path;
	size_t path_len;
	char *value;
	uint32_t value_len;
	char *children; /* child names, each NUL-terminated */
	uint32_t children_len;
	struct xs_perms perms;
	uint64_t gen; /* server generation of the last change */
	/* Transaction entries only. */
	struct xs_node *txn_next;
	uint64_t base_gen; /* main node's gen when first touched, 0 if absent */
	uint8_t state;	   /* enum xs_entry_state */
	uint8_t fire;	   /* enum xs_fire */
	bool dirty;
};

struct xs_domain {
	struct xs_domain *next;
	struct xs_quota quota;
	unsigned int nodes;
	unsigned int watches;
	/* events its changes queued on in-process connections, not yet taken */
	unsigned int queued_events;
	uint64_t dropped_events; /* of those, dropped over srv->cfg.cause_cap */
	uint16_t domid;
	bool introduced;
};

struct xs_outmsg {
	struct xs_outmsg *next;
	size_t len;
	size_t off;
	bool event;
	uint16_t cause; /* an event's: the domain whose request fired it */
	char data[];
};

struct xs_watch {
	struct xs_hnode h; /* key is the absolute path or special name */
	struct xs_watch *conn_next;
	struct xs_conn *conn;
	char *path;
	size_t path_len;
	char *token;
	size_t token_len;
	size_t strip; /* prefix to strip from events of a relative watch */
};

struct xs_txn {
	struct xs_txn *next;
	struct xs_conn *conn;
	struct xs_htable entries;
	struct xs_node *first, *last; /* touch order */
	uint32_t id;
	unsigned int accesses;
	int nodes_delta; /* nodes the transaction adds to its domain's count */
	int error;	 /* a failed operation left it half-done: commit fails */
};

struct xs_conn {
	struct xs_server *srv;
	struct xs_conn *next, *prev;
	struct xs_domain *dom;
	uint16_t domid;
	bool dead;
	/*
	 * In-process (xs_local.c): its owner takes every event at once, so no cap; what
	 * a guest's changes queue there counts against the guest (cause_cap) until taken.
	 */
	bool in_process;
	size_t in_have; /* header + payload bytes received so far */
	unsigned char in[XS_MSG_MAX];
	struct xs_outmsg *out_head, *out_tail;
	unsigned int out_replies;
	unsigned int out_events;
	uint64_t dropped_events;
	struct xs_watch *watches;
	struct xs_txn *txns;
	unsigned int nr_txns;
	/*
	 * A guest's ring connection under the journal (xs_persist.c): ring positions of the
	 * next request byte, of the end of what is queued and of what was handed out.
	 */
	bool journaled;
	bool journal_touched; /* its state goes into the record being built */
	uint32_t in_pos, out_pos, out_sent;
};

struct xs_server {
	struct xs_server_config cfg;
	struct xs_htable nodes;
	struct xs_htable watches;
	struct xs_domain *domains[XS_DOMAIN_BUCKETS];
	struct xs_conn *conns;
	struct xs_perms special_perms[2]; /* @introduceDomain, @releaseDomain */
	uint64_t gen;
	uint32_t next_txn_id;
	uint16_t cause;		    /* the domain whose request is being handled, else 0 */
	struct xs_persist *persist; /* the journal, NULL when there is none */
};

/* One request being handled. quota is NULL for the control domain. */
struct xs_req {
	struct xs_server *srv;
	struct xs_conn *conn;
	struct xs_txn *txn;
	const struct xs_quota *quota;
	uint16_t domid;
};

struct xs_node *xs_node_alloc(const char *path, size_t len);
void xs_node_free(struct xs_node *node);
void xs_node_clear(struct xs_node *node);
struct xs_node *xs_tree_find(const struct xs_htable *ht, const char *path, size_t len);
int xs_tree_init(struct xs_server *srv);
void xs_tree_destroy(struct xs_server *srv);
int xs_tree_get(struct xs_req *req, const char *path, size_t len, unsigned int want,
		struct xs_node **out);
int xs_tree_write(struct xs_req *req, const char *path, size_t len, const void *val, size_t vlen);
int xs_tree_mkdir(struct xs_req *req, const char *path, size_t len);
int xs_tree_rm(struct xs_req *req, const char *path, size_t len);
int xs_tree_set_perms(struct xs_req *req, const char *path, size_t len, struct xs_perms *perms);
void xs_tree_forget_domain(struct xs_server *srv, uint16_t domid);

/* xs_txn.c */
struct xs_txn *xs_txn_find(struct xs_conn *conn, uint32_t id);
int xs_txn_start(struct xs_req *req, uint32_t *id);
int xs_txn_end(struct xs_req *req, bool commit);
void xs_txn_free(struct xs_txn *txn);
void xs_txn_free_all(struct xs_conn *conn);
struct xs_node *xs_txn_lookup(struct xs_txn *txn, const char *path, size_t len);
int xs_txn_touch(struct xs_req *req, const char *path, size_t len, bool copy, struct xs_node **out);

/* xs_watch.c */
int xs_watch_add(struct xs_req *req, const char *path, const char *token, size_t tlen);
int xs_watch_remove(struct xs_req *req, const char *path, const char *token, size_t tlen);
void xs_watch_remove_all(struct xs_conn *conn);
void xs_watch_fire(struct xs_server *srv, const char *path, size_t len, const struct xs_perms *a,
		   const struct xs_perms *b, bool ancestors);
void xs_watch_fire_special(struct xs_server *srv, const char *name);
struct xs_perms *xs_special_perms(struct xs_server *srv, const char *path);

/* xs_server.c */
struct xs_domain *xs_domain_find(struct xs_server *srv, uint16_t domid);
struct xs_domain *xs_domain_get(struct xs_server *srv, uint16_t domid);
void xs_domain_account(struct xs_server *srv, int old_owner, int new_owner);
int xs_conn_queue(struct xs_conn *conn, uint32_t type, uint32_t req_id, uint32_t tx_id,
		  const void *payload, size_t len, bool event);
void xs_conn_queue_event(struct xs_conn *conn, const char *path, size_t plen, const char *token,
			 size_t tlen);
/* The domain that caused the event at the head of conn's output (0 if not an event). */
uint16_t xs_conn_head_cause(const struct xs_conn *conn);
/* An in-process connection's owner took an event that cause's change fired. */
void xs_event_taken(struct xs_server *srv, uint16_t cause);

/* xs_handle.c */
void xs_handle_request(struct xs_conn *conn, const struct xs_msg_hdr *hdr, const char *payload);

/*
 * xs_persist.c: the journal's hooks, no-ops without one. A request (or a direct
 * call that changes the store) marks what it changed and commits at its end, in
 * one record, before any of its output reaches a ring.
 */
void xs_persist_mark(struct xs_server *srv, const char *path, size_t len);
void xs_persist_out(struct xs_conn *conn, const struct xs_outmsg *m);
void xs_persist_watch(struct xs_conn *conn, const struct xs_watch *w, bool add);
void xs_persist_txn(struct xs_conn *conn, uint32_t id, bool open);
void xs_persist_conn_reset(struct xs_conn *conn);
void xs_persist_conn_released(struct xs_conn *conn);
void xs_persist_special(struct xs_server *srv, const char *name);
void xs_persist_touch(struct xs_conn *conn);
void xs_persist_commit(struct xs_server *srv);
void xs_persist_conn_gone(struct xs_conn *conn);
void xs_persist_free(struct xs_server *srv);
/* xs_server.c: queues a message restored from the journal, off bytes already sent. */
int xs_conn_restore_out(struct xs_conn *conn, const void *data, size_t len, size_t off);

/* xs_wire.c */
int xs_path_canon(uint16_t domid, const char *in, char *out, size_t *out_len);
int xs_parse_domid(const char *s, uint16_t *domid);
int xs_parse_u64(const char *s, uint64_t *val);

#endif
