// SPDX-License-Identifier: MIT
/*
 * The backend grant-access library against a real memfd-backed granter: every
 * refusal, the in-use bits, nesting, copies, batches, a guest racing the
 * compare-and-swap, and the granter's revoke rule (the entry helpers of
 * <splitvisor/grant_table.h> the guest kernel uses, compiled for the host).
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <splitvisor/grant_table.h>
#include <splitvisor/guest_ram.h>
#include <splitvisor/start_info.h>

#include "grant_access.h"

#define RAM_SIZE  (1u << 20)
#define TABLE_GPA 0x20000u
#define NR_FRAMES 2u
#define NR_REFS	  (NR_FRAMES * SV_GNTTAB_ENTRIES_PER_FRAME)
#define GRANTER	  7
#define ME	  0
#define PAGE	  4096u
#define DATA_GPA  0x40000u /* first page we grant */

/* A guest's RAM as the core makes it: a memfd, shared and mapped. */
static struct {
	int fd;
	uint8_t *hva;
	uint64_t size;
} mem;
static struct gnt_granter g;
static struct gnt_mapper m;

static void setup(void)
{
	mem.size = RAM_SIZE;
	mem.fd = memfd_create("grant-test", MFD_CLOEXEC);
	ck_assert_int_ge(mem.fd, 0);
	ck_assert_int_eq(ftruncate(mem.fd, (off_t)mem.size), 0);
	mem.hva = mmap(NULL, mem.size, PROT_READ | PROT_WRITE, MAP_SHARED, mem.fd, 0);
	ck_assert_ptr_ne(mem.hva, MAP_FAILED);
	g = (struct gnt_granter){ .domid = GRANTER,
				  .ram = mem.hva,
				  .ram_size = mem.size,
				  .table_gpa = TABLE_GPA,
				  .nr_frames = NR_FRAMES };
	ck_assert_int_eq(gnt_mapper_init(&m, ME, 64), 0);
}

static void teardown(void)
{
	gnt_mapper_destroy(&m);
	munmap(mem.hva, mem.size);
	close(mem.fd);
}

static struct sv_grant_entry *ent(uint32_t ref)
{
	return (struct sv_grant_entry *)(mem.hva + g.table_gpa) + ref;
}

static uint32_t frame_of(uint32_t n)
{
	return (DATA_GPA >> 12) + n;
}

static uint8_t *page_of(uint32_t n)
{
	return mem.hva + ((uint64_t)frame_of(n) << 12);
}

/* Grants page n as ref (the guest's own helper: domid, frame, barrier, flags). */
static void grant(uint32_t ref, uint16_t domid, uint32_t n, int readonly)
{
	sv_gnttab_entry_grant(ent(ref), domid, frame_of(n), readonly);
}

static struct gnt_stats stats(void)
{
	struct gnt_stats s;

	gnt_stats_get(&m, &s);
	return s;
}

static void *map_expect(uint32_t ref, bool ro, int want)
{
	void *p = (void *)1;
	int ret = gnt_map(&m, &g, ref, ro, &p);

	ck_assert_int_eq(ret, want);
	return ret ? NULL : p;
}

