// SPDX-License-Identifier: MIT
/*
 * Per-domain console log: the last CON_LOG_MAX bytes in memory for
 * `svctl console`, everything in <rundir>/console/<name>.log. A restarted
 * svdom0 reloads the memory copy from the file's tail.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console_log.h"
#include "svdom0.h"

int con_log_open(struct con_log *l, const char *rundir, const char *name, bool truncate)
{
	char path[400];
	struct stat st;
	off_t off;
	ssize_t n;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->mem.buf = malloc(CON_LOG_MAX);
	if (!l->mem.buf)
		return -ENOMEM;
	l->mem.cap = CON_LOG_MAX;
	snprintf(path, sizeof(path), "%s/console", rundir);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/console/%s.log", rundir, name);
	l->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0),
		     0600);
	if (l->fd < 0)
		return -errno;
	if (truncate || fstat(l->fd, &st) < 0)
		return 0;
	off = st.st_size > (off_t)CON_LOG_MAX ? st.st_size - (off_t)CON_LOG_MAX : 0;
	n = pread(l->fd, l->mem.buf, CON_LOG_MAX, off);
	if (n > 0)
		l->mem.len = (size_t)n;
	return 0;
}

void con_log_append(struct con_log *l, const char *buf, size_t len)
{
	if (l->mem.buf)
		tail_ring_put(&l->mem, buf, len);
	/* Best effort: the memory copy still serves `svctl console` on a full disk. */
	if (l->fd >= 0 && write(l->fd, buf, len) < 0)
		return;
}

void con_log_close(struct con_log *l)
{
	if (l->fd >= 0)
		close(l->fd);
	free(l->mem.buf);
	memset(l, 0, sizeof(*l));
	l->fd = -1;
}
