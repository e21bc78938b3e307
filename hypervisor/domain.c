// SPDX-License-Identifier: MIT
/* Domain lifecycle: build a VM from a kernel, start its threads, pause, end, release. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <splitvisor/event_channel.h>
#include <splitvisor/grant_table.h>
#include <splitvisor/start_info.h>

#include "errmsg.h"
#include "boot.h"
#include "linux_image.h"
#include "pvh_boot.h"
#include "domain_priv.h"
#include "evtchn.h"

#define KVM_TSS_GPA 0xfffbd000ul

static pthread_once_t kick_signal_once = PTHREAD_ONCE_INIT;

static void domain_end(struct sv_domain *d, enum sv_exit_reason reason, int code,
		       const char *detail);

static void kick_signal_handler(int sig)
{
	(void)sig;
}

/* No SA_RESTART: the kick must make KVM_RUN return EINTR. */
static void kick_signal_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_signal_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

static const struct {
	int cap;
	const char *name;
} kvm_required_caps[] = {
	{ KVM_CAP_IRQCHIP, "in-kernel irqchip" }, { KVM_CAP_USER_MEMORY, "user memory regions" },
	{ KVM_CAP_SIGNAL_MSI, "MSI injection" },  { KVM_CAP_IMMEDIATE_EXIT, "immediate exit" },
	{ KVM_CAP_GET_TSC_KHZ, "TSC frequency" }, { KVM_CAP_EXT_CPUID, "CPUID setting" },
	{ KVM_CAP_IOEVENTFD, "ioeventfds" },	  { KVM_CAP_IRQFD, "irqfds" },
	{ KVM_CAP_IRQ_ROUTING, "GSI routing" },
};

static int kvm_open_checked(int *fd_out, char *err, size_t errlen)
{
	unsigned int i;
	int fd, ret;

	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errmsg_set(err, errlen, -errno, "/dev/kvm is not available: %s",
				  strerror(errno));
	ret = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (ret != KVM_API_VERSION) {
		ret = errmsg_set(err, errlen, -ENOTSUP, "KVM API version %d, expected %d", ret,
				 KVM_API_VERSION);
		goto out;
	}
	for (i = 0; i < sizeof(kvm_required_caps) / sizeof(kvm_required_caps[0]); i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, kvm_required_caps[i].cap) <= 0) {
			ret = errmsg_set(err, errlen, -ENOTSUP, "KVM lacks %s",
					 kvm_required_caps[i].name);
			goto out;
		}
	}
	*fd_out = fd;
	return 0;
out:
	close(fd);
	return ret;
}

int sv_kvm_probe(char *err, size_t errlen)
{
	int fd, ret;

	ret = kvm_open_checked(&fd, err, errlen);
	if (!ret)
		close(fd);
	return ret;
}

static int params_check(const struct sv_domain_params *p, char *err, size_t errlen)
{
	size_t i, n;

	if (!p->name || !(n = strlen(p->name)) || n > SV_MAX_NAME_LEN)
		return errmsg_set(err, errlen, -EINVAL, "domain name must have 1..%u characters",
				  SV_MAX_NAME_LEN);
	for (i = 0; i < n; i++) {
		char c = p->name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == '+'))
			return errmsg_set(
				err, errlen, -EINVAL,
				"domain name '%s': character %zu is not one of A-Z a-z 0-9 _ . + -",
				p->name, i + 1);
	}
	if (p->memory_mib < SV_MIN_MEMORY_MIB || p->memory_mib > SV_MAX_PVH_MEMORY_MIB)
		return errmsg_set(err, errlen, -EINVAL, "memory %u MiB is outside %u..%u MiB",
				  p->memory_mib, SV_MIN_MEMORY_MIB, SV_MAX_PVH_MEMORY_MIB);
	if (p->vcpus < 1 || p->vcpus > SV_MAX_VCPUS)
		return errmsg_set(err, errlen, -EINVAL, "%u vCPUs is outside 1..%u", p->vcpus,
				  SV_MAX_VCPUS);
	if (!p->kernel)
		return errmsg_set(err, errlen, -EINVAL, "no kernel given");
	if (p->cmdline && strlen(p->cmdline) >= SV_MAX_CMDLINE)
		return errmsg_set(err, errlen, -E2BIG, "command line longer than %u bytes",
				  SV_MAX_CMDLINE - 1);
	if (p->max_grant_frames > SV_GNTTAB_MAX_FRAMES)
		return errmsg_set(err, errlen, -EINVAL,
				  "%u grant-table frames is above the core's maximum of %u",
				  p->max_grant_frames, SV_GNTTAB_MAX_FRAMES);
	if (p->max_event_channels == 1 || p->max_event_channels >= SV_EVTCHN_NR_PORTS)
		return errmsg_set(err, errlen, -EINVAL, "%u event channels is outside 2..%u",
				  p->max_event_channels, SV_EVTCHN_NR_PORTS - 1);
	return 0;
}

