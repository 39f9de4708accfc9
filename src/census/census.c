/* census.c: see census.h.  */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "census/census.h"
#include "util/hash.h"

void hi_census_init(struct hi_census *c, const char *by)
{
	memset(c, 0, sizeof *c);
	c->interp = -1;
	strncpy(c->by, by, sizeof c->by - 1);
}

void hi_census_free(struct hi_census *c)
{
	for (size_t i = 0; i < c->nrows; i++)
		free((char *)c->rows[i].kind);
	free(c->rows);
	free(c->buckets);
	memset(c, 0, sizeof *c);
}

static int rehash(struct hi_census *c)
{
	size_t nb = c->nbuckets ? c->nbuckets * 2 : 256;
	uint32_t *b = calloc(nb, sizeof *b);
	if (!b)
		return -1;
	for (size_t i = 0; i < c->nrows; i++) {
		size_t s = hi_hash_str(c->rows[i].kind) & (nb - 1);
		while (b[s])
			s = (s + 1) & (nb - 1);
		b[s] = (uint32_t)i + 1;
	}
	free(c->buckets);
	c->buckets = b;
	c->nbuckets = nb;
	return 0;
}

uint32_t hi_census_kind(struct hi_census *c, const char *name)
{
	if ((c->nrows + 1) * 2 > c->nbuckets && rehash(c) < 0)
		return UINT32_MAX;
	size_t s = hi_hash_str(name) & (c->nbuckets - 1);
	while (c->buckets[s]) {
		uint32_t id = c->buckets[s] - 1;
		if (strcmp(c->rows[id].kind, name) == 0)
			return id;
		s = (s + 1) & (c->nbuckets - 1);
	}
	if (c->nrows == c->caprows) {
		size_t ncap = c->caprows ? c->caprows * 2 : 64;
		struct hi_row *nr = realloc(c->rows, ncap * sizeof *nr);
		if (!nr)
			return UINT32_MAX;
		c->rows = nr;
		c->caprows = ncap;
	}
	char *copy = strdup(name);
	if (!copy)
		return UINT32_MAX;
	c->rows[c->nrows] = (struct hi_row){ copy, 0, 0, 0 };
	c->buckets[s] = (uint32_t)c->nrows + 1;
	return (uint32_t)c->nrows++;
}

static int row_cmp(const void *a, const void *b)
{
	const struct hi_row *x = a, *y = b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return strcmp(x->kind, y->kind);
}

size_t hi_census_nonempty(const struct hi_census *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->nrows; i++)
		n += c->rows[i].count != 0;
	return n;
}

struct hi_row *hi_census_sorted(const struct hi_census *c, size_t *n)
{
	struct hi_row *v = malloc((c->nrows ? c->nrows : 1) * sizeof *v);
	if (!v)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < c->nrows; i++)
		if (c->rows[i].count)
			v[k++] = c->rows[i];
	qsort(v, k, sizeof *v, row_cmp);
	*n = k;
	return v;
}
