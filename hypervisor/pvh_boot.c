// SPDX-License-Identifier: MIT
/*
 * The boot-time tables of a Linux PVH guest. Linux needs a memory map in hvm_start_info (with
 * none it asks Xen through XENMEM_memory_map), and an MP table: without any firmware table it
 * runs with no SMP and no LAPIC timer (LINUX-PVH-FACTS.md, section 4). The ACPI tables, for
 * poweroff and reboot, come from pvh_acpi.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <splitvisor/hvm_start_info.h>
#include <splitvisor/limits.h>

#include "errmsg.h"
#include "pvh_acpi.h"
#include "pvh_boot.h"

/* MPS 1.4 entry types and values (Intel MultiProcessor Specification, chapter 4). */
#define MP_PROCESSOR   0
#define MP_BUS	       1
#define MP_IOAPIC      2
#define MP_INTSRC      3
#define MP_LINTSRC     4
#define MP_INT	       0 /* vectored interrupt from the IOAPIC */
#define MP_NMI	       1
#define MP_EXTINT      3
#define MP_CPU_ENABLED 1
#define MP_CPU_BSP     2
#define MP_ISA_BUS     0
#define MP_ALL_LAPICS  0xff
#define MP_ISA_IRQS    16

struct mp_float {
	char sig[4];
	uint32_t physptr;
	uint8_t length; /* in 16-byte units */
	uint8_t spec;
	uint8_t checksum;
	uint8_t feature[5];
} __attribute__((packed));

