/* SPDX-License-Identifier: MIT */
/*
 * kvm_smoke: proves that /dev/kvm works, by running three instructions of
 * real-mode code in a 1-vCPU VM, and lists the KVM capabilities Splitvisor
 * cares about.
 *
 * Build: gcc -std=c11 -O2 -Wall -Wextra -Werror -o build-vm/kvm_smoke tests/kvm-smoke/kvm_smoke.c
 * Run:   scripts/kvm-vm.sh -- build-vm/kvm_smoke
 *
 * Exit status: 0 pass, 1 fail, 77 skip (no /dev/kvm here).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define EXIT_SKIP 77

#define GUEST_MEM_SIZE (2u << 20)
#define GUEST_CODE_GPA 0x1000u
#define TEST_PORT      0xe0
#define TEST_VALUE     0x2a

/* mov $0x2a, %al; out %al, $0xe0; hlt */
static const uint8_t guest_code[] = { 0xb0, TEST_VALUE, 0xe6, TEST_PORT, 0xf4 };

struct cap_name {
	int cap;
	const char *name;
};

/* clang-format off */
#define CAP(c) { (c), #c }
static const struct cap_name caps[] = {
	CAP(KVM_CAP_USER_MEMORY),
	CAP(KVM_CAP_NR_VCPUS),
	CAP(KVM_CAP_MAX_VCPUS),
	CAP(KVM_CAP_SYNC_REGS),
	CAP(KVM_CAP_IRQCHIP),
	CAP(KVM_CAP_SPLIT_IRQCHIP),
	CAP(KVM_CAP_IRQ_ROUTING),
	CAP(KVM_CAP_IOEVENTFD),
	CAP(KVM_CAP_IRQFD),
	CAP(KVM_CAP_SIGNAL_MSI),
	CAP(KVM_CAP_X2APIC_API),
	CAP(KVM_CAP_TSC_CONTROL),
	CAP(KVM_CAP_GET_TSC_KHZ),
	CAP(KVM_CAP_IMMEDIATE_EXIT),
	CAP(KVM_CAP_READONLY_MEM),
	CAP(KVM_CAP_XSAVE),
	CAP(KVM_CAP_XCRS),
};
/* clang-format on */

struct vm {
	int kvm_fd;
	int vm_fd;
	int vcpu_fd;
	uint8_t *mem;
	struct kvm_run *run;
	size_t run_size;
};

static int xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	int ret = ioctl(fd, req, arg);

	if (ret < 0) {
		ret = -errno;
		fprintf(stderr, "kvm_smoke: %s: %s\n", what, strerror(-ret));
	}
	return ret;
}

static void print_caps(int kvm_fd, int vm_fd)
{
	size_t i;

	printf("capabilities (KVM_CHECK_EXTENSION on /dev/kvm, then on the VM fd):\n");
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		int sys = ioctl(kvm_fd, KVM_CHECK_EXTENSION, caps[i].cap);
		int vm = ioctl(vm_fd, KVM_CHECK_EXTENSION, caps[i].cap);

		printf("  %-24s %d %d\n", caps[i].name, sys, vm);
	}
}

static int vm_create(struct vm *vm)
{
	struct kvm_userspace_memory_region region = { 0 };
	int ret;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		ret = -errno;
		fprintf(stderr, "kvm_smoke: open /dev/kvm: %s\n", strerror(-ret));
		goto out;
	}
	ret = xioctl(vm->kvm_fd, KVM_GET_API_VERSION, NULL, "KVM_GET_API_VERSION");
	if (ret < 0)
		goto out;
	if (ret != KVM_API_VERSION) {
		fprintf(stderr, "kvm_smoke: API version %d, want %d\n", ret, KVM_API_VERSION);
		ret = -EPROTO;
		goto out;
	}
	ret = xioctl(vm->kvm_fd, KVM_CREATE_VM, 0, "KVM_CREATE_VM");
	if (ret < 0)
		goto out;
	vm->vm_fd = ret;

	vm->mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		ret = -errno;
		goto out;
	}
	memcpy(vm->mem + GUEST_CODE_GPA, guest_code, sizeof(guest_code));
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = GUEST_MEM_SIZE;
	region.userspace_addr = (uintptr_t)vm->mem;
	ret = xioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region, "KVM_SET_USER_MEMORY_REGION");
	if (ret < 0)
		goto out;

	ret = xioctl(vm->vm_fd, KVM_CREATE_VCPU, 0, "KVM_CREATE_VCPU");
	if (ret < 0)
		goto out;
	vm->vcpu_fd = ret;

	ret = xioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL, "KVM_GET_VCPU_MMAP_SIZE");
	if (ret < 0)
		goto out;
	vm->run_size = (size_t)ret;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		ret = -errno;
		goto out;
	}
	ret = 0;
