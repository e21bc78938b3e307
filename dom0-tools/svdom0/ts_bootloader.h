/* SPDX-License-Identifier: MIT */
/* <bootloader>: a domain's kernel from its first disk (ts_bootloader.c). */
#ifndef SV_SVDOM0_TS_BOOTLOADER_H
#define SV_SVDOM0_TS_BOOTLOADER_H

#include <stddef.h>

struct dom0;
struct boot_choice;
struct sv_domain_config;

/* Extracts cfg's kernel, initrd and command line into <run dir>/boot/<name>/. */
int tsx_bootloader(struct dom0 *d0, const struct sv_domain_config *cfg, struct boot_choice *boot,
		   char *err, size_t errlen);
/* Removes what tsx_bootloader extracted for the domain name. */
void tsx_bootloader_clean(struct dom0 *d0, const char *name);

#endif
