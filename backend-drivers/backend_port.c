// SPDX-License-Identifier: MIT
/*
 * Binding a guest's event channel for a backend through the core, and the two
 * sides of it afterwards: draining the notify eventfd and raising the port in
 * the guest's shared info. Every backend (xenstore ring, console, block, net)
 * binds its ports here, so the rules live in one place.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <splitvisor/control.h>
#include <splitvisor/event_channel.h>

#include "backend_port.h"
#include "evtchn_shinfo.h"

void backend_port_init(struct backend_port *bp)
{
	memset(bp, 0, sizeof(*bp));
	bp->notify_fd = bp->raise_fd = -1;
}

int backend_port_bind(struct backend_env *env, uint32_t op, uint32_t domid, uint32_t port,
		      struct sv_shared_info *shinfo, struct backend_port *bp, char *err,
		      size_t errlen)
{
	struct sv_ctl_evtchn ec = { .domid = domid, .port = port };
	struct sv_ctl_store_bind_reply br = { 0 };
	int fds[2] = { -1, -1 }, ret;
	size_t len = op == SV_CTL_EVTCHN_BIND ? sizeof(ec) : sizeof(struct sv_ctl_domid);

	backend_port_init(bp);
	/* sv_ctl_domid is sv_ctl_evtchn's first field: one request struct serves every op. */
	ret = env->ops->core_call(env, op, &ec, len, &br, sizeof(br), fds, 2, err, errlen);
	if (!ret && (fds[0] < 0 || fds[1] < 0)) {
		snprintf(err, errlen, "the core passed no eventfds");
		ret = -EPROTO;
	}
	if (ret)
		goto out;
	bp->domid = domid;
	bp->port = op == SV_CTL_EVTCHN_BIND ? port : br.port;
	bp->vcpu = br.vcpu < SV_SHINFO_MAX_VCPUS ? br.vcpu : 0;
	bp->notify_fd = fds[0];
	bp->raise_fd = fds[1];
	bp->shinfo = br.flags & SV_CTL_BIND_CORE_RAISES ? NULL : shinfo;
	bp->faults = env->faults;
	fds[0] = fds[1] = -1;
out:
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return ret;
}

void backend_port_close(struct backend_env *env, struct backend_port *bp, bool close_in_core)
{
	struct sv_ctl_evtchn ec = { .domid = bp->domid, .port = bp->port };

	if (close_in_core && bp->notify_fd >= 0)
		env->ops->core_call(env, SV_CTL_EVTCHN_CLOSE, &ec, sizeof(ec), NULL, 0, NULL, 0,
				    NULL, 0);
	if (bp->notify_fd >= 0)
		close(bp->notify_fd);
	if (bp->raise_fd >= 0)
		close(bp->raise_fd);
	backend_port_init(bp);
}

void backend_port_drain(struct backend_port *bp)
{
	uint64_t count;

	/* The count only says "look": the ring indices carry the work. */
	while (read(bp->notify_fd, &count, sizeof(count)) == sizeof(count))
		;
}

/* One thread raises a port: a relaxed load and store, no locked add on the path. */
static void port_count_write(struct backend_port *bp)
{
	__atomic_store_n(&bp->raise_writes,
			 __atomic_load_n(&bp->raise_writes, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}

int backend_port_raise(struct backend_port *bp)
{
	uint64_t one = 1;

	/* An injected lost event (svctl inject drop-notify): the guest must cope by timeout. */
	if (bp->faults && __atomic_load_n(&bp->faults->drop_notify, __ATOMIC_RELAXED))
		return 0;
	/* Without the shared-info page the core raises: one write of its send eventfd. */
	if (!bp->shinfo) {
		port_count_write(bp);
		return write(bp->raise_fd, &one, sizeof(one)) < 0 ? -errno : 0;
	}
	if (!shinfo_set_pending(bp->shinfo, bp->vcpu, bp->port))
		return 0;
	port_count_write(bp);
	return write(bp->raise_fd, &one, sizeof(one)) < 0 ? -errno : 0;
}

uint64_t backend_port_syscalls(const struct backend_port *bp)
{
	return __atomic_load_n(&bp->raise_writes, __ATOMIC_RELAXED);
}
