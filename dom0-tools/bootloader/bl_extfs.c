// SPDX-License-Identifier: MIT
/*
 * ext2/3/4 through Debian's libext2fs, read-only. Paths are resolved here, one component at
 * a time, as if the filesystem were the whole world: ".." stops at its root, an absolute
 * symbolic link starts again from its root, at most BL_MAX_SYMLINKS links are followed, and
 * only a regular file is read, never more than its caller's bound.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <et/com_err.h>
#include <ext2fs/ext2_err.h>
#include <ext2fs/ext2fs.h>

#include "bl_internal.h"

struct bl_fs {
	ext2_filsys fs;
};

static pthread_once_t error_table_once = PTHREAD_ONCE_INIT;

static void load_ext2_messages(void)
{
	initialize_ext2_error_table();
}

static int errcode_to_errno(errcode_t code)
{
	if (code > 0 && code < 4096)
		return -(int)code;
	if (code == EXT2_ET_FILE_NOT_FOUND)
		return -ENOENT;
	if (code == EXT2_ET_NO_MEMORY)
		return -ENOMEM;
	return -EIO;
}

int bl_fs_open(const struct bl_disk *disk, uint64_t offset, uint64_t size, struct bl_fs **out,
	       char *err, size_t errlen)
{
	struct bl_io_source src = { disk, offset, size };
	char name[64];
	uint64_t fs_bytes;
	struct bl_fs *bfs;
	errcode_t code;
	int ret;

	pthread_once(&error_table_once, load_ext2_messages);
	*out = NULL;
	bfs = calloc(1, sizeof(*bfs));
	if (!bfs) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	bl_io_name(&src, name, sizeof(name));
	/* Read-only: no journal replay, no writes; checksums are verified. */
	code = ext2fs_open2(name, NULL, EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP, 0, 0,
			    bl_io_manager(), &bfs->fs);
	if (code) {
		snprintf(err, errlen, "cannot open the ext filesystem: %s", error_message(code));
		ret = errcode_to_errno(code);
		goto out;
	}
	fs_bytes = ext2fs_blocks_count(bfs->fs->super) * (uint64_t)EXT2_BLOCK_SIZE(bfs->fs->super);
	if (fs_bytes > size) {
		snprintf(err, errlen,
			 "the ext filesystem claims %" PRIu64 " bytes but only %" PRIu64
			 " are there (truncated image?)",
			 fs_bytes, size);
		ret = -EINVAL;
		goto out;
	}
	*out = bfs;
	return 0;
out:
	bl_fs_close(bfs);
	return ret;
}

void bl_fs_close(struct bl_fs *bfs)
{
	if (!bfs)
		return;
	if (bfs->fs)
		ext2fs_close_free(&bfs->fs);
	free(bfs);
}

static int read_inode(struct bl_fs *bfs, ext2_ino_t ino, struct ext2_inode *inode, const char *path,
		      char *err, size_t errlen)
{
	errcode_t code = ext2fs_read_inode(bfs->fs, ino, inode);

	if (code)
		snprintf(err, errlen, "%s: cannot read inode %u: %s", path, ino,
			 error_message(code));
	return code ? errcode_to_errno(code) : 0;
}

/* A symbolic link's target, fast (in the inode), inline or in a block. */
static int read_link(struct bl_fs *bfs, ext2_ino_t ino, struct ext2_inode *inode, char *buf,
		     size_t cap, const char *path, char *err, size_t errlen)
{
	uint64_t size = EXT2_I_SIZE(inode);
	unsigned int got = 0;
	ext2_file_t file;
	errcode_t code;
	size_t len;

	if (size == 0 || size >= cap) {
		snprintf(err, errlen, "%s: symbolic link target of %" PRIu64 " bytes (1-%zu)", path,
			 size, cap - 1);
		return -ENAMETOOLONG;
	}
	if (inode->i_flags & EXT4_INLINE_DATA_FL) {
		code = ext2fs_inline_data_size(bfs->fs, ino, &len);
		if (!code && len >= cap)
			code = EXT2_ET_INLINE_DATA_NO_SPACE;
		if (!code)
			code = ext2fs_inline_data_get(bfs->fs, ino, inode, buf, &len);
		got = (unsigned int)(len < size ? len : size);
	} else if (ext2fs_is_fast_symlink(inode)) {
		if (size > sizeof(inode->i_block))
			size = sizeof(inode->i_block);
		memcpy(buf, inode->i_block, size);
		got = (unsigned int)size;
		code = 0;
	} else {
		code = ext2fs_file_open2(bfs->fs, ino, inode, 0, &file);
		if (!code) {
			code = ext2fs_file_read(file, buf, (unsigned int)size, &got);
			ext2fs_file_close(file);
		}
	}
	if (code) {
		snprintf(err, errlen, "%s: cannot read a symbolic link: %s", path,
			 error_message(code));
		return errcode_to_errno(code);
	}
	buf[got] = '\0';
	if (strlen(buf) != got || got != size) {
		snprintf(err, errlen, "%s: malformed symbolic link", path);
		return -EINVAL;
	}
	return 0;
}

