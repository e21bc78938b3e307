// SPDX-License-Identifier: MIT
/*
 * Domain creation on real KVM with the Linux PVH loader and initrds: our own guest still boots
 * with an initrd loaded above it (start info initrd_gpa/len); a PVH kernel (hand-made, so the
 * test needs no download) becomes a domain whose RAM holds the rewritten kernel, the
 * hvm_start_info with the initrd module, and the MP table; a broken kernel is refused by
 * sv_domain_create with its path in the message. A hand-made PVH program runs from its 32-bit
 * entry through the Xen-ABI gate to a poweroff.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <splitvisor/hvm_start_info.h>
#include <splitvisor/start_info.h>

#include "runner.h"
#include "tiny_pvh.h"

#define INITRD_LEN 100000u

static char initrd_path[] = "/tmp/sv-loader-initrd-XXXXXX";

static void write_file(char *tmpl, const void *data, size_t len)
{
	int fd = mkstemp(tmpl);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void make_initrd(void)
{
	static uint8_t data[INITRD_LEN];
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 1);
	strcpy(initrd_path, "/tmp/sv-loader-initrd-XXXXXX");
	write_file(initrd_path, data, sizeof(data));
}

static void check_initrd_at(const uint8_t *ram, uint64_t gpa, uint64_t len)
{
	size_t i;

	ck_assert_uint_eq(len, INITRD_LEN);
	ck_assert_uint_eq(gpa % 4096, 0);
	for (i = 0; i < INITRD_LEN; i++)
		if (ram[gpa + i] != (uint8_t)(i * 13 + 1))
			ck_abort_msg("initrd byte %zu differs", i);
}

START_TEST(our_guest_boots_with_an_initrd)
{
	struct sv_domain_params p = { .name = "initrd",
				      .domid = 4,
				      .memory_mib = 32,
				      .vcpus = 1,
				      .kernel = SV_GUEST_KERNEL,
				      .cmdline = "hello",
				      .initrd = initrd_path };
	struct runner_capture cap = { 0 };
	const struct sv_start_info *si;
	struct sv_domain_exit ex;
	struct sv_domain *d;
	char err[512];
	uint64_t size;
	void *hva;
	int memfd;

	make_initrd();
	ck_assert_msg(sv_domain_create(&p, &d, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(sv_domain_memory(d, &memfd, &hva, &size), 0);
	si = (const void *)((uint8_t *)hva + SV_START_INFO_GPA);
	ck_assert_uint_ge(si->initrd_gpa, si->kernel_end);
	ck_assert_uint_lt(si->initrd_gpa - si->kernel_end, 4096);
	check_initrd_at(hva, si->initrd_gpa, si->initrd_len);
	sv_domain_free(d);

	/* And it still runs to its end. */
	ck_assert_int_eq(runner_run_captured(&p, 10000, &cap, &ex, err, sizeof(err)), 0);
	ck_assert_int_eq(ex.reason, SV_EXIT_POWEROFF);
	ck_assert_int_eq(ex.code, 0);
	ck_assert_ptr_nonnull(strstr(cap.buf, "Hello from Splitvisor: domid 4"));
	runner_capture_free(&cap);
	unlink(initrd_path);
}
END_TEST

