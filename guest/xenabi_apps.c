// SPDX-License-Identifier: MIT
/*
 * xenabi: the Xen-ABI gate (SV_XEN_HYPERCALL_PORT) as a hostile Linux guest
 * would use it: pointers are guest-virtual, so the app maps pages of its own
 * at 512 GiB (one page, a hole, then two pages whose frames are swapped) and
 * aims hypercalls at page-crossing buffers, at the hole, at non-canonical and
 * at mapped-but-not-RAM addresses, with bad lengths and bad ops, and checks
 * each Xen errno. A valid page-crossing buffer must work. Ends with an
 * ordinary hypercall to show the core is still there. Prints
 * "xenabi: PASS" (exit 0) or the first failure (exit 1).
 */
#include <string.h>

#include <splitvisor/event_channel.h>
#include <splitvisor/xen_abi.h>

#include "apps.h"
#include "arch.h"
#include "boot_info.h"
#include "console.h"
#include "hypercall.h"
#include "page_alloc.h"

#define XA_BASE	 (1ull << 39) /* PML4 slot 1: nothing of the boot map is there */
#define XA_HOLE	 (XA_BASE + 0x1000)
#define XA_PAIR	 (XA_BASE + 0x2000)
#define PTE_PW	 3ull
#define NONCANON 0x8000000000000000ull
#define NOT_RAM	 0xc0000000ull /* mapped by the boot tables, far above our RAM */

static long xen_hc(uint32_t nr, uint64_t a1, uint64_t a2, uint64_t a3)
{
	uint64_t rax = nr;

	asm volatile("outl %%eax, %[port]"
		     : "+a"(rax)
		     : [port] "i"(SV_XEN_HYPERCALL_PORT), "D"(a1), "S"(a2), "d"(a3)
		     : "memory");
	return (long)rax;
}

static int failures;

static void expect(const char *what, long got, long want)
{
	if (got == want)
		return;
	printk("xenabi: FAIL %s: got %ld, want %ld\n", what, got, want);
	failures++;
}

/* The frames behind XA_PAIR's two pages: second page first, so they are not adjacent. */
static uint8_t *pair_lo, *pair_hi;
static uint64_t *page_table;

static int map_test_pages(void)
{
	uint64_t *pml4 = (uint64_t *)(uintptr_t)(read_cr3() & ~0xfffull);
	uint64_t *pdpt = alloc_pages(1), *pd = alloc_pages(1);
	uint8_t *frames = alloc_pages(4);

	page_table = alloc_pages(1);
	if (!pdpt || !pd || !page_table || !frames || pml4[1])
		return -1;
	memset(pdpt, 0, 4096);
	memset(pd, 0, 4096);
	memset(page_table, 0, 4096);
	pair_lo = frames + 0x3000;
	pair_hi = frames + 0x1000;
	page_table[0] = (uint64_t)(uintptr_t)frames | PTE_PW;
	/* page_table[1]: the hole */
	page_table[2] = (uint64_t)(uintptr_t)pair_lo | PTE_PW;
	page_table[3] = (uint64_t)(uintptr_t)pair_hi | PTE_PW;
	pd[0] = (uint64_t)(uintptr_t)page_table | PTE_PW;
	pdpt[0] = (uint64_t)(uintptr_t)pd | PTE_PW;
	__atomic_store_n(&pml4[1], (uint64_t)(uintptr_t)pdpt | PTE_PW, __ATOMIC_SEQ_CST);
	return 0;
}

