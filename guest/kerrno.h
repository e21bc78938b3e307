/* SPDX-License-Identifier: MIT */
/* Linux errno values; the kernel returns them negated. */
#ifndef GUEST_KERRNO_H
#define GUEST_KERRNO_H

#define EPERM	  1
#define ENOENT	  2
#define ESRCH	  3
#define ENOMEM	  12
#define EFAULT	  14
#define EBUSY	  16
#define EEXIST	  17
#define EINVAL	  22
#define ENOSPC	  28
#define ERANGE	  34
#define ENOSYS	  38
#define ENOTCONN  107
#define ETIMEDOUT 110

#endif
