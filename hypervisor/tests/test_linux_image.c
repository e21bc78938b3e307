// SPDX-License-Identifier: MIT
/*
 * The Linux loader on kernels this test builds itself: a small ELF64 with a PVH entry note, an
 * executable segment holding the vmmcall/vmcall pair and a data segment with bss, compressed
 * with each library Debian kernels use and wrapped in a minimal bzImage header; then hostile
 * variants of it; then, where the VM harness left one on this machine, Debian's own vmlinuz.
 */
#include <bzlib.h>
#include <check.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <lz4.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include <splitvisor/hypercall.h>
#include <splitvisor/start_info.h>

#include "linux_image.h"
#include "pvh_boot.h"
#include "tiny_pvh.h"

#define RAM_SIZE   (16u << 20)
#define SETUP_LEN  (5u * 512) /* setup_sects 0 means 4, plus the boot sector */
#define PAYLOAD_AT 0x100u     /* payload_offset */

#define MEM_FIXTURE_SIZE RAM_SIZE
#define MEM_FIXTURE_NAME "linux-test"
#include "mem_fixture.h"

enum codec { XZ, LZMA, GZIP, ZSTD, LZ4, BZIP2, NR_CODECS };
static const char *const codec_name[] = { "xz", "lzma", "gzip", "zstd", "lz4", "bzip2" };

/* Compresses in into out (capacity cap), the way the kernel's build does; returns the length. */
static size_t pack(enum codec c, const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	size_t n = 0;

	switch (c) {
	case XZ:
		ck_assert_int_eq(
			lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in, len, out, &n, cap),
			LZMA_OK);
		break;
	case LZMA: {
		lzma_stream s = LZMA_STREAM_INIT;
		lzma_options_lzma o;

		lzma_lzma_preset(&o, 6);
		ck_assert_int_eq(lzma_alone_encoder(&s, &o), LZMA_OK);
		s.next_in = in;
		s.avail_in = len;
		s.next_out = out;
		s.avail_out = cap;
		ck_assert_int_eq(lzma_code(&s, LZMA_FINISH), LZMA_STREAM_END);
		n = s.total_out;
		lzma_end(&s);
		break;
	}
	case GZIP: {
		z_stream z = { 0 };

		ck_assert_int_eq(
			deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
			Z_OK);
		z.next_in = (Bytef *)in;
		z.avail_in = (uInt)len;
		z.next_out = out;
		z.avail_out = (uInt)cap;
		ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
		n = z.total_out;
		deflateEnd(&z);
		return n; /* gzip's own trailer ends with the size */
	}
	case ZSTD:
		n = ZSTD_compress(out, cap, in, len, 19);
		ck_assert(!ZSTD_isError(n));
		break;
	case LZ4: /* lz4 -l: the legacy magic, then {le32 size, block} */
		put32(out, 0x184c2102u);
		n = (size_t)LZ4_compress_default((const char *)in, (char *)out + 8, (int)len,
						 (int)cap - 8);
		ck_assert_uint_gt(n, 0);
		put32(out + 4, (uint32_t)n);
		n += 8;
		break;
	case BZIP2: {
		unsigned int bn = (unsigned int)cap;

		ck_assert_int_eq(BZ2_bzBuffToBuffCompress((char *)out, &bn, (char *)in,
							  (unsigned int)len, 9, 0, 0),
				 BZ_OK);
		n = bn;
		break;
	}
	default:
		ck_abort();
	}
	put32(out + n, (uint32_t)len); /* the build's size_append */
	return n + 4;
}

/* A bzImage around a payload; returns its length. */
static size_t make_bzimage(uint8_t *img, const uint8_t *payload, size_t plen)
{
	memset(img, 0, SETUP_LEN + PAYLOAD_AT);
	img[0x1f1] = 0;
	memcpy(img + 0x202, "HdrS", 4);
	put32(img + 0x248, PAYLOAD_AT);
	put32(img + 0x24c, (uint32_t)plen);
	memcpy(img + SETUP_LEN + PAYLOAD_AT, payload, plen);
	/* Bytes after the payload (the kernel has some) must not matter. */
	memset(img + SETUP_LEN + PAYLOAD_AT + plen, 0xcc, 64);
	return SETUP_LEN + PAYLOAD_AT + plen + 64;
}

