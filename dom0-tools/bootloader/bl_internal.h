/* SPDX-License-Identifier: MIT */
/*
 * Between the bootloader's files: the partition tables (bl_part.c), the ext reader
 * (bl_extfs.c) and the GRUB configuration parsers (bl_grub_lex.c, bl_grub.c, bl_legacy.c).
 * The unit tests use these directly on crafted buffers.
 */
#ifndef SV_BL_INTERNAL_H
#define SV_BL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitvisor/limits.h>

#define BL_MAX_PARTS	  128u	     /* partitions looked at on one disk */
#define BL_MAX_CFG_BYTES  (1u << 20) /* one configuration file */
#define BL_MAX_CFG_TOTAL  (4u << 20) /* all files that source and configfile read */
#define BL_MAX_CFG_DEPTH  8u	     /* source / configfile nesting */
#define BL_MAX_ENTRIES	  256u	     /* menu entries and submenus */
#define BL_MAX_SUBMENU	  8u	     /* submenu nesting */
#define BL_MAX_WORD	  4096u	     /* one word of a command, after expansion */
#define BL_MAX_WORDS	  256u	     /* words in one command */
#define BL_MAX_VARS	  256u	     /* variables set */
#define BL_MAX_INITRDS	  8u	     /* initrds of one entry, concatenated */
#define BL_MAX_SYMLINKS	  8u	     /* symbolic links followed on one path */
#define BL_MAX_PATH_DEPTH 64u	     /* directories deep */

/* Reads len bytes at off of a disk: 0 or -errno (-EIO on a short read). */
struct bl_disk {
	int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
	void *ctx;
	uint64_t size;
};

struct bl_part {
	unsigned int number; /* 1-based as Linux names them; 0 for a whole-disk filesystem */
	uint64_t offset, size;
};

/*
 * The places a filesystem may be: the whole disk when one starts at byte 0, else the
 * partitions of its MBR or GPT (extended MBR partitions are not followed).
 */
int bl_part_scan(const struct bl_disk *disk, struct bl_part *parts, size_t max, size_t *n,
		 char *err, size_t errlen);
/* "ext2", "ext3", "ext4", another filesystem's name, or NULL when none is recognised. */
const char *bl_fs_probe(const struct bl_disk *disk, uint64_t off, uint64_t size);
uint32_t bl_crc32(const void *buf, size_t len);
/* The bytes an ext superblock at off says its filesystem spans; -EINVAL when malformed. */
int bl_ext_claimed_bytes(const struct bl_disk *disk, uint64_t off, uint64_t *bytes);

/*
 * libext2fs's I/O manager over a partition of a bl_disk (bl_io.c): ext2fs_open2 with the name
 * bl_io_name gives for src, while src lives; reads outside the partition fail.
 */
struct bl_io_source {
	const struct bl_disk *disk;
	uint64_t offset, size;
};
struct struct_io_manager;
struct struct_io_manager *bl_io_manager(void);
int bl_io_name(const struct bl_io_source *src, char *buf, size_t len);

/* An ext2/3/4 filesystem through libext2fs, opened read-only on a partition of a disk. */
struct bl_fs;
int bl_fs_open(const struct bl_disk *disk, uint64_t offset, uint64_t size, struct bl_fs **fs,
	       char *err, size_t errlen);
void bl_fs_close(struct bl_fs *fs);
/* A regular file's size; its path is resolved inside the filesystem only. */
int bl_fs_size(struct bl_fs *fs, const char *path, uint64_t *size, char *err, size_t errlen);
/* Reads a regular file of at most max bytes (-EFBIG beyond) into a malloc'd, NUL-ended buf. */
int bl_fs_read(struct bl_fs *fs, const char *path, size_t max, char **buf, size_t *len, char *err,
	       size_t errlen);
/* Appends a regular file of at most max bytes (-EFBIG beyond) to fd. */
int bl_fs_copy(struct bl_fs *fs, const char *path, int fd, uint64_t max, uint64_t *copied,
	       char *err, size_t errlen);

/* A menu as a GRUB configuration describes it. */
struct bl_entry {
	char *title;
	char *id;     /* --id, or NULL */
	char *path;   /* "2>0": its place among the items of each level, as GRUB counts */
	bool submenu; /* a submenu: it holds entries, boots nothing itself */
	unsigned int line;
	char *kernel; /* path inside the filesystem; NULL when the entry has no linux line */
	char *args;   /* the kernel's arguments joined by spaces; never NULL for a kernel */
	char *initrds[BL_MAX_INITRDS];
	size_t ninitrds;
	char *problem;	    /* why it cannot boot (an unset variable, ...), or NULL */
	char *args_problem; /* an unset variable in the arguments, or NULL */
};

struct bl_menu {
	struct bl_entry *entries; /* in document order, submenus before their entries */
	size_t nentries;
	char *default_entry; /* "default" as set; NULL when unset or not resolvable */
	bool uses_blscfg;    /* the entries would come from Boot Loader Spec files */
};

/* Reads a configuration file for source and configfile (bounded by BL_MAX_CFG_BYTES). */
typedef int (*bl_read_fn)(void *ctx, const char *path, char **buf, size_t *len, char *err,
			  size_t errlen);

int bl_grub_parse(const char *name, const char *text, size_t len, bl_read_fn read, void *ctx,
		  struct bl_menu *menu, char *err, size_t errlen);
/* GRUB legacy's menu.lst / grub.conf: title, root, kernel, initrd, default. */
int bl_legacy_parse(const char *name, const char *text, size_t len, struct bl_menu *menu, char *err,
		    size_t errlen);
void bl_menu_free(struct bl_menu *menu);
/*
 * The entry to boot: spec NULL takes the menu's default as GRUB would (a number path such as
 * "1>2", a title or an id; a submenu means its first entry). spec given is pygrub's --entry:
 * a number counts every menu entry of the file in order, submenus flattened; else a path,
 * title or id. The index into menu->entries, or -errno with a sentence.
 */
int bl_menu_select(const struct bl_menu *menu, const char *spec, size_t *index, char *err,
		   size_t errlen);
/* Drops a leading GRUB device, "(hd0,msdos1)/boot/x" -> "/boot/x". */
const char *bl_strip_device(const char *path);

#endif
