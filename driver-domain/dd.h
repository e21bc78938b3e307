/* SPDX-License-Identifier: MIT */
/*
 * svdd's private header, seen by no other folder. The files build on each
 * other in one direction: svdd.c (options, the control socket, the loop)
 * -> dd_devices.c (devices from the backend directories) -> dd_env.c (the
 * backend_env: xenstore, core, toolstack, the fd loop) -> dd_grant.c (grants
 * through the core); dd_sandbox.c stands beside them and is called once.
 */
#ifndef SV_DD_H
#define SV_DD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitvisor/control.h>

#include "backend_env.h"

/* The grant-copy area registered with the core: a few MiB serve a whole ring batch. */
#define DD_AREA_SIZE (64u << 20)

struct dd_env;
struct dd_grant;
struct dd_devices;

struct dd {
	uint16_t domid;
	char name[SV_CTL_NAME_SIZE];
	struct backend_env env;	      /* what the backends get */
	struct backend_faults faults; /* set by SV_DD_INJECT, read by the backends */
	struct dd_env *xenv;	      /* dd_env.c */
	struct dd_grant *grant;	      /* dd_grant.c */
	struct dd_devices *devs;      /* dd_devices.c */
	bool stopping;		      /* the loop ends after this round */
	int exit_code;
};

/* dd_env.c: the environment over fds 3..5 and the event loop. */
int dd_env_init(struct dd *dd, char *err, size_t errlen);
void dd_env_free(struct dd *dd);
/* fn runs on the loop while fd has one of events (EPOLLIN; 0 for hang-ups alone). */
int dd_fd_add(struct dd *dd, int fd, uint32_t events, backend_fd_fn *fn, void *arg);
void dd_fd_del(struct dd *dd, int fd);
/* One round: waits up to timeout_ms, runs the fds' callbacks, then queued watch events. */
int dd_loop_once(struct dd *dd, int timeout_ms);
/* The children of path, each NUL-terminated, in out; their total length or -errno. */
int dd_xs_directory(struct dd *dd, const char *path, char *out, size_t cap);
/*
 * One request on the core connection (fd 3) with an fd passed along when
 * pass_fd >= 0; up to nfds fds of the reply in fds (-1 where none came).
 * Any thread: one request/reply pair at a time. 0 or -errno, err says why.
 */
int dd_core_request(struct dd *dd, uint32_t op, const void *req, size_t len, int pass_fd,
		    void *reply, size_t cap, int *fds, size_t nfds, char *err, size_t errlen);

/* dd_grant.c: env.grant_remote, through the core's GNT_MAP, GNT_UNMAP and GNT_COPY. */
int dd_grant_init(struct dd *dd, char *err, size_t errlen);
void dd_grant_free(struct dd *dd);

/* dd_devices.c: watch backend/vbd and backend/vif, probe and free devices. */
int dd_devices_start(struct dd *dd, char *err, size_t errlen);
void dd_devices_stop(struct dd *dd);

/* dd_sandbox.c: drop to the domain's uid, no new privileges, the seccomp filter. */
int dd_sandbox_enter(uint16_t domid, char *err, size_t errlen);
/* A call the filter forbids (socket(AF_INET)): the process dies of SIGSYS. */
void dd_sandbox_selftest(void);

#endif