static size_t make_kernel(enum codec c, uint8_t *img, const uint8_t *elf, size_t elf_len)
{
	uint8_t payload[4096];

	return make_bzimage(img, payload, pack(c, elf, elf_len, payload, sizeof(payload) - 4));
}

static int load(uint8_t *img, size_t len, uint64_t *site, struct elf_info *info)
{
	struct elf_info dummy;
	uint64_t s;

	return linux_load(img, len, &mem, PVH_HIGH_RAM, SV_XEN_HYPERCALL_PORT, info ? info : &dummy,
			  site ? site : &s, err, sizeof(err));
}

/* Where the short or near jump at p goes. */
static const uint8_t *jump_target(const uint8_t *p)
{
	int32_t rel;

	if (p[0] == 0xeb || p[0] == 0x75) /* jmp, jne rel8 */
		return p + 2 + (int8_t)p[1];
	ck_assert_uint_eq(p[0], 0xe9); /* jmp rel32 */
	memcpy(&rel, p + 1, 4);
	return p + 5 + rel;
}

/*
 * The send stub: Linux's two hypercall functions at amd keep their returns at +3 (ret3 and
 * ret19, 5 bytes each, as they were; apply_returns checks them) and jump to the stub in int3
 * padding, where EVTCHNOP_send of event_channel_op writes the port to the notify port and
 * returns 0, and the rest goes to the gate; both return through the kept returns. Checked
 * byte by byte against the encodings, every jump target included. Returns the stub.
 */
static const uint8_t *check_send_stub(const uint8_t *amd, const char *ret3, const char *ret19)
{
	static const uint8_t int3[16] = { 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
					  0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc };
	const uint8_t *s;

	ck_assert_mem_eq(amd + 3, ret3, 5);
	ck_assert_mem_eq(amd + 19, ret19, 5);
	ck_assert_uint_eq(amd[0], 0xeb); /* the vmmcall entry: jmp amd + 8 */
	ck_assert_ptr_eq(jump_target(amd), amd + 8);
	ck_assert_uint_eq(amd[2], 0xcc);
	s = jump_target(amd + 8); /* jmp stub */
	ck_assert_mem_eq(amd + 13, int3, 3);
	ck_assert_uint_eq(amd[16], 0xeb); /* the vmcall entry: jmp amd + 8 */
	ck_assert_ptr_eq(jump_target(amd + 16), amd + 8);
	ck_assert_uint_eq(amd[18], 0xcc);
	ck_assert_mem_eq(amd + 24, int3, 8);

	/* The stub, with int3 on either side: it was padding. */
	ck_assert(s < amd);
	ck_assert_mem_eq(s - 16, int3, 16);
	ck_assert_mem_eq(s + 32, int3, 16);
	ck_assert_mem_eq(s, "\x83\xf8\x20", 3);		/* cmp $32, %eax */
	ck_assert_ptr_eq(jump_target(s + 3), s + 22);	/* jne gate */
	ck_assert_mem_eq(s + 5, "\x48\x83\xff\x04", 4); /* cmp $4, %rdi */
	ck_assert_ptr_eq(jump_target(s + 9), s + 22);	/* jne gate */
	ck_assert_mem_eq(s + 11, "\x8b\x06", 2);	/* mov (%rsi), %eax */
	ck_assert_uint_eq(s[13], 0xe7);			/* out %eax, $notify */
	ck_assert_uint_eq(s[14], SV_NOTIFY_PORT);
	ck_assert_mem_eq(s + 15, "\x31\xc0", 2);	 /* xor %eax, %eax */
	ck_assert_ptr_eq(jump_target(s + 17), amd + 3);	 /* jmp to the first return */
	ck_assert_mem_eq(s + 22, "\xe7\xec", 2);	 /* gate: out %eax, $0xec */
	ck_assert_ptr_eq(jump_target(s + 24), amd + 19); /* jmp to the second return */
	ck_assert_mem_eq(s + 29, int3, 3);
	return s;
}

/* What a function's `ret` at +3 becomes: the ret, then int3 instead of the padding. */
#define RET_INT3 "\xc3\xcc\xcc\xcc\xcc"

