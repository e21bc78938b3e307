// SPDX-License-Identifier: MIT
/*
 * Request handling: check the arguments of one message, run it, queue the
 * reply. Every malformed request gets an error reply; nothing here can fail in
 * a way that touches another connection.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xs_internal.h"

#define XS_MAX_ARGS 3

struct xs_args {
	const char *argv[XS_MAX_ARGS];
	const char *rest; /* bytes after the strings (write value, set_perms list) */
	size_t rest_len;
	char path[XS_PATH_BUF];
	size_t path_len;
};

typedef int (*xs_handler)(struct xs_req *req, const struct xs_msg_hdr *hdr, struct xs_args *a);

static void reply(struct xs_req *req, const struct xs_msg_hdr *hdr, const void *data, size_t len)
{
	xs_conn_queue(req->conn, hdr->type, hdr->req_id, hdr->tx_id, data, len, false);
}

static int reply_ok(struct xs_req *req, const struct xs_msg_hdr *hdr)
{
	reply(req, hdr, "OK", 3);
	return 0;
}

static void reply_error(struct xs_conn *conn, const struct xs_msg_hdr *hdr, int err)
{
	const char *name = xs_error_name(err);

	xs_conn_queue(conn, XS_ERROR, hdr->req_id, hdr->tx_id, name, strlen(name) + 1, false);
}

/* Splits the payload into nargs NUL-terminated strings and what follows. */
static int split_args(const char *payload, size_t len, unsigned int nargs, bool rest_ok,
		      struct xs_args *a)
{
	size_t off = 0;

	for (unsigned int i = 0; i < nargs; i++) {
		const char *nul = memchr(payload + off, '\0', len - off);

		if (!nul)
			return -EINVAL;
		a->argv[i] = payload + off;
		off = (size_t)(nul - payload) + 1;
	}
	a->rest = payload + off;
	a->rest_len = len - off;
	return rest_ok || a->rest_len == 0 ? 0 : -EINVAL;
}

static int canon_arg0(struct xs_req *req, struct xs_args *a)
{
	return xs_path_canon(req->domid, a->argv[0], a->path, &a->path_len);
}

/* The node named by argument 0, if the caller may read it. */
static int readable_arg0(struct xs_req *req, struct xs_args *a, struct xs_node **node)
{
	int ret = canon_arg0(req, a);

	return ret ? ret : xs_tree_get(req, a->path, a->path_len, XS_PERM_READ, node);
}

static int do_directory(struct xs_req *req, const struct xs_msg_hdr *hdr, struct xs_args *a)
{
	struct xs_node *node;
	int ret = readable_arg0(req, a, &node);

	if (ret)
		return ret;
	if (node->children_len > XS_PAYLOAD_MAX)
		return -E2BIG;
	reply(req, hdr, node->children, node->children_len);
	return 0;
}

static int do_read(struct xs_req *req, const struct xs_msg_hdr *hdr, struct xs_args *a)
{
	struct xs_node *node;
	int ret = readable_arg0(req, a, &node);

	if (ret)
		return ret;
	if (node->value_len > XS_PAYLOAD_MAX)
		return -E2BIG;
	reply(req, hdr, node->value, node->value_len);
	return 0;
}

static int do_get_perms(struct xs_req *req, const struct xs_msg_hdr *hdr, struct xs_args *a)
{
	char buf[XS_PAYLOAD_MAX];
	const struct xs_perms *perms = xs_special_perms(req->srv, a->argv[0]);
	struct xs_node *node;
	ssize_t len;
	int ret;

	if (perms) {
		if (!xs_perm_allows(perms, req->domid, XS_PERM_READ))
			return -EACCES;
	} else {
		ret = canon_arg0(req, a);
		if (!ret)
			ret = xs_tree_get(req, a->path, a->path_len, XS_PERM_READ, &node);
		if (ret)
			return ret;
		perms = &node->perms;
	}
	len = xs_perms_format(perms, buf, sizeof(buf));
	if (len < 0)
		return (int)len;
	reply(req, hdr, buf, (size_t)len);
	return 0;
}

static int do_set_perms(struct xs_req *req, const struct xs_msg_hdr *hdr, struct xs_args *a)
{
	struct xs_perms perms, *special = xs_special_perms(req->srv, a->argv[0]);
	int ret = xs_perms_parse(a->rest, a->rest_len, &perms);

	if (ret)
		return ret;
	if (special) {
		ret = -EACCES;
		if (req->domid == 0) {
			xs_perms_free(special);
			*special = perms;
			perms.p = NULL;
			xs_persist_special(req->srv, a->argv[0]);
			ret = 0;
		}
		goto out;
	}
	ret = canon_arg0(req, a);
	if (!ret)
		ret = xs_tree_set_perms(req, a->path, a->path_len, &perms);
out:
	xs_perms_free(&perms);
	return ret ? ret : reply_ok(req, hdr);
}

