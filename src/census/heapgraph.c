/* heapgraph.c: see heapgraph.h.  */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "census/heapgraph.h"
#include "census/paths.h"

void hi_heapgraph_init(struct hi_heapgraph *g)
{
	memset(g, 0, sizeof *g);
	hi_census_init(&g->kinds, "kind");
	hi_addrset_init(&g->seen);
}

void hi_heapgraph_free(struct hi_heapgraph *g)
{
	free(g->addr);
	free(g->size);
	free(g->kind);
	free(g->flags);
	free(g->raw);
	for (size_t i = 0; i < g->nroots; i++)
		free(g->roots[i].name);
	free(g->roots);
	hi_addrset_free(&g->seen);
	hi_census_free(&g->kinds);
	hi_graph_free(&g->refs);
	hi_graph_free(&g->rev);
	free(g->parent);
	memset(g, 0, sizeof *g);
}

#define GROW(p, n) do { void *np_ = realloc((p), (size_t)(n) * sizeof *(p)); if (!np_) goto oom; (p) = np_; } while (0)

uint32_t hi_heapgraph_node(struct hi_heapgraph *g, uint64_t addr)
{
	if (g->oom || g->n >= UINT32_MAX - 2)
		goto oom;
	if (g->n == g->cap) {
		uint32_t cap = g->cap ? (g->cap > UINT32_MAX / 2 ? UINT32_MAX - 1 : g->cap * 2) : 65536;
		GROW(g->addr, cap);
		GROW(g->size, cap);
		GROW(g->kind, cap);
		GROW(g->flags, cap);
		GROW(g->refs.first, (size_t)cap + 1);
		g->cap = cap;
	}
	uint32_t v = g->n++;
	g->addr[v] = addr;
	g->size[v] = 0;
	g->kind[v] = UINT32_MAX;
	g->flags[v] = 0;
	g->refs.first[v] = g->nraw;
	return v;
oom:
	g->oom = 1;
	return UINT32_MAX;
}

void hi_heapgraph_root(struct hi_heapgraph *g, uint64_t obj, const char *name)
{
	if (g->oom)
		return;
	if (g->nroots == g->caproots) {
		size_t cap = g->caproots ? g->caproots * 2 : 256;
		struct hi_hg_root *r = realloc(g->roots, cap * sizeof *r);
		if (!r) {
			g->oom = 1;
			return;
		}
		g->roots = r;
		g->caproots = cap;
	}
	char *copy = strdup(name);
	if (!copy) {
		g->oom = 1;
		return;
	}
	g->roots[g->nroots++] = (struct hi_hg_root){ obj, UINT32_MAX, copy };
}

int hi_heapgraph_grow(struct hi_heapgraph *g)
{
	if (g->oom)
		return -1;
	uint64_t cap = g->capraw ? g->capraw * 2 : 262144;
	GROW(g->raw, cap);
	g->capraw = cap;
	return 0;
oom:
	g->oom = 1;
	return -1;
}

void hi_heapgraph_walked(struct hi_heapgraph *g, struct hi_addrset *seen)
{
	hi_addrset_free(&g->seen);
	g->seen = *seen;
	hi_addrset_init(seen);
}

/* The number of the object at ADDR, or UINT32_MAX: through the visited
 * set's numbering of its members, each given its object's number.  */
static inline uint32_t number_of(struct hi_heapgraph *g, const uint32_t *number, uint64_t addr)
{
	uint64_t r = hi_addrset_rank(&g->seen, addr);
	return r == UINT64_MAX ? UINT32_MAX : number[r];
}

