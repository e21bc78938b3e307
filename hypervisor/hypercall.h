/* SPDX-License-Identifier: MIT */
#ifndef SV_HYPERCALL_DISPATCH_H
#define SV_HYPERCALL_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include <splitvisor/hypercall.h>

#include "grant_table.h"
#include "guest_mem.h"

struct evtchn;

/*
 * What a hypercall may do to its domain. The dispatcher validates every
 * argument before calling any of these, so they see only well-formed requests.
 */
struct hcall_ops {
	void (*console_write)(void *ctx, const char *buf, size_t len);
	void (*shutdown)(void *ctx, unsigned int reason, int code);
	int (*set_timer)(void *ctx, uint64_t deadline_ns);
	int (*block)(void *ctx);
	int (*vcpu_up)(void *ctx, unsigned int vcpu, const struct sv_vcpu_context *c);
};

struct hcall_env {
	const struct guest_mem *mem;
	unsigned int nr_vcpus;
	const struct hcall_ops *ops;
	struct evtchn *evtchn; /* NULL: event_channel_op is -ENOSYS */
	void *ctx;
	struct gnttab *gnttab; /* NULL: grant_table_op is -ENOSYS */
};

/* Returns the value for the guest's rax: a result or a negative errno. */
int64_t hcall_dispatch(const struct hcall_env *env, uint64_t nr, const uint64_t arg[5]);

#endif
