/* SPDX-License-Identifier: MIT */
/*
 * The console backend: a guest's PV console ring page (SV_CONSOLE_RING_GPA)
 * drained to the host's output function whenever the guest kicks its console
 * port, and keyboard input written into its in ring. The guest owns the page:
 * indices are read once per pass and checked, and a ring that goes bad is
 * left alone until the domain ends.
 */
#ifndef SV_CONSOLE_BACK_H
#define SV_CONSOLE_BACK_H

#include <stddef.h>
#include <stdint.h>

#include "backend_env.h"

struct console_back;

/* Bytes the guest printed (or our note that its ring broke), in order. */
typedef void console_back_output_fn(void *arg, const char *buf, size_t len);

/*
 * Binds domid's console port and serves its ring on env's loop. -ENOENT when
 * the domain has no console port (it prints through the core only).
 */
int console_back_open(struct backend_env *env, uint32_t domid, console_back_output_fn *output,
		      void *arg, struct console_back **out, char *err, size_t errlen);
/*
 * Takes what the guest's ring holds now: before bytes the core passes on (the
 * guest's console_io fallback, its crash path), which the guest wrote later.
 */
void console_back_drain(struct console_back *cb);
/*
 * Keyboard bytes for the guest, all or nothing: -EAGAIN while the guest has
 * not read earlier input, -ENOTCONN when its ring broke.
 */
int console_back_input(struct console_back *cb, const void *buf, size_t len);
/* Drains what the guest wrote last, unbinds and frees. */
void console_back_close(struct console_back *cb);

#endif
