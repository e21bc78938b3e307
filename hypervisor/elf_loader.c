// SPDX-License-Identifier: MIT
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "elf_loader.h"

/* Our kernels are small; a cap keeps a hostile file from eating the host. */
#define SV_ELF_MAX_FILE	 (256u << 20)
#define SV_ELF_MAX_PHDRS 64u

static int elf_check_header(const Elf64_Ehdr *eh, size_t len, char *err, size_t errlen)
{
	uint64_t ph_end;

	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return errmsg_set(err, errlen, -ENOEXEC, "not an ELF file (bad magic)");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return errmsg_set(err, errlen, -ENOEXEC, "ELF class %u, expected ELFCLASS64",
				  eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return errmsg_set(err, errlen, -ENOEXEC, "ELF is not little-endian");
	if (eh->e_machine != EM_X86_64)
		return errmsg_set(err, errlen, -ENOEXEC, "ELF machine %u, expected x86-64 (%u)",
				  eh->e_machine, EM_X86_64);
	if (eh->e_type != ET_EXEC)
		return errmsg_set(err, errlen, -ENOEXEC, "ELF type %u, expected an executable",
				  eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return errmsg_set(err, errlen, -ENOEXEC, "program header size %u, expected %zu",
				  eh->e_phentsize, sizeof(Elf64_Phdr));
	if (eh->e_phnum == 0 || eh->e_phnum > SV_ELF_MAX_PHDRS)
		return errmsg_set(err, errlen, -ENOEXEC, "%u program headers (1..%u allowed)",
				  eh->e_phnum, SV_ELF_MAX_PHDRS);
	ph_end = eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
	if (eh->e_phoff > len || ph_end < eh->e_phoff || ph_end > len)
		return errmsg_set(err, errlen, -EBADMSG,
				  "truncated: program headers end at %llu, file has %zu bytes",
				  (unsigned long long)ph_end, len);
	return 0;
}

static int elf_check_segment(const Elf64_Phdr *ph, unsigned int idx, size_t len,
			     const struct guest_mem *mem, uint64_t reserved_end, char *err,
			     size_t errlen)
{
	uint64_t end = ph->p_paddr + ph->p_memsz;

	if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset)
		return errmsg_set(err, errlen, -EBADMSG,
				  "truncated: segment %u needs bytes %llu..%llu, file has %zu", idx,
				  (unsigned long long)ph->p_offset,
				  (unsigned long long)(ph->p_offset + ph->p_filesz), len);
	if (ph->p_filesz > ph->p_memsz)
		return errmsg_set(err, errlen, -ENOEXEC, "segment %u: file size above memory size",
				  idx);
	if (end < ph->p_paddr || !guest_ptr(mem, ph->p_paddr, ph->p_memsz))
		return errmsg_set(
			err, errlen, -ERANGE,
			"segment %u at 0x%llx..0x%llx is outside guest RAM (below 0x%llx, "
			"without the hole at 3..4 GiB)",
			idx, (unsigned long long)ph->p_paddr, (unsigned long long)end,
			(unsigned long long)mem->end);
	if (ph->p_paddr < reserved_end)
		return errmsg_set(
			err, errlen, -EADDRINUSE,
			"segment %u at 0x%llx overlaps the core's reserved pages below 0x%llx", idx,
			(unsigned long long)ph->p_paddr, (unsigned long long)reserved_end);
	return 0;
}

int elf_load(const void *image, size_t len, struct guest_mem *mem, uint64_t reserved_end,
	     struct elf_info *info, char *err, size_t errlen)
{
	return elf_load_entry(image, len, mem, reserved_end, ELF_ENTRY_FROM_HEADER, info, err,
			      errlen);
}

int elf_load_entry(const void *image, size_t len, struct guest_mem *mem, uint64_t reserved_end,
		   uint64_t entry, struct elf_info *info, char *err, size_t errlen)
{
	const uint8_t *img = image;
	const Elf64_Ehdr *eh = image;
	Elf64_Phdr ph[SV_ELF_MAX_PHDRS];
	unsigned int i, j, nload = 0;
	uint64_t lo = UINT64_MAX, hi = 0;
	int ret;

	if (len < sizeof(Elf64_Ehdr))
		return errmsg_set(err, errlen,
				  len >= SELFMAG && !memcmp(img, ELFMAG, SELFMAG) ? -EBADMSG
										  : -ENOEXEC,
				  "truncated: %zu bytes is shorter than an ELF64 header", len);
	ret = elf_check_header(eh, len, err, errlen);
	if (ret)
		return ret;
	/* Copy the headers once so checks and use see the same bytes. */
	memcpy(ph, img + eh->e_phoff, eh->e_phnum * sizeof(Elf64_Phdr));

	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz)
			continue;
		ret = elf_check_segment(&ph[i], i, len, mem, reserved_end, err, errlen);
		if (ret)
			return ret;
		for (j = 0; j < i; j++) {
			if (ph[j].p_type != PT_LOAD || !ph[j].p_memsz)
				continue;
			if (ph[i].p_paddr < ph[j].p_paddr + ph[j].p_memsz &&
			    ph[j].p_paddr < ph[i].p_paddr + ph[i].p_memsz)
				return errmsg_set(err, errlen, -EADDRINUSE,
						  "segments %u and %u overlap", j, i);
		}
		if (ph[i].p_paddr < lo)
			lo = ph[i].p_paddr;
		if (ph[i].p_paddr + ph[i].p_memsz > hi)
			hi = ph[i].p_paddr + ph[i].p_memsz;
		nload++;
	}
	if (!nload)
		return errmsg_set(err, errlen, -ENOEXEC, "no loadable segment");
	if (entry == ELF_ENTRY_FROM_HEADER)
		entry = eh->e_entry;
	if (entry < lo || entry >= hi)
		return errmsg_set(err, errlen, -ERANGE,
				  "entry point 0x%llx is outside the loaded image 0x%llx..0x%llx",
				  (unsigned long long)entry, (unsigned long long)lo,
				  (unsigned long long)hi);

	for (i = 0; i < eh->e_phnum; i++) {
		uint8_t *dst;

		if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz)
			continue;
		dst = guest_ptr(mem, ph[i].p_paddr, ph[i].p_memsz);
		memcpy(dst, img + ph[i].p_offset, ph[i].p_filesz);
		memset(dst + ph[i].p_filesz, 0, ph[i].p_memsz - ph[i].p_filesz);
	}
	info->entry = entry;
	info->load_start = lo;
	info->load_end = hi;
	return 0;
}