/*
 * The wall clock at guest system time 0: the host's time of day now minus the guest's system
 * time now (its TSC need not start at 0), read back to back.
 */
static int domain_set_wallclock(struct sv_domain *d, int32_t offset_s)
{
	struct sv_shared_info *s = sv_domain_shared_info(d);
	struct timespec now;
	uint64_t guest_ns;
	int64_t wc_ns;
	int ret;

	guest_ns = vcpu_guest_now_ns(&d->vcpus[0], &ret);
	clock_gettime(CLOCK_REALTIME, &now);
	if (ret)
		return ret;
	wc_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec + (int64_t)offset_s * 1000000000;
	wc_ns = guest_ns > (uint64_t)wc_ns ? 0 : wc_ns - (int64_t)guest_ns;
	__atomic_store_n(&s->wc_version, s->wc_version + 1, __ATOMIC_RELEASE);
	s->wc_sec = (uint64_t)(wc_ns / 1000000000);
	s->wc_nsec = (uint32_t)(wc_ns % 1000000000);
	__atomic_store_n(&s->wc_version, s->wc_version + 1, __ATOMIC_RELEASE);
	return 0;
}

static void domain_fill_start_info(struct sv_domain *d)
{
	struct sv_start_info *si = guest_ptr(&d->mem, SV_START_INFO_GPA, sizeof(*si));

	memset(si, 0, sizeof(*si));
	si->magic = SV_START_INFO_MAGIC;
	si->abi_version = SV_ABI_VERSION;
	si->domid = d->domid;
	si->mem_bytes = d->mem.end;
	si->nr_vcpus = d->nr_vcpus;
	si->tsc_khz = d->tsc_khz;
	si->kernel_end = d->elf.load_end;
	si->shared_info_gpa = SV_SHARED_INFO_GPA;
	si->console_ring_gpa = SV_CONSOLE_RING_GPA;
	si->store_ring_gpa = SV_STORE_RING_GPA;
	si->upcall_vector = SV_UPCALL_VECTOR;
	si->cmdline_len = (uint32_t)strlen(d->cmdline);
	si->initrd_gpa = d->initrd_gpa;
	si->initrd_len = d->initrd_len;
	memcpy(si->cmdline, d->cmdline, si->cmdline_len + 1);
}

/*
 * Linux without pvclock cannot calibrate its TSC here (no PIT, no HPET, and AMD has no
 * CPUID 0x15), so a PVH kernel gets the rate KVM gives its vCPUs on its command line,
 * unless the user named one.
 */
static int domain_add_tsc_khz(struct sv_domain *d, char *err, size_t errlen)
{
	size_t len = strlen(d->cmdline);
	int khz, n;

	if (strstr(d->cmdline, "tsc_early_khz="))
		return 0;
	khz = ioctl(d->vm_fd, KVM_GET_TSC_KHZ, 0);
	if (khz <= 0)
		return 0; /* an older KVM: the guest calibrates, or asks the user for it */
	n = snprintf(d->cmdline + len, sizeof(d->cmdline) - len, "%stsc_early_khz=%d",
		     len ? " " : "", khz);
	if (n < 0 || (size_t)n >= sizeof(d->cmdline) - len) {
		d->cmdline[len] = '\0';
		return errmsg_set(err, errlen, -E2BIG,
				  "the command line has no room for tsc_early_khz=%d", khz);
	}
	return 0;
}

