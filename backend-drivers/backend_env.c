// SPDX-License-Identifier: MIT
/*
 * Helpers every backend needs on top of the environment's xenstore calls:
 * keys named relative to a device directory, and values a frontend wrote
 * (guest input) parsed strictly before use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <splitvisor/driver_domain.h>
#include <splitvisor/xs_wire.h>

#include "backend_env.h"

static int backend_key_path(char *path, size_t cap, const char *dir, const char *key)
{
	int n = snprintf(path, cap, "%s/%s", dir, key);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int backend_xs_printf(struct backend_env *env, const char *dir, const char *key, const char *fmt,
		      ...)
{
	char path[XS_ABS_PATH_MAX], val[XS_PAYLOAD_MAX + 1];
	va_list ap;
	int n, ret;

	ret = backend_key_path(path, sizeof(path), dir, key);
	if (ret)
		return ret;
	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(val))
		return -E2BIG;
	return env->ops->xs_write(env, path, val);
}

int backend_xs_read(struct backend_env *env, const char *dir, const char *key, char *out,
		    size_t cap)
{
	char path[XS_ABS_PATH_MAX];
	int ret;

	ret = backend_key_path(path, sizeof(path), dir, key);
	if (ret)
		return ret;
	return env->ops->xs_read(env, path, out, cap);
}

int backend_xs_read_u32(struct backend_env *env, const char *dir, const char *key, uint32_t max,
			uint32_t *val)
{
	unsigned long long v;
	char buf[32], *end;
	int ret;

	ret = backend_xs_read(env, dir, key, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	if (!buf[0] || buf[0] < '0' || buf[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || *end)
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*val = (uint32_t)v;
	return 0;
}

int backend_faults_apply(struct backend_faults *f, uint32_t fault, uint32_t arg, char *err,
			 size_t errlen)
{
	switch (fault) {
	case SV_DD_FAULT_CLEAR:
		__atomic_store_n(&f->slow_ms, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&f->drop_notify, 0, __ATOMIC_RELAXED);
		return 0;
	case SV_DD_FAULT_SLOW:
		if (arg > BACKEND_SLOW_MAX_MS) {
			snprintf(err, errlen, "inject slow: %u ms is more than %u", arg,
				 BACKEND_SLOW_MAX_MS);
			return -ERANGE;
		}
		__atomic_store_n(&f->slow_ms, arg, __ATOMIC_RELAXED);
		return 0;
	case SV_DD_FAULT_CORRUPT_RING:
		/* Each ring corrupts one response per change of the generation. */
		__atomic_add_fetch(&f->corrupt_ring, 1, __ATOMIC_RELAXED);
		return 0;
	case SV_DD_FAULT_DROP_NOTIFY:
		__atomic_store_n(&f->drop_notify, 1, __ATOMIC_RELAXED);
		return 0;
	default:
		snprintf(err, errlen, "inject: %u is not a fault", fault);
		return -EINVAL;
	}
}
