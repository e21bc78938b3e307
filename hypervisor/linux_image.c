// SPDX-License-Identifier: MIT
/*
 * A Linux kernel file to an ELF we can load: bzImage payloads go through Debian's compression
 * libraries, every size is bounded before anything is allocated, and the output must be exactly
 * as long as the trailing size field the kernel's build appends to the payload.
 */
#include <bzlib.h>
#include <elf.h>
#include <errno.h>
#include <lz4.h>
#include <lz4frame.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <splitvisor/event_channel.h>
#include <splitvisor/hypercall.h>
#include <splitvisor/xen_abi.h>

#include "errmsg.h"
#include "linux_image.h"

#define BZ_SETUP_SECTS 0x1f1
#define BZ_HDRS	       0x202
#define BZ_PAYLOAD_OFF 0x248
#define BZ_PAYLOAD_LEN 0x24c
#define BZ_MIN_LEN     0x250
#define LZ4_LEGACY     0x184c2102u
#define LZ4_LEGACY_BLK (8u << 20) /* the legacy format's fixed block size */
#define NOTE_ALIGN(x)  (((x) + 3u) & ~(size_t)3)
#define MAX_PHDRS      64u

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* Each decoder fills out[0..cap) and reports how much it wrote, or a negative errno. */
typedef int decode_fn(const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *done,
		      char *err, size_t errlen);

static int dec_lzma_common(lzma_stream *s, lzma_ret r, const char *name, const uint8_t *in,
			   size_t in_len, uint8_t *out, size_t cap, size_t *done, char *err,
			   size_t errlen)
{
	int ret = 0;

	if (r != LZMA_OK)
		return errmsg_set(err, errlen, -ENOMEM, "%s decoder: liblzma error %d", name, r);
	s->next_in = in;
	s->avail_in = in_len;
	s->next_out = out;
	s->avail_out = cap;
	/* Each call makes progress or says why not (LZMA_BUF_ERROR): the loop ends. */
	do
		r = lzma_code(s, LZMA_FINISH);
	while (r == LZMA_OK);
	if (r == LZMA_BUF_ERROR && !s->avail_out)
		ret = errmsg_set(err, errlen, -EBADMSG,
				 "%s payload decompresses past its declared %zu bytes", name, cap);
	else if (r == LZMA_BUF_ERROR)
		ret = errmsg_set(err, errlen, -EBADMSG,
				 "%s payload is truncated (stream ends after %llu of %zu bytes)",
				 name, (unsigned long long)s->total_in, in_len);
	else if (r == LZMA_MEMLIMIT_ERROR)
		ret = errmsg_set(err, errlen, -EFBIG, "%s payload needs more than %u MiB to decode",
				 name, LINUX_MEMLIMIT >> 20);
	else if (r != LZMA_STREAM_END)
		ret = errmsg_set(err, errlen, -EBADMSG,
				 "%s payload is corrupt (liblzma error %d at input byte %llu)",
				 name, r, (unsigned long long)s->total_in);
	*done = s->total_out;
	lzma_end(s);
	return ret;
}

static int dec_xz(const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *done,
		  char *err, size_t errlen)
{
	lzma_stream s = LZMA_STREAM_INIT;

	/* No LZMA_CONCATENATED: the stream ends where the kernel's size field begins. */
	return dec_lzma_common(&s, lzma_stream_decoder(&s, LINUX_MEMLIMIT, 0), "xz", in, in_len,
			       out, cap, done, err, errlen);
}

static int dec_lzma(const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *done,
		    char *err, size_t errlen)
{
	lzma_stream s = LZMA_STREAM_INIT;

	return dec_lzma_common(&s, lzma_alone_decoder(&s, LINUX_MEMLIMIT), "lzma", in, in_len, out,
			       cap, done, err, errlen);
}