/*
 * path to an inode, inside the filesystem. pending holds what is left to walk: the path,
 * then symbolic link targets spliced in front of the rest.
 */
static int resolve(struct bl_fs *bfs, const char *path, ext2_ino_t *ino_out,
		   struct ext2_inode *inode, char *err, size_t errlen)
{
	ext2_ino_t stack[BL_MAX_PATH_DEPTH], ino;
	char pending[2 * BL_MAX_WORD], target[BL_MAX_WORD], *name, *rest;
	unsigned int depth = 0, links = 0;
	size_t len;
	errcode_t code;
	int ret;

	if (strlen(path) >= BL_MAX_WORD) {
		snprintf(err, errlen, "a path of %zu bytes (at most %u)", strlen(path),
			 BL_MAX_WORD - 1);
		return -ENAMETOOLONG;
	}
	snprintf(pending, sizeof(pending), "%s", path);
	stack[0] = EXT2_ROOT_INO;
	ret = read_inode(bfs, EXT2_ROOT_INO, inode, path, err, errlen);
	rest = pending;
	while (!ret) {
		while (*rest == '/')
			rest++;
		if (!*rest)
			break;
		name = rest;
		rest = strchrnul(rest, '/');
		len = (size_t)(rest - name);
		if (len == 1 && name[0] == '.')
			continue;
		if (len == 2 && name[0] == '.' && name[1] == '.') {
			/* The root's parent is the root, as in a chroot. */
			if (depth > 0)
				depth--;
			ret = read_inode(bfs, stack[depth], inode, path, err, errlen);
			continue;
		}
		if (!LINUX_S_ISDIR(inode->i_mode)) {
			snprintf(err, errlen,
				 "%s: '%.*s' is below something that is not a directory", path,
				 (int)len, name);
			return -ENOTDIR;
		}
		if (len > EXT2_NAME_LEN) {
			snprintf(err, errlen, "%s: a name longer than %d bytes", path,
				 EXT2_NAME_LEN);
			return -ENAMETOOLONG;
		}
		code = ext2fs_lookup(bfs->fs, stack[depth], name, (int)len, NULL, &ino);
		if (code) {
			snprintf(err, errlen, "%s: '%.*s' %s", path, (int)len, name,
				 code == EXT2_ET_FILE_NOT_FOUND ? "does not exist in the image"
								: "cannot be looked up");
			if (code != EXT2_ET_FILE_NOT_FOUND) {
				size_t n = strlen(err);

				snprintf(err + n, errlen - n, ": %s", error_message(code));
			}
			return errcode_to_errno(code);
		}
		ret = read_inode(bfs, ino, inode, path, err, errlen);
		if (ret)
			break;
		if (LINUX_S_ISLNK(inode->i_mode)) {
			if (++links > BL_MAX_SYMLINKS) {
				snprintf(err, errlen, "%s: more than %u symbolic links", path,
					 BL_MAX_SYMLINKS);
				return -ELOOP;
			}
			ret = read_link(bfs, ino, inode, target, sizeof(target), path, err, errlen);
			if (ret)
				break;
			if (strlen(target) + 1 + strlen(rest) >= sizeof(pending)) {
				snprintf(err, errlen, "%s: too long after following its links",
					 path);
				return -ENAMETOOLONG;
			}
			/* rest lies inside pending: move it up before the target goes in front. */
			memmove(pending + strlen(target), rest, strlen(rest) + 1);
			memcpy(pending, target, strlen(target));
			rest = pending;
			if (target[0] == '/')
				depth = 0;
			ret = read_inode(bfs, stack[depth], inode, path, err, errlen);
			continue;
		}
		if (depth + 1 >= BL_MAX_PATH_DEPTH) {
			snprintf(err, errlen, "%s: more than %u directories deep", path,
				 BL_MAX_PATH_DEPTH);
			return -ELOOP;
		}
		stack[++depth] = ino;
	}
	if (ret)
		return ret;
	if (!LINUX_S_ISREG(inode->i_mode)) {
		snprintf(err, errlen, "%s is not a regular file in the image", path);
		return LINUX_S_ISDIR(inode->i_mode) ? -EISDIR : -EINVAL;
	}
	*ino_out = stack[depth];
	return 0;
}

