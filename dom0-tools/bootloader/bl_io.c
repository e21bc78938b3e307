// SPDX-License-Identifier: MIT
/*
 * libext2fs reads through this I/O manager instead of its own unix one: every read goes to
 * a struct bl_disk's read callback, so the same ext reader serves a raw file (pread) and an
 * image that QEMU's storage daemon serves over NBD (qcow2, blk_image.h). Reads are confined
 * to the partition the filesystem was found in, and go through a few aligned windows: a
 * kernel read block by block costs one NBD round trip per window, not one per block.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ext2fs/ext2_err.h>
#include <ext2fs/ext2fs.h>

#include "bl_internal.h"

#define WIN_BYTES (256u << 10)
#define WIN_COUNT 4u

struct window {
	uint64_t start; /* absolute on the disk, WIN_BYTES aligned */
	size_t len;	/* 0: empty */
	uint64_t used;	/* for least recently used */
	uint8_t *buf;
};

struct bl_io {
	struct bl_disk disk;
	uint64_t offset, size; /* the partition */
	uint64_t clock;
	struct window win[WIN_COUNT];
	uint64_t bytes_read;
};

static struct struct_io_manager bl_io_manager_struct;

static errcode_t to_code(int ret)
{
	return ret == -ENOMEM ? EXT2_ET_NO_MEMORY : ret == -EIO ? EXT2_ET_SHORT_READ : -ret;
}

static int fill(struct bl_io *io, struct window *w, uint64_t start)
{
	uint64_t end = io->offset + io->size;
	size_t len = end - start < WIN_BYTES ? (size_t)(end - start) : WIN_BYTES;
	int ret;

	w->len = 0;
	ret = io->disk.read(io->disk.ctx, start, w->buf, len);
	if (ret)
		return ret;
	w->start = start;
	w->len = len;
	io->bytes_read += len;
	return 0;
}

/* len bytes at off, off relative to the partition; nothing outside it is read. */
static int io_read(struct bl_io *io, uint64_t off, uint8_t *buf, size_t len)
{
	uint64_t pos, start, skip;
	struct window *w, *oldest;
	size_t n, i;
	int ret;

	if (off > io->size || len > io->size - off)
		return -EIO;
	pos = io->offset + off;
	while (len) {
		start = pos / WIN_BYTES * WIN_BYTES;
		if (start < io->offset)
			start = io->offset; /* the first window starts with the partition */
		w = NULL;
		oldest = &io->win[0];
		for (i = 0; i < WIN_COUNT && !w; i++) {
			if (io->win[i].len && io->win[i].start == start)
				w = &io->win[i];
			else if (io->win[i].used < oldest->used)
				oldest = &io->win[i];
		}
		if (!w) {
			w = oldest;
			ret = fill(io, w, start);
			if (ret)
				return ret;
		}
		w->used = ++io->clock;
		skip = pos - w->start;
		n = w->len - (size_t)skip < len ? w->len - (size_t)skip : len;
		memcpy(buf, w->buf + skip, n);
		buf += n;
		pos += n;
		len -= n;
	}
	return 0;
}

static errcode_t bl_io_close(io_channel channel)
{
	struct bl_io *io = channel->private_data;
	size_t i;

	if (--channel->refcount > 0)
		return 0;
	for (i = 0; io && i < WIN_COUNT; i++)
		free(io->win[i].buf);
	free(io);
	free(channel->name);
	free(channel);
	return 0;
}

