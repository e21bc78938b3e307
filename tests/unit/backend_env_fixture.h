// SPDX-License-Identifier: MIT
/*
 * The host a backend's xenbus half gets in the unit tests: the environment
 * of backend_env.h over the real in-process xenstore (xs_server, reached
 * through xs_local as domain 0), fake guests (blk_harness.h) whose memory
 * map_guest hands out, the core's control socket answered in-process
 * (SV_CTL_GNTTAB, SV_CTL_EVTCHN_BIND and _CLOSE) with an eventfd pair per
 * bound port, and an event loop the test turns by hand: dispatch for watch
 * events, run_fds for the fds a backend added. It is what svdom0's
 * backend_host.c is in production, written once so that every backend's
 * test (vbd, vif) drives the same host, and so that a host refusing guest
 * memory (a driver domain) is one switch. Single-threaded: call it from the
 * test's thread (the backends' own threads never call the environment).
 *
 *   struct bef f;
 *   bef_setup(&f);                     xenstore up, no guest yet
 *   g = bef_add_guest(&f, 5, 16 << 20); domid 5, granting to domid 0
 *   ... probe with &f.env, bef_put the frontend's keys, bef_fe_state ...
 *   bef_send(&f, 5, port);             the guest notifies the backend
 *   bef_teardown(&f);
 */
#ifndef TESTS_BACKEND_ENV_FIXTURE_H
#define TESTS_BACKEND_ENV_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend_env.h"
#include "blk_harness.h"

#define BEF_MAX_GUESTS	4
#define BEF_MAX_PORTS	16
#define BEF_MAX_WATCHES 16
#define BEF_MAX_FDS	16

struct xs_server;
struct xs_local;

/*
 * One of a guest's event channels as the core binds it for a backend. The
 * pair is made on first use (a bind, or a send before any bind, which then
 * waits in the eventfd as a pending event would) and kept until teardown, so
 * the test can still look at it after the backend closed its dups.
 */
struct bef_port {
	uint32_t domid, port;
	int notify_fd; /* the guest's sends: readable for the backend */
	int raise_fd;  /* the backend's raises into the guest: readable for the test */
	bool bound;    /* between SV_CTL_EVTCHN_BIND and SV_CTL_EVTCHN_CLOSE */
	uint32_t binds, closes;
};

struct bef_guest {
	struct bh_guest g;
	uint32_t maps; /* map_guest calls not undone yet */
};

struct bef_watch {
	char path[160], token[64];
	backend_watch_fn *fn;
	void *arg;
	bool live;
};

struct bef_fd {
	int fd;
	backend_fd_fn *fn;
	void *arg;
	uint32_t gen; /* moves on at each add: a slot reused during run_fds is not the old fd */
	bool live;
};

struct bef {
	struct backend_env env; /* what the backends get: domid 0 */
	struct xs_server *srv;
	struct xs_local *xs;
	struct bef_guest guests[BEF_MAX_GUESTS];
	unsigned int nr_guests;
	struct bef_port ports[BEF_MAX_PORTS];
	unsigned int nr_ports;
	struct bef_watch watches[BEF_MAX_WATCHES];
	struct bef_fd fds[BEF_MAX_FDS];
	/* Totals over every guest. */
	uint32_t maps, binds, closes;
	uint32_t bound_port; /* the port of the last SV_CTL_EVTCHN_BIND */
	/* A host that may not map guest RAM (a driver domain): map_guest says -EPERM. */
	bool refuse_map;
};

/* The xenstore server and domain 0's connection; no guest yet. Asserts on failure. */
void bef_setup(struct bef *f);
/* Ends every guest, closes every port's pair and the xenstore. */
void bef_teardown(struct bef *f);
/* A fake guest of ram_size bytes whose grants name domain 0; asserts on failure. */
struct bh_guest *bef_add_guest(struct bef *f, uint16_t domid, uint64_t ram_size);
/* NULL when domid is none of the fixture's guests. */
struct bh_guest *bef_guest(struct bef *f, uint32_t domid);

/* The port's pair, made when it is first named. */
struct bef_port *bef_port(struct bef *f, uint32_t domid, uint32_t port);
/* The guest notifies the backend through port (EVTCHNOP_send). */
void bef_send(struct bef *f, uint32_t domid, uint32_t port);
/* How many raises the backend wrote on port since the last look (0: none), nonblocking. */
uint64_t bef_raised(struct bef *f, uint32_t domid, uint32_t port);
/*
 * The guests idle until a backend raises one of their ports or timeout_ms
 * passes; then each guest takes its upcall (drains every raise and every
 * pending port of its shared info, so the next raise interrupts again).
 * Returns how many ports were raised.
 */
int bef_wait_raise(struct bef *f, int timeout_ms);

/* The host's loop, once: every queued watch event to its callback. */
void bef_dispatch(struct bef *f);
/*
 * The host's loop for the fds backends added: waits up to timeout_ms for one
 * to be readable, then runs the callback of each readable one (a callback may
 * remove any fd). Returns how many callbacks ran.
 */
int bef_run_fds(struct bef *f, int timeout_ms);
/* Whether fd is among the fds a backend added and did not remove. */
bool bef_fd_watched(const struct bef *f, int fd);
/* How many fds backends added and did not remove. */
unsigned int bef_nr_fds(const struct bef *f);

/* dir/key = val, asserted. */
void bef_put(struct bef *f, const char *dir, const char *key, const char *val);
/* dir/key's value: its length or -errno. */
int bef_get(struct bef *f, const char *dir, const char *key, char *out, size_t cap);
/* dir/state as a number; asserts it exists. */
int bef_be_state(struct bef *f, const char *be);
/* The frontend at fe says state, and the host's loop runs the watches. */
void bef_fe_state(struct bef *f, const char *fe, int state);
/* Removes path and everything below it (nothing when absent). */
void bef_rm(struct bef *f, const char *path);

#endif
