// SPDX-License-Identifier: MIT
/*
 * The bootloader's glue: pygrub's arguments, the disk, the first filesystem on it that holds
 * a GRUB configuration (in the places pygrub looks), the chosen entry, and its kernel and
 * initrds copied into out_dir within BL_MAX_BOOT_BYTES.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bl_internal.h"
#include "blk_image.h"
#include "bootloader.h"

#define MAX_ARG 1024u

/* GRUB 2 first, then GRUB legacy, in pygrub's order. */
static const struct {
	const char *path;
	bool legacy;
} config_paths[] = {
	{ "/boot/grub/grub.cfg", false },  { "/grub/grub.cfg", false },
	{ "/boot/grub2/grub.cfg", false }, { "/grub2/grub.cfg", false },
	{ "/boot/grub/menu.lst", true },   { "/grub/menu.lst", true },
	{ "/boot/grub/grub.conf", true },  { "/grub/grub.conf", true },
};

struct bl_args {
	char entry[MAX_ARG], kernel[MAX_ARG], ramdisk[MAX_ARG], args[SV_MAX_CMDLINE];
	bool has_entry, has_kernel, has_ramdisk, has_args;
};

/* One word of args: blanks separate, '...' and "..." group. */
static int next_word(const char **p, char *word, size_t cap)
{
	size_t len = 0;
	char quote = 0;

	while (**p == ' ' || **p == '\t' || **p == '\n')
		(*p)++;
	if (!**p)
		return 0;
	for (; **p && (quote || !strchr(" \t\n", **p)); (*p)++) {
		if (!quote && (**p == '\'' || **p == '"')) {
			quote = **p;
			continue;
		}
		if (quote && **p == quote) {
			quote = 0;
			continue;
		}
		if (len + 1 >= cap)
			return -E2BIG;
		word[len++] = **p;
	}
	word[len] = '\0';
	return quote ? -EINVAL : 1;
}

static int option(const char *word, const char *name, char *out, size_t cap, bool *has)
{
	size_t len = strlen(name);

	if (strncmp(word, name, len) || word[len] != '=')
		return 0;
	if (strlen(word + len + 1) >= cap)
		return -E2BIG;
	strcpy(out, word + len + 1);
	*has = true;
	return 1;
}

static int parse_args(const char *text, struct bl_args *a, char *err, size_t errlen)
{
	char word[MAX_ARG + 16];
	int ret = 0;

	memset(a, 0, sizeof(*a));
	while (text && (ret = next_word(&text, word, sizeof(word))) > 0) {
		if (!strcmp(word, "-q") || !strcmp(word, "--quiet"))
			continue;
		ret = option(word, "--entry", a->entry, sizeof(a->entry), &a->has_entry);
		if (!ret)
			ret = option(word, "--kernel", a->kernel, sizeof(a->kernel),
				     &a->has_kernel);
		if (!ret)
			ret = option(word, "--ramdisk", a->ramdisk, sizeof(a->ramdisk),
				     &a->has_ramdisk);
		if (!ret)
			ret = option(word, "--args", a->args, sizeof(a->args), &a->has_args);
		if (ret == 0) {
			snprintf(err, errlen,
				 "bootloader_args: '%.64s' is not supported (pygrub's --entry=, "
				 "--kernel=, --ramdisk=, --args= and -q are)",
				 word);
			return -EINVAL;
		}
		if (ret < 0)
			break;
	}
	if (ret < 0)
		snprintf(err, errlen, "bootloader_args: %s",
			 ret == -E2BIG ? "a value is too long" : "a quote is not closed");
	else if (a->has_ramdisk && !a->has_kernel)
		snprintf(err, errlen, "bootloader_args: --ramdisk= needs --kernel=");
	return ret < 0 ? ret : a->has_ramdisk && !a->has_kernel ? -EINVAL : 0;
}

static int fd_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	ssize_t n = pread(*(int *)ctx, buf, len, (off_t)off);

	return n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
}

static int image_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	return blk_image_pread(ctx, buf, len, off);
}

static bool is_raw(const char *format)
{
	return !format || !*format || !strcmp(format, "raw");
}

/*
 * The disk as data to read: a raw file or block device through its descriptor; an image in
 * another format (qcow2) served read-only by QEMU's storage daemon (blk_image.h), which
 * close_disk stops.
 */
static int open_disk(const char *disk_path, const char *format, int *fd, struct blk_image **img,
		     struct bl_disk *disk, char *err, size_t errlen)
{
	struct stat st;
	int ret;

