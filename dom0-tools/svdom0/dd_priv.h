/* SPDX-License-Identifier: MIT */
/*
 * Shared by driver_domains.c (a driver domain's life: start, end, restart)
 * and dd_requests.c (what it and svctl ask about it) only.
 */
#ifndef SV_SVDOM0_DD_PRIV_H
#define SV_SVDOM0_DD_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_wire.h"
#include "dd_policy.h"
#include "log.h"

struct dom0;
struct sv_domain_config;
struct ts_client;
struct xs_sock;

#define DD_INJECT_TIMEOUT_MS 5000u

enum { DD_TAG_PID, DD_TAG_REQ, DD_TAG_CTL, DD_NR_TAGS };

/* What svdom0's epoll holds for a driver domain's fds; kind first, as every tag. */
struct dd_tag {
	int kind; /* D0_DD_FD */
	int which;
	struct dd_domain *dd;
};

struct dd_domain {
	struct dd_domain *next;
	struct sv_domain_config *cfg; /* its own copy */
	char name[SV_CTL_NAME_SIZE];
	uint32_t domid; /* kept across restarts */
	pid_t pid;
	int pidfd;		   /* -1 when no svdd runs */
	struct wire_conn req, ctl; /* fds 5 and 6, our ends; fd -1 when closed */
	uint32_t req_events, ctl_events;
	struct dd_tag tags[DD_NR_TAGS];
	struct xs_sock *xs; /* its xenstore connection, or NULL */
	bool stopping;	    /* destroy or shutdown asked for its end: no restart */
	bool hung;	    /* SIGSTOP'd by inject hang */
	bool ended;	    /* dead and kept so (preserve, throttled, failed restart, stopped) */
	bool stopped;	    /* ended by destroy or shutdown, kept for its guests' devices */
	bool remove;	    /* gone: freed by the next dd_timeouts, outside any epoll batch */
	bool restart_pending;
	unsigned int restart_tries;
	uint64_t restart_at_ns;
	struct dd_throttle throttle;
	uint32_t restarts;
	uint64_t start_time_ns; /* CLOCK_REALTIME */
	struct log_ratelimit rl;
	/* The injection svdd has not answered yet. */
	struct ts_client *inj_client;
	uint32_t inj_req, inj_id;
	uint64_t inj_deadline_ns;
};

static inline bool dd_running(const struct dd_domain *dd)
{
	return dd->pidfd >= 0;
}

/* A signal to the running svdd (through its pidfd: never another process); 0 or -errno. */
int dd_signal(struct dd_domain *dd, int sig);
/* Answers the pending injection's client, if any, with status and a sentence. */
void dd_answer_inject(struct dd_domain *dd, int status, const char *msg);
/* svdd ended: reaps it (wait: block until it has), logs how, then on_crash. */
void dd_ended(struct dom0 *d0, struct dd_domain *dd, bool wait);
/* Removes its home and marks it gone (freed outside any epoll batch). */
void dd_forget(struct dom0 *d0, struct dd_domain *dd);
/* dd_requests.c: input on fd 5 (svdd's requests) and fd 6 (its answers). */
void dd_req_input(struct dom0 *d0, struct dd_domain *dd);
void dd_ctl_input(struct dd_domain *dd);

#endif