static int do_write(struct xs_req *req, const struct xs_msg_hdr *hdr, struct xs_args *a)
{
	int ret = canon_arg0(req, a);

	if (!ret)
		ret = xs_tree_write(req, a->path, a->path_len, a->rest, a->rest_len);
	return ret ? ret : reply_ok(req, hdr);
}

static int do_mkdir(struct xs_req *req, const struct xs_msg_hdr *hdr, struct xs_args *a)
{
	int ret = canon_arg0(req, a);

	if (!ret)
		ret = xs_tree_mkdir(req, a->path, a->path_len);
	return ret ? ret : reply_ok(req, hdr);
}

static int do_rm(struct xs_req *req, const struct xs_msg_hdr *hdr, struct xs_args *a)
{
	int ret = canon_arg0(req, a);

	if (!ret)
		ret = xs_tree_rm(req, a->path, a->path_len);
	return ret ? ret : reply_ok(req, hdr);
}

static int do_watch(struct xs_req *req, const struct xs_msg_hdr *hdr, struct xs_args *a)
{
	size_t tlen = strlen(a->argv[1]);
	int ret = xs_watch_add(req, a->argv[0], a->argv[1], tlen);

	if (ret)
		return ret;
	reply_ok(req, hdr);
	/* Fires once on registration, with the path as the client gave it. */
	xs_conn_queue_event(req->conn, a->argv[0], strlen(a->argv[0]), a->argv[1], tlen);
	return 0;
}

static int do_unwatch(struct xs_req *req, const struct xs_msg_hdr *hdr, struct xs_args *a)
{
	int ret = xs_watch_remove(req, a->argv[0], a->argv[1], strlen(a->argv[1]));

	return ret ? ret : reply_ok(req, hdr);
}

static int do_txn_start(struct xs_req *req, const struct xs_msg_hdr *hdr, struct xs_args *a)
{
	char buf[16];
	uint32_t id;
	int ret;

	/* Xen clients send one empty string; accept an empty payload too. */
	if (a->rest_len > 1 || (a->rest_len == 1 && a->rest[0] != '\0'))
		return -EINVAL;
	if (hdr->tx_id)
		return -EBUSY;
	ret = xs_txn_start(req, &id);
	if (ret)
		return ret;
	reply(req, hdr, buf, (size_t)snprintf(buf, sizeof(buf), "%u", id) + 1);
	return 0;
}

static int do_txn_end(struct xs_req *req, const struct xs_msg_hdr *hdr, struct xs_args *a)
{
	bool commit = strcmp(a->argv[0], "T") == 0;
	int ret;

	if (!commit && strcmp(a->argv[0], "F") != 0)
		return -EINVAL;
	if (!req->txn)
		return -ENOENT;
	ret = xs_txn_end(req, commit);
	return ret ? ret : reply_ok(req, hdr);
}

static int do_introduce(struct xs_req *req, const struct xs_msg_hdr *hdr, struct xs_args *a)
{
	const struct xs_server_ops *ops = req->srv->cfg.ops;
	struct xs_domain *d;
	uint64_t gfn, port;
	uint16_t domid;
	int ret;

	if (req->domid != 0)
		return -EACCES;
	if (xs_parse_domid(a->argv[0], &domid) || xs_parse_u64(a->argv[1], &gfn) ||
	    xs_parse_u64(a->argv[2], &port) || port > UINT32_MAX || domid == 0 ||
	    domid > XS_DOMID_MAX)
		return -EINVAL;
	d = xs_domain_get(req->srv, domid);
	if (!d)
		return -ENOMEM;
	if (d->introduced)
		return -EEXIST;
	if (ops && ops->introduce) {
		ret = ops->introduce(req->srv->cfg.opaque, domid, gfn, (uint32_t)port);
		if (ret)
			return ret;
	}
	ret = xs_domain_introduce(req->srv, domid, NULL);
	return ret ? ret : reply_ok(req, hdr);
}

static int do_release(struct xs_req *req, const struct xs_msg_hdr *hdr, struct xs_args *a)
{
	uint16_t domid;
	int ret;

	if (req->domid != 0)
		return -EACCES;
	if (xs_parse_domid(a->argv[0], &domid))
		return -EINVAL;
	ret = xs_domain_release(req->srv, domid);
	return ret ? ret : reply_ok(req, hdr);
}

