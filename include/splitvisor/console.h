/* SPDX-License-Identifier: MIT */
/*
 * The PV console ring page (SV_CONSOLE_RING_GPA), Xen's layout written from
 * the published facts: two byte-stream rings (splitvisor/byte_ring.h) with
 * free-running u32 indices. The guest produces `out` and consumes `in`; the
 * console backend in the control domain the other way round. Both sides send
 * on start_info.console_evtchn after moving bytes.
 */
#ifndef SPLITVISOR_CONSOLE_H
#define SPLITVISOR_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#define SV_CONSOLE_IN_SIZE  1024u
#define SV_CONSOLE_OUT_SIZE 2048u

struct sv_console_ring {
	char in[SV_CONSOLE_IN_SIZE];   /* backend -> guest (keyboard) */
	char out[SV_CONSOLE_OUT_SIZE]; /* guest -> backend (output) */
	uint32_t in_cons, in_prod;
	uint32_t out_cons, out_prod;
};

_Static_assert(offsetof(struct sv_console_ring, out) == 1024, "console ring out offset");
_Static_assert(offsetof(struct sv_console_ring, in_cons) == 3072, "console ring in_cons offset");
_Static_assert(offsetof(struct sv_console_ring, out_prod) == 3084, "console ring out_prod");
_Static_assert(sizeof(struct sv_console_ring) <= 4096, "console ring fits its page");

#endif