	/* O_NONBLOCK: a FIFO named as a disk must not hang the open. */
	*fd = open(disk_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (*fd < 0 || fstat(*fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the disk %s: %s", disk_path, strerror(errno));
		return ret;
	}
	if (!S_ISREG(st.st_mode) && !(S_ISBLK(st.st_mode) && is_raw(format))) {
		snprintf(err, errlen, "the disk %s is not a regular file%s", disk_path,
			 is_raw(format) ? " or a block device" : "");
		return -EINVAL;
	}
	if (!is_raw(format)) {
		ret = blk_image_check(disk_path, format, err, errlen);
		if (ret)
			return ret;
		ret = blk_image_start(disk_path, format, true, false, true, img, err, errlen);
		if (ret)
			return ret;
		disk->read = image_read;
		disk->ctx = *img;
		disk->size = blk_image_bytes(*img);
		return 0;
	}
	disk->read = fd_read;
	disk->ctx = fd;
	disk->size = (uint64_t)st.st_size;
	if (S_ISBLK(st.st_mode) && ioctl(*fd, BLKGETSIZE64, &disk->size)) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot read its size: %s", disk_path, strerror(errno));
		return ret;
	}
	return 0;
}

struct found {
	struct bl_fs *fs;
	struct bl_part part;
	const char *fs_name;
	const char *config;
	bool legacy;
};

static int read_config(void *ctx, const char *path, char **buf, size_t *len, char *err,
		       size_t errlen)
{
	struct found *f = ctx;

	return bl_fs_read(f->fs, path, BL_MAX_CFG_BYTES, buf, len, err, errlen);
}

static void describe_part(const struct bl_part *part, char *buf, size_t len)
{
	if (part->number)
		snprintf(buf, len, "partition %u", part->number);
	else
		snprintf(buf, len, "the whole disk");
}

/* The first filesystem that holds a configuration; notes says what the others were. */
static int find_config(const struct bl_disk *disk, bool need_config, struct found *f, char *err,
		       size_t errlen)
{
	struct bl_part parts[BL_MAX_PARTS];
	char notes[768] = "", where[32], ferr[256];
	size_t nparts, i, k, used = 0;
	uint64_t size;
	int ret, n;

	ret = bl_part_scan(disk, parts, BL_MAX_PARTS, &nparts, err, errlen);
	if (ret)
		return ret;
	for (i = 0; i < nparts; i++) {
		describe_part(&parts[i], where, sizeof(where));
		f->fs_name = bl_fs_probe(disk, parts[i].offset, parts[i].size);
		if (!f->fs_name || strncmp(f->fs_name, "ext", 3)) {
			n = snprintf(notes + used, sizeof(notes) - used, "; %s: %s%s", where,
				     f->fs_name ? f->fs_name : "no filesystem we know",
				     f->fs_name ? " (only ext2/3/4 are read)" : "");
			used += n > 0 && (size_t)n < sizeof(notes) - used ? (size_t)n : 0;
			continue;
		}
		/* Before libext2fs sizes its tables from the superblock: a lie is refused here. */
		if (bl_ext_claimed_bytes(disk, parts[i].offset, &size)) {
			snprintf(err, errlen, "%s: malformed ext superblock", where);
			return -EINVAL;
		}
		if (size > parts[i].size) {
			snprintf(err, errlen,
				 "%s: the ext filesystem claims %" PRIu64 " bytes but only %" PRIu64
				 " are there (truncated image?)",
				 where, size, parts[i].size);
			return -EINVAL;
		}
		ret = bl_fs_open(disk, parts[i].offset, parts[i].size, &f->fs, ferr, sizeof(ferr));
		if (ret) {
			snprintf(err, errlen, "%s: %s", where, ferr);
			return ret;
		}
		f->part = parts[i];
		if (!need_config)
			return 0;
		for (k = 0; k < sizeof(config_paths) / sizeof(config_paths[0]); k++) {
			ret = bl_fs_size(f->fs, config_paths[k].path, &size, ferr, sizeof(ferr));
			if (ret == -ENOENT || ret == -ENOTDIR)
				continue;
			if (ret) {
				snprintf(err, errlen, "%s (%s): %s", where, f->fs_name, ferr);
				return ret;
			}
			f->config = config_paths[k].path;
			f->legacy = config_paths[k].legacy;
			return 0;
		}
		n = snprintf(notes + used, sizeof(notes) - used,
			     "; %s: %s without /boot/grub/grub.cfg, /grub/grub.cfg, "
			     "/boot/grub/menu.lst or the like",
			     where, f->fs_name);
		used += n > 0 && (size_t)n < sizeof(notes) - used ? (size_t)n : 0;
		bl_fs_close(f->fs);
		f->fs = NULL;
	}
	snprintf(err, errlen, "no GRUB configuration found%s", notes);
	return -ENOENT;
}

static int make_dir(const char *dir, char *err, size_t errlen)
{
	char buf[BL_PATH_MAX];
	size_t i;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf)) {
		snprintf(err, errlen, "output directory path too long");
		return -ENAMETOOLONG;
	}
	for (i = 1; buf[i]; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			goto fail;
		buf[i] = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "cannot make %s: %s", buf, strerror(errno));
	return -errno;
}

