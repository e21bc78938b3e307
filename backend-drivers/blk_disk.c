// SPDX-License-Identifier: MIT
/*
 * Opening a virtual disk's backing store: a raw image file or a block device.
 * The cache mode decides O_DIRECT (none, directsync) and O_DSYNC
 * (writethrough, directsync); the size is in 512-byte sectors whatever the
 * device's own sector size, as blkif counts. A driver domain may not open
 * the host's files: its host's open_disk does, with the flags decided here.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <splitvisor/blkif.h>

#include "blk_image.h"
#include "blkback.h"
#include "log.h"

static int cache_flags(enum blk_cache_mode cache, bool *direct)
{
	*direct = cache == BLK_CACHE_NONE || cache == BLK_CACHE_DIRECTSYNC;
	switch (cache) {
	case BLK_CACHE_DEFAULT:
	case BLK_CACHE_WRITEBACK:
	case BLK_CACHE_UNSAFE:
	case BLK_CACHE_NONE:
		return 0;
	case BLK_CACHE_WRITETHROUGH:
		return O_DSYNC;
	case BLK_CACHE_DIRECTSYNC:
		return O_DSYNC;
	}
	return -1;
}

/* A device discards when its queue says it can (discard_max_bytes > 0). */
static bool blockdev_discards(dev_t rdev)
{
	char path[96], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/discard_max_bytes", major(rdev),
		 minor(rdev));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return strtoull(buf, NULL, 10) > 0;
}

/*
 * Punching a hole past the end of the file changes nothing (KEEP_SIZE) but
 * tells whether the file system can punch at all.
 */
static bool file_punches(int fd, uint64_t size)
{
	return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)size + 4096,
			 4096) == 0;
}

int blk_disk_open(struct blk_disk *d, struct backend_env *env, const char *be_path,
		  const char *path, enum blk_cache_mode cache, bool readonly, char *err,
		  size_t errlen)
{
	int flags = readonly ? O_RDONLY : O_RDWR, extra, ret;
	uint64_t bytes;
	struct stat st;
	int ssz;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	extra = cache_flags(cache, &d->direct);
	if (extra < 0) {
		snprintf(err, errlen, "%s: unknown cache mode %d", path, (int)cache);
		return -EINVAL;
	}
	flags |= extra | O_CLOEXEC | (d->direct ? O_DIRECT : 0);
	if (env && env->ops->open_disk) {
		/* The host's sentence says what went wrong where it opened. */
		ret = env->ops->open_disk(env, be_path, path, flags, &d->fd, err, errlen);
		if (ret) {
			d->fd = -1;
			goto out;
		}
		/* What the host passed must be open the way we asked, or writes fail later. */
		extra = d->fd >= 0 ? fcntl(d->fd, F_GETFL) : -1;
		if (extra < 0 || (extra & O_ACCMODE) != (flags & O_ACCMODE)) {
			ret = -EBADF;
			snprintf(err, errlen, "%s: the host did not pass it open %s", path,
				 readonly ? "read-only" : "read-write");
			goto out;
		}
	} else {
		d->fd = open(path, flags);
	}
	if (d->fd < 0) {
		ret = -errno;
		if (errno == EINVAL && d->direct)
			snprintf(
				err, errlen,
				"%s: the file system does not support O_DIRECT (cache mode none or "
				"directsync); use writeback",
				path);
		else
			snprintf(err, errlen, "cannot open %s %s: %s", path,
				 readonly ? "read-only" : "read-write", strerror(errno));
		goto out;
	}
	if (fstat(d->fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
		goto out;
	}
	d->readonly = readonly;
	if (S_ISREG(st.st_mode)) {
		/* A tail shorter than a sector cannot be addressed and is ignored. */
		d->sectors = (uint64_t)st.st_size / BLKIF_SECTOR_SIZE;
		d->sector_size = BLKIF_SECTOR_SIZE;
		d->discard = !readonly && file_punches(d->fd, (uint64_t)st.st_size);
	} else if (S_ISBLK(st.st_mode)) {
		d->is_blockdev = true;
		if (ioctl(d->fd, BLKGETSIZE64, &bytes) || ioctl(d->fd, BLKSSZGET, &ssz)) {
			ret = -errno;
			snprintf(err, errlen, "%s: cannot read the device's size: %s", path,
				 strerror(errno));
			goto out;
		}
		if (ssz < (int)BLKIF_SECTOR_SIZE || ssz % (int)BLKIF_SECTOR_SIZE) {
			ret = -EINVAL;
			snprintf(err, errlen, "%s: unsupported sector size %d", path, ssz);
			goto out;
		}
		d->sectors = bytes / BLKIF_SECTOR_SIZE;
		d->sector_size = (uint32_t)ssz;
		d->discard = !readonly && blockdev_discards(st.st_rdev);
	} else {
		ret = -EINVAL;
		snprintf(err, errlen, "%s is neither a regular file nor a block device", path);
		goto out;
	}
	return 0;
out:
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	return ret;
}

int blk_disk_open_format(struct blk_disk *d, struct backend_env *env, const char *be_path,
			 const char *path, const char *format, enum blk_cache_mode cache,
			 bool readonly, char *err, size_t errlen)
{
	int ret;

	if (!format || !strcmp(format, "raw"))
		return blk_disk_open(d, env, be_path, path, cache, readonly, err, errlen);
	memset(d, 0, sizeof(*d));
	d->fd = -1;
	/* A driver domain (grants through the core) may not start processes: no daemon. */
	if (env && env->grant_remote) {
		snprintf(err, errlen, "%s: a driver domain cannot serve %s images yet (raw only)",
			 path, format);
		return -EOPNOTSUPP;
	}
	ret = blk_image_start(path, format, readonly,
			      cache == BLK_CACHE_NONE || cache == BLK_CACHE_DIRECTSYNC,
			      cache == BLK_CACHE_UNSAFE, &d->image, err, errlen);
	if (ret)
		return ret;
	d->readonly = readonly;
	d->direct = cache == BLK_CACHE_NONE || cache == BLK_CACHE_DIRECTSYNC;
	d->sectors = blk_image_bytes(d->image) / BLKIF_SECTOR_SIZE;
	d->sector_size = BLKIF_SECTOR_SIZE;
	d->discard = blk_image_can_trim(d->image);
	log_info("%s: %s image served by qemu-storage-daemon (pid %d), %llu sectors", path, format,
		 blk_image_pid(d->image), (unsigned long long)d->sectors);
	return 0;
}

void blk_disk_close(struct blk_disk *d)
{
	blk_image_close(d->image);
	d->image = NULL;
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}