static int dec_gzip(const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *done,
		    char *err, size_t errlen)
{
	z_stream z = { 0 };
	int r, ret = 0;

	if (in_len > UINT32_MAX || cap > UINT32_MAX)
		return errmsg_set(err, errlen, -EFBIG, "gzip payload too large");
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return errmsg_set(err, errlen, -ENOMEM, "gzip decoder: %s", z.msg ? z.msg : "");
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)in_len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	r = inflate(&z, Z_FINISH);
	if (r == Z_BUF_ERROR && !z.avail_out)
		ret = errmsg_set(err, errlen, -EBADMSG,
				 "gzip payload decompresses past its declared %zu bytes", cap);
	else if (r == Z_BUF_ERROR)
		ret = errmsg_set(err, errlen, -EBADMSG, "gzip payload is truncated");
	else if (r != Z_STREAM_END)
		ret = errmsg_set(err, errlen, -EBADMSG, "gzip payload is corrupt (%s)",
				 z.msg ? z.msg : "zlib error");
	*done = z.total_out;
	inflateEnd(&z);
	return ret;
}

static int dec_zstd(const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *done,
		    char *err, size_t errlen)
{
	size_t r = ZSTD_decompress(out, cap, in, in_len);

	if (ZSTD_isError(r)) {
		if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall)
			return errmsg_set(err, errlen, -EBADMSG,
					  "zstd payload decompresses past its declared %zu bytes",
					  cap);
		return errmsg_set(err, errlen, -EBADMSG,
				  "zstd payload is truncated or corrupt (%s)",
				  ZSTD_getErrorName(r));
	}
	*done = r;
	return 0;
}

static int dec_bzip2(const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *done,
		     char *err, size_t errlen)
{
	unsigned int n = (unsigned int)cap;
	int r;

	if (in_len > UINT32_MAX || cap > UINT32_MAX)
		return errmsg_set(err, errlen, -EFBIG, "bzip2 payload too large");
	r = BZ2_bzBuffToBuffDecompress((char *)out, &n, (char *)in, (unsigned int)in_len, 0, 0);
	if (r == BZ_OUTBUFF_FULL)
		return errmsg_set(err, errlen, -EBADMSG,
				  "bzip2 payload decompresses past its declared %zu bytes", cap);
	if (r == BZ_UNEXPECTED_EOF)
		return errmsg_set(err, errlen, -EBADMSG, "bzip2 payload is truncated");
	if (r != BZ_OK)
		return errmsg_set(err, errlen, -EBADMSG,
				  "bzip2 payload is corrupt (libbz2 error %d)", r);
	*done = n;
	return 0;
}

/* `lz4 -l`: the magic, then blocks of {le32 compressed size, data}, each at most 8 MiB out. */
static int dec_lz4_legacy(const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *done,
			  char *err, size_t errlen)
{
	size_t pos = 4, got = 0;

	while (pos < in_len) {
		uint32_t csz;
		size_t room = cap - got < LZ4_LEGACY_BLK ? cap - got : LZ4_LEGACY_BLK;
		int n;

		if (in_len - pos < 4)
			return errmsg_set(err, errlen, -EBADMSG,
					  "lz4 payload is truncated in a block header at %zu", pos);
		csz = rd32(in + pos);
		pos += 4;
		if (csz == LZ4_LEGACY) /* a second archive's magic, as lz4 -l may concatenate */
			continue;
		if (csz > in_len - pos || csz > INT32_MAX)
			return errmsg_set(err, errlen, -EBADMSG,
					  "lz4 payload is truncated: block at %zu needs %u bytes",
					  pos - 4, csz);
		if (!room)
			return errmsg_set(err, errlen, -EBADMSG,
					  "lz4 payload decompresses past its declared %zu bytes",
					  cap);
		n = LZ4_decompress_safe((const char *)in + pos, (char *)out + got, (int)csz,
					(int)room);
		if (n < 0)
			return errmsg_set(err, errlen, -EBADMSG,
					  "lz4 payload is corrupt or decompresses past its "
					  "declared %zu bytes (block at %zu)",
					  cap, pos - 4);
		got += (size_t)n;
		pos += csz;
	}
	*done = got;
	return 0;
}

