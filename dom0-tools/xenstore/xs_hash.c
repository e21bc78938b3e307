// SPDX-License-Identifier: MIT
/*
 * Chained hash table keyed by byte strings. Paths are hashed with FNV-1a so
 * that the watch code can hash every prefix of a path in one pass.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs_internal.h"

#define XS_HT_MIN_BUCKETS 64u

uint32_t xs_hash(const char *s, size_t len)
{
	uint32_t h = XS_HASH_INIT;

	for (size_t i = 0; i < len; i++)
		h = xs_hash_step(h, (unsigned char)s[i]);
	return h;
}

int xs_ht_init(struct xs_htable *ht)
{
	ht->buckets = calloc(XS_HT_MIN_BUCKETS, sizeof(*ht->buckets));
	if (!ht->buckets)
		return -ENOMEM;
	ht->nbuckets = XS_HT_MIN_BUCKETS;
	ht->count = 0;
	return 0;
}

void xs_ht_destroy(struct xs_htable *ht)
{
	free(ht->buckets);
	ht->buckets = NULL;
	ht->nbuckets = 0;
	ht->count = 0;
}

static bool hnode_matches(const struct xs_hnode *n, const char *key, size_t len, uint32_t hash)
{
	return n->hash == hash && n->key_len == len && memcmp(n->key, key, len) == 0;
}

struct xs_hnode *xs_ht_find(const struct xs_htable *ht, const char *key, size_t len, uint32_t hash)
{
	struct xs_hnode *n = ht->buckets[hash & (ht->nbuckets - 1)];

	while (n && !hnode_matches(n, key, len, hash))
		n = n->next;
	return n;
}

struct xs_hnode *xs_ht_find_next(const struct xs_hnode *prev, const char *key, size_t len,
				 uint32_t hash)
{
	struct xs_hnode *n = prev->next;

	while (n && !hnode_matches(n, key, len, hash))
		n = n->next;
	return n;
}

/* Growing is best effort: on ENOMEM the chains just get longer. */
static void ht_grow(struct xs_htable *ht)
{
	size_t nb = ht->nbuckets * 2;
	struct xs_hnode **b = calloc(nb, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i < ht->nbuckets; i++) {
		struct xs_hnode *n = ht->buckets[i];

		while (n) {
			struct xs_hnode *next = n->next;

			n->next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
			n = next;
		}
	}
	free(ht->buckets);
	ht->buckets = b;
	ht->nbuckets = nb;
}

void xs_ht_insert(struct xs_htable *ht, struct xs_hnode *n)
{
	struct xs_hnode **head;

	if (ht->count >= ht->nbuckets)
		ht_grow(ht);
	head = &ht->buckets[n->hash & (ht->nbuckets - 1)];
	n->next = *head;
	*head = n;
	ht->count++;
}

void xs_ht_remove(struct xs_htable *ht, struct xs_hnode *n)
{
	struct xs_hnode **pp = &ht->buckets[n->hash & (ht->nbuckets - 1)];

	while (*pp && *pp != n)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = n->next;
		n->next = NULL;
		ht->count--;
	}
}

struct xs_hnode *xs_ht_any(const struct xs_htable *ht)
{
	size_t bucket = 0;

	return xs_ht_iter(ht, &bucket, NULL);
}

struct xs_hnode *xs_ht_iter(const struct xs_htable *ht, size_t *bucket, struct xs_hnode *cur)
{
	if (cur && cur->next)
		return cur->next;
	if (cur)
		(*bucket)++;
	for (; *bucket < ht->nbuckets; (*bucket)++) {
		if (ht->buckets[*bucket])
			return ht->buckets[*bucket];
	}
	return NULL;
}