START_TEST(a_pvh_kernel_becomes_a_domain)
{
	char kpath[] = "/tmp/sv-loader-pvh-XXXXXX";
	struct sv_domain_params p = { .name = "pvh",
				      .domid = 5,
				      .memory_mib = 32,
				      .vcpus = 2,
				      .kernel = kpath,
				      .cmdline = "console=hvc0 acpi=off",
				      .initrd = initrd_path };
	const struct sv_hvm_start_info *si;
	const struct sv_hvm_modlist_entry *mod;
	uint8_t elf[ELF_LEN];
	struct sv_domain *d;
	const uint8_t *ram;
	const char *cmdline;
	unsigned long khz;
	char err[512], *end;
	uint64_t size;
	void *hva;
	int memfd;

	make_initrd();
	make_elf(elf, 8);
	write_file(kpath, elf, sizeof(elf));
	ck_assert_msg(sv_domain_create(&p, &d, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(sv_domain_memory(d, &memfd, &hva, &size), 0);
	ram = hva;
	/* Linux's two hypercall functions jump to the send stub in the int3 padding before them,
	 * and keep their returns (linux_image.c, docs/abi.md). */
	ck_assert_mem_eq(ram + TEXT_PA + VMMCALL_AT, "\xeb\x06\xcc\xc3\xcc", 5);
	ck_assert_mem_eq(ram + TEXT_PA + VMMCALL_AT + 16, "\xeb\xf6\xcc\xc3\xcc", 5);
	ck_assert_mem_eq(ram + TEXT_PA + STUB_AT, "\x83\xf8\x20", 3);
	si = (const void *)(ram + 0x9c000);
	ck_assert_uint_eq(si->magic, SV_HVM_START_MAGIC);
	/* The user's command line, then the TSC rate KVM runs the vCPUs at (no PIT to
	 * calibrate against): a number of kHz, nothing after it. */
	cmdline = (const char *)ram + si->cmdline_paddr;
	ck_assert_msg(!strncmp(cmdline, "console=hvc0 acpi=off tsc_early_khz=", 36), "%s", cmdline);
	khz = strtoul(cmdline + 36, &end, 10);
	ck_assert_msg(khz > 0 && *end == '\0', "%s", cmdline);
	ck_assert_uint_eq(si->nr_modules, 1);
	mod = (const void *)(ram + si->modlist_paddr);
	ck_assert_uint_ge(mod->paddr, DATA_PA + 4096);
	check_initrd_at(ram, mod->paddr, mod->size);
	ck_assert_mem_eq(ram + 0xf0000, "_MP_", 4);
	sv_domain_free(d);
	unlink(kpath);
	unlink(initrd_path);
}
END_TEST

/*
 * The boot vCPU enters the PHYS32 entry in flat protected mode; the kernel's rewritten
 * hypercall site reaches the Xen-ABI gate with physical pointers (no paging yet), and a
 * sched_op shutdown ends the domain. With 2 vCPUs the second waits for an INIT/SIPI that
 * never comes, and the domain still ends.
 */
START_TEST(a_pvh_kernel_runs_from_its_32bit_entry)
{
	char kpath[] = "/tmp/sv-loader-pvhrun-XXXXXX";
	struct sv_domain_params p = { .name = "pvhrun",
				      .domid = 6,
				      .memory_mib = 32,
				      .vcpus = (unsigned int)_i + 1,
				      .kernel = kpath,
				      .cmdline = "console=hvc0" };
	struct runner_capture cap = { 0 };
	struct sv_domain_exit ex;
	uint8_t elf[ELF_LEN];
	char err[512];

	make_runnable_elf(elf);
	write_file(kpath, elf, sizeof(elf));
	ck_assert_msg(runner_run_captured(&p, 20000, &cap, &ex, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(cap.buf && strstr(cap.buf, RUN_MSG), "console: %s",
		      cap.buf ? cap.buf : "(none)");
	ck_assert_int_eq(ex.reason, SV_EXIT_POWEROFF);
	runner_capture_free(&cap);
	unlink(kpath);
}
END_TEST

START_TEST(broken_kernels_and_initrds_are_refused)
{
	char kpath[] = "/tmp/sv-loader-bad-XXXXXX";
	struct sv_domain_params p = {
		.name = "bad", .domid = 6, .memory_mib = 32, .vcpus = 1, .kernel = kpath
	};
	uint8_t elf[ELF_LEN];
	struct sv_domain *d = NULL;
	char err[512];

	make_elf(elf, 8);
	memcpy(elf + TEXT_OFF + VMMCALL_AT, "\x90\x90\x90", 3); /* no hypercall pair */
	write_file(kpath, elf, sizeof(elf));
	ck_assert_int_eq(sv_domain_create(&p, &d, err, sizeof(err)), -ENOEXEC);
	ck_assert_msg(strstr(err, kpath) && strstr(err, "hypercall pair"), "%s", err);
	unlink(kpath);

	p.kernel = SV_GUEST_KERNEL;
	p.initrd = "/nonexistent/initrd";
	ck_assert_int_eq(sv_domain_create(&p, &d, err, sizeof(err)), -ENOENT);
	ck_assert_msg(strstr(err, "cannot open initrd /nonexistent/initrd"), "%s", err);
	ck_assert_ptr_null(d);
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;
	char err[256];
	SRunner *sr;
	int failed;

	if (sv_kvm_probe(err, sizeof(err))) {
		printf("SKIP: %s\n", err);
		return 77;
	}
	s = suite_create("loader_kvm");
	tc = tcase_create("kvm");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, our_guest_boots_with_an_initrd);
	tcase_add_test(tc, a_pvh_kernel_becomes_a_domain);
	tcase_add_loop_test(tc, a_pvh_kernel_runs_from_its_32bit_entry, 0, 2);
	tcase_add_test(tc, broken_kernels_and_initrds_are_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