int elf_read_file(const char *path, const char *what, size_t max, uint8_t **bufp, size_t *lenp,
		  char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t done = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errmsg_set(err, errlen, -errno, "cannot open %s %s: %s", what, path,
				  strerror(errno));
	if (fstat(fd, &st) < 0) {
		ret = errmsg_set(err, errlen, -errno, "cannot stat %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		ret = errmsg_set(err, errlen, -EFBIG,
				 "%s %s is not a regular file of at most %zu MiB", what, path,
				 max >> 20);
		goto out;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	/* A file that shrinks under us ends the loop early; one that grows is cut at st_size. */
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = errmsg_set(err, errlen, n < 0 ? -errno : -EIO, "cannot read %s",
					 path);
			goto out;
		}
		done += (size_t)n;
	}
	*bufp = buf;
	*lenp = done;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	close(fd);
	return ret;
}

int elf_load_file(const char *path, struct guest_mem *mem, uint64_t reserved_end,
		  struct elf_info *info, char *err, size_t errlen)
{
	uint8_t *buf;
	size_t len;
	int ret;

	ret = elf_read_file(path, "kernel", SV_ELF_MAX_FILE, &buf, &len, err, errlen);
	if (ret)
		return ret;
	ret = elf_load(buf, len, mem, reserved_end, info, err, errlen);
	if (ret && err && errlen) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", err);
		snprintf(err, errlen, "%s: %s", path, msg);
	}
	free(buf);
	return ret;
}
