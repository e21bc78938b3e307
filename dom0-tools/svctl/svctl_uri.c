// SPDX-License-Identifier: MIT
/* svctl uri: the libvirt connection URI of this run directory, for virsh -c and libvirt.open(). */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "svctl.h"

const char svctl_uri_usage[] =
	"uri [--start]\n"
	"Prints the URI that libvirt's clients use to reach svdom0 in the current run\n"
	"directory, e.g.  virsh -c \"$(svctl uri --start)\" list --all\n"
	"  --start   start the daemons first if they are not running\n";

int svctl_cmd_uri(int argc, char **argv)
{
	char dir[256], abs[PATH_MAX];
	bool start = argc == 2 && !strcmp(argv[1], "--start");
	int fd;

	if (argc > 1 && !start)
		return svctl_usage_error("uri", "unknown argument '%s'", argv[1]);
	if (svctl_rundir(dir, sizeof(dir)))
		return 1;
	if (start) {
		fd = svctl_dom0_open("uri", dir, true);
		if (fd < 0)
			return SVCTL_EX_UNAVAILABLE;
		close(fd);
	}
	/* The socket is found by path: make it absolute when the directory exists. */
	if (realpath(dir, abs))
		snprintf(dir, sizeof(dir), "%.255s", abs);
	printf("splitvisor+unix:///system?socket=%s/libvirt-sock\n", dir);
	return 0;
}