static void check_loaded(const struct elf_info *info, uint64_t site)
{
	const uint8_t *text = mem.hva + TEXT_PA;

	ck_assert_uint_eq(info->entry, ENTRY_PA);
	ck_assert_uint_eq(info->load_start, TEXT_PA);
	ck_assert_uint_eq(info->load_end, DATA_PA + 4096);
	ck_assert_uint_eq(site, TEXT_PA + VMMCALL_AT + 16);
	/* Each hypercall instruction is followed by ret and NOP padding: the send stub. */
	ck_assert_ptr_eq(check_send_stub(text + VMMCALL_AT, RET_INT3, RET_INT3), text + STUB_AT);
	ck_assert_uint_eq(text[0], 0x90);
	ck_assert_uint_eq(mem.hva[DATA_PA], 0x5a);
	ck_assert_uint_eq(mem.hva[DATA_PA + DATA_LEN - 1], 0x5a);
	ck_assert_uint_eq(mem.hva[DATA_PA + DATA_LEN], 0);
	ck_assert_uint_eq(mem.hva[DATA_PA + 4095], 0);
}

START_TEST(loads_each_compression)
{
	uint8_t elf[ELF_LEN], img[8192];
	struct elf_info info;
	uint64_t site = 0;
	size_t len;

	_Static_assert(SV_XEN_HYPERCALL_PORT == 0xec, "the test's expected bytes");
	make_elf(elf, 8);
	len = make_kernel((enum codec)_i, img, elf, sizeof(elf));
	memset(mem.hva + DATA_PA, 0xee, 8192);
	ck_assert_msg(load(img, len, &site, &info) == 0, "%s: %s", codec_name[_i], err);
	check_loaded(&info, site);
}
END_TEST

START_TEST(loads_a_plain_elf_and_a_4_byte_note)
{
	uint8_t elf[ELF_LEN];
	struct elf_info info;
	uint64_t site = 0;

	make_elf(elf, 4);
	ck_assert_msg(load(elf, sizeof(elf), &site, &info) == 0, "%s", err);
	check_loaded(&info, site);
}
END_TEST

START_TEST(leaves_our_own_elf_alone)
{
	uint8_t elf[ELF_LEN];
	Elf64_Phdr *ph;

	make_elf(elf, 8);
	ph = (Elf64_Phdr *)(elf + sizeof(Elf64_Ehdr));
	ph[2].p_type = PT_NULL; /* no note segment: our own kind of kernel */
	ck_assert_int_eq(load(elf, sizeof(elf), NULL, NULL), -ENOENT);
	ck_assert_uint_eq(mem.hva[TEXT_PA], 0); /* nothing loaded */
	ck_assert_mem_eq(elf + TEXT_OFF + VMMCALL_AT, "\x0f\x01\xd9", 3);
}
END_TEST

START_TEST(refuses_a_mangled_note)
{
	uint8_t elf[ELF_LEN], img[8192];
	size_t len;

	make_elf(elf, 2); /* a 2-byte entry */
	ck_assert_int_eq(load(elf, sizeof(elf), NULL, NULL), -EBADMSG);
	ck_assert_msg(strstr(err, "mangled PVH entry note") && strstr(err, "2-byte"), "%s", err);

	make_elf(elf, 8);
	put32(elf + NOTE_OFF + 24, 4096); /* descsz past the segment */
	len = make_kernel(XZ, img, elf, sizeof(elf));
	ck_assert_int_eq(load(img, len, NULL, NULL), -EBADMSG);
	ck_assert_msg(strstr(err, "bzImage (xz)") && strstr(err, "mangled ELF note at file offset "
								 "0x114"),
		      "%s", err);

	make_elf(elf, 8);
	memcpy(elf + NOTE_OFF + 32, "Xeo", 4); /* no entry note at all */
	len = make_kernel(XZ, img, elf, sizeof(elf));
	ck_assert_int_eq(load(img, len, NULL, NULL), -ENOEXEC);
	ck_assert_msg(strstr(err, "no PVH entry note"), "%s", err);
	ck_assert_uint_eq(mem.hva[TEXT_PA], 0);
}
END_TEST

