// SPDX-License-Identifier: MIT
/*
 * Grant checks for backends. The granter's memory is hostile: every entry is
 * read once into a snapshot, checked, and the in-use bits are set with a
 * compare-and-swap of the whole 8-byte entry against that snapshot, so a
 * change of flags, domid or frame between check and use makes the CAS fail
 * and the checks run again on the new value.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <splitvisor/grant_table.h>
#include <splitvisor/guest_ram.h>
#include <splitvisor/start_info.h>

#include "grant_access.h"

#define PAGE_SIZE 4096u

struct gnt_slot {
	uint64_t *entry; /* where we set the bits; NULL = free slot */
	uint32_t ref;
	uint16_t granter;
	uint32_t nr_maps;
	uint32_t nr_writable;
};

#ifdef SV_GNT_TEST_HOOKS
static void (*race_hook)(void *entry, void *opaque);
static void *race_opaque;

void gnt_test_set_race_hook(void (*fn)(void *entry, void *opaque), void *opaque)
{
	race_hook = fn;
	race_opaque = opaque;
}
#endif

int gnt_mapper_init(struct gnt_mapper *m, uint16_t domid, uint32_t max_refs)
{
	uint32_t cap = 16;

	memset(m, 0, sizeof(*m));
	if (!max_refs || max_refs > (1u << 24))
		return -EINVAL;
	/* At most half full, so probe runs stay short. */
	while (cap < 2 * max_refs)
		cap *= 2;
	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots)
		return -ENOMEM;
	m->domid = domid;
	m->capacity = cap;
	m->free_slots = max_refs;
	pthread_mutex_init(&m->lock, NULL);
	return 0;
}

void gnt_mapper_destroy(struct gnt_mapper *m)
{
	if (!m->slots)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m->slots);
	m->slots = NULL;
}

uint32_t gnt_unmap_all(struct gnt_mapper *m)
{
	uint32_t i, n = 0;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->capacity; i++) {
		if (!m->slots[i].entry)
			continue;
		__atomic_fetch_and((uint16_t *)m->slots[i].entry,
				   (uint16_t) ~(GTF_reading | GTF_writing), __ATOMIC_RELEASE);
		memset(&m->slots[i], 0, sizeof(m->slots[i]));
		m->free_slots++;
		n++;
	}
	m->stats.unmaps += n;
	pthread_mutex_unlock(&m->lock);
	return n;
}

void gnt_stats_get(struct gnt_mapper *m, struct gnt_stats *out)
{
	pthread_mutex_lock(&m->lock);
	*out = m->stats;
	pthread_mutex_unlock(&m->lock);
}

static uint32_t slot_hash(const struct gnt_mapper *m, uint16_t granter, uint32_t ref)
{
	return ((ref * 0x9e3779b1u) ^ (granter * 0x85ebca6bu)) & (m->capacity - 1);
}

/* The slot holding (granter, ref), or the free slot where it would go. */
static struct gnt_slot *slot_find(struct gnt_mapper *m, uint16_t granter, uint32_t ref)
{
	uint32_t i = slot_hash(m, granter, ref);

	while (m->slots[i].entry && (m->slots[i].granter != granter || m->slots[i].ref != ref))
		i = (i + 1) & (m->capacity - 1);
	return &m->slots[i];
}

/* Backward-shift deletion: keeps every probe run unbroken without tombstones. */
static void slot_remove(struct gnt_mapper *m, struct gnt_slot *s)
{
	uint32_t mask = m->capacity - 1;
	uint32_t hole = (uint32_t)(s - m->slots), i = hole, home;

	for (;;) {
		i = (i + 1) & mask;
		if (!m->slots[i].entry)
			break;
		home = slot_hash(m, m->slots[i].granter, m->slots[i].ref);
		/* Move it into the hole unless its home lies cyclically in (hole, i]. */
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			m->slots[hole] = m->slots[i];
			hole = i;
		}
	}
	memset(&m->slots[hole], 0, sizeof(m->slots[hole]));
	m->free_slots++;
}

uint32_t gnt_map_count(struct gnt_mapper *m, const struct gnt_granter *g, uint32_t ref)
{
	struct gnt_slot *s;
	uint32_t n;

	pthread_mutex_lock(&m->lock);
	s = slot_find(m, g->domid, ref);
	n = s->entry ? s->nr_maps : 0;
	pthread_mutex_unlock(&m->lock);
	return n;
}