/*
 * Our own kernel (an ELF without the PVH note) boots as before; a bzImage, or an ELF with the
 * note, boots as a Linux PVH domU: hypercall sites rewritten, segments from 1 MiB up, the
 * PVH tables below 1 MiB. The initrd goes above the kernel for both.
 */
static int domain_load_kernel(struct sv_domain *d, const struct sv_domain_params *p, char *err,
			      size_t errlen)
{
	struct pvh_boot_params bp = { .nr_vcpus = d->nr_vcpus, .cmdline = d->cmdline };
	uint8_t *file = NULL;
	uint64_t site;
	size_t len;
	int ret;

	ret = elf_read_file(p->kernel, "kernel", LINUX_MAX_FILE, &file, &len, err, errlen);
	if (ret)
		return ret;
	ret = linux_load(file, len, &d->mem, PVH_HIGH_RAM, SV_XEN_HYPERCALL_PORT, &d->elf, &site,
			 err, errlen);
	d->pvh = !ret;
	if (ret == -ENOENT && p->require_pvh)
		ret = errmsg_set(err, errlen, -ENOEXEC,
				 "not a PVH kernel (a Linux bzImage or an ELF with the PVH entry "
				 "note), which a xenpvh domain needs");
	else if (ret == -ENOENT)
		ret = elf_load(file, len, &d->mem, SV_RESERVED_END, &d->elf, err, errlen);
	free(file);
	if (ret) {
		char msg[384];

		snprintf(msg, sizeof(msg), "%s", err ? err : "");
		return errmsg_set(err, errlen, ret, "%s: %s", p->kernel, msg);
	}
	if (p->initrd) {
		ret = pvh_load_initrd(&d->mem, p->initrd, d->elf.load_end, &d->initrd_gpa,
				      &d->initrd_len, err, errlen);
		if (ret)
			return ret;
	}
	if (!d->pvh && p->memory_mib > SV_MAX_MEMORY_MIB)
		return errmsg_set(err, errlen, -ERANGE,
				  "%s is not a PVH kernel, and only a PVH kernel takes more than "
				  "%u MiB of RAM (%u MiB asked): Splitvisor's own kernels map RAM "
				  "below the hole at 3 GiB only",
				  p->kernel, SV_MAX_MEMORY_MIB, p->memory_mib);
	if (!d->pvh)
		return 0;
	ret = domain_add_tsc_khz(d, err, errlen);
	if (ret)
		return ret;
	bp.initrd_gpa = d->initrd_gpa;
	bp.initrd_len = d->initrd_len;
	return pvh_boot_write(&d->mem, &bp, err, errlen);
}

