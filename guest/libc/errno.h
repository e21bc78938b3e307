/* SPDX-License-Identifier: MIT */
/*
 * The guest's <errno.h>: Linux errno values, which the kernel returns negated
 * (there is no errno variable). The standard name lets the frontend drivers
 * include the same header in the kernel and on the host.
 */
#ifndef GUEST_LIBC_ERRNO_H
#define GUEST_LIBC_ERRNO_H

#define EPERM	     1
#define ENOENT	     2
#define ESRCH	     3
#define EIO	     5
#define E2BIG	     7
#define EAGAIN	     11
#define ENOMEM	     12
#define EACCES	     13
#define EFAULT	     14
#define EBUSY	     16
#define EEXIST	     17
#define ENODEV	     19
#define EISDIR	     21
#define EINVAL	     22
#define ENOSPC	     28
#define EROFS	     30
#define ERANGE	     34
#define ENOSYS	     38
#define ENOTEMPTY    39
#define EPROTO	     71
#define EMSGSIZE     90
#define EOPNOTSUPP   95
#define EADDRINUSE   98
#define ENETUNREACH  101
#define EISCONN	     106
#define ENOTCONN     107
#define ETIMEDOUT    110
#define EHOSTUNREACH 113

#endif
