/* SPDX-License-Identifier: MIT */
/* svdom0's shared state: the event loop (svdom0.c) and the toolstack (toolstack.c). */
#ifndef SV_SVDOM0_H
#define SV_SVDOM0_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_wire.h"
#include "xenstore.h"

enum { D0_TS_CLIENT = 1, D0_XS_CLIENT };

/* A client of dom0.sock (svctl). */
struct ts_client {
	int kind; /* D0_TS_CLIENT */
	struct ts_client *next;
	uint32_t events;
	bool following; /* console follower of follow_domid */
	uint32_t follow_domid;
	bool shutdown_pending;
	uint32_t shutdown_domid, shutdown_req, shutdown_timeout_ms;
	uint64_t shutdown_deadline_ns;
	bool close_when_flushed;
	struct sv_conn conn;
};

/* The last CON_LOG_MAX bytes of a domain's console, and its file. */
#define CON_LOG_MAX (1024u * 1024u)
struct con_log {
	char *buf;
	size_t head, len;
	int fd;
};

struct ts_domain {
	struct ts_domain *next;
	struct sv_ctl_dominfo info;
	bool ended;
	char end_text[400];
	struct con_log log;
};

struct core_client;

struct dom0 {
	char rundir[256];
	struct core_client *cc;
	struct xs_server *xs;
	struct xs_conn *xs_self; /* the toolstack's own dom0 connection */
	struct ts_client *ts_clients;
	struct ts_domain *domains;
	bool stopping, stop_core;
};

/* console_log.c */
int con_log_open(struct con_log *l, const char *rundir, const char *name, bool truncate);
void con_log_append(struct con_log *l, const char *buf, size_t len);
void con_log_close(struct con_log *l);

/* toolstack.c */
int ts_attach(struct dom0 *d0, char *err, size_t errlen);
void ts_handle(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h, const void *p);
/* -EPIPE when the core is gone. */
int ts_core_events(struct dom0 *d0);
/* Answers shutdowns that timed out; returns ms until the next deadline, -1 if none. */
int ts_timeouts(struct dom0 *d0);
void ts_free(struct dom0 *d0);

#endif