START_TEST(ref_out_of_range)
{
	static const uint32_t bad[] = { NR_REFS, NR_REFS + 1, 1u << 31, UINT32_MAX };
	size_t i;

	grant(10, ME, 0, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		map_expect(bad[i], true, -EINVAL);
	map_expect(NR_REFS - 1, true, -EPERM); /* last valid ref: in range but not granted */
	ck_assert_uint_eq(stats().bad_ref, 4);
	ck_assert_uint_eq(stats().maps, 0);
	g.nr_frames = 0; /* no table: nothing is in range */
	map_expect(10, true, -EINVAL);
	ck_assert_uint_eq(stats().bad_ref, 5);
}
END_TEST

START_TEST(type_must_be_permit_access)
{
	static const uint16_t bad[] = { GTF_invalid, 2, 3, GTF_readonly, GTF_reading | 2 };
	size_t i;

	grant(20, ME, 0, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ent(20)->flags = bad[i];
		map_expect(20, true, -EPERM);
		ck_assert_uint_eq(ent(20)->flags, bad[i]); /* nothing performed */
	}
	ck_assert_uint_eq(stats().not_permitted, 5);
}
END_TEST

START_TEST(wrong_domid_refused)
{
	grant(21, 1, 0, 0);
	map_expect(21, true, -EPERM);
	map_expect(21, false, -EPERM);
	grant(22, GRANTER, 0, 0); /* granted to itself, not to us */
	map_expect(22, true, -EPERM);
	ck_assert_uint_eq(ent(21)->flags, GTF_permit_access);
	ck_assert_uint_eq(stats().wrong_domid, 3);
}
END_TEST

START_TEST(write_map_of_readonly_refused)
{
	grant(23, ME, 0, 1);
	map_expect(23, false, -EACCES);
	ck_assert_uint_eq(ent(23)->flags, GTF_permit_access | GTF_readonly);
	ck_assert_uint_eq(stats().readonly, 1);
	ck_assert_ptr_nonnull(map_expect(23, true, 0));
	ck_assert_int_eq(gnt_unmap(&m, &g, 23, true), 0);
}
END_TEST

START_TEST(frame_outside_ram_or_reserved_refused)
{
	static const uint32_t bad[] = {
		RAM_SIZE >> 12,		     /* first page past RAM */
		UINT32_MAX,		     /* 16 TiB */
		0,			     /* the core's pages... */
		SV_START_INFO_GPA >> 12,     /* ...start info */
		(SV_RESERVED_END >> 12) - 1, /* ...boot stack */
		TABLE_GPA >> 12,	     /* the grant table itself */
		(TABLE_GPA >> 12) + NR_FRAMES - 1,
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sv_gnttab_entry_grant(ent(30), ME, bad[i], 0);
		map_expect(30, false, -EFAULT);
		map_expect(30, true, -EFAULT);
		ck_assert_uint_eq(ent(30)->flags, GTF_permit_access);
	}
	ck_assert_uint_eq(stats().bad_frame, 2 * i);
	/* The last page of RAM and the first after the reserved ones are fine. */
	sv_gnttab_entry_grant(ent(30), ME, (RAM_SIZE >> 12) - 1, 0);
	ck_assert_ptr_eq(map_expect(30, false, 0), mem.hva + RAM_SIZE - PAGE);
	ck_assert_int_eq(gnt_unmap(&m, &g, 30, false), 0);
	sv_gnttab_entry_grant(ent(31), ME, SV_RESERVED_END >> 12, 1);
	ck_assert_ptr_nonnull(map_expect(31, true, 0));
	ck_assert_int_eq(gnt_unmap(&m, &g, 31, true), 0);
}
END_TEST

/*
 * A granter above 3 GiB: its memfd runs to 4 GiB + the rest, with the hole at 3..4 GiB
 * sparse. Frames and tables in the hole are refused; frames above 4 GiB map at their own
 * offset.
 */
START_TEST(hole_refused_ram_above_4_gib_mapped)
{
	const uint64_t high = 8u << 20, end = sv_ram_end(SV_RAM_HOLE_START + high);
	static const uint64_t hole[] = { SV_RAM_HOLE_START >> 12, (SV_RAM_HOLE_END >> 12) - 1 };
	uint64_t frames[] = { SV_RAM_HOLE_END >> 12, (end >> 12) - 1 };
	uint8_t *p;
	size_t i;

	ck_assert_uint_eq(end, SV_RAM_HOLE_END + high);
	munmap(mem.hva, mem.size);
	ck_assert_int_eq(ftruncate(mem.fd, (off_t)end), 0);
	mem.size = end;
	mem.hva =
		mmap(NULL, mem.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, mem.fd, 0);
	ck_assert_ptr_ne(mem.hva, MAP_FAILED);
	g.ram = mem.hva;
	g.ram_size = mem.size;

	for (i = 0; i < sizeof(hole) / sizeof(hole[0]); i++) {
		sv_gnttab_entry_grant(ent(50), ME, (uint32_t)hole[i], 0);
		map_expect(50, true, -EFAULT);
	}
	sv_gnttab_entry_grant(ent(50), ME, (uint32_t)(end >> 12), 0);
	map_expect(50, true, -EFAULT);
	ck_assert_uint_eq(stats().bad_frame, 3);
	for (i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		sv_gnttab_entry_grant(ent(51), ME, (uint32_t)frames[i], 0);
		p = map_expect(51, false, 0);
		ck_assert_ptr_eq(p, mem.hva + (frames[i] << 12));
		p[4095] = (uint8_t)(0xa0 + i);
		ck_assert_int_eq(gnt_unmap(&m, &g, 51, false), 0);
		ck_assert_uint_eq(mem.hva[(frames[i] << 12) + 4095], 0xa0 + i);
	}
	/* A table reaching into the hole is refused like one past the end. */
	g.table_gpa = SV_RAM_HOLE_START - PAGE;
	g.nr_frames = 2;
	map_expect(51, true, -EFAULT);
	ck_assert_uint_eq(stats().bad_table, 1);
}
END_TEST

START_TEST(table_outside_ram_refused)
{
	struct {
		uint64_t gpa;
		uint32_t nr;
	} bad[] = {
		{ RAM_SIZE - PAGE, 2 },			    /* straddles the end */
		{ RAM_SIZE, 1 },			    /* just past it */
		{ UINT64_MAX & ~(uint64_t)(PAGE - 1), 16 }, /* wraps around */
		{ TABLE_GPA + 8, 1 },			    /* unaligned */
		{ SV_START_INFO_GPA, 1 },		    /* core's pages */
		{ TABLE_GPA, SV_GNTTAB_MAX_FRAMES + 1 },    /* too big */
	};
	size_t i;

	grant(40, ME, 0, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		g.table_gpa = bad[i].gpa;
		g.nr_frames = bad[i].nr;
		map_expect(40, true, -EFAULT);
	}
	g.table_gpa = TABLE_GPA;
	g.nr_frames = NR_FRAMES;
	g.ram = NULL;
	map_expect(40, true, -EFAULT);
	ck_assert_uint_eq(stats().bad_table, i + 1);
	g.ram = mem.hva;
	ck_assert_ptr_nonnull(map_expect(40, true, 0));
	ck_assert_int_eq(gnt_unmap(&m, &g, 40, true), 0);
}
END_TEST

START_TEST(table_moved_out_of_ram_is_rechecked)
{
	grant(41, ME, 0, 0);
	ck_assert_ptr_nonnull(map_expect(41, true, 0));
	ck_assert_int_eq(gnt_unmap(&m, &g, 41, true), 0);
	/* The guest moved its table (setup_table again) to somewhere bogus. */
	g.table_gpa = RAM_SIZE - PAGE;
	map_expect(41, true, -EFAULT);
	ck_assert_uint_eq(stats().bad_table, 1);
}
END_TEST

START_TEST(table_moved_while_mapped)
{
	uint64_t old = g.table_gpa;
	struct sv_grant_entry *old_e;

	grant(42, ME, 0, 0);
	ck_assert_ptr_nonnull(map_expect(42, false, 0));
	old_e = ent(42);
	memcpy(mem.hva + 0x60000, mem.hva + old, NR_FRAMES * PAGE);
	g.table_gpa = 0x60000;
	ent(42)->flags = GTF_permit_access;
	map_expect(42, true, -EBUSY); /* bits must first be cleared where we set them */
	ck_assert_int_eq(gnt_unmap(&m, &g, 42, false), 0);
	ck_assert_uint_eq(old_e->flags, GTF_permit_access);
	ck_assert_ptr_nonnull(map_expect(42, true, 0));
	ck_assert_uint_eq(ent(42)->flags, GTF_permit_access | GTF_reading);
	ck_assert_int_eq(gnt_unmap(&m, &g, 42, true), 0);
}
END_TEST

START_TEST(map_ro_rw_sets_and_unmap_clears)
{
	uint8_t *p;

	grant(50, ME, 0, 1);
	grant(51, ME, 1, 0);
	memset(page_of(0), 0xab, PAGE);
	p = map_expect(50, true, 0);
	ck_assert_ptr_eq(p, page_of(0));
	ck_assert_uint_eq(p[PAGE - 1], 0xab);
	ck_assert_uint_eq(ent(50)->flags, GTF_permit_access | GTF_readonly | GTF_reading);
	p = map_expect(51, false, 0);
	ck_assert_ptr_eq(p, page_of(1));
	ck_assert_uint_eq(ent(51)->flags, GTF_permit_access | GTF_reading | GTF_writing);
	p[7] = 0x5a;
	ck_assert_uint_eq(page_of(1)[7], 0x5a);
	ck_assert_uint_eq(ent(51)->domid, ME);
	ck_assert_uint_eq(ent(51)->frame, frame_of(1));

	ck_assert_int_eq(gnt_unmap(&m, &g, 50, true), 0);
	ck_assert_uint_eq(ent(50)->flags, GTF_permit_access | GTF_readonly);
	ck_assert_int_eq(gnt_unmap(&m, &g, 51, false), 0);
	ck_assert_uint_eq(ent(51)->flags, GTF_permit_access);
	ck_assert_uint_eq(stats().maps, 2);
	ck_assert_uint_eq(stats().unmaps, 2);
}
END_TEST

START_TEST(nested_maps)
{
	grant(60, ME, 2, 0);
	ck_assert_ptr_nonnull(map_expect(60, true, 0));
	ck_assert_ptr_nonnull(map_expect(60, false, 0));
	ck_assert_ptr_nonnull(map_expect(60, true, 0));
	ck_assert_uint_eq(gnt_map_count(&m, &g, 60), 3);
	ck_assert_uint_eq(ent(60)->flags, GTF_permit_access | GTF_reading | GTF_writing);

	ck_assert_int_eq(gnt_unmap(&m, &g, 60, false), 0);
	ck_assert_uint_eq(ent(60)->flags, GTF_permit_access | GTF_reading);
	ck_assert_int_eq(gnt_unmap(&m, &g, 60, false), -ENOENT); /* no writable map left */
	ck_assert_int_eq(gnt_unmap(&m, &g, 60, true), 0);
	ck_assert_uint_eq(ent(60)->flags, GTF_permit_access | GTF_reading);
	ck_assert_int_eq(gnt_unmap(&m, &g, 60, true), 0);
	ck_assert_uint_eq(ent(60)->flags, GTF_permit_access);
	ck_assert_int_eq(gnt_unmap(&m, &g, 60, true), -ENOENT);
	ck_assert_int_eq(gnt_unmap(&m, &g, 61, true), -ENOENT);
	ck_assert_uint_eq(gnt_map_count(&m, &g, 60), 0);
	ck_assert_uint_eq(stats().not_mapped, 3);

	/* Only writable maps held: a read-only unmap has nothing to undo. */
	ck_assert_ptr_nonnull(map_expect(60, false, 0));
	ck_assert_int_eq(gnt_unmap(&m, &g, 60, true), -ENOENT);
	ck_assert_int_eq(gnt_unmap(&m, &g, 60, false), 0);
	ck_assert_uint_eq(ent(60)->flags, GTF_permit_access);
}
END_TEST

START_TEST(many_refs_hash_and_capacity)
{
	struct gnt_mapper big;
	uint32_t r;
	void *p;

	ck_assert_int_eq(gnt_mapper_init(&big, ME, 600), 0);
	for (r = 8; r < 608; r++) {
		grant(r, ME, r % 64, 0);
		ck_assert_int_eq(gnt_map(&big, &g, r, r & 1, &p), 0);
	}
	grant(700, ME, 0, 0);
	ck_assert_int_eq(gnt_map(&big, &g, 700, true, &p), -ENOSPC);
	ck_assert_int_eq(gnt_map(&big, &g, 100, true, &p), 0); /* nesting needs no slot */
	ck_assert_int_eq(gnt_unmap(&big, &g, 100, true), 0);
	/* Unmap in an order unrelated to the hash, then every slot must be found again. */
	for (r = 8; r < 608; r += 3)
		ck_assert_int_eq(gnt_unmap(&big, &g, r, r & 1), 0);
	for (r = 9; r < 608; r += 3)
		ck_assert_int_eq(gnt_unmap(&big, &g, r, r & 1), 0);
	for (r = 10; r < 608; r += 3)
		ck_assert_int_eq(gnt_unmap(&big, &g, r, r & 1), 0);
	for (r = 8; r < 608; r++) {
		ck_assert_uint_eq(ent(r)->flags, GTF_permit_access);
		ck_assert_uint_eq(gnt_map_count(&big, &g, r), 0);
	}
	ck_assert_int_eq(gnt_map(&big, &g, 700, true, &p), 0);
	ck_assert_int_eq(gnt_unmap(&big, &g, 700, true), 0);
	gnt_mapper_destroy(&big);
	ck_assert_int_eq(gnt_mapper_init(&big, ME, 0), -EINVAL);
}
END_TEST

START_TEST(copy_in_out_and_bounds)
{
	uint8_t buf[PAGE], big[PAGE + 1];
	uint32_t i;

	for (i = 0; i < PAGE; i++)
		page_of(3)[i] = (uint8_t)(i * 13);
	grant(70, ME, 3, 1);
	grant(71, ME, 4, 0);

	ck_assert_int_eq(gnt_copy(&m, &g, 70, SV_GNT_COPY_FROM_GRANT, 100, buf, 200), 0);
	ck_assert_int_eq(memcmp(buf, page_of(3) + 100, 200), 0);
	ck_assert_int_eq(gnt_copy(&m, &g, 70, SV_GNT_COPY_FROM_GRANT, 0, buf, PAGE), 0);
	ck_assert_int_eq(memcmp(buf, page_of(3), PAGE), 0);
	memset(buf, 0x77, sizeof(buf));
	ck_assert_int_eq(gnt_copy(&m, &g, 71, SV_GNT_COPY_TO_GRANT, 4000, buf, 96), 0);
	ck_assert_uint_eq(page_of(4)[4095], 0x77);
	ck_assert_uint_eq(page_of(4)[3999], 0);
	ck_assert_int_eq(gnt_copy(&m, &g, 71, SV_GNT_COPY_TO_GRANT, PAGE, buf, 0), 0);
	ck_assert_uint_eq(stats().copies, 4);

	/* Bounds: nothing copied, nothing marked. */
	ck_assert_int_eq(gnt_copy(&m, &g, 71, SV_GNT_COPY_TO_GRANT, 4000, buf, 97), -EINVAL);
	ck_assert_int_eq(gnt_copy(&m, &g, 71, SV_GNT_COPY_TO_GRANT, PAGE + 1, buf, 0), -EINVAL);
	ck_assert_int_eq(gnt_copy(&m, &g, 71, SV_GNT_COPY_FROM_GRANT, 1, big, UINT32_MAX), -EINVAL);
	ck_assert_int_eq(gnt_copy(&m, &g, 71, SV_GNT_COPY_FROM_GRANT, UINT32_MAX, big, 2), -EINVAL);
	ck_assert_int_eq(gnt_copy(&m, &g, 71, SV_GNT_COPY_FROM_GRANT, 0, big, PAGE + 1), -EINVAL);
	ck_assert_int_eq(gnt_copy(&m, &g, 71, (enum gnt_copy_dir)9, 0, buf, 1), -EINVAL);
	ck_assert_uint_eq(stats().bad_copy, 6);
	/* Direction honours readonly. */
	ck_assert_int_eq(gnt_copy(&m, &g, 70, SV_GNT_COPY_TO_GRANT, 0, buf, 1), -EACCES);
	ck_assert_uint_eq(page_of(3)[0], 0);
	ck_assert_int_eq(gnt_copy(&m, &g, NR_REFS, SV_GNT_COPY_FROM_GRANT, 0, buf, 1), -EINVAL);
	ck_assert_uint_eq(ent(70)->flags, GTF_permit_access | GTF_readonly);
	ck_assert_uint_eq(ent(71)->flags, GTF_permit_access);
	ck_assert_uint_eq(stats().readonly, 1);
	ck_assert_uint_eq(stats().bad_ref, 1);
}
END_TEST

START_TEST(batches_with_mixed_ops)
{
	struct gnt_map_op ops[] = {
		{ .ref = 80, .readonly = true },  { .ref = NR_REFS + 5, .readonly = true },
		{ .ref = 81, .readonly = true },  { .ref = 82, .readonly = false },
		{ .ref = 83, .readonly = false },
	};
	uint8_t a[16], b[16] = "0123456789abcde";
	struct gnt_copy_op cops[] = {
		{ .ref = 80, .dir = SV_GNT_COPY_FROM_GRANT, .offset = 8, .len = 16, .buf = a },
		{ .ref = 80, .dir = SV_GNT_COPY_TO_GRANT, .offset = 0, .len = 16, .buf = b },
		{ .ref = 82, .dir = SV_GNT_COPY_TO_GRANT, .offset = 4090, .len = 16, .buf = b },
		{ .ref = 82, .dir = SV_GNT_COPY_TO_GRANT, .offset = 4080, .len = 16, .buf = b },
	};

	memset(page_of(5), 0x11, PAGE);
	grant(80, ME, 5, 1);
	grant(81, 9, 5, 1); /* someone else's */
	grant(82, ME, 6, 0);
	grant(83, ME, 7, 1); /* readonly, asked writable */
	ck_assert_int_eq(gnt_map_batch(&m, &g, ops, 5), 3);
	ck_assert_int_eq(ops[0].status, 0);
	ck_assert_ptr_eq(ops[0].page, page_of(5));
	ck_assert_int_eq(ops[1].status, -EINVAL);
	ck_assert_ptr_null(ops[1].page);
	ck_assert_int_eq(ops[2].status, -EPERM);
	ck_assert_int_eq(ops[3].status, 0);
	ck_assert_ptr_eq(ops[3].page, page_of(6));
	ck_assert_int_eq(ops[4].status, -EACCES);
	ck_assert_uint_eq(ent(82)->flags, GTF_permit_access | GTF_reading | GTF_writing);

	ck_assert_int_eq(gnt_unmap_batch(&m, &g, ops, 5), 3);
	ck_assert_int_eq(ops[0].status, 0);
	ck_assert_int_eq(ops[1].status, -ENOENT);
	ck_assert_int_eq(ops[3].status, 0);
	ck_assert_uint_eq(ent(80)->flags, GTF_permit_access | GTF_readonly);
	ck_assert_uint_eq(ent(82)->flags, GTF_permit_access);

	ck_assert_int_eq(gnt_copy_batch(&m, &g, cops, 4), 2);
	ck_assert_int_eq(cops[0].status, 0);
	ck_assert_uint_eq(a[15], 0x11);
	ck_assert_int_eq(cops[1].status, -EACCES);
	ck_assert_int_eq(cops[2].status, -EINVAL);
	ck_assert_int_eq(cops[3].status, 0);
	ck_assert_int_eq(memcmp(page_of(6) + 4080, b, 16), 0);
	ck_assert_uint_eq(page_of(5)[0], 0x11);

	ck_assert_int_eq(gnt_map_batch(&m, &g, NULL, 1), -EINVAL);
	ck_assert_int_eq(gnt_map_batch(&m, &g, NULL, 0), 0);
}
END_TEST

/* Hooks: the test plays a guest that changes the entry between our read and our CAS. */
static int hook_calls;

static void hook_flip_bit(void *entry, void *opaque)
{
	(void)opaque;
	hook_calls++;
	__atomic_fetch_xor(&((struct sv_grant_entry *)entry)->flags, 0x100, __ATOMIC_SEQ_CST);
}

static void hook_change_domid(void *entry, void *opaque)
{
	(void)opaque;
	hook_calls++;
	((struct sv_grant_entry *)entry)->domid = 99;
}

static void hook_change_frame(void *entry, void *opaque)
{
	(void)opaque;
	hook_calls++;
	((struct sv_grant_entry *)entry)->frame = 1; /* the core's GDT page */
}

static void hook_set_readonly(void *entry, void *opaque)
{
	(void)opaque;
	hook_calls++;
	__atomic_fetch_or(&((struct sv_grant_entry *)entry)->flags, GTF_readonly, __ATOMIC_SEQ_CST);
}

static void hook_revoke_once(void *entry, void *opaque)
{
	(void)opaque;
	if (hook_calls++ == 0)
		((struct sv_grant_entry *)entry)->flags = 0;
}

START_TEST(cas_livelock_gives_up)
{
	uint16_t before;

	grant(90, ME, 0, 0);
	hook_calls = 0;
	gnt_test_set_race_hook(hook_flip_bit, NULL);
	map_expect(90, false, -EBUSY);
	gnt_test_set_race_hook(NULL, NULL);
	ck_assert_int_eq(hook_calls, SV_GNT_CAS_TRIES);
	before = ent(90)->flags;
	ck_assert_uint_eq(before & (GTF_reading | GTF_writing), 0);
	ck_assert_uint_eq(stats().busy, 1);
	ck_assert_uint_eq(gnt_map_count(&m, &g, 90), 0);
	ck_assert_int_eq(gnt_unmap(&m, &g, 90, false), -ENOENT);
}
END_TEST

START_TEST(cas_rechecks_whole_entry)
{
	grant(91, ME, 0, 0);
	hook_calls = 0;
	gnt_test_set_race_hook(hook_change_domid, NULL);
	map_expect(91, false, -EPERM);
	ck_assert_uint_eq(stats().wrong_domid, 1);

	grant(91, ME, 0, 0);
	gnt_test_set_race_hook(hook_change_frame, NULL);
	map_expect(91, false, -EFAULT);
	ck_assert_uint_eq(stats().bad_frame, 1);

	grant(91, ME, 0, 0);
	gnt_test_set_race_hook(hook_set_readonly, NULL);
	map_expect(91, false, -EACCES);
	ck_assert_uint_eq(stats().readonly, 1);

	grant(91, ME, 0, 0);
	hook_calls = 0;
	gnt_test_set_race_hook(hook_revoke_once, NULL);
	map_expect(91, false, -EPERM);
	ck_assert_uint_eq(stats().not_permitted, 1);
	gnt_test_set_race_hook(NULL, NULL);
	ck_assert_uint_eq(ent(91)->flags, 0);
	ck_assert_uint_eq(stats().maps, 0);
}
END_TEST

struct flipper {
	struct sv_grant_entry *e;
	int stop;
};

static void *flipper_thread(void *arg)
{
	struct flipper *f = arg;

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE))
		__atomic_fetch_xor(&f->e->flags, 0x100, __ATOMIC_RELAXED);
	return NULL;
}

