// SPDX-License-Identifier: MIT
/*
 * <bootloader>pygrub</bootloader>: before a domain boots (and again at each restart, as Xen
 * runs pygrub again), the kernel, initrd and command line come out of its first disk into
 * <run dir>/boot/<name>/, where they stay until the domain ends. The reading happens in a
 * child process with limits (bootloader_run); svdom0 waits for it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bootloader.h"
#include "log.h"
#include "sv_xml.h"
#include "svdom0.h"
#include "ts_bootloader.h"

/* Far above the few seconds a real image takes; the child is killed past it. */
#define TS_BOOTLOADER_TIMEOUT_S 120u

static int boot_dir(struct dom0 *d0, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/boot/%s", d0->rundir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int tsx_bootloader(struct dom0 *d0, const struct sv_domain_config *cfg, struct boot_choice *boot,
		   char *err, size_t errlen)
{
	const struct sv_disk_config *disk = NULL;
	char dir[BL_PATH_MAX];
	size_t i;
	int ret;

	for (i = 0; i < cfg->ndisks && !disk; i++) {
		if (cfg->disks[i].device == SV_DISK_DEVICE_DISK)
			disk = &cfg->disks[i];
	}
	if (!disk || !disk->source) {
		snprintf(err, errlen,
			 "domain %s: <bootloader> reads the kernel from the first <disk "
			 "device='disk'>, and the domain has none",
			 cfg->name);
		return -ENOENT;
	}
	if (boot_dir(d0, cfg->name, dir, sizeof(dir))) {
		snprintf(err, errlen, "domain %s: the run directory's path is too long", cfg->name);
		return -ENAMETOOLONG;
	}
	/* qcow2: read through QEMU's storage daemon, as blkback will serve it. */
	ret = bootloader_run(disk->source,
			     disk->format == SV_DISK_FORMAT_RAW ? NULL : disk->driver_type,
			     cfg->bootloader_args, dir, TS_BOOTLOADER_TIMEOUT_S, boot, err, errlen);
	if (ret) {
		/* The reader's sentence names the disk; say which domain wanted it. */
		char why[768];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "domain %s: bootloader: %s", cfg->name, why);
		return ret;
	}
	log_info("domain %s: bootloader chose '%s' from %s: kernel %s, command line '%s'%s%s",
		 cfg->name, boot->title, boot->source, boot->kernel, boot->cmdline,
		 boot->initrd[0] ? "; initrd " : "", boot->initrd);
	return 0;
}

void tsx_bootloader_clean(struct dom0 *d0, const char *name)
{
	char dir[BL_PATH_MAX];

	if (!boot_dir(d0, name, dir, sizeof(dir)))
		bootloader_clean(dir);
}
