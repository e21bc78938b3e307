// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <splitvisor/xen_abi.h>

#include "domain_priv.h"

#define CPUID_MAX_ENTRIES	 256
#define CPUID1_ECX_HYPERVISOR	 (1u << 31)
#define CPUID1_ECX_TSC_DEADLINE	 (1u << 24)
#define CPUID_XEN4_VCPU_ID	 (1u << 3)
#define CPUID_XEN4_UPCALL_VECTOR (1u << 6)

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
/*
 * The Xen leaves Linux scans for (0x40000000..4) and what its PVH boot wants
 * for a TSC clocksource and a TSC-deadline LAPIC timer: x2APIC, TSC-deadline,
 * ARAT and invariant TSC where KVM offers them.
 */
static unsigned int cpuid_add_xen(struct kvm_cpuid_entry2 *e, unsigned int apic_id)
{
	static const uint32_t sig[3] = { 0x566e6558, 0x65584d4d, 0x4d4d566e }; /* XenVMMXenVMM */
	unsigned int i;

	memset(e, 0, 5 * sizeof(*e));
	for (i = 0; i < 5; i++)
		e[i].function = SV_CPUID_BASE + i;
	e[0].eax = SV_CPUID_BASE + 4;
	e[0].ebx = sig[0];
	e[0].ecx = sig[1];
	e[0].edx = sig[2];
	e[1].eax = (XEN_VERSION_MAJOR << 16) | XEN_VERSION_MINOR;
	e[2].eax = 1;		  /* one hypercall page, for kernels that still want one */
	e[2].ebx = SV_CPUID_BASE; /* its MSR */
	e[4].eax = CPUID_XEN4_VCPU_ID | CPUID_XEN4_UPCALL_VECTOR;
	e[4].ebx = apic_id; /* the vCPU index: APIC ID = vCPU id here */
	return 5;
}

int cpuid_set_vcpu(const struct kvm_cpuid2 *base, int vcpu_fd, unsigned int apic_id, bool xen,
		   bool tsc_deadline)
{
	struct kvm_cpuid2 *c;
	struct kvm_cpuid_entry2 *e;
	unsigned int i, n = 0;
	uint32_t sig[3];
	int ret = 0;

	c = calloc(1, sizeof(*c) + (base->nent + 5) * sizeof(c->entries[0]));
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
			if (xen && tsc_deadline)
				e->ecx |= CPUID1_ECX_TSC_DEADLINE;
			break;
		case 0xb:
		case 0x1f:
			e->edx = apic_id;
			break;
		}
	}
	if (xen) {
		n += cpuid_add_xen(&c->entries[n], apic_id);
		goto set;
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
set:
	c->nent = n;

	if (ioctl(vcpu_fd, KVM_SET_CPUID2, c) < 0)
		ret = -errno;
	free(c);
	return ret;
}
