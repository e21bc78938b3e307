// SPDX-License-Identifier: MIT
/*
 * Chained hash table keyed by byte strings. Paths are hashed with FNV-1a so
 * that the watch code can hash every prefix of a path in one pass.
 *
 * The hash is keyed with 128 random bits per process: FNV-1a's 64-bit state
 * starts from one half, and the end folds the state with the other half through
 * a 64-bit mixer. A guest choosing paths cannot know which of them share a chain.
 * This is not a cryptographic PRF (SipHash would be, at the cost of the one-pass
 * prefix hashing): it only takes away collisions computed in advance.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "xs_internal.h"

#define XS_HT_MIN_BUCKETS 64u

static uint64_t hash_key[2];
static pthread_once_t hash_key_once = PTHREAD_ONCE_INIT;

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static void hash_key_init(void)
{
	unsigned char *p = (unsigned char *)hash_key;
	size_t have = 0;

	while (have < sizeof(hash_key)) {
		ssize_t n = getrandom(p + have, sizeof(hash_key) - have, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	if (have < sizeof(hash_key)) {
		/* No getrandom (pre-3.17 kernel): still differs per process and start. */
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		hash_key[0] = mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
				    (uint64_t)(uintptr_t)&ts);
		hash_key[1] = mix64(hash_key[0] ^ (uint64_t)getpid());
	}
}

uint64_t xs_hash_start(void)
{
	pthread_once(&hash_key_once, hash_key_init);
	return hash_key[0];
}

uint32_t xs_hash_end(uint64_t h)
{
	return (uint32_t)mix64(h ^ hash_key[1]);
}

uint32_t xs_hash(const char *s, size_t len)
{
	uint64_t h = xs_hash_start();

	for (size_t i = 0; i < len; i++)
		h = xs_hash_step(h, (unsigned char)s[i]);
	return xs_hash_end(h);
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