START_TEST(flipping_thread_cannot_hang_the_mapper)
{
	struct flipper f = { .e = NULL };
	struct timespec t0, t1;
	unsigned int ok = 0, busy = 0, i;
	pthread_t th;
	void *p;
	int ret;

	grant(92, ME, 0, 0);
	f.e = ent(92);
	ck_assert_int_eq(pthread_create(&th, NULL, flipper_thread, &f), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 20000; i++) {
		ret = gnt_map(&m, &g, 92, false, &p);
		ck_assert(ret == 0 || ret == -EBUSY);
		if (ret) {
			busy++;
			continue;
		}
		ok++;
		ck_assert_int_eq(gnt_unmap(&m, &g, 92, false), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	__atomic_store_n(&f.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	ck_assert_uint_eq(ok + busy, 20000);
	ck_assert_uint_eq(stats().busy, busy);
	ck_assert_uint_eq(ent(92)->flags & ~0x100u, GTF_permit_access);
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 20);
}
END_TEST

START_TEST(revoke_refused_while_mapped)
{
	grant(100, ME, 0, 0);
	ck_assert_int_eq(sv_gnttab_entry_in_use(ent(100)), 0);
	ck_assert_ptr_nonnull(map_expect(100, false, 0));
	ck_assert_int_eq(sv_gnttab_entry_in_use(ent(100)), 1);
	ck_assert_int_eq(sv_gnttab_entry_end(ent(100)), -EBUSY);
	ck_assert_uint_eq(ent(100)->flags, GTF_permit_access | GTF_reading | GTF_writing);
	ck_assert_int_eq(gnt_unmap(&m, &g, 100, false), 0);
	ck_assert_int_eq(sv_gnttab_entry_end(ent(100)), 0);
	ck_assert_uint_eq(ent(100)->flags, 0);
	map_expect(100, true, -EPERM); /* revoked */

	grant(101, ME, 0, 1);
	ck_assert_ptr_nonnull(map_expect(101, true, 0));
	ck_assert_int_eq(sv_gnttab_entry_end(ent(101)), -EBUSY);
	ck_assert_int_eq(gnt_unmap(&m, &g, 101, true), 0);
	ck_assert_int_eq(sv_gnttab_entry_end(ent(101)), 0);
}
END_TEST

START_TEST(dying_mapper_releases_everything)
{
	uint32_t r;

	for (r = 110; r < 120; r++) {
		grant(r, ME, r - 110, r & 1);
		ck_assert_ptr_nonnull(map_expect(r, r & 1, 0));
		ck_assert_ptr_nonnull(map_expect(r, true, 0));
	}
	ck_assert_uint_eq(gnt_unmap_all(&m), 10);
	for (r = 110; r < 120; r++) {
		ck_assert_uint_eq(gnt_map_count(&m, &g, r), 0);
		ck_assert_int_eq(sv_gnttab_entry_end(ent(r)), 0);
	}
	ck_assert_uint_eq(gnt_unmap_all(&m), 0);
	ck_assert_int_eq(gnt_unmap(&m, &g, 110, true), -ENOENT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("grant_access");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ref_out_of_range);
	tcase_add_test(tc, type_must_be_permit_access);
	tcase_add_test(tc, wrong_domid_refused);
	tcase_add_test(tc, write_map_of_readonly_refused);
	tcase_add_test(tc, frame_outside_ram_or_reserved_refused);
	tcase_add_test(tc, table_outside_ram_refused);
	tcase_add_test(tc, hole_refused_ram_above_4_gib_mapped);
	tcase_add_test(tc, table_moved_out_of_ram_is_rechecked);
	tcase_add_test(tc, table_moved_while_mapped);
	tcase_add_test(tc, map_ro_rw_sets_and_unmap_clears);
	tcase_add_test(tc, nested_maps);
	tcase_add_test(tc, many_refs_hash_and_capacity);
	tcase_add_test(tc, copy_in_out_and_bounds);
	tcase_add_test(tc, batches_with_mixed_ops);
	tcase_add_test(tc, cas_livelock_gives_up);
	tcase_add_test(tc, cas_rechecks_whole_entry);
	tcase_add_test(tc, flipping_thread_cannot_hang_the_mapper);
	tcase_add_test(tc, revoke_refused_while_mapped);
	tcase_add_test(tc, dying_mapper_releases_everything);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
