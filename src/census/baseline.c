/* baseline.c: see baseline.h.  */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "census/baseline.h"

/* ---- the key set ---- */

#define CHUNK_SHIFT 16	/* 64 KiB: at most 8192 objects of 8 bytes */
#define COUNT_BITS 14

void hi_keyset_init(struct hi_keyset *s)
{
	memset(s, 0, sizeof *s);
	u64map_init(&s->dir);
}

void hi_keyset_free(struct hi_keyset *s)
{
	free(s->v);
	u64map_free(&s->dir);
	hi_keyset_init(s);
}

int hi_keyset_add(struct hi_keyset *s, uint64_t addr, uint64_t key)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 65536;
		struct hi_keyed *v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = (struct hi_keyed){ addr, key };
	return 0;
}

int hi_keyset_seal(struct hi_keyset *s)
{
	size_t n = s->n;
	struct hi_keyed *tmp = malloc((n ? n : 1) * sizeof *tmp), *a = s->v, *b = tmp;
	if (!tmp)
		return -1;
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t i = 0; i < n; i++) {
		lo = a[i].addr < lo ? a[i].addr : lo;
		hi = a[i].addr > hi ? a[i].addr : hi;
	}
	/* LSD radix sort, a byte of the bits that vary at a time (objects
	 * are 8-aligned: the low 3 bits never do).  */
	uint64_t span = n ? (hi - lo) >> 3 : 0;
	for (unsigned shift = 0; shift < 64 && (span >> shift); shift += 8) {
		size_t count[257] = { 0 };
		for (size_t i = 0; i < n; i++)
			count[((a[i].addr - lo) >> 3 >> shift & 0xff) + 1]++;
		for (int d = 0; d < 256; d++)
			count[d + 1] += count[d];
		for (size_t i = 0; i < n; i++)
			b[count[(a[i].addr - lo) >> 3 >> shift & 0xff]++] = a[i];
		struct hi_keyed *t = a;
		a = b;
		b = t;
	}
	free(b);
	s->v = a;
	s->cap = n;
	/* One address once (a walk meets each object once; to be sure). */
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!m || a[m - 1].addr != a[i].addr)
			a[m++] = a[i];
	s->n = m;
	/* The directory: each chunk's first entry and how many.  */
	u64map_clear(&s->dir);
	for (size_t i = 0; i < m;) {
		uint64_t chunk = a[i].addr >> CHUNK_SHIFT;
		size_t j = i;
		while (j < m && a[j].addr >> CHUNK_SHIFT == chunk)
			j++;
		if (u64map_put(&s->dir, chunk + 1, (uint64_t)i << COUNT_BITS | (j - i)) < 0)
			return -1;
		i = j;
	}
	s->sealed = 1;
	return 0;
}

int hi_keyset_get(const struct hi_keyset *s, uint64_t addr, uint64_t *key)
{
	const uint64_t *d = s->sealed ? u64map_get(&s->dir, (addr >> CHUNK_SHIFT) + 1) : NULL;
	if (!d)
		return 0;
	size_t lo = *d >> COUNT_BITS, hi = lo + (*d & ((1u << COUNT_BITS) - 1));
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->v[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->n && s->v[lo].addr == addr) {
		*key = s->v[lo].key;
		return 1;
	}
	return 0;
}

/* ---- the baseline ---- */

void hi_baseline_init(struct hi_baseline *b)
{
	memset(b, 0, sizeof *b);
	hi_keyset_init(&b->keys);
	hi_census_init(&b->census, "kind");
}

int hi_baseline_of(const struct hi_baseline *b, const struct hi_proc_id *id)
{
	return b->set && b->pid == id->pid && b->id.starttime == id->starttime && b->id.at_random == id->at_random &&
	       memcmp(b->id.random, id->random, sizeof id->random) == 0;
}

void hi_baseline_clear(struct hi_baseline *b)
{
	hi_keyset_free(&b->keys);
	hi_census_free(&b->census);
	hi_baseline_init(b);
}

static uint64_t mag(int64_t v)
{
	return v < 0 ? (uint64_t)-v : (uint64_t)v;
}

static int diff_cmp(const void *x, const void *y)
{
	const struct hi_diff_row *a = x, *b = y;
	uint64_t sa = mag(hi_diff_dsize(a)), sb = mag(hi_diff_dsize(b));
	if (sa != sb)
		return sa > sb ? -1 : 1;
	uint64_t ca = mag(hi_diff_dcount(a)), cb = mag(hi_diff_dcount(b));
	if (ca != cb)
		return ca > cb ? -1 : 1;
	return strcmp(a->kind, b->kind);
}

int hi_diff_compute(const struct hi_census *a, const struct hi_census *b, struct hi_diff *d)
{
	memset(d, 0, sizeof *d);
	d->objects_a = a->objects;
	d->size_a = a->size;
	d->objects_b = b->objects;
	d->size_b = b->size;
	size_t cap = a->nrows + b->nrows;
	d->rows = malloc((cap ? cap : 1) * sizeof *d->rows);
	if (!d->rows)
		return -1;
	/* Kinds of B, matched against A by name; then kinds only A had.  A's
	 * names are looked up through a private copy of its index.  */
	struct hi_census ia;
	hi_census_init(&ia, a->by);
	for (size_t i = 0; i < a->nrows; i++)
		if (hi_census_kind(&ia, a->rows[i].kind) != i) {
			hi_census_free(&ia);
			hi_diff_free(d);
			return -1;
		}
	char *seen_a = calloc(a->nrows ? a->nrows : 1, 1);
	if (!seen_a) {
		hi_census_free(&ia);
		hi_diff_free(d);
		return -1;
	}
	for (size_t i = 0; i < b->nrows; i++) {
		const struct hi_row *rb = &b->rows[i];
		struct hi_diff_row r = { rb->kind, 0, rb->count, 0, rb->size };
		uint32_t k = ia.nrows ? hi_census_kind(&ia, rb->kind) : UINT32_MAX;
		if (k < a->nrows) {
			r.count_a = a->rows[k].count;
			r.size_a = a->rows[k].size;
			seen_a[k] = 1;
		}
		if (r.count_a != r.count_b || r.size_a != r.size_b)
			d->rows[d->n++] = r;
	}
	for (size_t i = 0; i < a->nrows; i++) {
		const struct hi_row *ra = &a->rows[i];
		if (!seen_a[i] && (ra->count || ra->size))
			d->rows[d->n++] = (struct hi_diff_row){ ra->kind, ra->count, 0, ra->size, 0 };
	}
	free(seen_a);
	hi_census_free(&ia);
	qsort(d->rows, d->n, sizeof *d->rows, diff_cmp);
	return 0;
}

void hi_diff_free(struct hi_diff *d)
{
	free(d->rows);
	memset(d, 0, sizeof *d);
}
