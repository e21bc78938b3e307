// SPDX-License-Identifier: MIT
/*
 * The libvirt listener in svdom0: accepts clients, frames their packets,
 * answers keepalive pings, hands calls to lv_procs.c and carries the console
 * stream. A client that breaks the protocol is closed; nobody else notices.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <splitvisor/exit.h>

#include "console_back.h"
#include "ctl_wire.h"
#include "log.h"
#include "lv_priv.h"
#include "svdom0.h"
#include "ts_domains.h"

/* Where `virsh -c splitvisor:///system` looks by itself (as root). */
#define LV_SYSTEM_SOCK "/var/run/libvirt/virtsplitvisord-sock"
/* Packets served per readiness event: a flooding client cannot starve the rest. */
#define LV_BATCH 32
/* Console bytes per stream packet. */
#define LV_STREAM_CHUNK (64u * 1024u)
/* The console history a new stream starts with. */
#define LV_CONSOLE_HISTORY 4096u

static void lv_watch(struct dom0 *d0, int fd, void *tag, uint32_t *cur, uint32_t want, int op)
{
	struct epoll_event ev = { .events = want, .data.ptr = tag };

	if (op == EPOLL_CTL_MOD && *cur == want)
		return;
	epoll_ctl(d0->epfd, op, fd, &ev);
	if (cur)
		*cur = want;
}

static void lv_listen(struct dom0 *d0, struct lv_listener *l, const char *path)
{
	l->kind = D0_LV_LISTEN;
	snprintf(l->path, sizeof(l->path), "%s", path);
	l->fd = wire_unix_listen(path);
	if (l->fd < 0) {
		log_warn("libvirt socket %s: %s", path, strerror(-l->fd));
		l->path[0] = '\0';
		return;
	}
	lv_watch(d0, l->fd, l, NULL, EPOLLIN, EPOLL_CTL_ADD);
}

void lv_start(struct dom0 *d0)
{
	struct lv_server *s = calloc(1, sizeof(*s));
	char path[300];
	int n;

	d0->lv = s;
	if (!s) {
		log_err("libvirt socket: out of memory");
		return;
	}
	s->listeners[0].fd = s->listeners[1].fd = -1;
	d0->on_console_output = lv_console_output;
	d0->on_domain_ended = lv_domain_ended;
	n = snprintf(path, sizeof(path), "%s/libvirt-sock", d0->rundir);
	if (n > 0 && (size_t)n < sizeof(path))
		lv_listen(d0, &s->listeners[0], path);
	/* Only where nobody answers: a second svdom0, or a libvirtd, may own it. */
	if (geteuid() != 0 || (mkdir("/var/run/libvirt", 0755) && errno != EEXIST))
		return;
	n = wire_unix_connect(LV_SYSTEM_SOCK);
	if (n >= 0) {
		close(n);
		log_info("%s answers: not listening there", LV_SYSTEM_SOCK);
		return;
	}
	lv_listen(d0, &s->listeners[1], LV_SYSTEM_SOCK);
}

static void lv_client_free(struct dom0 *d0, struct lv_client *c)
{
	if (c->conn.fd >= 0)
		epoll_ctl(d0->epfd, EPOLL_CTL_DEL, c->conn.fd, NULL);
	lv_conn_close(&c->conn);
	free(c);
}

void lv_stop(struct dom0 *d0)
{
	struct lv_server *s = d0->lv;
	struct lv_client *c;
	unsigned int i;

	d0->on_console_output = NULL;
	d0->on_domain_ended = NULL;
	if (!s)
		return;
	while ((c = s->clients)) {
		s->clients = c->next;
		lv_client_free(d0, c);
	}
	for (i = 0; i < 2; i++) {
		if (s->listeners[i].fd < 0)
			continue;
		close(s->listeners[i].fd);
		unlink(s->listeners[i].path);
	}
	free(s);
	d0->lv = NULL;
}

static void lv_accept(struct dom0 *d0, struct lv_listener *l)
{
	struct lv_server *s = d0->lv;
	struct lv_client *c;
	int fd;

	fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (s->nr_clients >= LV_MAX_CLIENTS || !(c = calloc(1, sizeof(*c)))) {
		close(fd);
		return;
	}
	c->kind = D0_LV_CLIENT;
	lv_conn_init(&c->conn, fd);
	c->next = s->clients;
	s->clients = c;
	s->nr_clients++;
	lv_watch(d0, fd, c, &c->events, EPOLLIN, EPOLL_CTL_ADD);
}

void lv_packet_begin(struct lv_xdr_out *out, int32_t proc, uint32_t type, uint32_t serial,
		     uint32_t status)
{
	struct lv_hdr h = { .prog = LV_PROGRAM,
			    .vers = LV_PROTOCOL_VERSION,
			    .proc = proc,
			    .type = type,
			    .serial = serial,
			    .status = status };

	lv_out_init(out, LV_PACKET_MAX);
	lv_frame_begin(out, &h);
}

