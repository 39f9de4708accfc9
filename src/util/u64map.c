/* u64map.c: see u64map.h.  */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "util/u64map.h"

/* Fibonacci hashing: the top bits of the product depend on every bit of
 * the key (aligned addresses have dull low bits).  */
static inline size_t slot_of(uint64_t key, unsigned shift)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> shift);
}

void u64map_init(struct u64map *m)
{
	memset(m, 0, sizeof *m);
}

void u64map_free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	u64map_init(m);
}

void u64map_clear(struct u64map *m)
{
	if (m->cap) {
		memset(m->keys, 0, m->cap * sizeof *m->keys);
	}
	m->len = 0;
}

static int grow(struct u64map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	unsigned nshift = m->cap ? m->shift - 1 : 64 - 6;
	uint64_t *nk = calloc(ncap, sizeof *nk);
	uint64_t *nv = malloc(ncap * sizeof *nv);
	if (!nk || !nv) {
		free(nk);
		free(nv);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++) {
		uint64_t k = m->keys[i];
		if (!k)
			continue;
		size_t s = slot_of(k, nshift);
		while (nk[s])
			s = (s + 1) & (ncap - 1);
		nk[s] = k;
		nv[s] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = nk;
	m->vals = nv;
	m->cap = ncap;
	m->shift = nshift;
	return 0;
}

static int insert(struct u64map *m, uint64_t key, uint64_t val, int overwrite)
{
	if ((m->len + 1) * 2 > m->cap && grow(m) < 0)
		return -1;
	size_t s = slot_of(key, m->shift);
	while (m->keys[s]) {
		if (m->keys[s] == key) {
			if (overwrite)
				m->vals[s] = val;
			return 0;
		}
		s = (s + 1) & (m->cap - 1);
	}
	m->keys[s] = key;
	m->vals[s] = val;
	m->len++;
	return 1;
}

int u64map_put(struct u64map *m, uint64_t key, uint64_t val)
{
	return insert(m, key, val, 1) < 0 ? -1 : 0;
}

int u64map_add(struct u64map *m, uint64_t key, uint64_t val)
{
	return insert(m, key, val, 0);
}

uint64_t *u64map_get(const struct u64map *m, uint64_t key)
{
	if (!m->cap || !key)
		return NULL;
	size_t s = slot_of(key, m->shift);
	while (m->keys[s]) {
		if (m->keys[s] == key)
			return &m->vals[s];
		s = (s + 1) & (m->cap - 1);
	}
	return NULL;
}

void u64map_del(struct u64map *m, uint64_t key)
{
	if (!m->cap || !key)
		return;
	size_t mask = m->cap - 1, i = slot_of(key, m->shift);
	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & mask;
	if (!m->keys[i])
		return;
	/* Shift back every entry of the run that would no longer be found. */
	size_t j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (!m->keys[j])
			break;
		size_t home = slot_of(m->keys[j], m->shift);
		/* Can the entry at j move to the hole at i?  Only if its home
		 * is not cyclically within (i, j].  */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->keys[i] = 0;
	m->len--;
}
