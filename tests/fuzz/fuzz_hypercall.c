// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the core's hypercall dispatcher (argument decoding, event-channel
 * and grant-table operations) against a fake guest memory, with a second domain
 * that offers ports, as a guest's vCPU would call it. Input: a sequence of steps,
 * each a guest memory write, a hypercall or an action of the peer domain.
 * Invariants: results are a value or an errno; the domain's callbacks see only
 * validated arguments; the guest's RAM is the only memory touched (ASan).
 */
#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <splitvisor/start_info.h>

#include "evtchn.h"
#include "fuzz.h"
#include "hypercall.h"

#define FUZZ_RAM_SIZE (1u << 20)
#define FUZZ_VCPUS    4u
#define FUZZ_DOMID    1u
#define FUZZ_PEER     2u
#define FUZZ_STEPS    64u

enum fuzz_step {
	STEP_POKE,	/* write bytes into guest RAM */
	STEP_HYPERCALL, /* a hypercall of the fuzzed domain */
	STEP_PEER,	/* the peer offers, sends on or closes a port */
	STEP_NR,
};

static struct guest_mem mem, peer_mem;

static void fz_console(void *ctx, const char *buf, size_t len)
{
	(void)ctx;
	FZ_CHECK(len <= SV_CONSOLE_IO_MAX);
	/* Touch every byte so that ASan sees the whole buffer. */
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

static int fz_timer(void *ctx, uint64_t deadline)
{
	(void)ctx;
	(void)deadline;
	return 0;
}

static int fz_block(void *ctx)
{
	(void)ctx;
	return 0;
}

static int fz_vcpu_up(void *ctx, unsigned int vcpu, const struct sv_vcpu_context *c)
{
	(void)ctx;
	(void)c;
	FZ_CHECK(vcpu < FUZZ_VCPUS);
	return 0;
}

static const struct hcall_ops fz_hcall_ops = {
	.console_write = fz_console,
	.shutdown = fz_shutdown,
	.set_timer = fz_timer,
	.block = fz_block,
	.vcpu_up = fz_vcpu_up,
};

static void fz_kick(void *ctx, unsigned int vcpu)
{
	(void)ctx;
	FZ_CHECK(vcpu < FUZZ_VCPUS);
}

static int fz_attach(void *ctx, uint32_t port, unsigned int vcpu, int fds[2])
{
	(void)ctx;
	(void)port;
	FZ_CHECK(vcpu < FUZZ_VCPUS);
	fds[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fds[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fds[0] < 0 || fds[1] < 0)
		abort();
	return 0;
}

static void fz_detach(void *ctx, uint32_t port, unsigned int vcpu, const int fds[2])
{
	(void)ctx;
	(void)port;
	(void)vcpu;
	close(fds[0]);
	close(fds[1]);
}

static const struct evtchn_ops fz_evtchn_ops = { fz_kick, fz_attach, fz_detach };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (guest_mem_create(&mem, "fuzz-hc", FUZZ_RAM_SIZE) ||
	    guest_mem_create(&peer_mem, "fuzz-hc-peer", FUZZ_RAM_SIZE))
		abort();
	return 0;
}

/* An argument: small values (offsets into RAM, ports, commands) or any 64 bits. */
static uint64_t fz_arg(struct fz_in *in)
{
	uint8_t mode = fz_u8(in);

	if (mode & 1)
		return fz_u64(in);
	return fz_u32(in) % (FUZZ_RAM_SIZE + 64);
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
		ret = evtchn_send(peer, port);
		FZ_CHECK(ret <= 0);
		break;
	default:
		ret = evtchn_close(peer, port);
		FZ_CHECK(ret <= 0);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	struct evtchn *e = NULL, *peer = NULL;
	struct gnttab gt = { 0 };
	struct hcall_env env;
	unsigned int step;

	memset(mem.hva, 0, mem.end);
	memset(peer_mem.hva, 0, peer_mem.end);
	if (evtchn_create(FUZZ_DOMID, FUZZ_VCPUS, guest_ptr(&mem, SV_SHARED_INFO_GPA, 4096),
			  &fz_evtchn_ops, NULL, &e) ||
	    evtchn_create(FUZZ_PEER, 1, guest_ptr(&peer_mem, SV_SHARED_INFO_GPA, 4096),
			  &fz_evtchn_ops, NULL, &peer))
		abort();
	env = (struct hcall_env){ .mem = &mem,
				  .nr_vcpus = FUZZ_VCPUS,
				  .ops = &fz_hcall_ops,
				  .evtchn = e,
				  .gnttab = &gt };

	for (step = 0; step < FUZZ_STEPS && in.left; step++) {
		switch (fz_u8(&in) % STEP_NR) {
		case STEP_POKE: {
			uint32_t off = fz_u32(&in) % FUZZ_RAM_SIZE;
			const uint8_t *p;
			size_t n = fz_chunk(&in, &p, FUZZ_RAM_SIZE - off);

			memcpy(mem.hva + off, p, n);
			break;
		}
		case STEP_HYPERCALL: {
			uint64_t nr = fz_u8(&in), arg[5];
			int64_t ret;

			for (unsigned int i = 0; i < 5; i++)
				arg[i] = fz_arg(&in);
			ret = hcall_dispatch(&env, nr, arg);
			/* A result, or an errno the guest can read. */
			FZ_CHECK(ret >= -4095);
			break;
		}
		default:
			fz_peer_step(&in, peer);
			break;
		}
	}
	evtchn_destroy(peer);
	evtchn_destroy(e);
	return 0;
}