void lv_packet_send(struct lv_client *c, struct lv_xdr_out *out)
{
	if (lv_frame_end(out) || lv_conn_queue(&c->conn, out->buf, out->len))
		c->conn.dead = true;
	lv_out_free(out);
}

/* remote_error: only the code, domain, message and level; the optional parts absent. */
static void lv_put_error(struct lv_xdr_out *out, const struct lv_error *e)
{
	lv_put_i32(out, e->code);
	lv_put_i32(out, e->domain);
	lv_put_opt_string(out, e->msg);
	lv_put_i32(out, 2); /* VIR_ERR_ERROR */
	lv_put_u32(out, 0); /* dom */
	lv_put_u32(out, 0); /* str1 */
	lv_put_u32(out, 0); /* str2 */
	lv_put_u32(out, 0); /* str3 */
	lv_put_i32(out, 0); /* int1 */
	lv_put_i32(out, 0); /* int2 */
	lv_put_u32(out, 0); /* net */
}

static void lv_console_history(struct dom0 *d0, struct lv_client *c);

static void lv_serve_call(struct dom0 *d0, struct lv_client *c, const struct lv_hdr *h,
			  struct lv_xdr_in *args)
{
	struct lv_call x = { .d0 = d0, .c = c, .h = h };
	struct lv_xdr_out out;

	lv_packet_begin(&out, h->proc, LV_REPLY, h->serial, LV_OK);
	if (lv_dispatch(&x, args, &out) == 0 && out.err)
		lv_fail(&x, LV_ERR_RPC, "reply too large");
	else if (!x.err.code)
		goto send;
	lv_out_free(&out);
	lv_packet_begin(&out, h->proc, LV_REPLY, h->serial, LV_ERROR);
	lv_put_error(&out, &x.err);
send:
	lv_packet_send(c, &out);
	if (c->history_due)
		lv_console_history(d0, c);
}

static void lv_pong(struct lv_client *c)
{
	struct lv_hdr h = { .prog = LV_KEEPALIVE_PROGRAM,
			    .vers = LV_KEEPALIVE_VERSION,
			    .proc = 2,
			    .type = LV_MESSAGE };
	struct lv_xdr_out out;

	lv_out_init(&out, 64);
	lv_frame_begin(&out, &h);
	lv_packet_send(c, &out);
}

/* One complete packet; anything outside the protocol closes the connection. */
static void lv_packet(struct dom0 *d0, struct lv_client *c)
{
	size_t len = c->conn.pkt_len - LV_LEN_SIZE;
	struct lv_xdr_in in;
	struct lv_hdr h;

	lv_in_init(&in, c->conn.pkt, len);
	lv_hdr_get(&in, &h);
	if (h.prog == LV_KEEPALIVE_PROGRAM && h.vers == LV_KEEPALIVE_VERSION &&
	    h.type == LV_MESSAGE) {
		if (h.proc == 1)
			lv_pong(c);
		else if (h.proc != 2)
			c->conn.dead = true;
		return;
	}
	if (h.prog != LV_PROGRAM || h.vers != LV_PROTOCOL_VERSION) {
		log_info("libvirt client: program %#x version %u: closed", h.prog, h.vers);
		c->conn.dead = true;
		return;
	}
	if (h.type == LV_STREAM) {
		lv_stream_packet(d0, c, &h, c->conn.pkt + LV_HDR_SIZE, len - LV_HDR_SIZE);
		return;
	}
	if (h.type != LV_CALL || h.status != LV_OK) {
		c->conn.dead = true;
		return;
	}
	lv_serve_call(d0, c, &h, &in);
}

static void lv_input(struct dom0 *d0, struct lv_client *c)
{
	int i, ret;

	for (i = 0; i < LV_BATCH; i++) {
		ret = lv_conn_read(&c->conn);
		if (ret <= 0)
			return;
		lv_packet(d0, c);
		lv_conn_pop(&c->conn);
		if (c->conn.dead)
			return;
	}
}

void lv_event(struct dom0 *d0, void *tag)
{
	if (*(int *)tag == D0_LV_LISTEN)
		lv_accept(d0, tag);
	else
		lv_input(d0, tag);
}

static void lv_console_retry(struct dom0 *d0, struct lv_client *c)
{
	struct ts_domain *td = ts_by_id(d0, c->stream_domid);
	int ret;

	if (!c->pending_len)
		return;
	if (!td || td->ended || !td->console) {
		c->pending_len = 0;
		return;
	}
	ret = console_back_input(td->console, c->pending, c->pending_len);
	if (ret != -EAGAIN)
		c->pending_len = 0;
}