int bl_fs_size(struct bl_fs *bfs, const char *path, uint64_t *size, char *err, size_t errlen)
{
	struct ext2_inode inode;
	ext2_ino_t ino;
	int ret;

	ret = resolve(bfs, path, &ino, &inode, err, errlen);
	if (!ret)
		*size = EXT2_I_SIZE(&inode);
	return ret;
}

/* Streams a resolved file into sink (a buffer or an fd), at most max bytes. */
static int stream(struct bl_fs *bfs, const char *path, uint64_t max,
		  int (*sink)(void *arg, const void *buf, size_t len), void *arg, uint64_t *total,
		  char *err, size_t errlen)
{
	static char chunk[1u << 16];
	struct ext2_inode inode;
	ext2_file_t file = NULL;
	uint64_t size;
	unsigned int got;
	ext2_ino_t ino;
	errcode_t code;
	int ret;

	*total = 0;
	ret = resolve(bfs, path, &ino, &inode, err, errlen);
	if (ret)
		return ret;
	size = EXT2_I_SIZE(&inode);
	if (size > max) {
		snprintf(err, errlen, "%s is %" PRIu64 " bytes: more than the %" PRIu64 " allowed",
			 path, size, max);
		return -EFBIG;
	}
	code = ext2fs_file_open2(bfs->fs, ino, &inode, 0, &file);
	while (!code && *total < size) {
		code = ext2fs_file_read(file, chunk, sizeof(chunk), &got);
		if (code || got == 0)
			break;
		if (got > size - *total)
			got = (unsigned int)(size - *total);
		ret = sink(arg, chunk, got);
		if (ret) {
			snprintf(err, errlen, "%s: cannot write it out: %s", path, strerror(-ret));
			goto out;
		}
		*total += got;
	}
	if (code) {
		snprintf(err, errlen, "%s: cannot read it: %s", path, error_message(code));
		ret = errcode_to_errno(code);
	} else if (*total != size) {
		snprintf(err, errlen, "%s: read %" PRIu64 " of its %" PRIu64 " bytes", path, *total,
			 size);
		ret = -EIO;
	}
out:
	if (file)
		ext2fs_file_close(file);
	return ret;
}

struct mem_sink {
	char *buf;
	size_t len;
};

static int to_memory(void *arg, const void *buf, size_t len)
{
	struct mem_sink *m = arg;

	memcpy(m->buf + m->len, buf, len);
	m->len += len;
	return 0;
}

int bl_fs_read(struct bl_fs *bfs, const char *path, size_t max, char **buf, size_t *len, char *err,
	       size_t errlen)
{
	struct mem_sink m = { 0 };
	uint64_t size, total;
	int ret;

	*buf = NULL;
	*len = 0;
	ret = bl_fs_size(bfs, path, &size, err, errlen);
	if (ret)
		return ret;
	if (size > max) {
		snprintf(err, errlen, "%s is %" PRIu64 " bytes: more than the %zu allowed", path,
			 size, max);
		return -EFBIG;
	}
	m.buf = malloc((size_t)size + 1);
	if (!m.buf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* Bounded by size, the buffer's room, whatever the inode says by then. */
	ret = stream(bfs, path, size, to_memory, &m, &total, err, errlen);
	if (ret) {
		free(m.buf);
		return ret;
	}
	m.buf[m.len] = '\0';
	*buf = m.buf;
	*len = m.len;
	return 0;
}

static int to_fd(void *arg, const void *buf, size_t len)
{
	const char *p = buf;
	int fd = *(int *)arg;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int bl_fs_copy(struct bl_fs *bfs, const char *path, int fd, uint64_t max, uint64_t *copied,
	       char *err, size_t errlen)
{
	return stream(bfs, path, max, to_fd, &fd, copied, err, errlen);
}
