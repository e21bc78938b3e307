// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the Xen-ABI dispatcher (xen_hcall.c) with guest-virtual
 * pointers, as a Linux PVH guest's vCPU would call it, over the page tables of
 * hypervisor/tests/pt_fixture.h in a fake guest RAM. Input: a sequence of
 * steps, each a write into guest RAM (page tables included, so the walk meets
 * whatever entries the input makes), a hypercall, a change of the paging
 * registers, or an action of a peer domain. Invariants: results are a value or
 * an errno; callbacks see only validated arguments; event delivery after
 * add_to_physmap and register_vcpu_info stays inside RAM (ASan, and the
 * mapping's bounds).
 */
#include <errno.h>

#include <splitvisor/event_channel.h>
#include <splitvisor/hypercall.h>
#include <splitvisor/xen_abi.h>

#include "evtchn.h"
#include "fuzz.h"
#include "tests/pt_fixture.h"
#include "xen_hcall.h"

#define FUZZ_VCPUS 4u
#define FUZZ_DOMID 1u
#define FUZZ_PEER  2u
#define FUZZ_STEPS 64u

enum fuzz_step {
	STEP_POKE,
	STEP_HYPERCALL,
	STEP_PAGING,
	STEP_PEER,
	STEP_NR,
};

static struct guest_mem mem;
static struct gva_paging pg;
static uint8_t shinfo_page[4096] __attribute__((aligned(4096)));
static uint8_t peer_page[4096] __attribute__((aligned(4096)));

static void fz_console(void *ctx, const char *buf, size_t len)
{
	(void)ctx;
	FZ_CHECK(len <= SV_CONSOLE_IO_MAX);
	for (size_t i = 0; i < len; i++)
		FZ_CHECK(buf[i] == buf[i]);
}

static void fz_shutdown(void *ctx, unsigned int reason, int code)
{
	(void)ctx;
	(void)code;
	FZ_CHECK(reason == SV_SHUTDOWN_poweroff || reason == SV_SHUTDOWN_reboot ||
		 reason == SV_SHUTDOWN_crash);
}

static int fz_vector(void *ctx, unsigned int vcpu, uint8_t vector)
{
	(void)ctx;
	FZ_CHECK(vcpu < FUZZ_VCPUS && vector >= 0x10);
	return 0;
}

static int fz_paging(void *ctx, struct gva_paging *p)
{
	(void)ctx;
	*p = pg;
	return 0;
}

static int fz_map_grant(void *ctx, uint64_t idx, uint64_t gpfn)
{
	(void)ctx;
	(void)idx;
	(void)gpfn;
	return -EINVAL;
}

static const struct xen_hcall_ops fz_ops = {
	.console_write = fz_console,
	.shutdown = fz_shutdown,
	.set_upcall_vector = fz_vector,
	.get_paging = fz_paging,
	.map_grant_frame = fz_map_grant,
};

static void fz_kick(void *ctx, unsigned int vcpu)
{
	(void)ctx;
	FZ_CHECK(vcpu < FUZZ_VCPUS);
}

static const struct evtchn_ops fz_evtchn_ops = { .kick = fz_kick };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (guest_mem_create(&mem, "fuzz-xen", PT_RAM_SIZE))
		abort();
	return 0;
}

/* The hypercall numbers that exist, mostly; sometimes any. */
static uint64_t fz_nr(struct fz_in *in)
{
	static const uint8_t nrs[] = { XEN_HC_memory_op,	XEN_HC_xen_version,
				       XEN_HC_console_io,	XEN_HC_grant_table_op,
				       XEN_HC_vcpu_op,		XEN_HC_sched_op,
				       XEN_HC_event_channel_op, XEN_HC_hvm_op };
	uint8_t b = fz_u8(in);

	return b < 224 ? nrs[b % sizeof(nrs)] : fz_u64(in);
}

/* Pointers into the mapped range, small values, or any 64 bits. */
static uint64_t fz_arg(struct fz_in *in)
{
	uint8_t mode = fz_u8(in) % 4;

	if (mode == 0)
		return PT_VA_A + fz_u16(in) % 0x5000;
	if (mode == 1)
		return fz_u16(in);
	if (mode == 2)
		return fz_u32(in) % PT_RAM_SIZE;
	return fz_u64(in);
}

static void fz_peer_step(struct fz_in *in, struct evtchn *peer)
{
	uint32_t port = fz_u16(in);
	int ret;

	switch (fz_u8(in) % 3) {
	case 0:
		ret = evtchn_alloc_unbound(peer, FUZZ_DOMID, &port);
		FZ_CHECK(ret == 0 || ret == -ENOSPC);
		break;
	case 1:
		FZ_CHECK(evtchn_send(peer, port) <= 0);
		break;
	default:
		FZ_CHECK(evtchn_close(peer, port) <= 0);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	struct evtchn *e = NULL, *peer = NULL;
	struct gnttab gt = { 0 };
	struct xen_env env;
	unsigned int step;

	memset(mem.hva, 0, mem.end);
	memset(shinfo_page, 0, sizeof(shinfo_page));
	memset(peer_page, 0, sizeof(peer_page));
	pt_build(&mem, &pg);
	if (evtchn_create(FUZZ_DOMID, FUZZ_VCPUS, (struct sv_shared_info *)shinfo_page,
			  &fz_evtchn_ops, NULL, &e) ||
	    evtchn_create(FUZZ_PEER, 1, (struct sv_shared_info *)peer_page, &fz_evtchn_ops, NULL,
			  &peer))
		abort();
	evtchn_set_xen_hvm(e, true);

	for (step = 0; step < FUZZ_STEPS && in.left; step++) {
		switch (fz_u8(&in) % STEP_NR) {
		case STEP_POKE: {
			uint32_t off = fz_u32(&in) % PT_RAM_SIZE;
			const uint8_t *p;
			size_t n = fz_chunk(&in, &p, PT_RAM_SIZE - off);

			memcpy(mem.hva + off, p, n);
			break;
		}
		case STEP_HYPERCALL: {
			uint64_t nr = fz_nr(&in), arg[5];
			int64_t ret;

			for (unsigned int i = 0; i < 5; i++)
				arg[i] = fz_arg(&in);
			env = (struct xen_env){ .mem = &mem,
						.evtchn = e,
						.gnttab = &gt,
						.domid = FUZZ_DOMID,
						.nr_vcpus = FUZZ_VCPUS,
						.ops = &fz_ops };
			ret = xen_hcall_dispatch(&env, nr, arg);
			FZ_CHECK(ret >= -4095);
			break;
		}
		case STEP_PAGING:
			pg.cr0 ^= (uint64_t)(fz_u8(&in) & 1) << 31;
			pg.cr3 = fz_u8(&in) & 1 ? fz_u64(&in) : PT_PML4;
			pg.cr4 ^= (uint64_t)(fz_u8(&in) & 1) << 12;
			pg.efer ^= (uint64_t)(fz_u8(&in) & 1) << 10;
			break;
		default:
			fz_peer_step(&in, peer);
			break;
		}
	}
	evtchn_destroy(peer);
	evtchn_destroy(e);
	return 0;
}
