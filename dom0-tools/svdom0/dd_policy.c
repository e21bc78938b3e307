// SPDX-License-Identifier: MIT
/* The driver domains' pure decisions (dd_policy.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <splitvisor/driver_domain.h>

#include "dd_policy.h"

bool dd_throttle_allow(struct dd_throttle *t, uint64_t now_ns)
{
	unsigned int i;

	/* Forget what left the window. */
	while (t->n && now_ns - t->at[0] >= DD_RESTART_WINDOW_NS) {
		for (i = 1; i < t->n; i++)
			t->at[i - 1] = t->at[i];
		t->n--;
	}
	if (t->n == DD_RESTART_MAX)
		return false;
	t->at[t->n++] = now_ns;
	return true;
}

int dd_disk_open_flags(bool readonly, const char *cache)
{
	int flags = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;

	if (!cache || !strcmp(cache, "default") || !strcmp(cache, "writeback") ||
	    !strcmp(cache, "unsafe"))
		return flags;
	if (!strcmp(cache, "none"))
		return flags | O_DIRECT;
	if (!strcmp(cache, "writethrough"))
		return flags | O_DSYNC;
	if (!strcmp(cache, "directsync"))
		return flags | O_DIRECT | O_DSYNC;
	return -EINVAL;
}

int dd_fault_parse(const char *name)
{
	if (!strcmp(name, "clear"))
		return SV_DD_FAULT_CLEAR;
	if (!strcmp(name, "slow"))
		return SV_DD_FAULT_SLOW;
	if (!strcmp(name, "corrupt-ring"))
		return SV_DD_FAULT_CORRUPT_RING;
	if (!strcmp(name, "drop-notify"))
		return SV_DD_FAULT_DROP_NOTIFY;
	return -EINVAL;
}
