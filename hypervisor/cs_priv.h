/* SPDX-License-Identifier: MIT */
/*
 * svcored's control server internals shared by control_server.c (clients,
 * guests) and cs_procdom.c (process domains); nothing outside hypervisor/
 * includes it. control_server.c calls down into cs_procdom.c; what
 * cs_procdom.c needs back (finding a guest, adding a client) is below.
 */
#ifndef SV_CS_PRIV_H
#define SV_CS_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <splitvisor/control.h>
#include <splitvisor/core.h>

#include "ctl_wire.h"
#include "tail_ring.h"

#define CS_MAX_CLIENTS	  64u
#define CS_MAX_DOMAINS	  256u
#define CS_CONSOLE_BUF	  (256u * 1024u)
#define CS_CLIENT_OUT_MAX (1024u * 1024u)

struct cs_domain {
	struct cs_domain *next; /* sorted by domid */
	struct control_server *srv;
	struct sv_domain *d;
	uint32_t domid, memory_mib, vcpus;
	uint32_t store_port;   /* the guest's xenstore port, offered to dom0 */
	uint32_t console_port; /* the guest's console ring port, offered to dom0 */
	char name[SV_CTL_NAME_SIZE];
	uint64_t start_ns;
	bool paused;
	bool end_reported;
	pthread_t waiter;
	bool waiter_started;

	/* lock protects what the waiter and the vCPU threads write */
	pthread_mutex_t lock;
	bool ended;
	struct sv_domain_exit exit;
	struct tail_ring con;
	uint64_t con_dropped;
};

/* What an epoll tag of a client or a process domain's port points at first. */
enum cs_kind {
	CS_KIND_CLIENT,
	CS_KIND_PORT,
};

struct cs_procdom;

struct cs_client {
	enum cs_kind kind; /* CS_KIND_CLIENT (calloc) */
	struct cs_client *next;
	struct cs_procdom *procdom; /* the process domain this connection is, or NULL */
	uint32_t events;	    /* what epoll waits for */
	bool privileged, hello, subscribed;
	struct wire_conn conn;
};

struct control_server {
	int listen_fd, epfd, efd;
	char token[SV_CTL_TOKEN_LEN + 1];
	struct cs_client *clients;
	unsigned int nr_clients;
	struct cs_domain *domains;
	unsigned int nr_domains;
	uint32_t next_domid;
	struct cs_procdom *procdoms; /* cs_procdom.c's */
	bool stopping;
};

/* cs_table.c */
struct cs_domain *cs_find(struct control_server *srv, uint32_t domid);
/* Whether the guest has ended (it may still be there until DESTROY). */
bool cs_domain_ended(struct cs_domain *dom);
/* A new client on fd (connected, non-blocking; now the server's), or -errno. */
int cs_client_add(struct control_server *srv, int fd, struct cs_client **out);
/* Adds or removes an fd whose epoll tag is ptr (which starts with an enum cs_kind). */
int cs_epoll_add(struct control_server *srv, int fd, void *ptr);
void cs_epoll_del(struct control_server *srv, int fd);

/* cs_procdom.c */
/* A domid free among guests and process domains (the next after the last given), or -ENOSPC. */
int cs_alloc_domid(struct control_server *srv, uint32_t *out);
/* SV_CTL_PROCDOM_CREATE, for the control domain. */
void cs_procdom_create(struct control_server *srv, struct cs_client *c, const struct sv_ctl_hdr *h,
		       const struct sv_ctl_procdom *req);
uint32_t cs_procdom_domid(const struct cs_procdom *pd);
/* Whether a process domain holds domid. */
bool cs_procdom_has(struct control_server *srv, uint32_t domid);
/* Whether a process domain's connection may send op (rights come before parsing). */
bool cs_procdom_allowed(uint32_t op);
/* A checked request of an allowed op from a process domain's connection. */
void cs_procdom_handle(struct control_server *srv, struct cs_client *c, const struct sv_ctl_hdr *h,
		       const void *p);
/* The send eventfd of a bound port is readable. */
void cs_procdom_port_ready(struct control_server *srv, void *tag);
/* The connection is gone: its ports, maps, area and domid go too. */
void cs_procdom_client_gone(struct control_server *srv, struct cs_client *c);
/* Before a guest is freed: drops every process domain's ports and maps of it. */
void cs_procdom_guest_gone(struct control_server *srv, struct cs_domain *dom);

#endif
