/* SPDX-License-Identifier: MIT */
/*
 * How a domain ended: the core reports it (sv_domain_exit, and the
 * exit_reason of the control socket's domain info), the control domain and
 * svctl print it. Numbers are part of the control-socket ABI.
 */
#ifndef SPLITVISOR_EXIT_H
#define SPLITVISOR_EXIT_H

#include <stdint.h>

enum sv_exit_reason {
	SV_EXIT_POWEROFF,
	SV_EXIT_REBOOT,
	SV_EXIT_CRASH,	   /* the guest said so (shutdown crash) */
	SV_EXIT_FAULT,	   /* the core stopped it: triple fault, unhandled exit */
	SV_EXIT_DESTROYED, /* destroyed from outside */
};

/* The reason's name as every program prints it ("poweroff"); "unknown" out of range. */
static inline const char *sv_exit_reason_str(uint32_t reason)
{
	static const char *const names[] = { "poweroff", "reboot", "crash", "fault", "destroyed" };

	return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "unknown";
}

#endif