out:
	return ret;
}

static void vm_destroy(struct vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->mem)
		munmap(vm->mem, GUEST_MEM_SIZE);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
}

/* Real mode, CS:IP = 0000:1000. */
static int vcpu_setup(struct vm *vm)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };
	int ret;

	ret = xioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
	if (ret < 0)
		goto out;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	ret = xioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");
	if (ret < 0)
		goto out;
	regs.rip = GUEST_CODE_GPA;
	regs.rflags = 0x2; /* bit 1 is reserved and must be set */
	ret = xioctl(vm->vcpu_fd, KVM_SET_REGS, &regs, "KVM_SET_REGS");
out:
	return ret;
}

static int vcpu_run_expect_io(struct vm *vm)
{
	const struct kvm_run *run = vm->run;
	uint8_t value;
	int ret;

	ret = xioctl(vm->vcpu_fd, KVM_RUN, NULL, "KVM_RUN");
	if (ret < 0)
		goto out;
	if (run->exit_reason != KVM_EXIT_IO) {
		fprintf(stderr, "kvm_smoke: exit reason %u, want KVM_EXIT_IO (%u)\n",
			run->exit_reason, KVM_EXIT_IO);
		ret = -EPROTO;
		goto out;
	}
	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != TEST_PORT ||
	    run->io.size != 1 || run->io.count != 1) {
		fprintf(stderr, "kvm_smoke: unexpected I/O: dir %u port %#x size %u count %u\n",
			run->io.direction, run->io.port, run->io.size, run->io.count);
		ret = -EPROTO;
		goto out;
	}
	value = *((const uint8_t *)run + run->io.data_offset);
	if (value != TEST_VALUE) {
		fprintf(stderr, "kvm_smoke: port %#x got %#x, want %#x\n", TEST_PORT, value,
			TEST_VALUE);
		ret = -EPROTO;
		goto out;
	}
	printf("KVM_EXIT_IO: out port %#x value %#x\n", run->io.port, value);

	ret = xioctl(vm->vcpu_fd, KVM_RUN, NULL, "KVM_RUN (resume)");
	if (ret < 0)
		goto out;
	if (run->exit_reason != KVM_EXIT_HLT) {
		fprintf(stderr, "kvm_smoke: exit reason %u after out, want KVM_EXIT_HLT (%u)\n",
			run->exit_reason, KVM_EXIT_HLT);
		ret = -EPROTO;
		goto out;
	}
	printf("KVM_EXIT_HLT\n");
out:
	return ret;
}

int main(void)
{
	struct vm vm = { .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1 };
	int ret;

	if (access("/dev/kvm", F_OK) != 0) {
		printf("SKIP: /dev/kvm not present (run under scripts/kvm-vm.sh)\n");
		return EXIT_SKIP;
	}
	ret = vm_create(&vm);
	if (ret < 0)
		goto out;
	print_caps(vm.kvm_fd, vm.vm_fd);
	ret = ioctl(vm.vcpu_fd, KVM_GET_TSC_KHZ, 0);
	if (ret < 0)
		printf("KVM_GET_TSC_KHZ: %s\n", strerror(errno));
	else
		printf("KVM_GET_TSC_KHZ: %d kHz\n", ret);

	ret = vcpu_setup(&vm);
	if (ret < 0)
		goto out;
	ret = vcpu_run_expect_io(&vm);
out:
	vm_destroy(&vm);
	if (ret < 0) {
		printf("FAIL: kvm_smoke (%s)\n", strerror(-ret));
		return 1;
	}
	printf("PASS: kvm_smoke\n");
	return 0;
}
