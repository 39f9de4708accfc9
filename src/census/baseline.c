/* baseline.c: see baseline.h.  */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "census/baseline.h"

void hi_baseline_init(struct hi_baseline *b)
{
	memset(b, 0, sizeof *b);
	u64map_init(&b->keys);
	hi_census_init(&b->census, "kind");
}

int hi_baseline_of(const struct hi_baseline *b, const struct hi_proc_id *id)
{
	return b->set && b->pid == id->pid && b->id.starttime == id->starttime && b->id.at_random == id->at_random &&
	       memcmp(b->id.random, id->random, sizeof id->random) == 0;
}

void hi_baseline_clear(struct hi_baseline *b)
{
	u64map_free(&b->keys);
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
