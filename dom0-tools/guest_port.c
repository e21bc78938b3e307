// SPDX-License-Identifier: MIT
/*
 * What every per-guest service of svdom0 (xenstore ring, console ring) needs
 * first: the guest's core pages mapped from its RAM memfd, and one of its
 * ports bound for us by the core (store_bind, console_bind): a notify eventfd
 * the guest's sends make readable, and a raise eventfd to interrupt it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <splitvisor/start_info.h>

#include "core_client.h"
#include "evtchn_shinfo.h"
#include "svdom0.h"

int gp_open(struct dom0 *d0, uint32_t domid, uint32_t bind_op, struct d0_guest_port *gp, char *err,
	    size_t errlen)
{
	struct sv_ctl_domid id = { .domid = domid };
	struct sv_ctl_store_bind_reply br;
	struct sv_ctl_memfd_reply mr;
	int fds[2] = { -1, -1 }, memfd = -1, ret;

	gp->domid = domid;
	gp->mem = NULL;
	gp->notify_fd = gp->raise_fd = -1;
	ret = cc_call(d0->cc, SV_CTL_MEMFD, &id, sizeof(id), &mr, sizeof(mr), NULL, &memfd, err,
		      errlen);
	if (!ret && (memfd < 0 || mr.size < SV_RESERVED_END))
		ret = -EPROTO;
	if (ret)
		goto out;
	/* Only the core's pages: the shared info and the rings are all we touch. */
	gp->size = SV_RESERVED_END;
	gp->mem = mmap(NULL, gp->size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (gp->mem == MAP_FAILED) {
		gp->mem = NULL;
		ret = -errno;
		goto out;
	}
	ret = cc_call_fds(d0->cc, bind_op, &id, sizeof(id), &br, sizeof(br), NULL, fds, 2, err,
			  errlen);
	if (!ret && (fds[0] < 0 || fds[1] < 0))
		ret = -EPROTO;
	if (ret)
		goto out;
	gp->notify_fd = fds[0];
	gp->raise_fd = fds[1];
	fds[0] = fds[1] = -1;
	gp->port = br.port;
	gp->vcpu = br.vcpu < SV_SHINFO_MAX_VCPUS ? br.vcpu : 0;
out:
	if (memfd >= 0)
		close(memfd);
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (ret)
		gp_close(gp);
	return ret;
}

void gp_close(struct d0_guest_port *gp)
{
	if (gp->notify_fd >= 0)
		close(gp->notify_fd);
	if (gp->raise_fd >= 0)
		close(gp->raise_fd);
	if (gp->mem)
		munmap(gp->mem, gp->size);
	gp->notify_fd = gp->raise_fd = -1;
	gp->mem = NULL;
}

void gp_drain_notify(struct d0_guest_port *gp)
{
	uint64_t count;

	/* The count only says "look": the ring indices carry the work. */
	while (read(gp->notify_fd, &count, sizeof(count)) == sizeof(count))
		;
}

void gp_raise(struct d0_guest_port *gp, const char *what)
{
	struct sv_shared_info *shinfo = (struct sv_shared_info *)(gp->mem + SV_SHARED_INFO_GPA);
	uint64_t one = 1;

	if (sv_shinfo_set_pending(shinfo, gp->vcpu, gp->port) &&
	    write(gp->raise_fd, &one, sizeof(one)) < 0)
		fprintf(stderr, "svdom0: cannot raise domain %u's %s port\n", gp->domid, what);
}