static void test_pointers(void)
{
	char extra[XEN_EXTRAVERSION_LEN];
	struct evtchn_bind_virq bv;

	/* A valid buffer across two pages that are apart in RAM. */
	memset(pair_lo, 0, 4096);
	memset(pair_hi, 0, 4096);
	expect("extraversion across pages",
	       xen_hc(XEN_HC_xen_version, XENVER_extraversion, XA_PAIR + 0xff8, 0), 0);
	memcpy(extra, pair_lo + 0xff8, 8);
	memcpy(extra + 8, pair_hi, 8);
	if (memcmp(extra, "-splitvisor", 12)) {
		printk("xenabi: FAIL extraversion across pages: wrong bytes\n");
		failures++;
	}
	expect("extraversion into the hole",
	       xen_hc(XEN_HC_xen_version, XENVER_extraversion, XA_HOLE, 0), -XEN_EFAULT);
	expect("extraversion running into the hole",
	       xen_hc(XEN_HC_xen_version, XENVER_extraversion, XA_BASE + 0xff8, 0), -XEN_EFAULT);
	expect("extraversion non-canonical",
	       xen_hc(XEN_HC_xen_version, XENVER_extraversion, NONCANON, 0), -XEN_EFAULT);
	expect("extraversion above RAM",
	       xen_hc(XEN_HC_xen_version, XENVER_extraversion, NOT_RAM, 0), -XEN_EFAULT);
	expect("extraversion past 4 GiB (unmapped)",
	       xen_hc(XEN_HC_xen_version, XENVER_extraversion, 1ull << 32, 0), -XEN_EFAULT);
	expect("features across the hole",
	       xen_hc(XEN_HC_xen_version, XENVER_get_features, XA_BASE + 0xffc, 0), -XEN_EFAULT);
	expect("console write across the hole",
	       xen_hc(XEN_HC_console_io, XEN_CONSOLEIO_write, 64, XA_BASE + 0xfe0), -XEN_EFAULT);
	expect("bind_virq from the hole",
	       xen_hc(XEN_HC_event_channel_op, EVTCHNOP_bind_virq, XA_HOLE + 8, 0), -XEN_EFAULT);
	expect("add_to_physmap non-canonical",
	       xen_hc(XEN_HC_memory_op, XENMEM_add_to_physmap, NONCANON | 0x1000, 0), -XEN_EFAULT);
	expect("shutdown reason unmapped",
	       xen_hc(XEN_HC_sched_op, XEN_SCHEDOP_shutdown, XA_HOLE, 0), -XEN_EFAULT);
	/* In, and out again, through the pair: a VIRQ bound from a page-crossing struct. */
	memset(&bv, 0, sizeof(bv));
	bv.virq = SV_VIRQ_DEBUG;
	memcpy(pair_lo + 0xffc, &bv, 4);
	memcpy(pair_hi, (uint8_t *)&bv + 4, sizeof(bv) - 4);
	expect("bind_virq across pages",
	       xen_hc(XEN_HC_event_channel_op, EVTCHNOP_bind_virq, XA_PAIR + 0xffc, 0), 0);
	memcpy(&bv.port, pair_hi + 4, 4);
	expect("bind_virq port written back", bv.port != 0, 1);
	expect("close the virq port",
	       xen_hc(XEN_HC_event_channel_op, EVTCHNOP_close, (uint64_t)(uintptr_t)&bv.port, 0),
	       0);
}

