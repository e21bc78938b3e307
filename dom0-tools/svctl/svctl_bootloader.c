// SPDX-License-Identifier: MIT
/*
 * svctl bootloader: what <bootloader> would boot from a disk image, extracted the way
 * svdom0 does it (in a limited child process), for checking an image by hand and for tests.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootloader.h"
#include "svctl.h"

const char svctl_bootloader_usage[] =
	"bootloader [--out DIR] [--format raw|qcow2] [--in-process] DISK [BOOTLOADER_ARGS]\n"
	"\n"
	"Finds the kernel, initrd and command line that DISK's GRUB configuration names,\n"
	"as <bootloader>pygrub</bootloader> does when a domain starts, and copies them to\n"
	"DIR (default: a new directory in $TMPDIR or /tmp). BOOTLOADER_ARGS takes pygrub's\n"
	"--entry=N|TITLE, --kernel=PATH, --ramdisk=PATH and --args=ARGS, as one word.\n"
	"--format is the disk's <driver type> (default raw): a qcow2 image is read through\n"
	"QEMU's storage daemon, as blkback serves it.\n"
	"--in-process reads in svctl itself, not in a limited child (for debuggers and\n"
	"sanitizers).\n";

int svctl_cmd_bootloader(int argc, char **argv)
{
	const char *out = NULL, *format = NULL, *tmp = getenv("TMPDIR");
	char dir[BL_PATH_MAX], err[1024];
	struct boot_choice choice;
	bool in_process = false;
	int i = 1, ret;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: svctl %s", svctl_bootloader_usage);
		return 0;
	}
	for (; argc > i; i++) {
		if (argc > i + 1 && !strcmp(argv[i], "--out"))
			out = argv[++i];
		else if (argc > i + 1 && !strcmp(argv[i], "--format"))
			format = argv[++i];
		else if (!strcmp(argv[i], "--in-process"))
			in_process = true;
		else
			break;
	}
	if (argc - i < 1 || argc - i > 2 || argv[i][0] == '-')
		return svctl_usage_error(argv[0], "expected [--out DIR] [--format FMT] "
						  "[--in-process] DISK [BOOTLOADER_ARGS]");
	if (!out) {
		snprintf(dir, sizeof(dir), "%s/svctl-bootloader-XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			perror("svctl bootloader: mkdtemp");
			return SVCTL_EX_SOFTWARE;
		}
		out = dir;
	}
	if (in_process)
		ret = bootloader_extract(argv[i], format, argc - i == 2 ? argv[i + 1] : NULL, out,
					 &choice, err, sizeof(err));
	else
		ret = bootloader_run(argv[i], format, argc - i == 2 ? argv[i + 1] : NULL, out, 120,
				     &choice, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "svctl bootloader: %s\n", err);
		return SVCTL_EX_DATAERR;
	}
	printf("source: %s\ntitle: %s\nkernel: %s\ninitrd: %s\ncmdline: %s\n", choice.source,
	       choice.title, choice.kernel, choice.initrd, choice.cmdline);
	return 0;
}