static int dec_lz4_frame(const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *done,
			 char *err, size_t errlen)
{
	LZ4F_dctx *dctx;
	size_t ipos = 0, opos = 0, r = 1;
	int ret = 0;

	if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
		return errmsg_set(err, errlen, -ENOMEM, "lz4 frame decoder");
	while (r && ipos < in_len) {
		size_t isz = in_len - ipos, osz = cap - opos;

		r = LZ4F_decompress(dctx, out + opos, &osz, in + ipos, &isz, NULL);
		if (LZ4F_isError(r)) {
			ret = errmsg_set(err, errlen, -EBADMSG, "lz4 payload is corrupt (%s)",
					 LZ4F_getErrorName(r));
			goto out;
		}
		ipos += isz;
		opos += osz;
		if (r && opos == cap && !isz && !osz) {
			ret = errmsg_set(err, errlen, -EBADMSG,
					 "lz4 payload decompresses past its declared %zu bytes",
					 cap);
			goto out;
		}
	}
	if (r)
		ret = errmsg_set(err, errlen, -EBADMSG, "lz4 payload is truncated");
	*done = opos;
out:
	LZ4F_freeDecompressionContext(dctx);
	return ret;
}

static const struct {
	const char *name;
	uint8_t magic[6];
	size_t magic_len;
	decode_fn *fn;
	bool trailer_in_stream; /* gzip's own trailer ends in the size; others append it */
} decoders[] = {
	{ "xz", { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6, dec_xz, false },
	{ "gzip", { 0x1f, 0x8b }, 2, dec_gzip, true },
	{ "gzip", { 0x1f, 0x9e }, 2, dec_gzip, true },
	{ "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4, dec_zstd, false },
	{ "bzip2", { 'B', 'Z', 'h' }, 3, dec_bzip2, false },
	{ "lz4", { 0x02, 0x21, 0x4c, 0x18 }, 4, dec_lz4_legacy, false },
	{ "lz4", { 0x04, 0x22, 0x4d, 0x18 }, 4, dec_lz4_frame, false },
	{ "lzma", { 0x5d, 0, 0 }, 3, dec_lzma, false },
	{ "lzo", { 0x89, 'L', 'Z', 'O', 0 }, 5, NULL, false },
};

static int bz_decompress(const uint8_t *p, size_t plen, uint8_t **elf, size_t *elf_len,
			 const char **format, char *err, size_t errlen)
{
	uint32_t declared;
	size_t i, done = 0;
	uint8_t *out;
	int ret;

	for (i = 0; i < sizeof(decoders) / sizeof(decoders[0]); i++)
		if (plen >= decoders[i].magic_len &&
		    !memcmp(p, decoders[i].magic, decoders[i].magic_len))
			break;
	if (i == sizeof(decoders) / sizeof(decoders[0]))
		return errmsg_set(err, errlen, -EOPNOTSUPP,
				  "bzImage payload starts with %02x %02x %02x %02x: not a "
				  "compression we read (xz, lzma, gzip, zstd, lz4, bzip2)",
				  p[0], p[1], p[2], p[3]);
	if (!decoders[i].fn)
		return errmsg_set(err, errlen, -EOPNOTSUPP,
				  "bzImage payload is lzo-compressed: lzo kernels are not "
				  "supported (use xz, lzma, gzip, zstd, lz4 or bzip2)");
	if (plen < 8)
		return errmsg_set(err, errlen, -EBADMSG, "%s payload of %zu bytes is truncated",
				  decoders[i].name, plen);
	declared = rd32(p + plen - 4);
	if (declared > LINUX_MAX_ELF)
		return errmsg_set(err, errlen, -EFBIG,
				  "%s payload declares %u bytes uncompressed, above the %u MiB "
				  "limit",
				  decoders[i].name, declared, LINUX_MAX_ELF >> 20);
	if (declared < sizeof(Elf64_Ehdr))
		return errmsg_set(err, errlen, -EBADMSG,
				  "%s payload declares %u bytes uncompressed, too few for an ELF",
				  decoders[i].name, declared);
	out = malloc(declared);
	if (!out)
		return -ENOMEM;
	ret = decoders[i].fn(p, decoders[i].trailer_in_stream ? plen : plen - 4, out, declared,
			     &done, err, errlen);
	if (!ret && done != declared)
		ret = errmsg_set(err, errlen, -EBADMSG,
				 "%s payload decompresses to %zu bytes, its size field says %u",
				 decoders[i].name, done, declared);
	if (ret) {
		free(out);
		return ret;
	}
	*format = decoders[i].name;
	*elf = out;
	*elf_len = done;
	return 0;
}

int linux_image_extract(const uint8_t *file, size_t len, uint8_t **elf, size_t *elf_len,
			const char **format, char *err, size_t errlen)
{
	uint64_t start, plen;
	unsigned int sects;

	if (len >= SELFMAG && !memcmp(file, ELFMAG, SELFMAG)) {
		*elf = malloc(len ? len : 1);
		if (!*elf)
			return -ENOMEM;
		memcpy(*elf, file, len);
		*elf_len = len;
		*format = "ELF";
		return 0;
	}
	if (len < BZ_MIN_LEN || rd32(file + BZ_HDRS) != LINUX_BZ_MAGIC)
		return errmsg_set(err, errlen, -ENOEXEC,
				  "neither an ELF nor a bzImage (no \"HdrS\" at 0x%x)", BZ_HDRS);
	sects = file[BZ_SETUP_SECTS] ? file[BZ_SETUP_SECTS] : 4;
	start = (uint64_t)(sects + 1) * 512 + rd32(file + BZ_PAYLOAD_OFF);
	plen = rd32(file + BZ_PAYLOAD_LEN);
	if (start > len || plen > len - start)
		return errmsg_set(err, errlen, -EBADMSG,
				  "truncated bzImage: payload at 0x%llx..0x%llx, file has 0x%zx "
				  "bytes",
				  (unsigned long long)start, (unsigned long long)(start + plen),
				  len);
	return bz_decompress(file + start, plen, elf, elf_len, format, err, errlen);
}

/* The program headers, bounds-checked (elf_load checks the rest of the file later). */
static int phdrs(const uint8_t *elf, size_t len, const Elf64_Phdr **ph, unsigned int *n, char *err,
		 size_t errlen)
{
	const Elf64_Ehdr *eh = (const void *)elf;

	if (len < sizeof(*eh) || memcmp(elf, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phnum > MAX_PHDRS || eh->e_phoff > len ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff || eh->e_phoff % 8)
		return errmsg_set(err, errlen, -ENOEXEC,
				  "kernel ELF has no valid ELF64 program headers");
	*ph = (const void *)(elf + eh->e_phoff);
	*n = eh->e_phnum;
	return 0;
}

static int note_scan(const uint8_t *p, size_t size, uint64_t off, uint64_t *entry, bool *found,
		     char *err, size_t errlen)
{
	size_t pos = 0;

	while (pos < size) {
		uint32_t namesz, descsz, type;
		size_t name_at, desc_at;

		if (size - pos < 12)
			return errmsg_set(
				err, errlen, -EBADMSG,
				"mangled ELF note at file offset 0x%llx: header cut short",
				(unsigned long long)(off + pos));
		namesz = rd32(p + pos);
		descsz = rd32(p + pos + 4);
		type = rd32(p + pos + 8);
		name_at = pos + 12;
		if (namesz > size - name_at || NOTE_ALIGN(namesz) > size - name_at ||
		    descsz > size - name_at - NOTE_ALIGN(namesz))
			return errmsg_set(err, errlen, -EBADMSG,
					  "mangled ELF note at file offset 0x%llx: name %u and "
					  "payload %u bytes run past its segment",
					  (unsigned long long)(off + pos), namesz, descsz);
		desc_at = name_at + NOTE_ALIGN(namesz);
		if (namesz == 4 && !memcmp(p + name_at, "Xen", 4) && type == LINUX_NOTE_TYPE) {
			if (descsz != 4 && descsz != 8)
				return errmsg_set(err, errlen, -EBADMSG,
						  "mangled PVH entry note at file offset 0x%llx: "
						  "%u-byte payload, expected 4 or 8",
						  (unsigned long long)(off + pos), descsz);
			if (*found)
				return errmsg_set(err, errlen, -EBADMSG,
						  "two PVH entry notes (second at file offset "
						  "0x%llx)",
						  (unsigned long long)(off + pos));
			*entry = descsz == 4 ? rd32(p + desc_at) : rd64(p + desc_at);
			*found = true;
		}
		if (NOTE_ALIGN(descsz) > size - desc_at)
			break; /* the last note's padding may be cut */
		pos = desc_at + NOTE_ALIGN(descsz);
	}
	return 0;
}

int linux_pvh_entry(const uint8_t *elf, size_t len, uint64_t *entry, char *err, size_t errlen)
{
	const Elf64_Phdr *ph;
	bool found = false;
	unsigned int i, n;
	int ret;

	ret = phdrs(elf, len, &ph, &n, err, errlen);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		if (ph[i].p_type != PT_NOTE)
			continue;
		if (ph[i].p_offset > len || ph[i].p_filesz > len - ph[i].p_offset)
			return errmsg_set(
				err, errlen, -EBADMSG,
				"note segment %u at 0x%llx..0x%llx runs past the %zu-byte "
				"kernel ELF",
				i, (unsigned long long)ph[i].p_offset,
				(unsigned long long)(ph[i].p_offset + ph[i].p_filesz), len);
		ret = note_scan(elf + ph[i].p_offset, ph[i].p_filesz, ph[i].p_offset, entry, &found,
				err, errlen);
		if (ret)
			return ret;
	}
	if (!found)
		return errmsg_set(err, errlen, -ENOENT,
				  "no PVH entry note (\"Xen\", type %u, XEN_ELFNOTE_PHYS32_ENTRY): "
				  "the kernel was built without CONFIG_XEN_PVH",
				  LINUX_NOTE_TYPE);
	return 0;
}

/* Bytes of one of the padding forms Linux's build puts after a function (int3, NOPs), or 0. */
static size_t pad_len(const uint8_t *p, size_t left)
{
	static const struct {
		uint8_t len, b[8];
	} forms[] = {
		{ 1, { 0xcc } },
		{ 1, { 0x90 } },
		{ 2, { 0x66, 0x90 } },
		{ 3, { 0x0f, 0x1f, 0x00 } },
		{ 4, { 0x0f, 0x1f, 0x40, 0x00 } },
		{ 5, { 0x0f, 0x1f, 0x44, 0x00, 0x00 } },
		{ 6, { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 } },
		{ 7, { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 } },
		{ 8, { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 } },
	};

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		if (forms[i].len <= left && !memcmp(p, forms[i].b, forms[i].len))
			return forms[i].len;
	return 0;
}

/*
 * Whether the 13 bytes after a hypercall instruction are only its function's return (`ret`,
 * or `jmp` to the return thunk) and padding: then the 16-byte function is ours to rewrite.
 */
static bool ret_then_padding(const uint8_t *p)
{
	size_t i = p[0] == 0xc3 ? 1 : p[0] == 0xe9 ? 5 : 0, n;

	if (!i)
		return false;
	for (; i < 13; i += n)
		if (!(n = pad_len(p + i, 13 - i)))
			return false;
	return true;
}

/*
 * The send stub: sends events the way our own guests do. EVTCHNOP_send writes the port to the
 * notify port, where a backend's ioeventfd catches it in the kernel (no exit to svcored; an
 * unbound or guest-to-guest port comes to the core as a notify, which sends it), and returns 0
 * as Xen does. Every other hypercall goes out to the gate. Registers: only rax (the result)
 * and the flags change; the stack is not touched.
 *
 * It does not fit in the two 16-byte functions themselves: their `jmp __x86_return_thunk` at
 * +3 must stay as it is, since the kernel's .return_sites lists it and apply_returns warns
 * ("missing return thunk", a W taint) on any other bytes there. Around the two kept jumps
 * only 8-15 and 24-31 are free for code (0-2 and 16-18 must jump away before the kept jump),
 * 16 bytes against the stub's 19 bytes of compares, branches, moves and outs before its two
 * returns. So the stub lives in int3 padding of the same segment (stub_room) and the functions
 * jump to it; it returns through the kept jumps, the kernel's own return.
 */
#define STUB_LEN    32u
#define STUB_MARGIN 16u /* int3 left on either side of the stub */

/*
 * The nearest 16-byte-aligned STUB_LEN bytes of int3 padding before the hypercall pair at
 * seg + end, with STUB_MARGIN more int3 on either side, as *at (an offset in seg). Only before
 * the pair: the text segment starts with .text, so everything there is kernel code that stays
 * executable, while after .text come .rodata and the rest, made non-executable at boot.
 * -ENOSPC without such room.
 */
static int stub_room(const uint8_t *seg, uint64_t vaddr, size_t end, size_t *at)
{
	size_t i, run = 0;

	for (i = end; i-- > 0;) {
		run = seg[i] == 0xcc ? run + 1 : 0;
		if (run >= STUB_LEN + 2 * STUB_MARGIN && !((vaddr + i) & 15)) {
			*at = i + STUB_MARGIN;
			return 0;
		}
	}
	return -ENOSPC;
}

/* jmp rel32 at p to target; both lie in one segment of a kernel under 256 MiB. */
static void put_jmp32(uint8_t *p, const uint8_t *target)
{
	int32_t rel = (int32_t)(target - (p + 5));

	p[0] = 0xe9;
	memcpy(p + 1, &rel, 4);
}

/*
 * The two functions (vmmcall at amd, vmcall at amd + 16) jump to the stub at far, both through
 * amd + 8 (their first 3 bytes only have room for a short jump); each keeps its return at +3,
 * where a `ret` gets int3 after it instead of padding that no longer decodes.
 */
static void write_send_stub(uint8_t *amd, uint8_t *far, uint8_t gate)
{
	/* clang-format off */
	const uint8_t stub[STUB_LEN] = {
		0x83, 0xf8, XEN_HC_event_channel_op,	/* cmp $event_channel_op, %eax */
		0x75, 0x11,				/* jne gate */
		0x48, 0x83, 0xff, EVTCHNOP_send,	/* cmp $EVTCHNOP_send, %rdi */
		0x75, 0x0b,				/* jne gate */
		0x8b, 0x06,				/* mov (%rsi), %eax: the port */
		0xe7, SV_NOTIFY_PORT,			/* out %eax, $notify */
		0x31, 0xc0,				/* xor %eax, %eax */
		0, 0, 0, 0, 0,				/* jmp amd + 3 (put_jmp32 below) */
		0xe7, gate,				/* gate: out %eax, $gate */
		0, 0, 0, 0, 0,				/* jmp amd + 19 (put_jmp32 below) */
		0xcc, 0xcc, 0xcc,
	};
	/* clang-format on */
	int i;

	memcpy(amd, "\xeb\x06\xcc", 3); /* jmp amd + 8 */
	put_jmp32(amd + 8, far);
	memset(amd + 13, 0xcc, 3);
	memcpy(amd + 16, "\xeb\xf6\xcc", 3); /* jmp amd + 8 */
	memset(amd + 24, 0xcc, 8);
	for (i = 3; i < 32; i += 16)
		if (amd[i] == 0xc3)
			memset(amd + i + 1, 0xcc, 4);
	memcpy(far, stub, sizeof(stub));
	put_jmp32(far + 17, amd + 3);
	put_jmp32(far + 24, amd + 19);
}

int linux_patch_hypercalls(uint8_t *elf, size_t len, uint8_t port, uint64_t *where, bool *send_stub,
			   char *err, size_t errlen)
{
	static const uint8_t vmcall[3] = { 0x0f, 0x01, 0xc1 }, vmmcall[3] = { 0x0f, 0x01, 0xd9 };
	const Elf64_Phdr *ph;
	uint8_t *hit = NULL, *hit_seg = NULL;
	unsigned int i, n, matches = 0;
	uint64_t hit_pa = 0, hit_vaddr = 0;
	size_t room;
	int ret;

	ret = phdrs(elf, len, &ph, &n, err, errlen);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		uint8_t *seg;
		size_t j;

		if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_X) || ph[i].p_filesz < 19)
			continue;
		if (ph[i].p_offset > len || ph[i].p_filesz > len - ph[i].p_offset)
			return errmsg_set(err, errlen, -EBADMSG,
					  "segment %u runs past the %zu-byte kernel ELF", i, len);
		seg = elf + ph[i].p_offset;
		for (j = 16; j + 3 <= ph[i].p_filesz; j++) {
			if (seg[j] != 0x0f || memcmp(seg + j, vmcall, 3) ||
			    memcmp(seg + j - 16, vmmcall, 3))
				continue;
			if (!matches++) {
				hit = seg + j;
				hit_seg = seg;
				hit_pa = ph[i].p_paddr + j;
				hit_vaddr = ph[i].p_vaddr;
			}
		}
	}
	if (matches != 1)
		return errmsg_set(err, errlen, -ENOEXEC,
				  "%s the kernel's hypercall pair (vmmcall, then vmcall 16 bytes "
				  "later) in its executable segments: found %u, need exactly one "
				  "(kernels before 6.1.121 that use a hypercall page are not "
				  "supported)",
				  matches ? "ambiguous:" : "cannot find", matches);
	if (send_stub)
		*send_stub = false;
	if (ret_then_padding(hit - 13) && ret_then_padding(hit + 3) &&
	    !stub_room(hit_seg, hit_vaddr, (size_t)(hit - 16 - hit_seg), &room)) {
		write_send_stub(hit - 16, hit_seg + room, port);
		if (send_stub)
			*send_stub = true;
		goto out;
	}
	/*
	 * Otherwise out %eax, $port; nop: the same 3 bytes, so nothing around the sites moves
	 * (the return after each stays), and every hypercall, sends too, exits to the gate.
	 */
	hit[0] = 0xe7;
	hit[1] = port;
	hit[2] = 0x90;
	hit[-16] = 0xe7;
	hit[-15] = port;
	hit[-14] = 0x90;