static void test_lengths_and_ops(void)
{
	struct xen_vcpu_register_vcpu_info vi = { .mfn = 0x100, .offset = 4096 - 32 };
	struct xen_hvm_evtchn_upcall_vector uv = { .vcpu = 0, .vector = 5 };
	struct xen_hvm_param hp = { .domid = XEN_DOMID_SELF, .index = HVM_PARAM_STORE_EVTCHN };
	struct xen_add_to_physmap xatp = { .domid = XEN_DOMID_SELF };
	struct xen_evtchn_bind_ipi ip = { .vcpu = 0 };
	struct xen_evtchn_status st = { .dom = XEN_DOMID_SELF };
	uint32_t port;
	long v;

	v = xen_hc(XEN_HC_xen_version, XENVER_version, 0, 0);
	expect("version major >= 4", v >> 16 >= 4, 1);
	expect("console write too long",
	       xen_hc(XEN_HC_console_io, XEN_CONSOLEIO_write, 4097, (uint64_t)(uintptr_t)&v),
	       -XEN_EINVAL);
	expect("console write of 2^63",
	       xen_hc(XEN_HC_console_io, XEN_CONSOLEIO_write, 1ull << 63, (uint64_t)(uintptr_t)&v),
	       -XEN_EINVAL);
	expect("platform_op", xen_hc(7, 0, 0, 0), -XEN_ENOSYS);
	expect("hypercall 0", xen_hc(0, 0, 0, 0), -XEN_ENOSYS);
	expect("XENMEM_memory_map", xen_hc(XEN_HC_memory_op, 9, 0, 0), -XEN_ENOSYS);
	expect("XENVER_compile_info", xen_hc(XEN_HC_xen_version, 2, 0, 0), -XEN_ENOSYS);
	expect("EVTCHNOP_init_control", xen_hc(XEN_HC_event_channel_op, 11, 0, 0), -XEN_ENOSYS);
	expect("register_vcpu_info across a page",
	       xen_hc(XEN_HC_vcpu_op, VCPUOP_register_vcpu_info, 0, (uint64_t)(uintptr_t)&vi),
	       -XEN_EINVAL);
	vi.offset = 0;
	expect("register_vcpu_info vcpu 99",
	       xen_hc(XEN_HC_vcpu_op, VCPUOP_register_vcpu_info, 99, (uint64_t)(uintptr_t)&vi),
	       -XEN_ENOENT);
	vi.mfn = start_info->mem_bytes >> 12;
	expect("register_vcpu_info beyond RAM",
	       xen_hc(XEN_HC_vcpu_op, VCPUOP_register_vcpu_info, 0, (uint64_t)(uintptr_t)&vi),
	       -XEN_EINVAL);
	expect("upcall vector 5",
	       xen_hc(XEN_HC_hvm_op, HVMOP_set_evtchn_upcall_vector, (uint64_t)(uintptr_t)&uv, 0),
	       -XEN_EINVAL);
	expect("get_param store evtchn",
	       xen_hc(XEN_HC_hvm_op, HVMOP_get_param, (uint64_t)(uintptr_t)&hp, 0), 0);
	expect("store evtchn as in start info", (long)hp.value, (long)start_info->store_evtchn);
	hp.index = 3;
	expect("get_param unknown index",
	       xen_hc(XEN_HC_hvm_op, HVMOP_get_param, (uint64_t)(uintptr_t)&hp, 0), -XEN_EINVAL);
	xatp.space = XENMAPSPACE_shared_info;
	xatp.gpfn = start_info->mem_bytes >> 12;
	expect("shared info beyond RAM",
	       xen_hc(XEN_HC_memory_op, XENMEM_add_to_physmap, (uint64_t)(uintptr_t)&xatp, 0),
	       -XEN_EINVAL);
	xatp.domid = (uint16_t)(start_info->domid + 1);
	xatp.gpfn = 0x100;
	expect("shared info of another domain",
	       xen_hc(XEN_HC_memory_op, XENMEM_add_to_physmap, (uint64_t)(uintptr_t)&xatp, 0),
	       -XEN_EPERM);
	xatp.domid = XEN_DOMID_SELF;
	xatp.space = XENMAPSPACE_grant_table;
	expect("grant frames (not served yet)",
	       xen_hc(XEN_HC_memory_op, XENMEM_add_to_physmap, (uint64_t)(uintptr_t)&xatp, 0),
	       -XEN_ENOSYS);
	expect("sched_op yield", xen_hc(XEN_HC_sched_op, XEN_SCHEDOP_yield, 0, 0), 0);
	/* An IPI port: made, seen as one, closed. */
	expect("bind_ipi",
	       xen_hc(XEN_HC_event_channel_op, XEN_EVTCHNOP_bind_ipi, (uint64_t)(uintptr_t)&ip, 0),
	       0);
	st.port = port = ip.port;
	expect("status of the ipi port",
	       xen_hc(XEN_HC_event_channel_op, EVTCHNOP_status, (uint64_t)(uintptr_t)&st, 0), 0);
	expect("status says ipi", st.status, XEN_EVTCHNSTAT_ipi);
	expect("close the ipi port",
	       xen_hc(XEN_HC_event_channel_op, EVTCHNOP_close, (uint64_t)(uintptr_t)&port, 0), 0);
	expect("close it again",
	       xen_hc(XEN_HC_event_channel_op, EVTCHNOP_close, (uint64_t)(uintptr_t)&port, 0),
	       -XEN_EINVAL);
}

int xenabi_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (map_test_pages()) {
		printk("xenabi: FAIL cannot map the test pages\n");
		return 1;
	}
	test_pointers();
	test_lengths_and_ops();
	/* The core answered all of that; our own gate must still work. */
	expect("our own gate afterwards", hc_xen_version(SV_VERSION_version), SV_ABI_VERSION);
	if (failures)
		return 1;
	printk("xenabi: PASS\n");
	return 0;
}
