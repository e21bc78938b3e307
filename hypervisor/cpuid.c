// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "domain_priv.h"

#define CPUID_MAX_ENTRIES     256
#define CPUID1_ECX_HYPERVISOR (1u << 31)

int cpuid_get_supported(int kvm_fd, struct kvm_cpuid2 **out)
{
	struct kvm_cpuid2 *c;

	c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = CPUID_MAX_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		int ret = -errno;

		free(c);
		return ret;
	}
	*out = c;
	return 0;
}

/*
 * KVM's supported set, minus KVM's own paravirtual leaves (our guests must not
 * mistake us for KVM), plus the Splitvisor leaves and this vCPU's APIC ID.
 */
int cpuid_set_vcpu(const struct kvm_cpuid2 *base, int vcpu_fd, unsigned int apic_id)
{
	struct kvm_cpuid2 *c;
	struct kvm_cpuid_entry2 *e;
	unsigned int i, n = 0;
	uint32_t sig[3];
	int ret = 0;

	c = calloc(1, sizeof(*c) + (base->nent + 2) * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	for (i = 0; i < base->nent; i++) {
		if ((base->entries[i].function & 0xffff0000u) == SV_CPUID_BASE)
			continue;
		e = &c->entries[n++];
		*e = base->entries[i];
		switch (e->function) {
		case 1:
			e->ebx = (e->ebx & 0x00ffffffu) | (apic_id << 24);
			e->ecx |= CPUID1_ECX_HYPERVISOR;
			break;
		case 0xb:
		case 0x1f:
			e->edx = apic_id;
			break;
		}
	}
	memcpy(sig, SV_CPUID_SIGNATURE, sizeof(sig));
	e = &c->entries[n++];
	memset(e, 0, sizeof(*e));
	e->function = SV_CPUID_BASE;
	e->eax = SV_CPUID_BASE + 1;
	e->ebx = sig[0];
	e->ecx = sig[1];
	e->edx = sig[2];
	e = &c->entries[n++];
	memset(e, 0, sizeof(*e));
	e->function = SV_CPUID_BASE + 1;
	e->eax = SV_ABI_VERSION;
	c->nent = n;

	if (ioctl(vcpu_fd, KVM_SET_CPUID2, c) < 0)
		ret = -errno;
	free(c);
	return ret;
}