/* name is "bl-disk:%p" of a struct bl_io_source that lives for the call only. */
static errcode_t bl_io_open(const char *name, int flags, io_channel *out)
{
	const struct bl_io_source *src = NULL;
	io_channel channel = NULL;
	struct bl_io *io = NULL;
	void *ptr = NULL;
	size_t i;

	if (!name || sscanf(name, "bl-disk:%p", &ptr) != 1 || !ptr)
		return EXT2_ET_BAD_DEVICE_NAME;
	if (flags & IO_FLAG_RW)
		return EXT2_ET_RO_FILSYS;
	src = ptr;
	channel = calloc(1, sizeof(*channel));
	io = calloc(1, sizeof(*io));
	if (!channel || !io)
		goto out;
	channel->name = strdup(name);
	if (!channel->name)
		goto out;
	for (i = 0; i < WIN_COUNT; i++) {
		io->win[i].buf = malloc(WIN_BYTES);
		if (!io->win[i].buf)
			goto out;
	}
	io->disk = *src->disk;
	io->offset = src->offset;
	io->size = src->size;
	channel->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	channel->manager = &bl_io_manager_struct;
	channel->block_size = 1024;
	channel->refcount = 1;
	channel->flags = flags;
	channel->private_data = io;
	*out = channel;
	return 0;
out:
	for (i = 0; io && i < WIN_COUNT; i++)
		free(io->win[i].buf);
	free(io);
	if (channel)
		free(channel->name);
	free(channel);
	return EXT2_ET_NO_MEMORY;
}

static errcode_t bl_io_set_blksize(io_channel channel, int blksize)
{
	if (blksize <= 0)
		return EXT2_ET_INVALID_ARGUMENT;
	channel->block_size = blksize;
	return 0;
}

/* count > 0: blocks; count < 0: -count bytes (libext2fs's convention). */
static errcode_t bl_io_read_blk64(io_channel channel, unsigned long long block, int count,
				  void *data)
{
	struct bl_io *io = channel->private_data;
	uint64_t len = count < 0 ? (uint64_t) - (int64_t)count
				 : (uint64_t)count * (uint64_t)channel->block_size;

	if (block > UINT64_MAX / (uint64_t)channel->block_size || len > SIZE_MAX)
		return EXT2_ET_INVALID_ARGUMENT;
	return to_code(io_read(io, block * (uint64_t)channel->block_size, data, (size_t)len));
}

static errcode_t bl_io_read_blk(io_channel channel, unsigned long block, int count, void *data)
{
	return bl_io_read_blk64(channel, block, count, data);
}

static errcode_t bl_io_write_blk64(io_channel channel, unsigned long long block, int count,
				   const void *data)
{
	(void)channel, (void)block, (void)count, (void)data;
	return EXT2_ET_RO_FILSYS;
}

static errcode_t bl_io_write_blk(io_channel channel, unsigned long block, int count,
				 const void *data)
{
	return bl_io_write_blk64(channel, block, count, data);
}

static errcode_t bl_io_flush(io_channel channel)
{
	(void)channel;
	return 0;
}

static errcode_t bl_io_set_option(io_channel channel, const char *option, const char *arg)
{
	(void)channel, (void)option, (void)arg;
	return EXT2_ET_INVALID_ARGUMENT;
}

static errcode_t bl_io_get_stats(io_channel channel, io_stats *stats)
{
	static struct struct_io_stats s;
	struct bl_io *io = channel->private_data;

	s.num_fields = 2;
	s.bytes_read = io->bytes_read;
	*stats = &s;
	return 0;
}

static struct struct_io_manager bl_io_manager_struct = {
	.magic = EXT2_ET_MAGIC_IO_MANAGER,
	.name = "splitvisor bootloader disk",
	.open = bl_io_open,
	.close = bl_io_close,
	.set_blksize = bl_io_set_blksize,
	.read_blk = bl_io_read_blk,
	.write_blk = bl_io_write_blk,
	.flush = bl_io_flush,
	.set_option = bl_io_set_option,
	.get_stats = bl_io_get_stats,
	.read_blk64 = bl_io_read_blk64,
	.write_blk64 = bl_io_write_blk64,
};

struct struct_io_manager *bl_io_manager(void)
{
	return &bl_io_manager_struct;
}

int bl_io_name(const struct bl_io_source *src, char *buf, size_t len)
{
	int n = snprintf(buf, len, "bl-disk:%p", (const void *)src);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
