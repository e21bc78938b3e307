/* SPDX-License-Identifier: MIT */
/* Linux errno values; the kernel returns them negated. */
#ifndef GUEST_KERRNO_H
#define GUEST_KERRNO_H

#define EPERM	  1
#define ENOENT	  2
#define ESRCH	  3
#define EIO	  5
#define E2BIG	  7
#define EAGAIN	  11
#define ENOMEM	  12
#define EACCES	  13
#define EFAULT	  14
#define EBUSY	  16
#define EEXIST	  17
#define EISDIR	  21
#define EINVAL	  22
#define ENOSPC	  28
#define EROFS	  30
#define ERANGE	  34
#define ENOSYS	  38
#define ENOTEMPTY 39
#define EISCONN	  106
#define ENOTCONN  107
#define ETIMEDOUT 110

#endif
