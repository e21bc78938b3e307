/* SPDX-License-Identifier: MIT */
/* A client of svcored's control socket: svdom0 uses it, and so do the tests. */
#ifndef SV_CORE_CLIENT_H
#define SV_CORE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitvisor/control.h>

struct core_client;

/* Connects to <rundir>/core.sock and says hello, with core.token when privileged. */
int cc_connect(const char *rundir, bool privileged, struct core_client **out, char *err,
	       size_t errlen);
int cc_fd(const struct core_client *cc);
/*
 * Sends a request and waits for its reply; events that arrive first are queued.
 * Returns the reply's status (0 or -errno, with the core's sentence in err).
 * reply_len and fd_out may be NULL.
 */
int cc_call(struct core_client *cc, uint32_t op, const void *req, size_t len, void *reply,
	    size_t cap, size_t *reply_len, int *fd_out, char *err, size_t errlen);
/* The same keeping up to nfds passed fds in fds (-1 where none came). */
int cc_call_fds(struct core_client *cc, uint32_t op, const void *req, size_t len, void *reply,
		size_t cap, size_t *reply_len, int *fds, size_t nfds, char *err, size_t errlen);
/* Moves what the socket holds into the event queue without blocking; -EPIPE once the core is gone. */
int cc_poll_events(struct core_client *cc);
/* The next queued event: 1 with h and payload (cap bytes) filled, 0 when none. */
int cc_next_event(struct core_client *cc, struct sv_ctl_hdr *h, void *payload, size_t cap);
void cc_free(struct core_client *cc);

#endif
