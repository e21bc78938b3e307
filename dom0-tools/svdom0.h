/* SPDX-License-Identifier: MIT */
/* svdom0's shared state: the event loop (svdom0.c) and the toolstack (toolstack.c). */
#ifndef SV_SVDOM0_H
#define SV_SVDOM0_H

#include "tail_ring.h"
#include <stdbool.h>
#include <stdint.h>

#include "ctl_wire.h"
#include "definitions.h"
#include "xenstore.h"

struct store_ring;
struct console_ring;
struct vbd;
struct xs_local;
struct sv_domain_config;

enum { D0_TS_CLIENT = 1, D0_XS_CLIENT, D0_STORE_RING, D0_CONSOLE_RING };

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
	struct sv_conn conn;
};

/* The last CON_LOG_MAX bytes of a domain's console, and its file. */
#define CON_LOG_MAX (1024u * 1024u)
struct con_log {
	struct sv_tail_ring mem;
	int fd;
};

struct ts_domain {
	struct ts_domain *next;
	struct sv_ctl_dominfo info;
	bool ended;
	char end_text[400];
	struct con_log log;
	/* What it was started from (XML only): dumpxml and the on_* actions use it. */
	struct sv_domain_config *cfg;
	int action;		 /* enum sv_lifecycle_action still to carry out, or TS_NO_ACTION */
	struct store_ring *ring; /* its xenstore ring while it runs, or NULL */
	struct vbd *vbds;	 /* its virtual block devices */
	struct console_ring *console; /* its PV console ring while it runs, or NULL */
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
	struct ts_domain *domains;
	struct defs defs;
	int epfd;			 /* svdom0's event loop, for the store rings' notify fds */
	struct store_ring *closed_rings; /* to free once no epoll event can name them */
	struct console_ring *closed_consoles; /* the same for console rings */
	bool stopping, stop_core;
};

/* guest_port.c: a guest's core pages and one of its ports bound for svdom0 */
struct d0_guest_port {
	uint32_t domid, port, vcpu;
	int notify_fd, raise_fd;
	uint8_t *mem; /* guest-physical 0 .. SV_RESERVED_END */
	size_t size;
};

/* bind_op: SV_CTL_STORE_BIND or SV_CTL_CONSOLE_BIND. On failure gp holds nothing. */
int gp_open(struct dom0 *d0, uint32_t domid, uint32_t bind_op, struct d0_guest_port *gp, char *err,
	    size_t errlen);
void gp_close(struct d0_guest_port *gp);
/* Empties the notify eventfd (nonblocking): call it before looking at the ring. */
void gp_drain_notify(struct d0_guest_port *gp);
/* Sets the port pending on the guest's shared info and raises it when the rules say so. */
void gp_raise(struct d0_guest_port *gp, const char *what);

/* console_backend.c: the guests' PV console rings */
/* Binds the domain's console port (if it has one) and drains its ring; failures are logged. */
void cb_open(struct dom0 *d0, struct ts_domain *td);
/* Drains what the guest wrote last, then unbinds; freed by cb_reap. */
void cb_close(struct dom0 *d0, struct ts_domain *td);
void cb_pump(struct console_ring *r);
/*
 * Takes what the guest's ring holds now: before bytes the core passes on (the
 * guest's console_io fallback, its crash path), which the guest wrote later.
 */
void cb_drain(struct ts_domain *td);
void cb_reap(struct dom0 *d0);
/* SV_TS_CONSOLE_INPUT from a console follower: keyboard bytes for its domain. */
void cb_ts_input(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h, const void *p);

/* store_ring.c: the guests' xenstore rings */
/* Binds the domain's store port and serves its ring; failures are logged. */
void sr_open(struct dom0 *d0, struct ts_domain *td);
void sr_close(struct dom0 *d0, struct ts_domain *td);
/*
 * After a notify, or whenever the connection may have output (watch events).
 * True when bytes moved: a pump is bounded, so there may be more.
 */
bool sr_pump(struct store_ring *r);
/* Also frees the closed rings: call it between event batches. True if any moved. */
bool sr_pump_all(struct dom0 *d0);
void sr_reap(struct dom0 *d0);

/* vbd.c: virtual block devices (toolstack directories, xenbus state machine, blkback) */
/* Creates every <disk> of cfg for td (cfg may be NULL); on failure none is left. */
int vbd_attach_all(struct dom0 *d0, struct ts_domain *td, const struct sv_domain_config *cfg,
		   char *err, size_t errlen);
void vbd_detach_all(struct dom0 *d0, struct ts_domain *td);
/* Hot-plug: a new device (-EEXIST for a target in use), or Xen's unplug of one. */
int vbd_attach(struct dom0 *d0, struct ts_domain *td, const struct sv_disk_config *dc, char *err,
	       size_t errlen);
int vbd_detach(struct dom0 *d0, struct ts_domain *td, const char *dev, char *err, size_t errlen);
/* Handles the frontends' state changes; true when xenstore was written (pump the rings). */
bool vbd_poll(struct dom0 *d0);
/* `svctl block-list`: a table of td's devices into buf; returns its length. */
size_t vbd_list(const struct ts_domain *td, char *buf, size_t cap);

/* console_log.c */
int con_log_open(struct con_log *l, const char *rundir, const char *name, bool truncate);
void con_log_append(struct con_log *l, const char *buf, size_t len);
void con_log_close(struct con_log *l);

/* toolstack.c */
int ts_attach(struct dom0 *d0, char *err, size_t errlen);
void ts_handle(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h, const void *p);
/* 1 when a lifecycle action ran (poll again soon), 0, or -EPIPE when the core is gone. */
int ts_core_events(struct dom0 *d0);
struct ts_domain *ts_by_name(struct dom0 *d0, const char *name);
void ts_remove(struct dom0 *d0, struct ts_domain *td);
/* A domain's console output, from the core or its ring: to its log and its followers. */
void ts_console_output(struct dom0 *d0, struct ts_domain *td, const char *data, size_t len);
int ts_err(struct ts_client *c, const struct sv_ctl_hdr *h, int ret, const char *msg);
/* Makes room for a new domain of that name: -EEXIST while one runs, an ended one goes. */
int ts_clear_ended(struct dom0 *d0, const char *name, char *err, size_t errlen);
/*
 * Creates a domain in the core (paused), sets it up in dom0 (xenstore, rings, the devices of
 * cfg when not NULL) and unpauses it. With *tdp set (a restart), that entry takes the new
 * domain and keeps its console log; else a new entry is made.
 */
int ts_boot(struct dom0 *d0, const struct sv_ctl_create *req, const struct sv_domain_config *cfg,
	    struct ts_domain **tdp, char *err, size_t errlen);
void ts_client_release(struct ts_client *c);
/* Answers shutdowns that timed out; returns ms until the next deadline, -1 if none. */
int ts_timeouts(struct dom0 *d0);
void ts_free(struct dom0 *d0);

/* toolstack_xml.c: domains from libvirt XML, definitions, lifecycle actions */
void tsx_handle(struct dom0 *d0, struct ts_client *c, const struct sv_ctl_hdr *h, const void *p);
/* Picks the on_* action for an ended XML domain. */
void tsx_domain_ended(struct ts_domain *td);
/* Carries out the picked actions; true if any ran. */
bool tsx_run_actions(struct dom0 *d0);
/* After a svdom0 restart: a running domain with a definition follows it again. */
void tsx_adopt(struct dom0 *d0, struct ts_domain *td);

#endif