out:
	if (where)
		*where = hit_pa;
	return 0;
}

int linux_load(uint8_t *file, size_t len, struct guest_mem *mem, uint64_t reserved_end,
	       uint8_t port, struct elf_info *info, uint64_t *site, char *err, size_t errlen)
{
	uint8_t *elf = file, *copy = NULL;
	size_t elf_len = len;
	const char *format = "ELF";
	uint64_t entry;
	int ret;

	if (len < SELFMAG || memcmp(file, ELFMAG, SELFMAG)) {
		ret = linux_image_extract(file, len, &copy, &elf_len, &format, err, errlen);
		if (ret)
			return ret;
		elf = copy;
	}
	ret = linux_pvh_entry(elf, elf_len, &entry, err, errlen);
	/*
	 * A bzImage without the note is a Linux we cannot enter; an ELF without it (or whose
	 * headers elf_load will judge with a better sentence) is left to the caller.
	 */
	if (ret == -ENOENT && copy)
		ret = -ENOEXEC;
	else if (ret == -ENOEXEC && !copy)
		ret = -ENOENT;
	if (!ret)
		ret = linux_patch_hypercalls(elf, elf_len, port, site, NULL, err, errlen);
	if (!ret)
		ret = elf_load_entry(elf, elf_len, mem, reserved_end, entry, info, err, errlen);
	if (ret && ret != -ENOENT && copy && err && errlen) {
		char msg[384];

		snprintf(msg, sizeof(msg), "%s", err);
		snprintf(err, errlen, "bzImage (%s): %s", format, msg);
	}
	free(copy);
	return ret;
}