/* Copies the image's files (one kernel, or the initrds concatenated) to out. */
static int copy_out(struct bl_fs *fs, char *const *paths, size_t n, const char *out,
		    uint64_t *budget, char *err, size_t errlen)
{
	char why[512];
	uint64_t copied;
	size_t i;
	int fd, ret = 0;

	unlink(out);
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", out, strerror(errno));
		return -errno;
	}
	for (i = 0; !ret && i < n; i++) {
		ret = bl_fs_copy(fs, paths[i], fd, *budget, &copied, why, sizeof(why));
		if (ret == -EFBIG)
			snprintf(err, errlen, "%s (the kernel and initrds take %u MiB at most)",
				 why, BL_MAX_BOOT_BYTES >> 20);
		else if (ret)
			snprintf(err, errlen, "%s", why);
		if (!ret)
			*budget -= copied;
	}
	if (close(fd) && !ret) {
		snprintf(err, errlen, "cannot write %s: %s", out, strerror(errno));
		ret = -EIO;
	}
	if (ret)
		unlink(out);
	return ret;
}

static int choose(struct found *f, const struct bl_args *a, struct bl_menu *menu,
		  const struct bl_entry **entry, char *err, size_t errlen)
{
	char *text = NULL, ferr[512];
	size_t len, index;
	int ret;

	ret = bl_fs_read(f->fs, f->config, BL_MAX_CFG_BYTES, &text, &len, ferr, sizeof(ferr));
	if (!ret && f->legacy)
		ret = bl_legacy_parse(f->config, text, len, menu, ferr, sizeof(ferr));
	else if (!ret)
		ret = bl_grub_parse(f->config, text, len, read_config, f, menu, ferr, sizeof(ferr));
	if (!ret)
		ret = bl_menu_select(menu, a->has_entry ? a->entry : NULL, &index, ferr,
				     sizeof(ferr));
	if (!ret) {
		*entry = &menu->entries[index];
		if ((*entry)->args_problem && !a->has_args) {
			snprintf(ferr, sizeof(ferr), "menu entry '%s': %s (give --args=)",
				 (*entry)->title, (*entry)->args_problem);
			ret = -EINVAL;
		}
	}
	if (ret)
		snprintf(err, errlen, "%s", ferr);
	free(text);
	return ret;
}

int bootloader_extract(const char *disk_path, const char *format, const char *args,
		       const char *out_dir, struct boot_choice *out, char *err, size_t errlen)
{
	struct found f = { 0 };
	struct bl_menu menu = { 0 };
	const struct bl_entry *entry = NULL;
	struct bl_args a;
	struct bl_disk disk = { 0 };
	struct blk_image *img = NULL;
	char where[32], kerr[640];
	char *kernel_path[1], *ramdisk_path[1];
	uint64_t budget = BL_MAX_BOOT_BYTES;
	int fd = -1, ret;

	memset(out, 0, sizeof(*out));
	ret = parse_args(args, &a, err, errlen);
	if (ret)
		return ret;
	ret = open_disk(disk_path, format, &fd, &img, &disk, err, errlen);
	if (ret)
		goto out;
	ret = find_config(&disk, !a.has_kernel, &f, kerr, sizeof(kerr));
	if (!ret && !a.has_kernel)
		ret = choose(&f, &a, &menu, &entry, kerr, sizeof(kerr));
	if (ret) {
		snprintf(err, errlen, "%s: %s", disk_path, kerr);
		goto out;
	}
	describe_part(&f.part, where, sizeof(where));
	snprintf(out->source, sizeof(out->source), "%s (%s): %s", where, f.fs_name,
		 entry ? f.config : "--kernel=");
	if (entry)
		snprintf(out->title, sizeof(out->title), "%s", entry->title);
	snprintf(out->cmdline, sizeof(out->cmdline), "%s",
		 a.has_args ? a.args
		 : entry    ? entry->args
			    : "");
	ret = make_dir(out_dir, err, errlen);
	if (ret)
		goto out;
	if (snprintf(out->kernel, sizeof(out->kernel), "%s/kernel", out_dir) >=
		    (int)sizeof(out->kernel) ||
	    snprintf(out->initrd, sizeof(out->initrd), "%s/initrd", out_dir) >=
		    (int)sizeof(out->initrd)) {
		snprintf(err, errlen, "output directory path too long");
		ret = -ENAMETOOLONG;
		goto out;
	}
	kernel_path[0] = a.has_kernel ? a.kernel : entry->kernel;
	ramdisk_path[0] = a.ramdisk;
	ret = copy_out(f.fs, kernel_path, 1, out->kernel, &budget, kerr, sizeof(kerr));
	if (!ret && (a.has_ramdisk || (entry && entry->ninitrds)))
		ret = copy_out(f.fs, a.has_kernel ? ramdisk_path : entry->initrds,
			       a.has_kernel ? 1 : entry->ninitrds, out->initrd, &budget, kerr,
			       sizeof(kerr));
	else
		unlink(out->initrd), out->initrd[0] = '\0';
	if (ret) {
		snprintf(err, errlen, "%s: %s", disk_path, kerr);
		unlink(out->kernel);
	}
out:
	bl_menu_free(&menu);
	bl_fs_close(f.fs);
	blk_image_close(img);
	if (fd >= 0)
		close(fd);
	return ret;
}

void bootloader_clean(const char *out_dir)
{
	char path[BL_PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/kernel", out_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/initrd", out_dir);
	unlink(path);
	rmdir(out_dir);
}