/* Finds the entry of ref after checking the table lies in RAM; counts refusals. */
static int entry_locate(struct gnt_mapper *m, const struct gnt_granter *g, uint32_t ref,
			uint64_t **entry, uint64_t *table_gpa, uint64_t *table_len)
{
	/* The owner may update these concurrently: take each once, check them as a pair. */
	uint64_t gpa = __atomic_load_n(&g->table_gpa, __ATOMIC_RELAXED);
	uint32_t nr = __atomic_load_n(&g->nr_frames, __ATOMIC_RELAXED);
	uint64_t len = (uint64_t)nr * PAGE_SIZE;

	if (!nr) {
		m->stats.bad_ref++;
		return -EINVAL;
	}
	if (!g->ram || nr > SV_GNTTAB_MAX_FRAMES || gpa % PAGE_SIZE || gpa < SV_RESERVED_END ||
	    !sv_ram_contains(g->ram_size, gpa, len)) {
		m->stats.bad_table++;
		return -EFAULT;
	}
	if (ref >= nr * SV_GNTTAB_ENTRIES_PER_FRAME) {
		m->stats.bad_ref++;
		return -EINVAL;
	}
	*entry = (uint64_t *)(g->ram + gpa + (uint64_t)ref * sizeof(struct sv_grant_entry));
	*table_gpa = gpa;
	*table_len = len;
	return 0;
}

static int entry_check(struct gnt_mapper *m, const struct gnt_granter *g,
		       const struct sv_grant_entry *e, bool readonly, uint64_t table_gpa,
		       uint64_t table_len)
{
	uint64_t page = (uint64_t)e->frame * PAGE_SIZE;

	if ((e->flags & GTF_type_mask) != GTF_permit_access) {
		m->stats.not_permitted++;
		return -EPERM;
	}
	if (e->domid != m->domid) {
		m->stats.wrong_domid++;
		return -EPERM;
	}
	if (!readonly && (e->flags & GTF_readonly)) {
		m->stats.readonly++;
		return -EACCES;
	}
	/* The table itself is refused too: a mapper writing entries could grant itself anything. */
	if (page < SV_RESERVED_END || !sv_ram_contains(g->ram_size, page, PAGE_SIZE) ||
	    (page >= table_gpa && page < table_gpa + table_len)) {
		m->stats.bad_frame++;
		return -EFAULT;
	}
	return 0;
}

