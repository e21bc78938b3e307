// SPDX-License-Identifier: MIT
/*
 * Server, domains and connections: byte framing in, message queue out. A
 * connection's input is one fixed buffer (a message is at most XS_MSG_MAX), so
 * a client can only cost us memory through what we queue for it, and that is
 * capped: replies by the outstanding quota (we stop reading, as Xen's daemons
 * do), watch events by the event cap (we drop and count). The in-process
 * connection has no event cap: its owner takes every event at once, and what one
 * guest's changes queue there is bounded by cause_cap, the guest's own loss.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs_internal.h"

void xs_server_config_default(struct xs_server_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->quota.nodes = 1000;
	cfg->quota.watches = 128;
	cfg->quota.outstanding = 20;
	cfg->quota.transactions = 10;
	cfg->quota.txn_nodes = 1024;
	cfg->quota.perms_per_node = 5;
	cfg->quota.value_size = 2048;
	cfg->event_cap = 256;
	cfg->cause_cap = 256;
}

struct xs_server *xs_server_new(const struct xs_server_config *cfg)
{
	struct xs_server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return NULL;
	if (cfg)
		srv->cfg = *cfg;
	else
		xs_server_config_default(&srv->cfg);
	if (xs_ht_init(&srv->watches))
		goto err_free;
	if (xs_tree_init(srv))
		goto err_watches;
	if (xs_perms_set_default(&srv->special_perms[0], 0, XS_PERM_NONE) ||
	    xs_perms_set_default(&srv->special_perms[1], 0, XS_PERM_NONE))
		goto err_tree;
	return srv;
err_tree:
	xs_perms_free(&srv->special_perms[0]);
	xs_tree_destroy(srv);
err_watches:
	xs_ht_destroy(&srv->watches);
err_free:
	free(srv);
	return NULL;
}

void xs_server_free(struct xs_server *srv)
{
	if (!srv)
		return;
	/* First: freeing the connections is no change to the store. */
	xs_persist_free(srv);
	while (srv->conns)
		xs_conn_free(srv->conns);
	xs_tree_destroy(srv);
	xs_ht_destroy(&srv->watches);
	for (size_t i = 0; i < XS_DOMAIN_BUCKETS; i++) {
		while (srv->domains[i]) {
			struct xs_domain *d = srv->domains[i];

			srv->domains[i] = d->next;
			free(d);
		}
	}
	xs_perms_free(&srv->special_perms[0]);
	xs_perms_free(&srv->special_perms[1]);
	free(srv);
}

struct xs_domain *xs_domain_find(struct xs_server *srv, uint16_t domid)
{
	struct xs_domain *d = srv->domains[domid % XS_DOMAIN_BUCKETS];

	while (d && d->domid != domid)
		d = d->next;
	return d;
}

/* Accounting record of a domain, created on first use with the default quota. */
struct xs_domain *xs_domain_get(struct xs_server *srv, uint16_t domid)
{
	struct xs_domain *d = xs_domain_find(srv, domid);

	if (d)
		return d;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->domid = domid;
	d->quota = srv->cfg.quota;
	d->next = srv->domains[domid % XS_DOMAIN_BUCKETS];
	srv->domains[domid % XS_DOMAIN_BUCKETS] = d;
	return d;
}

/* Moves one node between owners' counts; -1 means none. */
void xs_domain_account(struct xs_server *srv, int old_owner, int new_owner)
{
	struct xs_domain *d;

	if (old_owner == new_owner)
		return;
	if (old_owner >= 0) {
		d = xs_domain_find(srv, (uint16_t)old_owner);
		if (d && d->nodes)
			d->nodes--;
	}
	if (new_owner >= 0) {
		d = xs_domain_get(srv, (uint16_t)new_owner);
		if (d)
			d->nodes++;
	}
}

int xs_domain_introduce(struct xs_server *srv, uint16_t domid, const struct xs_quota *quota)
{
	struct xs_domain *d;

	if (domid == 0 || domid > XS_DOMID_MAX)
		return -EINVAL;
	d = xs_domain_get(srv, domid);
	if (!d)
		return -ENOMEM;
	if (d->introduced)
		return -EEXIST;
	d->introduced = true;
	d->quota = quota ? *quota : srv->cfg.quota;
	xs_watch_fire_special(srv, XS_WATCH_INTRODUCE);
	xs_persist_commit(srv);
	return 0;
}

