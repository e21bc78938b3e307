/* SPDX-License-Identifier: MIT */
/*
 * svdom0's shared state: the event loop (svdom0.c), the toolstack's domains
 * and clients. Each module declares its functions in its own header.
 */
#ifndef SV_SVDOM0_H
#define SV_SVDOM0_H

#include <stdbool.h>
#include <stdint.h>

#include "backend_env.h"
#include "console_log.h"
#include "ctl_wire.h"
#include "definitions.h"
#include "tail_ring.h"
#include "xenstore.h"

struct store_ring;
struct console_back;
struct vbd;
struct vif;
struct net_service;
struct xs_local;
struct xs_sock;
struct dd_domain;
struct lv_server;
struct sv_domain_config;

/* The first int of everything svdom0 puts in epoll says what it is. */
enum { D0_TS_CLIENT = 1, D0_XS_CLIENT, D0_STORE_RING, D0_DD_FD };

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
	char *upload; /* a domain document coming in chunks (SV_TS_XML_MORE) */
	size_t upload_len;
	struct wire_conn conn;
};

struct ts_domain {
	struct ts_domain *next;
	struct dom0 *d0;
	struct sv_ctl_dominfo info;
	bool ended;
	char end_text[400];
	struct con_log log;
	/* What it was started from (XML only): dumpxml and the on_* actions use it. */
	struct sv_domain_config *cfg;
	int action;		 /* enum sv_lifecycle_action still to carry out, or TS_NO_ACTION */
	struct store_ring *ring; /* its xenstore ring while it runs, or NULL */
	struct vbd *vbds;	 /* its virtual block devices */
	struct vif *vifs;	 /* its virtual network interfaces, by handle */
	struct console_back *console; /* its PV console ring while it runs, or NULL */
};

#define TS_NO_ACTION (-1)

struct core_client;

struct dom0 {
	char rundir[256];
	struct core_client *cc;
	struct xs_server *xs;
	/* dom0's own in-process connection: the toolstack's requests, the backends' watches */
	struct xs_local *xs_self;
	struct ts_client *ts_clients;
	struct xs_sock *xs_socks; /* xenstore.sock clients and the driver domains' connections */
	struct ts_domain *domains;
	struct dd_domain *dds; /* driver domains (driver_domains.c) */
	/*
	 * The running driver domain of that name for a guest's device (vbd.c, vif.c sit
	 * below driver_domains.c, which hands this down): 0 with its domid, or -errno and
	 * a sentence.
	 */
	int (*dd_resolve)(struct dom0 *d0, const char *name, uint32_t *domid, char *err,
			  size_t errlen);
	struct defs defs;
	uint64_t console_log_max;	 /* each console log file's cap (console_log.h) */
	int epfd;			 /* svdom0's event loop, for the store rings' notify fds */
	struct store_ring *closed_rings; /* to free once no epoll event can name them */
	/* what the in-process backends see of svdom0 (backend_host.c) */
	struct backend_env backend_env;
	/* faults injected into those backends ('svctl inject Domain-0 ...') */
	struct backend_faults backend_faults;
	/* the switches, vifs and TAP devices; made with the first interface */
	struct net_service *net;
	struct lv_server *lv; /* libvirt's clients (libvirt/lv_server.c) */
	/*
	 * The toolstack's events for a service above it (the libvirt server sets them): the
	 * toolstack calls these, never that service's functions, so it does not depend on it.
	 */
	void (*on_console_output)(struct dom0 *d0, struct ts_domain *td, const char *data,
				  size_t len);
	void (*on_domain_ended)(struct dom0 *d0, struct ts_domain *td);
	bool stopping, stop_core;
};

#endif
