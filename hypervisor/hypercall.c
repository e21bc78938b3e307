// SPDX-License-Identifier: MIT
#include <errno.h>
#include <sched.h>
#include <string.h>

#include <splitvisor/grant_table.h>

#include "evtchn.h"
#include "hypercall.h"

static int64_t hc_xen_version(const struct hcall_env *env, const uint64_t arg[5])
{
	(void)env;
	switch (arg[0]) {
	case SV_VERSION_version:
		return SV_ABI_VERSION;
	case SV_VERSION_features:
		return SV_FEAT_CONSOLE_IO | SV_FEAT_TIMER | SV_FEAT_VCPU_UP;
	default:
		return -EINVAL;
	}
}

static int64_t hc_console_io(const struct hcall_env *env, const uint64_t arg[5])
{
	const char *buf;

	if (arg[0] != SV_CONSOLEIO_write)
		return -EINVAL;
	if (arg[1] > SV_CONSOLE_IO_MAX)
		return -EINVAL;
	buf = guest_ptr(env->mem, arg[2], arg[1]);
	if (!buf)
		return -EFAULT;
	if (arg[1])
		env->ops->console_write(env->ctx, buf, arg[1]);
	return (int64_t)arg[1];
}

static int64_t hc_sched_op(const struct hcall_env *env, const uint64_t arg[5])
{
	switch (arg[0]) {
	case SV_SCHEDOP_yield:
		sched_yield();
		return 0;
	case SV_SCHEDOP_block:
		return env->ops->block(env->ctx);
	case SV_SCHEDOP_shutdown:
		if (arg[1] != SV_SHUTDOWN_poweroff && arg[1] != SV_SHUTDOWN_reboot &&
		    arg[1] != SV_SHUTDOWN_crash)
			return -EINVAL;
		env->ops->shutdown(env->ctx, (unsigned int)arg[1], (int)(int64_t)arg[2]);
		return 0;
	default:
		return -EINVAL;
	}
}

static int64_t hc_vcpu_op(const struct hcall_env *env, const uint64_t arg[5])
{
	struct sv_vcpu_context c;
	const void *p;

	if (arg[0] != SV_VCPUOP_up)
		return -EINVAL;
	if (arg[1] >= env->nr_vcpus)
		return -ENOENT;
	p = guest_ptr(env->mem, arg[2], sizeof(c));
	if (!p)
		return -EFAULT;
	/* One copy: the other vCPUs may be rewriting the struct as we look. */
	memcpy(&c, p, sizeof(c));
	return env->ops->vcpu_up(env->ctx, (unsigned int)arg[1], &c);
}

int64_t hcall_dispatch(const struct hcall_env *env, uint64_t nr, const uint64_t arg[5])
{
	switch (nr) {
	case SV_HC_xen_version:
		return hc_xen_version(env, arg);
	case SV_HC_console_io:
		return hc_console_io(env, arg);
	case SV_HC_sched_op:
		return hc_sched_op(env, arg);
	case SV_HC_set_timer_op:
		return env->ops->set_timer(env->ctx, arg[0]);
	case SV_HC_vcpu_op:
		return hc_vcpu_op(env, arg);
	case SV_HC_event_channel_op:
		return evtchn_hypercall(env->evtchn, env->mem, arg[0], arg[1]);
	case SV_HC_grant_table_op:
		if (!env->gnttab)
			return -ENOSYS;
		return gnttab_op(env->gnttab, env->mem, arg[0], arg[1]);
	default:
		return -ENOSYS;
	}
}
