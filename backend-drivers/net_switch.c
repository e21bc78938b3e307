// SPDX-License-Identifier: MIT
/*
 * The learning switch (net_switch.h). The MAC table is a fixed array of
 * entries, chained in a keyed hash for lookup and in a list from least to
 * most recently seen: the list's head is the next to age out and the entry
 * evicted when the table is full, so both cost O(1) per frame.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net_switch.h"

#define ETH_HLEN 14u
#define GEN_MAX	 0xfffffu /* port id generations: id - 1 = gen * MAX_PORTS + slot */

struct sw_port {
	bool used;
	uint32_t id;
	uint32_t gen; /* bumped at each reuse of the slot, so a stale id finds nothing */
	net_switch_transmit_fn *transmit;
	void *arg;
};

struct sw_entry {
	uint64_t mac; /* the 48 bits, as a key */
	uint64_t seen_ns;
	uint32_t port; /* a slot in ports */
	int32_t hnext;
	int32_t prev, next; /* the age list, or next in the free list */
};

struct net_switch {
	struct sw_port *ports;
	uint32_t nr_slots, cap_slots;
	struct sw_entry *tab;
	int32_t *bucket;
	uint32_t max_entries, nr_entries, bucket_mask;
	int32_t oldest, newest, free_head;
	uint64_t aging_ns, seed;
	struct net_switch_stats st;
};

static uint64_t mac_key(const uint8_t *p)
{
	return (uint64_t)p[0] << 40 | (uint64_t)p[1] << 32 | (uint64_t)p[2] << 24 |
	       (uint64_t)p[3] << 16 | (uint64_t)p[4] << 8 | p[5];
}

static uint32_t mac_hash(const struct net_switch *sw, uint64_t key)
{
	uint64_t h = key + sw->seed;

	/* murmur3's finaliser: every bit of the key and the seed reaches the bucket. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (uint32_t)h & sw->bucket_mask;
}

static bool expired(const struct net_switch *sw, const struct sw_entry *e, uint64_t now)
{
	/* A clock that went back keeps the entry: unsigned, now < seen would look ancient. */
	return now > e->seen_ns && now - e->seen_ns >= sw->aging_ns;
}

static int32_t find(const struct net_switch *sw, uint64_t key)
{
	int32_t i = sw->bucket[mac_hash(sw, key)];

	while (i >= 0 && sw->tab[i].mac != key)
		i = sw->tab[i].hnext;
	return i;
}

static void age_unlink(struct net_switch *sw, int32_t i)
{
	struct sw_entry *e = &sw->tab[i];

	if (e->prev >= 0)
		sw->tab[e->prev].next = e->next;
	else
		sw->oldest = e->next;
	if (e->next >= 0)
		sw->tab[e->next].prev = e->prev;
	else
		sw->newest = e->prev;
}

static void age_append(struct net_switch *sw, int32_t i)
{
	struct sw_entry *e = &sw->tab[i];

	e->prev = sw->newest;
	e->next = -1;
	if (sw->newest >= 0)
		sw->tab[sw->newest].next = i;
	else
		sw->oldest = i;
	sw->newest = i;
}

static void forget(struct net_switch *sw, int32_t i)
{
	int32_t *link = &sw->bucket[mac_hash(sw, sw->tab[i].mac)];

	while (*link != i)
		link = &sw->tab[*link].hnext;
	*link = sw->tab[i].hnext;
	age_unlink(sw, i);
	sw->tab[i].next = sw->free_head;
	sw->free_head = i;
	sw->nr_entries--;
}

/* Drops the entries that aged out, oldest first: each goes once, so O(1) per frame overall. */
static void prune(struct net_switch *sw, uint64_t now)
{
	while (sw->oldest >= 0 && expired(sw, &sw->tab[sw->oldest], now)) {
		forget(sw, sw->oldest);
		sw->st.aged++;
	}
}

static void learn(struct net_switch *sw, uint64_t key, uint32_t port, uint64_t now)
{
	int32_t i = find(sw, key);
	uint32_t h;

	if (i >= 0) {
		if (sw->tab[i].port != port)
			sw->st.moved++;
		sw->tab[i].port = port;
		sw->tab[i].seen_ns = now;
		age_unlink(sw, i);
		age_append(sw, i);
		return;
	}
	if (sw->free_head < 0) {
		forget(sw, sw->oldest);
		sw->st.evictions++;
	}
	i = sw->free_head;
	sw->free_head = sw->tab[i].next;
	h = mac_hash(sw, key);
	sw->tab[i] = (struct sw_entry){
		.mac = key, .seen_ns = now, .port = port, .hnext = sw->bucket[h]
	};
	sw->bucket[h] = i;
	age_append(sw, i);
	sw->nr_entries++;
	sw->st.learned++;
}

static struct sw_port *port_get(const struct net_switch *sw, uint32_t id)
{
	uint32_t slot = (id - 1) % NET_SWITCH_MAX_PORTS;

	if (!id || slot >= sw->nr_slots || !sw->ports[slot].used || sw->ports[slot].id != id)
		return NULL;
	return &sw->ports[slot];
}

static void flood(struct net_switch *sw, uint32_t in_slot, const uint8_t *frame, size_t len)
{
	uint32_t i;

	sw->st.flooded++;
	for (i = 0; i < sw->nr_slots; i++)
		if (i != in_slot && sw->ports[i].used)
			sw->ports[i].transmit(sw->ports[i].arg, frame, len);
}

