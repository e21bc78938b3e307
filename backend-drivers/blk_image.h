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

struct blk_image;

/* Formats blk_disk_open_format serves through QEMU; raw goes straight to the file. */
bool blk_image_format_known(const char *format);

/* I/O on an image disk, synchronous; 0 or -errno. */
int blk_image_pread(struct blk_image *img, void *buf, size_t len, uint64_t offset);
int blk_image_pwrite(struct blk_image *img, const void *buf, size_t len, uint64_t offset);
int blk_image_flush(struct blk_image *img);
int blk_image_discard(struct blk_image *img, uint64_t len, uint64_t offset);

/*
 * Starts the daemon on path (direct: O_DIRECT; no_flush: flushes dropped, as cache='unsafe')
 * and connects to it. Used by blkback (blk_disk.c) and by the bootloader, which reads a
 * guest's first disk whatever its format. 0 or -errno with a sentence naming path in err.
 */
int blk_image_start(const char *path, const char *format, bool readonly, bool direct, bool no_flush,
		    struct blk_image **img, char *err, size_t errlen);
uint64_t blk_image_bytes(const struct blk_image *img);
bool blk_image_can_trim(const struct blk_image *img);
int blk_image_pid(const struct blk_image *img);
/*
 * QEMU's own consistency check of the image (qemu-img check, at most 60 s): 0 when clean or
 * only leaking space, else -EIO with qemu-img's first complaint in err. A truncated qcow2
 * would otherwise read as zeros where its clusters are missing.
 */
int blk_image_check(const char *path, const char *format, char *err, size_t errlen);
/* Disconnects, stops the daemon (SIGTERM, then SIGKILL) and removes its directory. */
void blk_image_close(struct blk_image *img);

#endif