int xs_domain_release(struct xs_server *srv, uint16_t domid)
{
	struct xs_domain *d = xs_domain_find(srv, domid);

	if (!d || !d->introduced)
		return -ENOENT;
	d->introduced = false;
	for (struct xs_conn *c = srv->conns; c; c = c->next) {
		if (c->domid != domid)
			continue;
		xs_persist_conn_released(c);
		xs_watch_remove_all(c);
		xs_txn_free_all(c);
		c->dead = true;
	}
	xs_tree_forget_domain(srv, domid);
	xs_watch_fire_special(srv, XS_WATCH_RELEASE);
	xs_persist_commit(srv);
	if (srv->cfg.ops && srv->cfg.ops->release)
		srv->cfg.ops->release(srv->cfg.opaque, domid);
	return 0;
}

uint64_t xs_domain_dropped_events(struct xs_server *srv, uint16_t domid)
{
	struct xs_domain *d = xs_domain_find(srv, domid);

	return d ? d->dropped_events : 0;
}

void xs_event_taken(struct xs_server *srv, uint16_t cause)
{
	struct xs_domain *d = cause ? xs_domain_find(srv, cause) : NULL;

	if (d && d->queued_events)
		d->queued_events--;
}

struct xs_conn *xs_conn_new(struct xs_server *srv, uint16_t domid)
{
	struct xs_conn *conn = calloc(1, sizeof(*conn));

	if (!conn)
		return NULL;
	conn->dom = xs_domain_get(srv, domid);
	if (!conn->dom) {
		free(conn);
		return NULL;
	}
	conn->srv = srv;
	conn->domid = domid;
	conn->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = conn;
	srv->conns = conn;
	return conn;
}

void xs_conn_free(struct xs_conn *conn)
{
	if (!conn)
		return;
	xs_persist_conn_gone(conn);
	xs_watch_remove_all(conn);
	xs_txn_free_all(conn);
	while (conn->out_head) {
		struct xs_outmsg *m = conn->out_head;

		conn->out_head = m->next;
		if (m->event && conn->in_process)
			xs_event_taken(conn->srv, m->cause);
		free(m);
	}
	if (conn->prev)
		conn->prev->next = conn->next;
	else
		conn->srv->conns = conn->next;
	if (conn->next)
		conn->next->prev = conn->prev;
	free(conn);
}

bool xs_conn_is_dead(const struct xs_conn *conn)
{
	return conn->dead;
}

uint64_t xs_conn_dropped_events(const struct xs_conn *conn)
{
	return conn->dropped_events;
}

/* dom0's clients too: one that never reads must not grow our memory (XSA-326). */
static bool conn_may_read(const struct xs_conn *conn)
{
	return conn->out_replies < conn->dom->quota.outstanding;
}

ssize_t xs_conn_feed(struct xs_conn *conn, const void *buf, size_t len)
{
	const unsigned char *in = buf;
	struct xs_msg_hdr hdr;
	size_t used = 0;

	while (!conn->dead && used < len) {
		size_t want, n;

		/* Only whole requests wait: the limit is checked before one starts. */
		if (conn->in_have == 0 && !conn_may_read(conn))
			break;
		if (conn->in_have < XS_HDR_SIZE) {
			want = XS_HDR_SIZE - conn->in_have;
		} else {
			memcpy(&hdr, conn->in, sizeof(hdr));
			want = XS_HDR_SIZE + hdr.len - conn->in_have;
		}
		n = want < len - used ? want : len - used;
		memcpy(conn->in + conn->in_have, in + used, n);
		conn->in_have += n;
		conn->in_pos += (uint32_t)n;
		used += n;
		if (conn->in_have < XS_HDR_SIZE)
			continue;
		memcpy(&hdr, conn->in, sizeof(hdr));
		if (hdr.len > XS_PAYLOAD_MAX) {
			/* Framing is lost: nothing after this can be trusted. */
			conn->dead = true;
			break;
		}
		if (conn->in_have == XS_HDR_SIZE + hdr.len) {
			conn->in_have = 0;
			xs_handle_request(conn, &hdr, (const char *)conn->in + XS_HDR_SIZE);
		}
	}
	return conn->dead ? -EPIPE : (ssize_t)used;
}

static struct xs_outmsg *outmsg_new(uint32_t type, uint32_t req_id, uint32_t tx_id, size_t len)
{
	struct xs_outmsg *m = malloc(sizeof(*m) + XS_HDR_SIZE + len);
	struct xs_msg_hdr hdr = { type, req_id, tx_id, (uint32_t)len };

	if (!m)
		return NULL;
	m->next = NULL;
	m->len = XS_HDR_SIZE + len;
	m->off = 0;
	m->cause = 0;
	memcpy(m->data, &hdr, sizeof(hdr));
	return m;
}