int hi_heapgraph_finish(struct hi_heapgraph *g)
{
	if (g->finished)
		return 0;
	if (g->oom || hi_addrset_rank_build(&g->seen) < 0)
		goto fail;
	uint32_t *number = malloc((g->seen.members ? g->seen.members : 1) * sizeof *number);
	if (!number)
		goto fail;
	for (size_t i = 0; i < g->seen.members; i++)
		number[i] = UINT32_MAX;
	for (uint32_t v = 0; v < g->n; v++) {
		uint64_t r = hi_addrset_rank(&g->seen, g->addr[v]);
		if (r != UINT64_MAX)
			number[r] = v;
	}
	if (!g->refs.first) {	/* no objects */
		g->refs.first = calloc(1, sizeof *g->refs.first);
		if (!g->refs.first) {
			free(number);
			goto fail;
		}
	}
	g->refs.n = g->n;
	g->refs.first[g->n] = g->nraw;
	/* In place: the 32-bit number of reference K goes where bytes
	 * 4K..4K+3 are, which reading the 64-bit address of K or of any
	 * later one no longer needs.  */
	unsigned char *out = (unsigned char *)g->raw;
	uint64_t kept = 0, k = 0;
	for (uint32_t v = 0; v < g->n; v++) {
		uint64_t end = g->refs.first[v + 1];
		g->refs.first[v] = kept;
		for (; k < end; k++) {
			uint32_t to = number_of(g, number, g->raw[k]);
			if (to == UINT32_MAX) {
				g->lost++;
				continue;
			}
			memcpy(out + kept * 4, &to, 4);
			kept++;
		}
	}
	g->refs.first[g->n] = kept;
	for (size_t i = 0; i < g->nroots; i++)
		g->roots[i].node = number_of(g, number, g->roots[i].addr);
	free(number);
	hi_addrset_free(&g->seen);
	uint32_t *to = realloc(g->raw, (kept ? kept : 1) * sizeof *to);
	g->refs.to = to ? to : (uint32_t *)(void *)g->raw;
	g->raw = NULL;
	g->nraw = g->capraw = 0;
	/* Give back what growth by doubling left unused.  */
	if (g->n < g->cap) {
		void *p;
		if ((p = realloc(g->addr, (g->n ? g->n : 1) * sizeof *g->addr)))
			g->addr = p;
		if ((p = realloc(g->size, (g->n ? g->n : 1) * sizeof *g->size)))
			g->size = p;
		if ((p = realloc(g->kind, (g->n ? g->n : 1) * sizeof *g->kind)))
			g->kind = p;
		if ((p = realloc(g->flags, (g->n ? g->n : 1) * sizeof *g->flags)))
			g->flags = p;
		if ((p = realloc(g->refs.first, ((size_t)g->n + 1) * sizeof *g->refs.first)))
			g->refs.first = p;
		g->cap = g->n;
	}
	g->finished = 1;
	return 0;
fail:
	g->oom = 1;
	return -1;
}

uint32_t hi_heapgraph_find(const struct hi_heapgraph *g, uint64_t addr)
{
	for (uint32_t v = 0; v < g->n; v++)
		if (g->addr[v] == addr)
			return v;
	return UINT32_MAX;
}

uint64_t hi_heapgraph_bytes(const struct hi_heapgraph *g)
{
	uint64_t b = (uint64_t)g->cap * (8 + 8 + 4 + 1 + 8) + hi_graph_edges(&g->refs) * 4 + g->capraw * 8;
	if (g->rev.first)
		b += (uint64_t)g->n * 8 + hi_graph_edges(&g->rev) * 4;
	if (g->parent)
		b += (uint64_t)g->n * 4;
	return b;
}

const struct hi_graph *hi_heapgraph_referrers(struct hi_heapgraph *g)
{
	if (!g->finished)
		return NULL;
	if (!g->rev.first && hi_graph_reverse(&g->refs, &g->rev) < 0)
		return NULL;
	return &g->rev;
}

const uint32_t *hi_heapgraph_paths(struct hi_heapgraph *g)
{
	if (!g->finished)
		return NULL;
	if (g->parent)
		return g->parent;
	uint32_t *roots = malloc((g->nroots ? g->nroots : 1) * sizeof *roots);
	g->parent = malloc(((size_t)g->n ? g->n : 1) * sizeof *g->parent);
	if (!roots || !g->parent) {
		free(roots);
		free(g->parent);
		g->parent = NULL;
		return NULL;
	}
	for (size_t i = 0; i < g->nroots; i++)
		roots[i] = g->roots[i].node;
	g->reached = hi_paths(&g->refs, roots, g->nroots, g->parent);
	free(roots);
	if (g->reached < 0) {
		free(g->parent);
		g->parent = NULL;
	}
	return g->parent;
}