static int do_get_domain_path(struct xs_req *req, const struct xs_msg_hdr *hdr, struct xs_args *a)
{
	char buf[32];
	uint16_t domid;

	if (xs_parse_domid(a->argv[0], &domid))
		return -EINVAL;
	reply(req, hdr, buf, (size_t)snprintf(buf, sizeof(buf), XS_LOCAL_DOMAIN "%u", domid) + 1);
	return 0;
}

static int do_is_introduced(struct xs_req *req, const struct xs_msg_hdr *hdr, struct xs_args *a)
{
	struct xs_domain *d;
	uint16_t domid;
	bool yes;

	if (xs_parse_domid(a->argv[0], &domid))
		return -EINVAL;
	d = xs_domain_find(req->srv, domid);
	yes = domid == 0 || (d && d->introduced);
	reply(req, hdr, yes ? "T" : "F", 2);
	return 0;
}

static int do_reset_watches(struct xs_req *req, const struct xs_msg_hdr *hdr, struct xs_args *a)
{
	(void)a;
	xs_persist_conn_reset(req->conn);
	xs_watch_remove_all(req->conn);
	xs_txn_free_all(req->conn);
	return reply_ok(req, hdr);
}

static int do_unsupported(struct xs_req *req, const struct xs_msg_hdr *hdr, struct xs_args *a)
{
	(void)req;
	(void)hdr;
	(void)a;
	return -ENOSYS;
}

static const struct {
	xs_handler fn;
	uint8_t nargs;
	bool rest_ok; /* raw bytes may follow the strings */
	bool in_txn;  /* runs inside the transaction named by tx_id */
} handlers[XS_TYPE_COUNT] = {
	[XS_CONTROL] = { do_unsupported, 0, true, false },
	[XS_DIRECTORY] = { do_directory, 1, false, true },
	[XS_READ] = { do_read, 1, false, true },
	[XS_GET_PERMS] = { do_get_perms, 1, false, true },
	[XS_WATCH] = { do_watch, 2, false, false },
	[XS_UNWATCH] = { do_unwatch, 2, false, false },
	[XS_TRANSACTION_START] = { do_txn_start, 0, true, false },
	[XS_TRANSACTION_END] = { do_txn_end, 1, false, true },
	[XS_INTRODUCE] = { do_introduce, 3, false, false },
	[XS_RELEASE] = { do_release, 1, false, false },
	[XS_GET_DOMAIN_PATH] = { do_get_domain_path, 1, false, false },
	[XS_WRITE] = { do_write, 1, true, true },
	[XS_MKDIR] = { do_mkdir, 1, false, true },
	[XS_RM] = { do_rm, 1, false, true },
	[XS_SET_PERMS] = { do_set_perms, 1, true, true },
	[XS_IS_DOMAIN_INTRODUCED] = { do_is_introduced, 1, false, false },
	[XS_RESUME] = { do_unsupported, 0, true, false },
	[XS_SET_TARGET] = { do_unsupported, 0, true, false },
	[XS_RESET_WATCHES] = { do_reset_watches, 0, true, false },
};

void xs_handle_request(struct xs_conn *conn, const struct xs_msg_hdr *hdr, const char *payload)
{
	struct xs_req req = {
		.srv = conn->srv,
		.conn = conn,
		.quota = conn->domid ? &conn->dom->quota : NULL,
		.domid = conn->domid,
	};
	uint16_t outer_cause = conn->srv->cause;
	struct xs_args args;
	int ret = -EINVAL;

	/* Events this request fires are this domain's doing (cause_cap). */
	conn->srv->cause = conn->domid;
	if (hdr->type >= XS_TYPE_COUNT || !handlers[hdr->type].fn)
		goto out;
	ret = split_args(payload, hdr->len, handlers[hdr->type].nargs, handlers[hdr->type].rest_ok,
			 &args);
	if (ret)
		goto out;
	if (handlers[hdr->type].in_txn && hdr->tx_id) {
		req.txn = xs_txn_find(conn, hdr->tx_id);
		ret = -ENOENT;
		if (!req.txn)
			goto out;
	}
	ret = handlers[hdr->type].fn(&req, hdr, &args);
out:
	if (ret)
		reply_error(conn, hdr, ret);
	req.srv->cause = outer_cause;
	if (conn->journaled)
		xs_persist_touch(conn);
	xs_persist_commit(req.srv);
}