void lv_service(struct dom0 *d0)
{
	struct lv_server *s = d0->lv;
	struct lv_client **cp, *c;
	uint32_t want;

	if (!s)
		return;
	cp = &s->clients;
	while ((c = *cp)) {
		if (c->streaming)
			lv_console_retry(d0, c);
		lv_conn_flush(&c->conn);
		if (c->conn.dead) {
			*cp = c->next;
			s->nr_clients--;
			lv_client_free(d0, c);
			continue;
		}
		/* More input waits while output backs up; the bound catches the rest. */
		want = EPOLLIN | (c->conn.head ? EPOLLOUT : 0);
		lv_watch(d0, c->conn.fd, c, &c->events, want, EPOLL_CTL_MOD);
		cp = &c->next;
	}
}

int lv_timeout(struct dom0 *d0, int timeout_ms)
{
	struct lv_client *c;

	for (c = d0->lv ? d0->lv->clients : NULL; c; c = c->next)
		if (c->pending_len && (timeout_ms < 0 || timeout_ms > 10))
			return 10;
	return timeout_ms;
}

static void lv_stream_send(struct lv_client *c, uint32_t status, const char *data, size_t len)
{
	struct lv_xdr_out out;

	lv_packet_begin(&out, 201, LV_STREAM, c->stream_serial, status);
	lv_put_raw(&out, data, len); /* stream data is raw: the packet's length says how much */
	lv_packet_send(c, &out);
}

static void lv_stream_data(struct lv_client *c, const char *data, size_t len)
{
	size_t n;

	while (len && !c->conn.dead) {
		n = len < LV_STREAM_CHUNK ? len : LV_STREAM_CHUNK;
		lv_stream_send(c, LV_CONTINUE, data, n);
		data += n;
		len -= n;
	}
}

int lv_console_open(struct lv_call *x, struct ts_domain *td)
{
	struct lv_client *c = x->c;

	if (c->streaming)
		return lv_fail(
			x, LV_ERR_OPERATION_INVALID,
			"Requested operation is not valid: this connection has a console open");
	c->streaming = true;
	c->stream_eof = false;
	c->history_due = true;
	c->stream_serial = x->h->serial;
	c->stream_domid = td->info.domid;
	c->pending_len = 0;
	return 0;
}

/* After the reply: the newest console lines, so the client sees where the guest is. */
static void lv_console_history(struct dom0 *d0, struct lv_client *c)
{
	struct ts_domain *td = ts_by_id(d0, c->stream_domid);
	size_t off = 0, n;
	const char *p;

	c->history_due = false;
	if (!td)
		return;
	if (td->log.mem.len > LV_CONSOLE_HISTORY)
		off = td->log.mem.len - LV_CONSOLE_HISTORY;
	while ((n = tail_ring_span(&td->log.mem, off, &p))) {
		lv_stream_data(c, p, n);
		off += n;
	}
}

void lv_console_output(struct dom0 *d0, struct ts_domain *td, const char *data, size_t len)
{
	struct lv_client *c;

	for (c = d0->lv ? d0->lv->clients : NULL; c; c = c->next)
		if (c->streaming && !c->stream_eof && !c->history_due &&
		    c->stream_domid == td->info.domid)
			lv_stream_data(c, data, len);
}

void lv_domain_ended(struct dom0 *d0, struct ts_domain *td)
{
	struct lv_client *c;

	/* libvirt's shut-off reasons: 1 shutdown (by the guest), 2 destroyed. */
	if (td->cfg)
		lv_note_shutoff(d0, td->cfg->uuid,
				td->info.exit_reason == SV_EXIT_DESTROYED ? 2
				: td->info.exit_reason <= SV_EXIT_REBOOT  ? 1
									  : 0);
	for (c = d0->lv ? d0->lv->clients : NULL; c; c = c->next) {
		if (!c->streaming || c->stream_eof || c->stream_domid != td->info.domid)
			continue;
		/* End of file: the client finishes the stream (STREAM OK), we confirm. */
		c->stream_eof = true;
		lv_stream_send(c, LV_CONTINUE, NULL, 0);
	}
}

void lv_stream_packet(struct dom0 *d0, struct lv_client *c, const struct lv_hdr *h,
		      const uint8_t *data, size_t len)
{
	struct ts_domain *td;
	size_t room;

	if (h->proc != 201 || !c->streaming || h->serial != c->stream_serial) {
		c->conn.dead = true;
		return;
	}
	if (h->status != LV_CONTINUE) {
		/* finish (OK) or abort (ERROR): confirmed with OK either way */
		lv_stream_send(c, LV_OK, NULL, 0);
		c->streaming = false;
		c->pending_len = 0;
		return;
	}
	td = ts_by_id(d0, c->stream_domid);
	if (!td || td->ended || !td->console || !len)
		return; /* nowhere to go: dropped, as a terminal would */
	room = LV_CONSOLE_PENDING_MAX - c->pending_len;
	if (len > room) {
		log_warn("libvirt console of domain %u: guest not reading, %zu bytes dropped",
			 td->info.domid, len - room);
		len = room;
	}
	memcpy(c->pending + c->pending_len, data, len);
	c->pending_len += len;
	lv_console_retry(d0, c);
}