void net_switch_input(struct net_switch *sw, uint32_t in_port, const uint8_t *frame, size_t len,
		      uint64_t now_ns)
{
	struct sw_port *in = port_get(sw, in_port);
	uint32_t in_slot;
	uint64_t src;
	int32_t i;

	if (!in) {
		sw->st.dropped_bad_port++;
		return;
	}
	if (len < ETH_HLEN) {
		sw->st.dropped_runt++;
		return;
	}
	in_slot = (uint32_t)(in - sw->ports);
	prune(sw, now_ns);
	src = mac_key(frame + 6);
	/* A group address is never a station's own; an all-zero one is nobody's. */
	if (!(frame[6] & 1) && src)
		learn(sw, src, in_slot, now_ns);
	if (frame[0] & 1) {
		flood(sw, in_slot, frame, len);
		return;
	}
	i = find(sw, mac_key(frame));
	if (i >= 0 && expired(sw, &sw->tab[i], now_ns)) {
		forget(sw, i);
		sw->st.aged++;
		i = -1;
	}
	if (i < 0) {
		flood(sw, in_slot, frame, len);
		return;
	}
	if (sw->tab[i].port == in_slot) {
		sw->st.dropped_to_self++;
		return;
	}
	sw->st.forwarded++;
	sw->ports[sw->tab[i].port].transmit(sw->ports[sw->tab[i].port].arg, frame, len);
}

int net_switch_add_port(struct net_switch *sw, net_switch_transmit_fn *transmit, void *arg,
			uint32_t *port_id)
{
	struct sw_port *p;
	uint32_t slot, cap;

	if (!transmit)
		return -EINVAL;
	for (slot = 0; slot < sw->nr_slots && sw->ports[slot].used; slot++)
		;
	if (slot == NET_SWITCH_MAX_PORTS)
		return -ENOSPC;
	if (slot == sw->cap_slots) {
		cap = sw->cap_slots ? 2 * sw->cap_slots : 8;
		if (cap > NET_SWITCH_MAX_PORTS)
			cap = NET_SWITCH_MAX_PORTS;
		p = realloc(sw->ports, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		memset(p + sw->cap_slots, 0, (cap - sw->cap_slots) * sizeof(*p));
		sw->ports = p;
		sw->cap_slots = cap;
	}
	if (slot == sw->nr_slots)
		sw->nr_slots++;
	p = &sw->ports[slot];
	p->used = true;
	p->transmit = transmit;
	p->arg = arg;
	p->id = p->gen * NET_SWITCH_MAX_PORTS + slot + 1;
	*port_id = p->id;
	return 0;
}

int net_switch_del_port(struct net_switch *sw, uint32_t port_id)
{
	struct sw_port *p = port_get(sw, port_id);
	uint32_t slot;
	int32_t i, next;

	if (!p)
		return -ENOENT;
	slot = (uint32_t)(p - sw->ports);
	for (i = sw->oldest; i >= 0; i = next) {
		next = sw->tab[i].next;
		if (sw->tab[i].port == slot)
			forget(sw, i);
	}
	p->used = false;
	p->gen = (p->gen + 1) % GEN_MAX;
	return 0;
}

int net_switch_lookup(const struct net_switch *sw, const uint8_t mac[6], uint64_t now_ns,
		      uint32_t *port_id)
{
	int32_t i = find(sw, mac_key(mac));

	if (i < 0 || expired(sw, &sw->tab[i], now_ns))
		return -ENOENT;
	*port_id = sw->ports[sw->tab[i].port].id;
	return 0;
}

uint32_t net_switch_nr_entries(const struct net_switch *sw)
{
	return sw->nr_entries;
}

void net_switch_get_stats(const struct net_switch *sw, struct net_switch_stats *out)
{
	*out = sw->st;
}

void net_switch_set_aging(struct net_switch *sw, uint64_t aging_ns)
{
	sw->aging_ns = aging_ns ? aging_ns : NET_SWITCH_AGING_NS_DEFAULT;
}

int net_switch_create(struct net_switch **out, const struct net_switch_config *cfg)
{
	uint32_t max = cfg && cfg->max_entries ? cfg->max_entries : NET_SWITCH_MAX_ENTRIES_DEFAULT;
	uint32_t nb = 1, i;
	struct net_switch *sw;
	int ret = -ENOMEM;

	*out = NULL;
	/* Entries are int32 indices and the buckets twice as many. */
	if (max > (1u << 24))
		return -EINVAL;
	while (nb < 2 * max)
		nb *= 2;
	sw = calloc(1, sizeof(*sw));
	if (!sw)
		return -ENOMEM;
	sw->tab = calloc(max, sizeof(*sw->tab));
	sw->bucket = malloc(nb * sizeof(*sw->bucket));
	if (!sw->tab || !sw->bucket)
		goto out;
	sw->max_entries = max;
	sw->bucket_mask = nb - 1;
	for (i = 0; i < nb; i++)
		sw->bucket[i] = -1;
	sw->oldest = sw->newest = -1;
	sw->free_head = -1;
	for (i = max; i-- > 0;) {
		sw->tab[i].next = sw->free_head;
		sw->free_head = (int32_t)i;
	}
	sw->seed = cfg ? cfg->hash_seed : 0;
	net_switch_set_aging(sw, cfg ? cfg->aging_ns : 0);
	*out = sw;
	return 0;
out:
	net_switch_destroy(sw);
	return ret;
}

void net_switch_destroy(struct net_switch *sw)
{
	if (!sw)
		return;
	free(sw->ports);
	free(sw->tab);
	free(sw->bucket);
	free(sw);
}
