// SPDX-License-Identifier: MIT
/*
 * Runs a fuzz target over files and directories of inputs, in any build: the
 * corpus in the repository becomes a regression test. Fails when it ran
 * nothing, so that a missing corpus cannot pass.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define REPLAY_MAX_INPUT (4u << 20)

static int replay_file(const char *path)
{
	uint8_t *buf = NULL;
	FILE *f = fopen(path, "rb");
	size_t n;
	int ret = 0;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	buf = malloc(REPLAY_MAX_INPUT);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	n = fread(buf, 1, REPLAY_MAX_INPUT, f);
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		ret = -EIO;
		goto out;
	}
	LLVMFuzzerTestOneInput(buf, n);
out:
	free(buf);
	fclose(f);
	return ret;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files of a directory in name order, so that a run is repeatable. */
static int replay_dir(const char *dir, unsigned int *count)
{
	char **names = NULL, path[4096];
	size_t nr = 0, i;
	struct dirent *e;
	DIR *d = opendir(dir);
	int ret = 0;

	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	while ((e = readdir(d))) {
		char **grown;

		if (e->d_name[0] == '.')
			continue;
		grown = realloc(names, (nr + 1) * sizeof(*names));
		if (!grown) {
			ret = -ENOMEM;
			goto out;
		}
		names = grown;
		names[nr] = strdup(e->d_name);
		if (!names[nr]) {
			ret = -ENOMEM;
			goto out;
		}
		nr++;
	}
	qsort(names, nr, sizeof(*names), cmp_names);
	for (i = 0; i < nr && !ret; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path)) {
			ret = -ENAMETOOLONG;
			break;
		}
		ret = replay_file(path);
		if (!ret)
			(*count)++;
	}
out:
	for (i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned int count = 0;
	struct stat st;
	int i, ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc && !ret; i++) {
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			ret = replay_dir(argv[i], &count);
		} else {
			ret = replay_file(argv[i]);
			if (!ret)
				count++;
		}
	}
	if (ret)
		return 1;
	if (!count) {
		fprintf(stderr, "replay: no inputs ran\n");
		return 1;
	}
	printf("replay: %u inputs ran, no invariant broken\n", count);
	return 0;
}
