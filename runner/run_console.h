/* SPDX-License-Identifier: MIT */
/*
 * The console of a Linux PVH guest run in this process (svctl run): it writes the PV console
 * ring, not the console_io hypercall, so the runner serves the ring the way svdom0 does,
 * with the same backend (console_back.c) on a thread of its own, and hands the bytes to the
 * domain's console callback.
 */
#ifndef SV_RUN_CONSOLE_H
#define SV_RUN_CONSOLE_H

#include <stddef.h>

#include <splitvisor/core.h>

struct run_console;

/*
 * For a PVH domain d (before it starts): gives it a console port and serves its ring to fn
 * until run_console_close, which takes the last bytes the guest wrote. Any other domain, or
 * no fn, needs none: 0 with *out NULL (run_console_close takes NULL). 0 or -errno, err says
 * why.
 */
int run_console_open(struct sv_domain *d, sv_console_fn *fn, void *opaque, struct run_console **out,
		     char *err, size_t errlen);
void run_console_close(struct run_console *rc);

#endif