START_TEST(refuses_a_truncated_xz_payload)
{
	uint8_t elf[ELF_LEN], payload[4096], img[8192];
	size_t plen, len;

	make_elf(elf, 8);
	plen = pack(XZ, elf, sizeof(elf), payload, sizeof(payload) - 4);
	/* The header says less than the stream: the stream is cut, the size field read early. */
	memmove(payload + plen / 2 - 4, payload + plen - 4, 4);
	len = make_bzimage(img, payload, plen / 2);
	ck_assert_int_eq(load(img, len, NULL, NULL), -EBADMSG);
	ck_assert_msg(strstr(err, "xz payload is truncated"), "%s", err);

	/* The file ends inside the payload. */
	len = make_bzimage(img, payload, plen);
	ck_assert_int_eq(load(img, SETUP_LEN + PAYLOAD_AT + plen - 10, NULL, NULL), -EBADMSG);
	ck_assert_msg(strstr(err, "truncated bzImage"), "%s", err);

	/* A flipped byte inside the stream: the CRC or the decoder catches it. */
	len = make_bzimage(img, payload, plen);
	img[SETUP_LEN + PAYLOAD_AT + plen / 2] ^= 0xff;
	ck_assert_int_eq(load(img, len, NULL, NULL), -EBADMSG);
	ck_assert_msg(strstr(err, "xz payload"), "%s", err);
}
END_TEST

START_TEST(refuses_size_lies)
{
	uint8_t elf[ELF_LEN], payload[4096], img[8192];
	size_t plen, len;

	make_elf(elf, 8);
	for (int c = 0; c < NR_CODECS; c++) {
		plen = pack((enum codec)c, elf, sizeof(elf), payload, sizeof(payload) - 4);
		/* Too small: the output overflows; too large: it falls short. */
		put32(payload + plen - 4, ELF_LEN - 100);
		len = make_bzimage(img, payload, plen);
		ck_assert_int_eq(load(img, len, NULL, NULL), -EBADMSG);
		ck_assert_msg(strstr(err, "past its declared") || strstr(err, "size field"),
			      "%s: %s", codec_name[c], err);
		put32(payload + plen - 4, ELF_LEN + 100);
		len = make_bzimage(img, payload, plen);
		ck_assert_int_eq(load(img, len, NULL, NULL), -EBADMSG);
		ck_assert_msg(strstr(err, "size field says 932") || strstr(err, "truncated") ||
				      (c == GZIP && strstr(err, "corrupt")),
			      "%s: %s", codec_name[c], err);
		/* Above the bound: refused before anything is allocated. */
		put32(payload + plen - 4, 0xfffffff0u);
		len = make_bzimage(img, payload, plen);
		ck_assert_int_eq(load(img, len, NULL, NULL), -EFBIG);
		ck_assert_msg(strstr(err, "above the 256 MiB limit"), "%s", err);
	}
}
END_TEST

/* Code (not padding) after either instruction: only the two instructions are rewritten. */
START_TEST(rewrites_in_place_when_code_follows)
{
	uint8_t elf[ELF_LEN];
	uint64_t site;
	bool stub = true;

	for (int which = 0; which < 2; which++) {
		make_elf(elf, 8);
		elf[TEXT_OFF + VMMCALL_AT + which * 16 + 6] = 0x48; /* not a padding form */
		ck_assert_int_eq(linux_patch_hypercalls(elf, sizeof(elf), SV_XEN_HYPERCALL_PORT,
							&site, &stub, err, sizeof(err)),
				 0);
		ck_assert(!stub);
		ck_assert_mem_eq(elf + TEXT_OFF + VMMCALL_AT, "\xe7\xec\x90\xc3", 4);
		ck_assert_mem_eq(elf + TEXT_OFF + VMMCALL_AT + 16, "\xe7\xec\x90\xc3", 4);
	}
	/* The jmp to a return thunk and an 8-byte NOP, as Debian's kernel has them. */
	make_elf(elf, 8);
	memcpy(elf + TEXT_OFF + VMMCALL_AT + 3, "\xe9\xa8\xe0\x3b\x00\x0f\x1f\x84\0\0\0\0\0", 13);
	memcpy(elf + TEXT_OFF + VMMCALL_AT + 19,
	       "\xe9\x98\xe0\x3b\x00\xcc\xcc\xcc\xcc\xcc\xcc\xcc\xcc", 13);
	ck_assert_int_eq(linux_patch_hypercalls(elf, sizeof(elf), SV_XEN_HYPERCALL_PORT, &site,
						&stub, err, sizeof(err)),
			 0);
	ck_assert(stub);
	/* The kernel's .return_sites lists those jmps: they stay, byte for byte. */
	ck_assert_ptr_eq(check_send_stub(elf + TEXT_OFF + VMMCALL_AT, "\xe9\xa8\xe0\x3b\x00",
					 "\xe9\x98\xe0\x3b\x00"),
			 elf + TEXT_OFF + STUB_AT);
}
END_TEST