static int domain_setup_vm(struct sv_domain *d, const struct sv_domain_params *p, char *err,
			   size_t errlen)
{
	struct kvm_userspace_memory_region region;
	unsigned int slot;
	int ret;

	ret = ioctl(d->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ret <= 0)
		return errmsg_set(err, errlen, -EIO, "KVM_GET_VCPU_MMAP_SIZE failed");
	d->run_size = (size_t)ret;
	d->sync_regs =
		(ioctl(d->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) & KVM_SYNC_X86_REGS) != 0;
	d->vm_fd = ioctl(d->kvm_fd, KVM_CREATE_VM, 0);
	if (d->vm_fd < 0)
		return errmsg_set(err, errlen, -errno, "KVM_CREATE_VM: %s", strerror(errno));
	if (ioctl(d->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_GPA) < 0)
		return errmsg_set(err, errlen, -errno, "KVM_SET_TSS_ADDR: %s", strerror(errno));
	if (ioctl(d->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return errmsg_set(err, errlen, -errno, "KVM_CREATE_IRQCHIP: %s", strerror(errno));

	ret = guest_mem_create(&d->mem, d->name, (uint64_t)p->memory_mib << 20);
	if (ret)
		return errmsg_set(err, errlen, ret, "guest RAM of %u MiB: %s", p->memory_mib,
				  strerror(-ret));
	ret = boot_build_tables(&d->mem);
	if (ret)
		return errmsg_set(err, errlen, ret, "boot page tables: %s", strerror(-ret));
	ret = domain_load_kernel(d, p, err, errlen);
	if (ret)
		return ret;
	/* Two slots over the one mapping: RAM below the hole, and the rest from 4 GiB. */
	for (slot = 0; slot < 2; slot++) {
		uint64_t start = slot ? SV_RAM_HOLE_END : 0;
		uint64_t end = slot ? d->mem.end : guest_mem_low_end(&d->mem);

		if (end <= start)
			continue;
		region = (struct kvm_userspace_memory_region){
			.slot = slot,
			.guest_phys_addr = start,
			.memory_size = end - start,
			.userspace_addr = (uintptr_t)(d->mem.hva + start),
		};
		if (ioctl(d->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
			return errmsg_set(err, errlen, -errno,
					  "KVM_SET_USER_MEMORY_REGION 0x%llx..0x%llx: %s",
					  (unsigned long long)start, (unsigned long long)end,
					  strerror(errno));
	}
	return cpuid_get_supported(d->kvm_fd, &d->cpuid);
}

static int domain_setup_vcpus(struct sv_domain *d, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned int i;
	int ret;

	d->vcpus = calloc(d->nr_vcpus, sizeof(*d->vcpus));
	if (!d->vcpus)
		return -ENOMEM;
	for (i = 0; i < d->nr_vcpus; i++)
		d->vcpus[i].fd = -1;
	for (i = 0; i < d->nr_vcpus; i++) {
		d->vcpus[i].timer_fd = -1;
		ret = vcpu_init(d, &d->vcpus[i], i);
		if (ret)
			return errmsg_set(err, errlen, ret, "vCPU %u: %s", i, strerror(-ret));
	}
	ret = ioctl(d->vcpus[0].fd, KVM_GET_TSC_KHZ, 0);
	if (ret <= 0)
		return errmsg_set(err, errlen, -EIO, "KVM_GET_TSC_KHZ failed");
	d->tsc_khz = (uint64_t)ret;

	d->timer_epfd = epoll_create1(EPOLL_CLOEXEC);
	d->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->timer_epfd < 0 || d->stop_efd < 0)
		return -errno;
	ev.data.u32 = UINT32_MAX;
	if (epoll_ctl(d->timer_epfd, EPOLL_CTL_ADD, d->stop_efd, &ev) < 0)
		return -errno;
	for (i = 0; i < d->nr_vcpus; i++) {
		ev.data.u32 = i;
		if (epoll_ctl(d->timer_epfd, EPOLL_CTL_ADD, d->vcpus[i].timer_fd, &ev) < 0)
			return -errno;
	}
	return 0;
}

/* The pages page_remap.c moved: their memfds (the RAM mapping goes with guest_mem). */
static void domain_release_remaps(struct sv_domain *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_remaps; i++)
		close(d->remaps[i].fd);
	free(d->remaps);
	d->remaps = NULL;
	d->nr_remaps = 0;
}

static void domain_release(struct sv_domain *d)
{
	unsigned int i;

	/* First: it deassigns ioeventfds and irqfds on the VM and closes their eventfds. */
	evtchn_kvm_release(d);
	for (i = 0; d->vcpus && i < d->nr_vcpus; i++)
		if (d->vcpus[i].dom)
			vcpu_release(&d->vcpus[i]);
	free(d->vcpus);
	free(d->cpuid);
	guest_mem_destroy(&d->mem);
	domain_release_remaps(d);
	pthread_mutex_destroy(&d->remap_lock);
	if (d->timer_epfd >= 0)
		close(d->timer_epfd);
	if (d->stop_efd >= 0)
		close(d->stop_efd);
	if (d->vm_fd >= 0)
		close(d->vm_fd);
	if (d->kvm_fd >= 0)
		close(d->kvm_fd);
	pthread_mutex_destroy(&d->lock);
	pthread_mutex_destroy(&d->console_lock);
	pthread_cond_destroy(&d->cond);
	free(d);
}

int sv_domain_create(const struct sv_domain_params *p, struct sv_domain **out, char *err,
		     size_t errlen)
{
	pthread_condattr_t ca;
	struct sv_domain *d;
	int ret;

	ret = params_check(p, err, errlen);
	if (ret)
		return ret;
	pthread_once(&kick_signal_once, kick_signal_install);

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->kvm_fd = d->vm_fd = d->timer_epfd = d->stop_efd = d->mem.fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_init(&d->console_lock, NULL);
	pthread_mutex_init(&d->remap_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->cond, &ca);
	pthread_condattr_destroy(&ca);
	snprintf(d->name, sizeof(d->name), "%s", p->name);
	snprintf(d->cmdline, sizeof(d->cmdline), "%s", p->cmdline ? p->cmdline : "");
	d->domid = p->domid;
	d->nr_vcpus = p->vcpus;
	d->console = p->console;
	d->console_opaque = p->console_opaque;
	d->end = domain_end;

	ret = kvm_open_checked(&d->kvm_fd, err, errlen);
	if (ret)
		goto out;
	ret = domain_setup_vm(d, p, err, errlen);
	if (ret)
		goto out;
	ret = domain_setup_vcpus(d, err, errlen);
	if (ret)
		goto out;
	ret = evtchn_kvm_init(d);
	if (ret) {
		errmsg_set(err, errlen, ret, "event channels: %s", strerror(-ret));
		goto out;
	}
	ret = evtchn_set_limit(d->evtchn, p->max_event_channels);
	if (ret) {
		errmsg_set(err, errlen, ret, "event channel limit: %s", strerror(-ret));
		goto out;
	}
	d->gnttab.max_frames = p->max_grant_frames;
	ret = domain_set_wallclock(d, p->wallclock_offset_s);
	if (ret) {
		errmsg_set(err, errlen, ret, "cannot read the guest's TSC for its wall clock");
		goto out;
	}
	domain_fill_start_info(d);
	*out = d;
	return 0;
out:
	if (err && errlen && !err[0])
		errmsg_set(err, errlen, ret, "cannot create domain %s: %s", p->name,
			   strerror(-ret));
	domain_release(d);
	return ret;
}

/*
 * Turns timerfd expiries into upcalls, and raises for backends where the core does
 * (evtchn_kvm.c); never touches a vCPU's registers.
 */
static void *domain_timer_thread(void *arg)
{
	struct sv_domain *d = arg;
	struct epoll_event ev[8];
	uint64_t ticks;
	int i, n;

	for (;;) {
		n = epoll_wait(d->timer_epfd, ev, 8, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (i = 0; i < n; i++) {
			if (ev[i].data.u32 == UINT32_MAX)
				return NULL;
			if (ev[i].data.u32 & SV_DOMAIN_EV_PORT) {
				evtchn_proc_raise_ready(d->evtchn,
							ev[i].data.u32 & ~SV_DOMAIN_EV_PORT);
				continue;
			}
			if (read(d->vcpus[ev[i].data.u32].timer_fd, &ticks, sizeof(ticks)) > 0)
				evtchn_kvm_timer_fire(&d->vcpus[ev[i].data.u32]);
		}
	}
	return NULL;
}

int sv_domain_start(struct sv_domain *d)
{
	unsigned int i;
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	if (d->started) {
		ret = -EALREADY;
		goto out;
	}
	d->started = true;
	/* Our own kernel brings its APs up by hypercall; Linux sends them INIT and SIPI. */
	for (unsigned int i = 0; i < (d->pvh ? d->nr_vcpus : 1); i++)
		d->vcpus[i].up = true;
	ret = -pthread_create(&d->timer_thread, NULL, domain_timer_thread, d);
	if (ret)
		goto out;
	d->timer_started = true;
	for (i = 0; i < d->nr_vcpus; i++) {
		ret = -pthread_create(&d->vcpus[i].thread, NULL, vcpu_thread, &d->vcpus[i]);
		if (ret)
			break;
		d->vcpus[i].thread_started = true;
	}
out:
	pthread_mutex_unlock(&d->lock);
	if (ret && d->started)
		domain_end(d, SV_EXIT_FAULT, -1, "cannot start vCPU threads");
	return ret;
}

int sv_domain_pause(struct sv_domain *d)
{
	unsigned int i;
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	if (d->ending || d->paused) {
		ret = -EINVAL;
		goto out;
	}
	d->paused = true;
	/* Before the start there is nothing to stop: the vCPU threads will park first thing. */
	if (!d->started)
		goto out;
	for (i = 0; i < d->nr_vcpus; i++)
		vcpu_kick(&d->vcpus[i]);
	/* Paused means no vCPU is inside the guest any more, not just asked to leave. */
	while (!d->ending && d->parked < d->nr_vcpus)
		pthread_cond_wait(&d->cond, &d->lock);
out:
	pthread_mutex_unlock(&d->lock);
	return ret;
}

int sv_domain_unpause(struct sv_domain *d)
{
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	if (!d->paused || d->ending)
		ret = -EINVAL;
	d->paused = false;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

/* The first call decides how the domain ended; later ones are ignored. */
static void domain_end(struct sv_domain *d, enum sv_exit_reason reason, int code,
		       const char *detail)
{
	uint64_t one = 1;
	unsigned int i;

	pthread_mutex_lock(&d->lock);
	if (d->ending) {
		pthread_mutex_unlock(&d->lock);
		return;
	}
	d->ending = true;
	d->exit.reason = reason;
	d->exit.code = code;
	snprintf(d->exit.detail, sizeof(d->exit.detail), "%s", detail ? detail : "");
	for (i = 0; i < d->nr_vcpus; i++)
		vcpu_kick(&d->vcpus[i]);
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	if (write(d->stop_efd, &one, sizeof(one)) < 0)
		return;
}

void sv_domain_destroy(struct sv_domain *d)
{
	domain_end(d, SV_EXIT_DESTROYED, -1, "destroyed on request");
}

static void domain_join(struct sv_domain *d)
{
	unsigned int i;

	if (d->joined)
		return;
	for (i = 0; i < d->nr_vcpus; i++)
		if (d->vcpus[i].thread_started)
			pthread_join(d->vcpus[i].thread, NULL);
	if (d->timer_started)
		pthread_join(d->timer_thread, NULL);
	d->joined = true;
}

int sv_domain_wait(struct sv_domain *d, int timeout_ms, struct sv_domain_exit *ex)
{
	struct timespec deadline;
	int ret = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	if (timeout_ms >= 0) {
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
	}
	pthread_mutex_lock(&d->lock);
	while (!d->ending && ret != ETIMEDOUT) {
		if (timeout_ms < 0)
			pthread_cond_wait(&d->cond, &d->lock);
		else
			ret = pthread_cond_timedwait(&d->cond, &d->lock, &deadline);
	}
	ret = d->ending ? 0 : -ETIMEDOUT;
	pthread_mutex_unlock(&d->lock);
	if (ret)
		return ret;
	domain_join(d);
	if (ex)
		*ex = d->exit;
	return 0;
}

void sv_domain_free(struct sv_domain *d)
{
	if (!d)
		return;
	sv_domain_destroy(d);
	domain_join(d);
	domain_release(d);
}

int sv_domain_memory(struct sv_domain *d, int *memfd, void **hva, uint64_t *size)
{
	*memfd = d->mem.fd;
	*hva = d->mem.hva;
	*size = d->mem.end;
	return 0;
}

int sv_domain_grant_table(struct sv_domain *d, uint64_t *gpa, uint32_t *nr_frames)
{
	return gnttab_get(&d->gnttab, gpa, nr_frames);
}

int sv_domain_grant_table_pin(struct sv_domain *d, uint64_t *gpa, uint32_t *nr_frames)
{
	return gnttab_get_pinned(&d->gnttab, gpa, nr_frames);
}

const char *sv_exit_reason_name(enum sv_exit_reason r)
{
	return sv_exit_reason_str(r);
}
