/* SPDX-License-Identifier: MIT */
/*
 * What blkfront.c needs from its surroundings: memset/memcpy, a zeroing
 * allocator and errno values. The guest kernel (built with -DSV_GUEST) has
 * its own kstring, heap and kerrno; host builds (unit tests) use libc.
 */
#ifndef SV_BLKFRONT_ENV_H
#define SV_BLKFRONT_ENV_H

#include <stddef.h>

#ifdef SV_GUEST
#include "heap.h"
#include "kerrno.h"
#include "kstring.h"

static inline void *bf_zalloc(size_t n)
{
	return kzalloc(n);
}

static inline void bf_free(void *p)
{
	if (p)
		kfree(p);
}
#else
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static inline void *bf_zalloc(size_t n)
{
	return calloc(1, n);
}

static inline void bf_free(void *p)
{
	free(p);
}
#endif

/* Linux values, for the few the guest's kerrno.h does not define. */
#ifndef ENODEV
#define ENODEV 19
#endif
#ifndef EPROTO
#define EPROTO 71
#endif
#ifndef EOPNOTSUPP
#define EOPNOTSUPP 95
#endif
#ifndef E2BIG
#define E2BIG 7
#endif

#endif
