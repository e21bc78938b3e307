// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the core's ELF loader on any image. Whatever it accepts must lie
 * inside RAM above the reserved pages, with the entry point inside a loaded
 * segment's range; a refusal must come with a sentence.
 */
#include <splitvisor/start_info.h>

#include "elf_loader.h"
#include "fuzz.h"

#define FUZZ_RAM_SIZE (4u << 20)

static struct guest_mem mem;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (guest_mem_create(&mem, "fuzz-elf", FUZZ_RAM_SIZE))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_info info;
	char err[512] = "";
	int ret;

	ret = elf_load(data, size, &mem, SV_RESERVED_END, &info, err, sizeof(err));
	if (ret) {
		FZ_CHECK(ret < 0);
		FZ_CHECK(err[0] != '\0');
		return 0;
	}
	FZ_CHECK(info.load_start >= SV_RESERVED_END);
	FZ_CHECK(info.load_start <= info.load_end);
	FZ_CHECK(info.load_end <= mem.end);
	FZ_CHECK(info.entry >= info.load_start && info.entry < info.load_end);
	return 0;
}