static void outmsg_append(struct xs_conn *conn, struct xs_outmsg *m, bool event)
{
	m->event = event;
	if (conn->out_tail)
		conn->out_tail->next = m;
	else
		conn->out_head = m;
	conn->out_tail = m;
	if (event)
		conn->out_events++;
	else
		conn->out_replies++;
	if (conn->journaled)
		xs_persist_out(conn, m);
}

int xs_conn_queue(struct xs_conn *conn, uint32_t type, uint32_t req_id, uint32_t tx_id,
		  const void *payload, size_t len, bool event)
{
	struct xs_outmsg *m = outmsg_new(type, req_id, tx_id, len);

	if (!m) {
		/* A lost reply would hang the client: better to drop the connection. */
		conn->dead = true;
		return -ENOMEM;
	}
	if (len)
		memcpy(m->data + XS_HDR_SIZE, payload, len);
	outmsg_append(conn, m, event);
	return 0;
}

/* Whether an event may be queued on conn; counts it against its cause if so. */
static bool event_admit(struct xs_conn *conn, uint16_t cause)
{
	struct xs_domain *d;

	if (!conn->in_process) {
		if (conn->out_events < conn->srv->cfg.event_cap)
			return true;
		conn->dropped_events++;
		return false;
	}
	if (!cause)
		return true;
	d = xs_domain_get(conn->srv, cause);
	if (d && d->queued_events < conn->srv->cfg.cause_cap) {
		d->queued_events++;
		return true;
	}
	if (d)
		d->dropped_events++;
	conn->dropped_events++;
	return false;
}

void xs_conn_queue_event(struct xs_conn *conn, const char *path, size_t plen, const char *token,
			 size_t tlen)
{
	uint16_t cause = conn->srv->cause;
	struct xs_outmsg *m;

	if (conn->dead)
		return;
	if (plen + tlen + 2 > XS_PAYLOAD_MAX) {
		conn->dropped_events++;
		return;
	}
	if (!event_admit(conn, cause))
		return;
	m = outmsg_new(XS_WATCH_EVENT, 0, 0, plen + tlen + 2);
	if (!m) {
		if (conn->in_process)
			xs_event_taken(conn->srv, cause);
		conn->dropped_events++;
		return;
	}
	m->cause = cause;
	memcpy(m->data + XS_HDR_SIZE, path, plen);
	m->data[XS_HDR_SIZE + plen] = '\0';
	memcpy(m->data + XS_HDR_SIZE + plen + 1, token, tlen);
	m->data[XS_HDR_SIZE + plen + 1 + tlen] = '\0';
	outmsg_append(conn, m, true);
}

uint16_t xs_conn_head_cause(const struct xs_conn *conn)
{
	const struct xs_outmsg *m = conn->out_head;

	return m && m->event ? m->cause : 0;
}

void xs_conn_output(struct xs_conn *conn, const void **ptr, size_t *len)
{
	struct xs_outmsg *m = conn->out_head;

	*ptr = m ? m->data + m->off : NULL;
	*len = m ? m->len - m->off : 0;
}

void xs_conn_consume(struct xs_conn *conn, size_t n)
{
	while (n && conn->out_head) {
		struct xs_outmsg *m = conn->out_head;
		size_t take = m->len - m->off < n ? m->len - m->off : n;

		m->off += take;
		n -= take;
		conn->out_sent += (uint32_t)take;
		if (m->off < m->len)
			break;
		conn->out_head = m->next;
		if (!conn->out_head)
			conn->out_tail = NULL;
		if (m->event)
			conn->out_events--;
		else
			conn->out_replies--;
		free(m);
	}
}

int xs_conn_restore_out(struct xs_conn *conn, const void *data, size_t len, size_t off)
{
	struct xs_msg_hdr hdr;
	struct xs_outmsg *m;

	if (len < XS_HDR_SIZE || off >= len)
		return -EINVAL;
	memcpy(&hdr, data, sizeof(hdr));
	m = malloc(sizeof(*m) + len);
	if (!m)
		return -ENOMEM;
	memcpy(m->data, data, len);
	m->next = NULL;
	m->len = len;
	m->off = off;
	m->cause = 0;
	m->event = hdr.type == XS_WATCH_EVENT;
	if (conn->out_tail)
		conn->out_tail->next = m;
	else
		conn->out_head = m;
	conn->out_tail = m;
	if (m->event)
		conn->out_events++;
	else
		conn->out_replies++;
	return 0;
}
