/* SPDX-License-Identifier: MIT */
/* Inside the libvirt server: clients (lv_server.c), procedures (lv_procs.c), domains (lv_domains.c). */
#ifndef SV_LV_PRIV_H
#define SV_LV_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain_config.h"
#include "lv_conn.h"
#include "lv_server.h"

struct dom0;
struct ts_domain;

/* Console input held while the guest has not read the earlier bytes. */
#define LV_CONSOLE_PENDING_MAX 4096u

struct lv_client {
	int kind; /* D0_LV_CLIENT */
	struct lv_client *next;
	struct lv_conn conn;
	uint32_t events;
	bool opened, readonly;
	/* the console stream (procedure 201), at most one per connection */
	bool streaming, stream_eof, history_due;
	uint32_t stream_serial, stream_domid;
	size_t pending_len;
	char pending[LV_CONSOLE_PENDING_MAX];
};

struct lv_listener {
	int kind; /* D0_LV_LISTEN */
	int fd;
	char path[300];
};

#define LV_MAX_CLIENTS	 32u
#define LV_SHUTOFF_NOTES 32u

struct lv_server {
	struct lv_listener listeners[2];
	struct lv_client *clients;
	unsigned int nr_clients;
	struct {
		uint8_t uuid[SV_UUID_LEN];
		int reason;
	} shutoff[LV_SHUTOFF_NOTES]; /* newest replaces oldest */
	unsigned int shutoff_next;
};

/* libvirt's error codes and domains that our errors use. */
enum {
	LV_ERR_NO_SUPPORT = 3,
	LV_ERR_INVALID_ARG = 8,
	LV_ERR_OPERATION_FAILED = 9,
	LV_ERR_XML_ERROR = 27,
	LV_ERR_DOM_EXIST = 28,
	LV_ERR_OPERATION_DENIED = 29,
	LV_ERR_RPC = 39,
	LV_ERR_NO_DOMAIN = 42,
	LV_ERR_OPERATION_INVALID = 55,
};
enum { LV_FROM_RPC = 7, LV_FROM_DOMAIN = 20, LV_FROM_XML = 5 };

/* A failed call's error, sent as a remote_error. */
struct lv_error {
	int code, domain;
	char msg[1200];
};

/* One call being served. */
struct lv_call {
	struct dom0 *d0;
	struct lv_client *c;
	const struct lv_hdr *h;
	struct lv_error err;
};

/* Sets the call's error (code, and domain FROM_DOMAIN) and returns -1. */
int lv_fail(struct lv_call *x, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same from a toolstack -errno and its sentence. */
int lv_fail_errno(struct lv_call *x, int ret, const char *msg);

/* Serves one CALL packet's arguments into out (after the reply header); 0 or -1 with x->err. */
int lv_dispatch(struct lv_call *x, struct lv_xdr_in *args, struct lv_xdr_out *out);

/* Starts a packet of the connection's program for the call or stream serial. */
void lv_packet_begin(struct lv_xdr_out *out, int32_t proc, uint32_t type, uint32_t serial,
		     uint32_t status);
/* Finishes and queues it (freeing out); a failure marks the client dead. */
void lv_packet_send(struct lv_client *c, struct lv_xdr_out *out);

/* The console stream: opening it for a running domain, and bytes from the client. */
int lv_console_open(struct lv_call *x, struct ts_domain *td);
void lv_stream_packet(struct dom0 *d0, struct lv_client *c, const struct lv_hdr *h,
		      const uint8_t *data, size_t len);

/* A domain as libvirt sees it: running (td) or only defined (def), or both. */
struct lv_dom {
	const char *name;
	uint8_t uuid[SV_UUID_LEN];
	int id;				    /* -1 when not running */
	struct ts_domain *td;		    /* NULL when not in the toolstack */
	const struct sv_domain_config *def; /* NULL when transient */
};

bool lv_dom_by_name(struct dom0 *d0, const char *name, struct lv_dom *d);
bool lv_dom_by_uuid(struct dom0 *d0, const uint8_t uuid[SV_UUID_LEN], struct lv_dom *d);
bool lv_dom_by_id(struct dom0 *d0, int id, struct lv_dom *d);
/* Every domain once, running ones first; fn returns false to stop. */
void lv_dom_each(struct dom0 *d0, bool (*fn)(const struct lv_dom *d, void *arg), void *arg);
/* libvirt's state and reason (virDomainState). */
void lv_dom_state(struct dom0 *d0, const struct lv_dom *d, int *state, int *reason);
/* The config a domain runs with, or its definition (NULL for one created with flags). */
const struct sv_domain_config *lv_dom_config(const struct lv_dom *d);
/* The live document: definition or running config, with the disks it has now. */
int lv_dom_xml(struct dom0 *d0, const struct lv_dom *d, char **xml, char *err, size_t errlen);
/* Remembers why a domain is shut off (libvirt's reasons: 1 shutdown, 2 destroyed). */
void lv_note_shutoff(struct dom0 *d0, const uint8_t uuid[SV_UUID_LEN], int reason);

/* attach-device / detach-device for a <disk> or <interface> element. */
int lv_device(struct lv_call *x, struct ts_domain *td, const char *xml, bool attach);

#endif
