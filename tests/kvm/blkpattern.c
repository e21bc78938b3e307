// SPDX-License-Identifier: MIT
/*
 * blkpattern fill|verify FILE SEED: writes or checks the blk_pattern.h pattern over a whole
 * image, so the host can check what a guest's `blktest fill SEED` wrote and prepare what
 * `blktest verify SEED` reads. verify exits 1 and names the first wrong sector.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blk_pattern.h"

#define CHUNK_SECTORS 2048u

int main(int argc, char **argv)
{
	static uint8_t buf[CHUNK_SECTORS * BLK_PATTERN_SECTOR];
	uint64_t seed, sectors, s, n, i;
	bool fill;
	struct stat st;
	char *end;
	int fd, bad;

	if (argc != 4 || (strcmp(argv[1], "fill") && strcmp(argv[1], "verify"))) {
		fprintf(stderr, "usage: blkpattern fill|verify FILE SEED\n");
		return 64;
	}
	fill = !strcmp(argv[1], "fill");
	errno = 0;
	seed = strtoull(argv[3], &end, 10);
	if (errno || !argv[3][0] || *end) {
		fprintf(stderr, "blkpattern: seed '%s' is not a number\n", argv[3]);
		return 64;
	}
	fd = open(argv[2], fill ? O_RDWR : O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "blkpattern: %s: %s\n", argv[2], strerror(errno));
		return 66;
	}
	sectors = (uint64_t)st.st_size / BLK_PATTERN_SECTOR;
	for (s = 0; s < sectors; s += n) {
		n = sectors - s < CHUNK_SECTORS ? sectors - s : CHUNK_SECTORS;
		if (fill) {
			for (i = 0; i < n; i++)
				blk_pattern_fill(buf + i * BLK_PATTERN_SECTOR, seed, s + i);
			if (pwrite(fd, buf, n * BLK_PATTERN_SECTOR,
				   (off_t)(s * BLK_PATTERN_SECTOR)) !=
			    (ssize_t)(n * BLK_PATTERN_SECTOR))
				goto io_error;
			continue;
		}
		if (pread(fd, buf, n * BLK_PATTERN_SECTOR, (off_t)(s * BLK_PATTERN_SECTOR)) !=
		    (ssize_t)(n * BLK_PATTERN_SECTOR))
			goto io_error;
		for (i = 0; i < n; i++) {
			bad = blk_pattern_check(buf + i * BLK_PATTERN_SECTOR, seed, s + i);
			if (bad >= 0) {
				fprintf(stderr,
					"blkpattern: %s: sector %" PRIu64 " byte %d differs\n",
					argv[2], s + i, bad);
				close(fd);
				return 1;
			}
		}
	}
	if (fill && fsync(fd))
		goto io_error;
	close(fd);
	printf("blkpattern: %s %" PRIu64 " sectors of %s, seed %" PRIu64 "\n",
	       fill ? "filled" : "verified", sectors, argv[2], seed);
	return 0;
io_error:
	fprintf(stderr, "blkpattern: %s: %s\n", argv[2], strerror(errno ? errno : EIO));
	close(fd);
	return 1;
}