struct mp_table {
	char sig[4];
	uint16_t length;
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t count;
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mp_cpu {
	uint8_t type, apicid, apicver, flags;
	uint32_t signature, features;
	uint32_t reserved[2];
} __attribute__((packed));

struct mp_bus {
	uint8_t type, busid;
	char bustype[6];
} __attribute__((packed));

struct mp_ioapic {
	uint8_t type, apicid, apicver, flags;
	uint32_t addr;
} __attribute__((packed));

struct mp_irq {
	uint8_t type, irqtype;
	uint16_t irqflag;
	uint8_t srcbus, srcbusirq, dstapic, dstirq;
} __attribute__((packed));

_Static_assert(sizeof(struct mp_float) == 16 && sizeof(struct mp_table) == 44 &&
		       sizeof(struct mp_cpu) == 20 && sizeof(struct mp_bus) == 8 &&
		       sizeof(struct mp_ioapic) == 8 && sizeof(struct mp_irq) == 8,
	       "MPS 1.4 layouts");

#define MP_TABLE_MAX                                                                              \
	(sizeof(struct mp_table) + SV_MAX_VCPUS * sizeof(struct mp_cpu) + sizeof(struct mp_bus) + \
	 sizeof(struct mp_ioapic) + (MP_ISA_IRQS + 2) * sizeof(struct mp_irq))

_Static_assert(PVH_MP_FLOAT + sizeof(struct mp_float) + MP_TABLE_MAX <= PVH_ACPI_BASE,
	       "the MP table ends below the ACPI tables");

static void mp_irq_entry(uint8_t **pos, uint8_t type, uint8_t irqtype, uint8_t srcirq,
			 uint8_t dstapic, uint8_t dstirq)
{
	struct mp_irq e = { .type = type,
			    .irqtype = irqtype,
			    .srcbus = MP_ISA_BUS,
			    .srcbusirq = srcirq,
			    .dstapic = dstapic,
			    .dstirq = dstirq };

	memcpy(*pos, &e, sizeof(e));
	*pos += sizeof(e);
}

/* APIC id = vCPU index, so the IOAPIC takes the first id after the CPUs. */
static void mp_write(uint8_t *base, unsigned int nr_vcpus)
{
	struct mp_float *f = (struct mp_float *)base;
	struct mp_table *t = (struct mp_table *)(base + sizeof(*f));
	uint8_t *pos = (uint8_t *)(t + 1);
	uint8_t ioapic_id = (uint8_t)nr_vcpus;
	unsigned int i;

	memset(base, 0, sizeof(*f) + MP_TABLE_MAX);
	for (i = 0; i < nr_vcpus; i++) {
		struct mp_cpu c = {
			.type = MP_PROCESSOR,
			.apicid = (uint8_t)i,
			.apicver = 0x14,
			.flags = MP_CPU_ENABLED | (i ? 0 : MP_CPU_BSP),
		};

		memcpy(pos, &c, sizeof(c));
		pos += sizeof(c);
	}
	memcpy(pos, &(struct mp_bus){ .type = MP_BUS, .busid = MP_ISA_BUS, .bustype = "ISA   " },
	       sizeof(struct mp_bus));
	pos += sizeof(struct mp_bus);
	memcpy(pos,
	       &(struct mp_ioapic){ .type = MP_IOAPIC,
				    .apicid = ioapic_id,
				    .apicver = 0x11,
				    .flags = 1,
				    .addr = PVH_IOAPIC_ADDR },
	       sizeof(struct mp_ioapic));
	pos += sizeof(struct mp_ioapic);
	for (i = 0; i < MP_ISA_IRQS; i++)
		mp_irq_entry(&pos, MP_INTSRC, MP_INT, (uint8_t)i, ioapic_id, (uint8_t)i);
	mp_irq_entry(&pos, MP_LINTSRC, MP_EXTINT, 0, MP_ALL_LAPICS, 0);
	mp_irq_entry(&pos, MP_LINTSRC, MP_NMI, 0, MP_ALL_LAPICS, 1);

	memcpy(t->sig, "PCMP", 4);
	t->length = (uint16_t)(pos - (uint8_t *)t);
	t->spec = 4;
	memcpy(t->oem, "SPLITVSR", 8);
	memcpy(t->product, "PVH         ", 12);
	t->count = (uint16_t)(nr_vcpus + 2 + MP_ISA_IRQS + 2);
	t->lapic = PVH_LAPIC_ADDR;
	t->checksum = pvh_table_checksum(t, t->length);

	memcpy(f->sig, "_MP_", 4);
	f->physptr = (uint32_t)(PVH_MP_FLOAT + sizeof(*f));
	f->length = 1;
	f->spec = 4;
	f->checksum = pvh_table_checksum(f, sizeof(*f));
}

/* The APICs' MMIO window lies in the hole, so no RAM slot ever covers it. */
_Static_assert(SV_RAM_HOLE_START <= PVH_IOAPIC_ADDR, "RAM below 4 GiB ends before the IOAPIC");

int pvh_boot_write(struct guest_mem *mem, const struct pvh_boot_params *p, char *err, size_t errlen)
{
	struct sv_hvm_memmap_entry map[] = {
		{ .addr = 0, .size = PVH_LOW_RAM_START, .type = SV_HVM_MEMMAP_RESERVED },
		{ .addr = PVH_LOW_RAM_START,
		  .size = PVH_LOW_RAM_END - PVH_LOW_RAM_START,
		  .type = SV_HVM_MEMMAP_RAM },
		{ .addr = PVH_LOW_RAM_END,
		  .size = PVH_HIGH_RAM - PVH_LOW_RAM_END,
		  .type = SV_HVM_MEMMAP_RESERVED },
		{ .addr = PVH_HIGH_RAM,
		  .size = guest_mem_low_end(mem) - PVH_HIGH_RAM,
		  .type = SV_HVM_MEMMAP_RAM },
		{ .addr = SV_RAM_HOLE_END,
		  .size = mem->end - SV_RAM_HOLE_END,
		  .type = SV_HVM_MEMMAP_RAM },
	};
	uint32_t nr_map = sizeof(map) / sizeof(map[0]) - (mem->end <= SV_RAM_HOLE_END);
	struct sv_hvm_start_info *si;
	size_t cmdlen = strlen(p->cmdline ? p->cmdline : "");

	if (mem->end <= PVH_HIGH_RAM)
		return errmsg_set(err, errlen, -ERANGE,
				  "a PVH guest's RAM (0x%llx bytes) must reach above 1 MiB",
				  (unsigned long long)mem->end);
	if (p->nr_vcpus < 1 || p->nr_vcpus > SV_MAX_VCPUS)
		return errmsg_set(err, errlen, -EINVAL, "%u vCPUs is outside 1..%u", p->nr_vcpus,
				  SV_MAX_VCPUS);
	if (cmdlen >= SV_MAX_CMDLINE)
		return errmsg_set(err, errlen, -E2BIG, "command line longer than %u bytes",
				  SV_MAX_CMDLINE - 1);
	memset(guest_ptr(mem, PVH_LOW_RAM_END, PVH_HIGH_RAM - PVH_LOW_RAM_END), 0,
	       PVH_HIGH_RAM - PVH_LOW_RAM_END);

	si = guest_ptr(mem, PVH_START_INFO, sizeof(*si));
	si->magic = SV_HVM_START_MAGIC;
	si->version = 1;
	si->cmdline_paddr = PVH_CMDLINE;
	si->memmap_paddr = PVH_MEMMAP;
	si->memmap_entries = nr_map;
	memcpy(guest_ptr(mem, PVH_MEMMAP, nr_map * sizeof(map[0])), map, nr_map * sizeof(map[0]));
	memcpy(guest_ptr(mem, PVH_CMDLINE, cmdlen + 1), p->cmdline ? p->cmdline : "", cmdlen + 1);
	if (p->initrd_len) {
		struct sv_hvm_modlist_entry mod = { .paddr = p->initrd_gpa, .size = p->initrd_len };

		memcpy(guest_ptr(mem, PVH_MODLIST, sizeof(mod)), &mod, sizeof(mod));
		si->nr_modules = 1;
		si->modlist_paddr = PVH_MODLIST;
	}
	mp_write(guest_ptr(mem, PVH_MP_FLOAT, sizeof(struct mp_float) + MP_TABLE_MAX), p->nr_vcpus);
	si->rsdp_paddr = pvh_acpi_write(guest_ptr(mem, PVH_ACPI_BASE, PVH_ACPI_SIZE), PVH_ACPI_BASE,
					p->nr_vcpus);
	return 0;
}

int pvh_load_initrd(struct guest_mem *mem, const char *path, uint64_t min_gpa, uint64_t *gpa,
		    uint64_t *len, char *err, size_t errlen)
{
	/* Below the hole: the kernel reads it before it maps RAM above 4 GiB. */
	uint64_t at = (min_gpa + 4095) & ~4095ull, limit = guest_mem_low_end(mem);
	struct stat st;
	size_t done = 0;
	uint8_t *dst;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errmsg_set(err, errlen, -errno, "cannot open initrd %s: %s", path,
				  strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ret = errmsg_set(err, errlen, -EINVAL, "initrd %s is not a regular file", path);
		goto out;
	}
	if (at < min_gpa || at > limit || (uint64_t)st.st_size > limit - at) {
		ret = errmsg_set(err, errlen, -ENOSPC,
				 "initrd %s (%lld bytes) does not fit in RAM between 0x%llx and "
				 "0x%llx",
				 path, (long long)st.st_size, (unsigned long long)at,
				 (unsigned long long)limit);
		goto out;
	}
	dst = guest_ptr(mem, at, (uint64_t)st.st_size);
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, dst + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = errmsg_set(err, errlen, n < 0 ? -errno : -EIO,
					 "cannot read initrd %s", path);
			goto out;
		}
		done += (size_t)n;
	}
	*gpa = at;
	*len = done;
	ret = 0;
out:
	close(fd);
	return ret;
}