/*
 * No room for the stub: fewer than 64 int3 in a row at a 16-byte boundary before the pair
 * (int3 after it, where .rodata could begin, does not count). Then the 3-byte rewrite, which
 * keeps the returns, and no send stub.
 */
START_TEST(rewrites_in_place_without_room_for_the_stub)
{
	uint8_t elf[ELF_LEN], *text = elf + TEXT_OFF;
	const uint8_t *amd = text + VMMCALL_AT;
	uint64_t site;
	bool stub = true;

	make_elf(elf, 8);
	text[PAD_AT + 16] = 0x90; /* leaves 16 and 63 int3 */
	memset(text + VMMCALL_AT + 32, 0xcc, TEXT_LEN - VMMCALL_AT - 32);
	memcpy(text + VMMCALL_AT + 3, "\xe9\xa8\xe0\x3b\x00", 5);
	memcpy(text + VMMCALL_AT + 19, "\xe9\x98\xe0\x3b\x00", 5);
	ck_assert_int_eq(linux_patch_hypercalls(elf, sizeof(elf), SV_XEN_HYPERCALL_PORT, &site,
						&stub, err, sizeof(err)),
			 0);
	ck_assert(!stub);
	ck_assert_mem_eq(amd, "\xe7\xec\x90\xe9\xa8\xe0\x3b\x00", 8);
	ck_assert_mem_eq(amd + 16, "\xe7\xec\x90\xe9\x98\xe0\x3b\x00", 8);
	for (unsigned int i = 0; i < PAD_LEN; i++)
		ck_assert_uint_eq(text[PAD_AT + i], i == 16 ? 0x90 : 0xcc);

	/* 64 of them, but off the 16-byte grid by one: still no room. */
	make_elf(elf, 8);
	text[PAD_AT] = 0x90;
	text[PAD_AT + 65] = 0x90;
	ck_assert_int_eq(linux_patch_hypercalls(elf, sizeof(elf), SV_XEN_HYPERCALL_PORT, &site,
						&stub, err, sizeof(err)),
			 0);
	ck_assert(!stub);
	ck_assert_mem_eq(amd, "\xe7\xec\x90\xc3", 4);
}
END_TEST

START_TEST(refuses_zero_or_two_hypercall_pairs)
{
	uint8_t elf[ELF_LEN], img[8192];
	size_t len;

	make_elf(elf, 8);
	elf[TEXT_OFF + VMMCALL_AT + 2] = 0xd8; /* no vmmcall before the vmcall */
	len = make_kernel(GZIP, img, elf, sizeof(elf));
	ck_assert_int_eq(load(img, len, NULL, NULL), -ENOEXEC);
	ck_assert_msg(strstr(err, "cannot find the kernel's hypercall pair") &&
			      strstr(err, "found 0"),
		      "%s", err);

	make_elf(elf, 8);
	memcpy(elf + TEXT_OFF + PAD_AT, "\x0f\x01\xd9", 3);
	memcpy(elf + TEXT_OFF + PAD_AT + 16, "\x0f\x01\xc1", 3);
	len = make_kernel(ZSTD, img, elf, sizeof(elf));
	ck_assert_int_eq(load(img, len, NULL, NULL), -ENOEXEC);
	ck_assert_msg(strstr(err, "ambiguous") && strstr(err, "found 2"), "%s", err);
	ck_assert_uint_eq(mem.hva[TEXT_PA], 0);

	/* The pair in a segment that is not executable does not count. */
	make_elf(elf, 8);
	((Elf64_Phdr *)(elf + sizeof(Elf64_Ehdr)))[0].p_flags = PF_R;
	ck_assert_int_eq(load(elf, sizeof(elf), NULL, NULL), -ENOEXEC);
}
END_TEST

