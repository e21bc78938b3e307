/* SPDX-License-Identifier: MIT */
/*
 * Disk images in formats other than raw (qcow2 and the others QEMU reads),
 * served by QEMU's storage daemon as an NBD export on a private socket and
 * reached through libnbd: the format is QEMU's real implementation, never a
 * second one of ours. blkback drives such a disk with its thread engine, each
 * request one NBD command (or one per segment).
 */
#ifndef SV_BLK_IMAGE_H
#define SV_BLK_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blkback.h"

/* Formats blk_disk_open_format serves through QEMU; raw goes straight to the file. */
bool blk_image_format_known(const char *format);

/* I/O on an image disk, synchronous; 0 or -errno. */
int blk_image_pread(struct blk_image *img, void *buf, size_t len, uint64_t offset);
int blk_image_pwrite(struct blk_image *img, const void *buf, size_t len, uint64_t offset);
int blk_image_flush(struct blk_image *img);
int blk_image_discard(struct blk_image *img, uint64_t len, uint64_t offset);

/* For blk_disk.c: start the daemon and connect; fills d's size and features. */
int blk_image_open(struct blk_disk *d, const char *path, const char *format,
		   enum blk_cache_mode cache, bool readonly, char *err, size_t errlen);
void blk_image_close(struct blk_image *img);

#endif
