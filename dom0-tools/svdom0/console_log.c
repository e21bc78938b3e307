// SPDX-License-Identifier: MIT
/*
 * Per-domain console log (console_log.h): the last CON_LOG_MAX bytes in memory
 * for `svctl console`, the rest in a capped, rotated file. A restarted svdom0
 * reloads the memory copy from the file's tail and goes on counting its size.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console_log.h"
#include "log.h"

#define CON_LOG_SIZE_MAX (1ull << 40)

int con_log_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end)
		return -EINVAL;
	if (v > CON_LOG_SIZE_MAX >> shift || (v << shift) < CON_LOG_FILE_MIN)
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

int con_log_open(struct con_log *l, const char *rundir, const char *name, bool truncate,
		 uint64_t file_max)
{
	char path[sizeof(l->path) + 2];
	struct stat st;
	off_t off;
	ssize_t n;
	int ret;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->file_max = file_max ? file_max : CON_LOG_FILE_MAX_DEFAULT;
	l->mem.buf = malloc(CON_LOG_MAX);
	if (!l->mem.buf)
		return -ENOMEM;
	l->mem.cap = CON_LOG_MAX;
	ret = snprintf(path, sizeof(path), "%s/console", rundir);
	if (ret < 0 || (size_t)ret >= sizeof(l->path))
		return -ENAMETOOLONG;
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	ret = snprintf(l->path, sizeof(l->path), "%s/console/%s.log", rundir, name);
	if (ret < 0 || (size_t)ret >= sizeof(l->path))
		return -ENAMETOOLONG;
	if (truncate) {
		snprintf(path, sizeof(path), "%s.1", l->path);
		unlink(path); /* an older domain's of the same name */
	}
	l->fd = open(l->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0),
		     0600);
	if (l->fd < 0)
		return -errno;
	if (truncate || fstat(l->fd, &st) < 0)
		return 0;
	l->file_size = (uint64_t)st.st_size;
	off = st.st_size > (off_t)CON_LOG_MAX ? st.st_size - (off_t)CON_LOG_MAX : 0;
	n = pread(l->fd, l->mem.buf, CON_LOG_MAX, off);
	if (n > 0)
		l->mem.len = (size_t)n;
	return 0;
}

static void con_log_drop(struct con_log *l, size_t len, int err)
{
	if (l->dropped == l->dropped_noted)
		log_warn("console log %s: %s: dropping output until it can be written", l->path,
			 strerror(err));
	l->dropped += len;
}

/* <name>.log becomes <name>.log.1 and a new <name>.log starts: 0 or -errno. */
static int con_log_rotate(struct con_log *l)
{
	char old[sizeof(l->path) + 2];
	int fd;

	snprintf(old, sizeof(old), "%s.1", l->path);
	/* ENOENT: renamed by an earlier try whose open failed. */
	if (rename(l->path, old) < 0 && errno != ENOENT)
		return -errno;
	fd = open(l->path, O_RDWR | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(l->fd);
	l->fd = fd;
	l->file_size = 0;
	l->rotations++;
	return 0;
}

/* Writes to the file, rotating at the cap; false (nothing more written) when it cannot. */
static bool con_log_write(struct con_log *l, const char *buf, size_t len)
{
	uint64_t room;
	ssize_t n;
	int err;

	while (len) {
		room = l->file_size < l->file_max ? l->file_max - l->file_size : 0;
		if (!room) {
			err = -con_log_rotate(l);
			if (err) {
				con_log_drop(l, len, err);
				return false;
			}
			continue;
		}
		n = write(l->fd, buf, len < room ? len : (size_t)room);
		if (n <= 0) {
			con_log_drop(l, len, n < 0 ? errno : ENOSPC);
			return false;
		}
		l->file_size += (uint64_t)n;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* Says how many bytes the file missed, before the first bytes it takes again. */
static void con_log_note_dropped(struct con_log *l)
{
	uint64_t dropped = l->dropped;
	char note[160];
	int n;

	n = snprintf(note, sizeof(note),
		     "\n[svdom0: %" PRIu64 " bytes of console output lost: the log file "
		     "could not take them]\n",
		     dropped - l->dropped_noted);
	if (n < 0 || (size_t)n >= sizeof(note))
		return;
	if (!con_log_write(l, note, (size_t)n)) {
		l->dropped = dropped; /* the note is not console output */
		return;
	}
	l->dropped_noted = dropped;
	if (l->mem.buf)
		tail_ring_put(&l->mem, note, (size_t)n);
}

void con_log_append(struct con_log *l, const char *buf, size_t len)
{
	if (l->mem.buf)
		tail_ring_put(&l->mem, buf, len);
	/* Without a file the memory copy still serves `svctl console`. */
	if (l->fd < 0)
		return;
	if (l->dropped != l->dropped_noted)
		con_log_note_dropped(l);
	con_log_write(l, buf, len);
}

void con_log_close(struct con_log *l)
{
	if (l->fd >= 0)
		close(l->fd);
	free(l->mem.buf);
	memset(l, 0, sizeof(*l));
	l->fd = -1;
}