START_TEST(refuses_segments_outside_ram_or_below_1mib)
{
	uint8_t elf[ELF_LEN], img[8192];
	Elf64_Phdr *ph = (Elf64_Phdr *)(elf + sizeof(Elf64_Ehdr));
	size_t len;

	make_elf(elf, 8);
	ph[1].p_paddr = RAM_SIZE - 2048;
	len = make_kernel(LZ4, img, elf, sizeof(elf));
	ck_assert_int_eq(load(img, len, NULL, NULL), -ERANGE);
	ck_assert_msg(strstr(err, "outside guest RAM"), "%s", err);

	make_elf(elf, 8);
	ph[1].p_paddr = PVH_START_INFO; /* our tables below 1 MiB */
	len = make_kernel(BZIP2, img, elf, sizeof(elf));
	ck_assert_int_eq(load(img, len, NULL, NULL), -EADDRINUSE);
	ck_assert_msg(strstr(err, "reserved pages below 0x100000"), "%s", err);
}
END_TEST

START_TEST(refuses_other_files_and_lzo)
{
	uint8_t img[8192] = "#!/bin/sh\n";
	uint8_t lzo[16] = { 0x89, 'L', 'Z', 'O', 0, 0x0d, 0x0a, 0x1a, 0x0a };
	size_t len;

	ck_assert_int_eq(load(img, sizeof(img), NULL, NULL), -ENOEXEC);
	ck_assert_msg(strstr(err, "neither an ELF nor a bzImage"), "%s", err);
	len = make_bzimage(img, lzo, sizeof(lzo));
	ck_assert_int_eq(load(img, len, NULL, NULL), -EOPNOTSUPP);
	ck_assert_msg(strstr(err, "lzo"), "%s", err);
	memcpy(lzo, "\x12\x34\x56\x78", 4);
	len = make_bzimage(img, lzo, sizeof(lzo));
	ck_assert_int_eq(load(img, len, NULL, NULL), -EOPNOTSUPP);
	ck_assert_msg(strstr(err, "12 34 56 78"), "%s", err);
}
END_TEST

/*
 * Debian's kernel, where the VM harness's cache holds one: scripts/kvm-vm.sh downloads it into
 * $KVM_VM_CACHE, by default <repo>/build-vm.
 */
static char *find_debian_vmlinuz(void)
{
	const char *root = getenv("KVM_VM_CACHE") ? getenv("KVM_VM_CACHE") : SV_VM_CACHE_DEFAULT;
	struct dirent *de;
	char *found = NULL;
	DIR *dir = opendir(root);

	while (dir && !found && (de = readdir(dir))) {
		char boot[1024];
		struct dirent *be;
		DIR *bd;

		if (strncmp(de->d_name, "linux-image-", 12))
			continue;
		snprintf(boot, sizeof(boot), "%s/%s/boot", root, de->d_name);
		bd = opendir(boot);
		while (bd && !found && (be = readdir(bd)))
			if (!strncmp(be->d_name, "vmlinuz-", 8) &&
			    asprintf(&found, "%s/%s", boot, be->d_name) < 0)
				found = NULL;
		if (bd)
			closedir(bd);
	}
	if (dir)
		closedir(dir);
	return found;
}

static unsigned int count_pairs(const uint8_t *p, size_t len)
{
	unsigned int n = 0;
	size_t i;

	for (i = 16; i + 3 <= len; i++)
		n += !memcmp(p + i, "\x0f\x01\xc1", 3) && !memcmp(p + i - 16, "\x0f\x01\xd9", 3);
	return n;
}

/*
 * Every byte the loader put in RAM against the kernel's own ELF: only the two hypercall
 * functions at amd and the send stub at stub differ.
 */
static void check_only_stub_changed(const uint8_t *ram, const uint8_t *elf, const uint8_t *amd,
				    const uint8_t *stub)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(elf + eh->e_phoff);
	size_t changed = 0, i;

	for (int n = 0; n < eh->e_phnum; n++) {
		if (ph[n].p_type != PT_LOAD)
			continue;
		for (i = 0; i < ph[n].p_filesz; i++) {
			const uint8_t *b = ram + ph[n].p_paddr + i;

			if (*b != elf[ph[n].p_offset + i] && !(b >= amd && b < amd + 32) &&
			    !(b >= stub && b < stub + 32))
				changed++;
		}
	}
	ck_assert_uint_eq(changed, 0);
}

