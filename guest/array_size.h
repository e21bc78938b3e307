/* SPDX-License-Identifier: MIT */
/*
 * ARRAY_SIZE on its own, so that any file can count a table's entries
 * without pulling in a header that drags kernel state along with it.
 */
#ifndef GUEST_ARRAY_SIZE_H
#define GUEST_ARRAY_SIZE_H

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
