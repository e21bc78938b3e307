// SPDX-License-Identifier: MIT
/*
 * What both hypercall gates (vcpu.c's own, xen_vcpu.c's Xen ABI) do to the calling vCPU
 * and its domain: read the arguments and hand back rax, write to the console, shut the
 * domain down. Both gates call down into this file; it calls neither.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include <splitvisor/hypercall.h>

#include "domain_priv.h"

int vcpu_hcall_args(struct vcpu *v, struct kvm_regs *buf, struct kvm_regs **r, uint64_t arg[5])
{
	if (v->dom->sync_regs)
		*r = &v->run->s.regs.regs;
	else if (ioctl(v->fd, KVM_GET_REGS, buf) < 0)
		return -errno;
	else
		*r = buf;
	arg[0] = (*r)->rdi;
	arg[1] = (*r)->rsi;
	arg[2] = (*r)->rdx;
	arg[3] = (*r)->r10;
	arg[4] = (*r)->r8;
	return 0;
}

/* Only rax changes: rcx and r11 stay, as Xen's ABI promises and ours follows. */
int vcpu_hcall_return(struct vcpu *v, struct kvm_regs *r, int64_t result)
{
	r->rax = (uint64_t)result;
	if (v->dom->sync_regs) {
		v->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		return 0;
	}
	return ioctl(v->fd, KVM_SET_REGS, r) < 0 ? -errno : 0;
}

void vcpu_console_write(struct vcpu *v, const char *buf, size_t len)
{
	struct sv_domain *d = v->dom;

	if (!d->console)
		return;
	pthread_mutex_lock(&d->console_lock);
	d->console(d->console_opaque, buf, len);
	pthread_mutex_unlock(&d->console_lock);
}

void vcpu_shutdown(struct vcpu *v, unsigned int reason, int code)
{
	char why[64];

	snprintf(why, sizeof(why), "vcpu %u asked for %s", v->id,
		 reason == SV_SHUTDOWN_poweroff ? "poweroff"
		 : reason == SV_SHUTDOWN_reboot ? "reboot"
						: "crash");
	v->dom->end(v->dom,
		    reason == SV_SHUTDOWN_poweroff ? SV_EXIT_POWEROFF
		    : reason == SV_SHUTDOWN_reboot ? SV_EXIT_REBOOT
						   : SV_EXIT_CRASH,
		    code, why);
}