START_TEST(loads_debian_vmlinuz)
{
	char *path = find_debian_vmlinuz();
	const uint8_t *pair = NULL, *stub;
	struct guest_mem big;
	struct elf_info info;
	uint8_t *file, *elf;
	const char *format;
	uint64_t site;
	size_t len, elf_len, i;
	int ret;

	if (!path) {
		fprintf(stderr,
			"loads_debian_vmlinuz: SKIPPED: no linux-image-*/boot/vmlinuz-* under %s "
			"(scripts/kvm-vm.sh's cache: set KVM_VM_CACHE)\n",
			getenv("KVM_VM_CACHE") ? getenv("KVM_VM_CACHE") : SV_VM_CACHE_DEFAULT);
		return;
	}
	ck_assert_int_eq(
		elf_read_file(path, "kernel", LINUX_MAX_FILE, &file, &len, err, sizeof(err)), 0);
	ck_assert_int_eq(guest_mem_create(&big, "linux-debian", 256u << 20), 0);
	ret = linux_load(file, len, &big, PVH_HIGH_RAM, SV_XEN_HYPERCALL_PORT, &info, &site, err,
			 sizeof(err));
	ck_assert_msg(ret == 0, "%s: %s", path, err);
	ck_assert(info.entry >= info.load_start && info.entry < info.load_end);
	ck_assert_uint_ge(info.load_start, PVH_HIGH_RAM);
	/* The pair as the kernel has it: its two returns must be what RAM still has. */
	ck_assert_int_eq(linux_image_extract(file, len, &elf, &elf_len, &format, err, sizeof(err)),
			 0);
	for (i = 16; i + 16 <= elf_len && !pair; i++)
		if (!memcmp(elf + i, "\x0f\x01\xc1", 3) && !memcmp(elf + i - 16, "\x0f\x01\xd9", 3))
			pair = elf + i - 16;
	ck_assert_ptr_nonnull(pair);
	ck_assert_uint_eq(pair[3], 0xe9); /* jmp __x86_return_thunk, listed in .return_sites */
	/* Exactly one pair, rewritten in RAM; and no vmmcall-vmcall pair is left anywhere. */
	stub = check_send_stub(big.hva + site - 16, (const char *)pair + 3,
			       (const char *)pair + 19);
	ck_assert_uint_eq((uintptr_t)(stub - big.hva) % 16, 0);
	ck_assert_uint_eq(count_pairs(big.hva + info.load_start, info.load_end - info.load_start),
			  0);
	check_only_stub_changed(big.hva, elf, big.hva + site - 16, stub);
	fprintf(stderr,
		"%s: entry 0x%llx, image 0x%llx..0x%llx, hypercall site 0x%llx, send stub "
		"0x%llx\n",
		path, (unsigned long long)info.entry, (unsigned long long)info.load_start,
		(unsigned long long)info.load_end, (unsigned long long)site,
		(unsigned long long)(stub - big.hva));
	guest_mem_destroy(&big);
	free(elf);
	free(file);
	free(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("linux_image");
	TCase *tc = tcase_create("load");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, loads_each_compression, 0, NR_CODECS);
	tcase_add_test(tc, loads_a_plain_elf_and_a_4_byte_note);
	tcase_add_test(tc, leaves_our_own_elf_alone);
	tcase_add_test(tc, refuses_a_mangled_note);
	tcase_add_test(tc, refuses_a_truncated_xz_payload);
	tcase_add_test(tc, refuses_size_lies);
	tcase_add_test(tc, rewrites_in_place_when_code_follows);
	tcase_add_test(tc, rewrites_in_place_without_room_for_the_stub);
	tcase_add_test(tc, refuses_zero_or_two_hypercall_pairs);
	tcase_add_test(tc, refuses_segments_outside_ram_or_below_1mib);
	tcase_add_test(tc, refuses_other_files_and_lzo);
	tcase_add_test(tc, loads_debian_vmlinuz);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
