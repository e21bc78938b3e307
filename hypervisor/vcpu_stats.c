// SPDX-License-Identifier: MIT
/*
 * A domain's counters for svctl top and the benchmarks, read without a lock
 * and without slowing a vCPU: VM exits from KVM's binary statistics of each
 * vCPU (KVM_GET_STATS_FD: the kernel counts them, we pread one value), CPU
 * time of each vCPU thread (/proc), and the hypercalls and notify-port kicks
 * that reach this process, counted by the vCPU threads themselves with relaxed
 * atomic adds (one writer each; readers may see a slightly old value).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "domain_priv.h"

/* Finds the u64 named "exits" among the vCPU's statistics; -1 where KVM has none. */
static off_t stats_find_exits(int fd)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *desc;
	size_t len;
	off_t found = -1;

	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || h.name_size > 256 ||
	    h.num_desc > 4096)
		return -1;
	len = sizeof(*desc) + h.name_size;
	desc = malloc(len);
	if (!desc)
		return -1;
	for (uint32_t i = 0; i < h.num_desc && found < 0; i++) {
		if (pread(fd, desc, len, (off_t)(h.desc_offset + i * len)) != (ssize_t)len)
			break;
		desc->name[h.name_size - 1] = 0;
		if (!strcmp(desc->name, "exits") && desc->size == 1)
			found = (off_t)h.data_offset + desc->offset;
	}
	free(desc);
	return found;
}

void vcpu_stats_open(struct vcpu *v)
{
	v->stats_fd = ioctl(v->fd, KVM_GET_STATS_FD, NULL);
	v->exits_off = -1;
	if (v->stats_fd < 0)
		return;
	v->exits_off = stats_find_exits(v->stats_fd);
	if (v->exits_off < 0) {
		close(v->stats_fd);
		v->stats_fd = -1;
	}
}

void vcpu_stats_close(struct vcpu *v)
{
	if (v->stats_fd >= 0)
		close(v->stats_fd);
	v->stats_fd = -1;
}

/*
 * The thread's time on a CPU from /proc (schedstat's first field, ns): by its
 * thread id, so a thread that has ended reads as 0 instead of touching a
 * pthread_t that may be gone.
 */
static uint64_t vcpu_cpu_ns(const struct vcpu *v)
{
	pid_t tid = __atomic_load_n(&v->tid, __ATOMIC_RELAXED);
	unsigned long long ns = 0;
	char path[64];
	FILE *f;

	if (!tid)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	fclose(f);
	return ns;
}

int sv_domain_stats(struct sv_domain *d, struct sv_domain_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->exits_known = d->nr_vcpus > 0;
	for (unsigned int i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = &d->vcpus[i];
		uint64_t exits;

		st->hypercalls += __atomic_load_n(&v->hypercalls, __ATOMIC_RELAXED);
		st->notifies += __atomic_load_n(&v->notifies, __ATOMIC_RELAXED);
		if (v->stats_fd >= 0 &&
		    pread(v->stats_fd, &exits, sizeof(exits), v->exits_off) == sizeof(exits))
			st->exits += exits;
		else
			st->exits_known = false;
		st->cpu_ns += vcpu_cpu_ns(v);
	}
	return 0;
}
