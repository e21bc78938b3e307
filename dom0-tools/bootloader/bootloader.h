/* SPDX-License-Identifier: MIT */
/*
 * The toolstack's built-in bootloader, in the role of Xen's pygrub: it finds the kernel,
 * initrd and command line that a guest's disk names in its GRUB configuration and copies
 * them out of the image. The image is only ever read as data: nothing from it runs, and
 * every length, count and path taken from it is bounded and resolved inside its filesystem.
 */
#ifndef SV_BOOTLOADER_H
#define SV_BOOTLOADER_H

#include <stddef.h>

#include <splitvisor/limits.h>

/* Kernel and initrds together, as copied out of the image. */
#define BL_MAX_BOOT_BYTES (256u << 20)
#define BL_PATH_MAX	  1024u

struct boot_choice {
	char kernel[BL_PATH_MAX]; /* out_dir/kernel */
	char initrd[BL_PATH_MAX]; /* out_dir/initrd, or "" when the entry has none */
	char cmdline[SV_MAX_CMDLINE];
	char title[256];  /* the menu entry's title; "" when --kernel named the kernel */
	char source[256]; /* where it came from: "partition 1 (ext4): /boot/grub/grub.cfg" */
};

/*
 * Reads disk_path, picks the entry that args (pygrub's --entry=, --kernel=, --ramdisk=,
 * --args=; NULL or "" for the default entry) names, and writes its kernel and initrd into
 * out_dir (made if missing, 0700). format is the disk's <driver type>: NULL or "raw" reads
 * the file or block device itself; qcow2 is read through QEMU's storage daemon, started
 * read-only for the call and stopped before it returns. 0 or -errno with a sentence in err.
 */
int bootloader_extract(const char *disk_path, const char *format, const char *args,
		       const char *out_dir, struct boot_choice *out, char *err, size_t errlen);

/*
 * The same in a child process with limits on CPU time, memory and file size, killed after
 * timeout_s: a filesystem crafted to trip the ext reader cannot take the caller down. A
 * storage daemon the child started dies with it.
 */
int bootloader_run(const char *disk_path, const char *format, const char *args, const char *out_dir,
		   unsigned int timeout_s, struct boot_choice *out, char *err, size_t errlen);

/* Removes what bootloader_extract wrote into out_dir, and out_dir itself. */
void bootloader_clean(const char *out_dir);

#endif
