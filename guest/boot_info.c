// SPDX-License-Identifier: MIT
/* The start-info pointer lives here, not in kernel.c, so readers need not include kmain's unit. */
#include "boot_info.h"

const struct sv_start_info *start_info;