static int map_locked(struct gnt_mapper *m, const struct gnt_granter *g, uint32_t ref,
		      bool readonly, void **page)
{
	uint16_t bits = GTF_reading | (readonly ? 0 : GTF_writing);
	uint64_t *entry, table_gpa, table_len, snap, want;
	struct sv_grant_entry e;
	struct gnt_slot *s;
	int ret, tries = 0;

	ret = entry_locate(m, g, ref, &entry, &table_gpa, &table_len);
	if (ret)
		return ret;
	s = slot_find(m, g->domid, ref);
	if (s->entry && s->entry != entry) {
		/* Still mapped from the old table: unmap must clear the bits there first. */
		m->stats.busy++;
		return -EBUSY;
	}
	if (!s->entry && !m->free_slots) {
		m->stats.no_slot++;
		return -ENOSPC;
	}

	snap = __atomic_load_n(entry, __ATOMIC_ACQUIRE);
	for (;;) {
		memcpy(&e, &snap, sizeof(e));
		ret = entry_check(m, g, &e, readonly, table_gpa, table_len);
		if (ret)
			return ret;
		e.flags |= bits;
		memcpy(&want, &e, sizeof(want));
#ifdef SV_GNT_TEST_HOOKS
		if (race_hook)
			race_hook(entry, race_opaque);
#endif
		/* On failure snap becomes the entry's current value and is checked again. */
		if (__atomic_compare_exchange_n(entry, &snap, want, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			break;
		if (++tries >= SV_GNT_CAS_TRIES) {
			m->stats.busy++;
			return -EBUSY;
		}
	}

	if (!s->entry) {
		s->entry = entry;
		s->granter = g->domid;
		s->ref = ref;
		m->free_slots--;
	}
	s->nr_maps++;
	if (!readonly)
		s->nr_writable++;
	*page = g->ram + (uint64_t)e.frame * PAGE_SIZE;
	return 0;
}

static int unmap_locked(struct gnt_mapper *m, const struct gnt_granter *g, uint32_t ref,
			bool readonly)
{
	struct gnt_slot *s = slot_find(m, g->domid, ref);
	uint16_t clear = 0;

	if (!s->entry || (!readonly && !s->nr_writable) ||
	    (readonly && s->nr_maps == s->nr_writable)) {
		m->stats.not_mapped++;
		return -ENOENT;
	}
	if (!readonly && !--s->nr_writable)
		clear |= GTF_writing;
	if (!--s->nr_maps)
		clear |= GTF_reading;
	/* flags is the entry's first u16; release so our page accesses come first. */
	if (clear)
		__atomic_fetch_and((uint16_t *)s->entry, (uint16_t)~clear, __ATOMIC_RELEASE);
	if (!s->nr_maps)
		slot_remove(m, s);
	return 0;
}

static void remote_count(struct gnt_mapper *m, uint64_t *ok, int ret)
{
	pthread_mutex_lock(&m->lock);
	if (ret)
		m->stats.remote_failed++;
	else
		(*ok)++;
	pthread_mutex_unlock(&m->lock);
}

int gnt_map(struct gnt_mapper *m, const struct gnt_granter *g, uint32_t ref, bool readonly,
	    void **page)
{
	int ret;

	if (g->remote) {
		ret = g->remote->map(g->remote_ctx, g->domid, ref, readonly, page);
		remote_count(m, &m->stats.maps, ret);
		return ret;
	}
	pthread_mutex_lock(&m->lock);
	ret = map_locked(m, g, ref, readonly, page);
	if (!ret)
		m->stats.maps++;
	pthread_mutex_unlock(&m->lock);
	return ret;
}

int gnt_unmap(struct gnt_mapper *m, const struct gnt_granter *g, uint32_t ref, bool readonly)
{
	int ret;

	if (g->remote) {
		ret = g->remote->unmap(g->remote_ctx, g->domid, ref, readonly);
		remote_count(m, &m->stats.unmaps, ret);
		return ret;
	}
	pthread_mutex_lock(&m->lock);
	ret = unmap_locked(m, g, ref, readonly);
	if (!ret)
		m->stats.unmaps++;
	pthread_mutex_unlock(&m->lock);
	return ret;
}

int gnt_copy(struct gnt_mapper *m, const struct gnt_granter *g, uint32_t ref, enum gnt_copy_dir dir,
	     uint32_t offset, void *buf, uint32_t len)
{
	bool readonly = dir == SV_GNT_COPY_FROM_GRANT;
	struct gnt_copy_op op = { ref, dir, offset, len, buf, 0 };
	uint8_t *page;
	void *p;
	int ret;

	if (g->remote)
		return gnt_copy_batch(m, g, &op, 1) ? op.status : 0;
	pthread_mutex_lock(&m->lock);
	if ((dir != SV_GNT_COPY_FROM_GRANT && dir != SV_GNT_COPY_TO_GRANT) || offset > PAGE_SIZE ||
	    len > PAGE_SIZE - offset || (len && !buf)) {
		m->stats.bad_copy++;
		ret = -EINVAL;
		goto out;
	}
	ret = map_locked(m, g, ref, readonly, &p);
	if (ret)
		goto out;
	page = p;
	if (len && readonly)
		memcpy(buf, page + offset, len);
	else if (len)
		memcpy(page + offset, buf, len);
	unmap_locked(m, g, ref, readonly);
	m->stats.copies++;
out:
	pthread_mutex_unlock(&m->lock);
	return ret;
}

int gnt_map_batch(struct gnt_mapper *m, const struct gnt_granter *g, struct gnt_map_op *ops,
		  size_t n)
{
	int failed = 0;
	size_t i;

	if (n && !ops)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		ops[i].page = NULL;
		ops[i].status = gnt_map(m, g, ops[i].ref, ops[i].readonly, &ops[i].page);
		failed += ops[i].status != 0;
	}
	return failed;
}

int gnt_unmap_batch(struct gnt_mapper *m, const struct gnt_granter *g, struct gnt_map_op *ops,
		    size_t n)
{
	int failed = 0;
	size_t i;

	if (n && !ops)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		ops[i].status = gnt_unmap(m, g, ops[i].ref, ops[i].readonly);
		failed += ops[i].status != 0;
	}
	return failed;
}

int gnt_copy_batch(struct gnt_mapper *m, const struct gnt_granter *g, struct gnt_copy_op *ops,
		   size_t n)
{
	int failed = 0;
	size_t i;

	if (n && !ops)
		return -EINVAL;
	if (g->remote && n) {
		failed = g->remote->copy_batch(g->remote_ctx, g->domid, ops, n);
		if (failed < 0)
			for (i = 0; i < n; i++)
				ops[i].status = failed;
		pthread_mutex_lock(&m->lock);
		for (i = 0; i < n; i++) {
			if (ops[i].status)
				m->stats.remote_failed++;
			else
				m->stats.copies++;
		}
		pthread_mutex_unlock(&m->lock);
		return failed < 0 ? (int)n : failed;
	}
	for (i = 0; i < n; i++) {
		ops[i].status = gnt_copy(m, g, ops[i].ref, ops[i].dir, ops[i].offset, ops[i].buf,
					 ops[i].len);
		failed += ops[i].status != 0;
	}
	return failed;
}
