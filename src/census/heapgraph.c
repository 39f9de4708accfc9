/* heapgraph.c: see heapgraph.h.  */
#include "config.h"
#include <stdio.h>
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
	free(g->refcnt);
	free(g->held);
	free(g->idom);
	free(g->retained);
	free(g->byaddr);
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

int hi_heapgraph_reserve(struct hi_heapgraph *g, uint32_t nodes, uint64_t refs)
{
	if (nodes > g->cap && nodes < UINT32_MAX - 2) {
		GROW(g->addr, nodes);
		GROW(g->size, nodes);
		GROW(g->kind, nodes);
		GROW(g->flags, nodes);
		GROW(g->refcnt, nodes);
		GROW(g->refs.first, (size_t)nodes + 1);
		memset(g->addr + g->cap, 0, (size_t)(nodes - g->cap) * sizeof *g->addr);
		memset(g->size + g->cap, 0, (size_t)(nodes - g->cap) * sizeof *g->size);
		memset(g->kind + g->cap, 0, (size_t)(nodes - g->cap) * sizeof *g->kind);
		memset(g->flags + g->cap, 0, (size_t)(nodes - g->cap) * sizeof *g->flags);
		memset(g->refcnt + g->cap, 0, (size_t)(nodes - g->cap) * sizeof *g->refcnt);
		memset(g->refs.first + g->cap, 0, (size_t)(nodes - g->cap + 1) * sizeof *g->refs.first);
		g->cap = nodes;
	}
	if (refs > g->capraw) {
		GROW(g->raw, refs);
		memset(g->raw + g->capraw, 0, (size_t)(refs - g->capraw) * sizeof *g->raw);
		g->capraw = refs;
	}
	return 0;
oom:
	return -1;
}

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
		GROW(g->refcnt, cap);
		GROW(g->refs.first, (size_t)cap + 1);
		g->cap = cap;
	}
	uint32_t v = g->n++;
	g->addr[v] = addr;
	g->size[v] = 0;
	g->kind[v] = UINT32_MAX;
	g->flags[v] = 0;
	g->refcnt[v] = 0;
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
		if ((p = realloc(g->refcnt, (g->n ? g->n : 1) * sizeof *g->refcnt)))
			g->refcnt = p;
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

/* BYADDR: the objects sorted by address, by a radix sort of the address
 * bits that vary (8 at a time), in linear time.  */
static int build_index(struct hi_heapgraph *g)
{
	uint32_t n = g->n;
	uint32_t *a = malloc(((size_t)n ? n : 1) * sizeof *a), *b = malloc(((size_t)n ? n : 1) * sizeof *b);
	if (!a || !b) {
		free(a);
		free(b);
		return -1;
	}
	uint64_t lo = UINT64_MAX, hi = 0;
	for (uint32_t v = 0; v < n; v++) {
		a[v] = v;
		lo = g->addr[v] < lo ? g->addr[v] : lo;
		hi = g->addr[v] > hi ? g->addr[v] : hi;
	}
	uint64_t span = n ? hi - lo : 0;
	for (unsigned shift = 0; shift < 64 && (span >> shift); shift += 8) {
		size_t count[257] = { 0 };
		for (uint32_t i = 0; i < n; i++)
			count[((g->addr[a[i]] - lo) >> shift & 0xff) + 1]++;
		for (int d = 0; d < 256; d++)
			count[d + 1] += count[d];
		for (uint32_t i = 0; i < n; i++)
			b[count[(g->addr[a[i]] - lo) >> shift & 0xff]++] = a[i];
		uint32_t *t = a;
		a = b;
		b = t;
	}
	free(b);
	g->byaddr = a;
	return 0;
}

uint32_t hi_heapgraph_find(struct hi_heapgraph *g, uint64_t addr)
{
	/* No index while the graph is being built, nor when memory is
	 * short: a search in the walk's order.  */
	if (!g->byaddr && (!g->finished || build_index(g) < 0)) {
		for (uint32_t v = 0; v < g->n; v++)
			if (g->addr[v] == addr)
				return v;
		return UINT32_MAX;
	}
	size_t lo = 0, hi = g->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->addr[g->byaddr[mid]] < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < g->n && g->addr[g->byaddr[lo]] == addr ? g->byaddr[lo] : UINT32_MAX;
}

uint64_t hi_heapgraph_bytes(const struct hi_heapgraph *g)
{
	uint64_t b = (uint64_t)g->cap * (8 + 8 + 4 + 4 + 1 + 8) + hi_graph_edges(&g->refs) * 4 + g->capraw * 8;
	if (g->rev.first)
		b += (uint64_t)g->n * 8 + hi_graph_edges(&g->rev) * 4;
	if (g->parent)
		b += (uint64_t)g->n * 4;
	if (g->retained)
		b += (uint64_t)g->n * 12;
	if (g->byaddr)
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

/* The named roots' objects, then the held ones: a malloc'd array of
 * NROOTS + NHELD.  */
static uint32_t *all_roots(const struct hi_heapgraph *g)
{
	uint32_t *roots = malloc((g->nroots + g->nheld + 1) * sizeof *roots);
	if (!roots)
		return NULL;
	for (size_t i = 0; i < g->nroots; i++)
		roots[i] = g->roots[i].node;
	for (size_t i = 0; i < g->nheld; i++)
		roots[g->nroots + i] = g->held[i];
	return roots;
}

/* Which objects the named roots do not reach are held from outside:
 * more references than the graph shows.  */
static int find_held(struct hi_heapgraph *g, const uint32_t *parent)
{
	uint32_t *indegree = calloc((size_t)g->n + 1, sizeof *indegree);
	if (!indegree)
		return -1;
	uint64_t ne = hi_graph_edges(&g->refs);
	for (uint64_t k = 0; k < ne; k++)
		if (indegree[g->refs.to[k]] < UINT32_MAX)
			indegree[g->refs.to[k]]++;
	size_t n = 0;
	for (uint32_t v = 0; v < g->n; v++)
		n += parent[v] == HI_PATH_NONE && g->refcnt[v] > indegree[v];
	free(g->held);
	g->held = malloc((n ? n : 1) * sizeof *g->held);
	if (!g->held) {
		free(indegree);
		return -1;
	}
	g->nheld = 0;
	for (uint32_t v = 0; v < g->n; v++)
		if (parent[v] == HI_PATH_NONE && g->refcnt[v] > indegree[v])
			g->held[g->nheld++] = v;
	free(indegree);
	return 0;
}

const uint32_t *hi_heapgraph_paths(struct hi_heapgraph *g)
{
	if (!g->finished)
		return NULL;
	if (g->parent)
		return g->parent;
	g->parent = malloc(((size_t)g->n ? g->n : 1) * sizeof *g->parent);
	uint32_t *roots = all_roots(g);
	/* The named roots first, to know what they leave, then again with
	 * the held ones after them.  */
	int ok = roots && g->parent && hi_paths(&g->refs, roots, g->nroots, g->parent) >= 0 &&
		 find_held(g, g->parent) == 0;
	free(roots);
	roots = ok ? all_roots(g) : NULL;
	ok = roots && (g->reached = hi_paths(&g->refs, roots, g->nroots + g->nheld, g->parent)) >= 0;
	free(roots);
	if (!ok) {
		free(g->parent);
		g->parent = NULL;
	}
	return g->parent;
}

const uint64_t *hi_heapgraph_retained(struct hi_heapgraph *g)
{
	if (g->retained)
		return g->retained;
	if (!hi_heapgraph_paths(g))	/* the held roots */
		return NULL;
	uint32_t *roots = all_roots(g), *order = malloc(((size_t)g->n ? g->n : 1) * sizeof *order);
	g->idom = malloc(((size_t)g->n ? g->n : 1) * sizeof *g->idom);
	g->retained = malloc(((size_t)g->n ? g->n : 1) * sizeof *g->retained);
	int64_t reached = -1;
	if (roots && order && g->idom && g->retained)
		reached = hi_dominators(&g->refs, roots, g->nroots + g->nheld, g->idom, order);
	if (reached >= 0)
		hi_retained(g->n, g->idom, order, (uint64_t)reached, g->size, g->retained);
	free(roots);
	free(order);
	if (reached < 0) {
		free(g->idom);
		free(g->retained);
		g->idom = NULL;
		g->retained = NULL;
	}
	return g->retained;
}

/* ---- partitions ---- */

/* The row of each object of the partition in ROW (UINT32_MAX: not in
 * it): its retained size is added to its row's unless an object of the
 * same row dominates it (that one's retained size holds it already).  A
 * walk of the dominator tree without recursion, counting the rows open
 * on the way down.  */
static int retained_by_row(struct hi_heapgraph *g, const uint32_t *row, struct hi_census *out)
{
	const uint64_t *ret = hi_heapgraph_retained(g);
	uint32_t n = g->n;
	uint64_t *first = calloc((size_t)n + 2, sizeof *first);
	uint32_t *child = malloc(((size_t)n ? n : 1) * sizeof *child);
	uint64_t *stack = malloc((2 * (size_t)n + 2) * sizeof *stack);	/* entering and leaving */
	uint32_t *open = calloc(out->nrows + 1, sizeof *open);
	if (!ret || !first || !child || !stack || !open) {
		free(first);
		free(child);
		free(stack);
		free(open);
		return -1;
	}
	/* Children by dominator, compressed; the tops under slot N.  */
	for (uint32_t v = 0; v < n; v++)
		if (g->idom[v] != HI_DOM_NONE)
			first[(g->idom[v] < n ? g->idom[v] : n) + 1]++;
	for (uint32_t v = 0; v <= n; v++)
		first[v + 1] += first[v];
	uint64_t *at = malloc(((size_t)n + 1) * sizeof *at);
	if (!at) {
		free(first);
		free(child);
		free(stack);
		free(open);
		return -1;
	}
	memcpy(at, first, ((size_t)n + 1) * sizeof *at);
	for (uint32_t v = 0; v < n; v++)
		if (g->idom[v] != HI_DOM_NONE)
			child[at[g->idom[v] < n ? g->idom[v] : n]++] = v;
	free(at);
	/* Each entry of STACK is an object; bit 32 set: leaving it.  */
	size_t top = 0;
	for (uint64_t k = first[n]; k < first[n + 1]; k++) {
		stack[top++] = child[k];
		while (top) {
			uint64_t e = stack[--top];
			uint32_t v = (uint32_t)e, r = row[v];
			if (e >> 32) {
				if (r != UINT32_MAX)
					open[r]--;
				continue;
			}
			if (r != UINT32_MAX) {
				if (!open[r])
					out->rows[r].retained += ret[v];
				open[r]++;
			}
			stack[top++] = v | 1ull << 32;
			for (uint64_t j = first[v]; j < first[v + 1]; j++)
				stack[top++] = child[j];
		}
	}
	free(first);
	free(child);
	free(stack);
	free(open);
	out->has_retained = 1;
	return 0;
}

/* The kinds of V's referrers, each once, sorted by name and joined: into
 * BUF.  IDS: room for the referrers.  */
static void referrer_kinds(struct hi_heapgraph *g, uint32_t v, uint32_t *ids, char *buf, size_t len)
{
	const struct hi_graph *rev = &g->rev;
	size_t m = 0, at = 0;
	for (uint64_t k = rev->first[v]; k < rev->first[v + 1]; k++) {
		uint32_t kind = g->kind[rev->to[k]], i;
		for (i = 0; i < m && ids[i] != kind; i++)
			;
		if (i == m)
			ids[m++] = kind;
	}
	/* Insertion sort by name: referrer kinds are few.  */
	for (size_t i = 1; i < m; i++)
		for (size_t j = i; j > 0 && strcmp(g->kinds.rows[ids[j - 1]].kind, g->kinds.rows[ids[j]].kind) > 0; j--) {
			uint32_t t = ids[j];
			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	buf[0] = '\0';
	if (!m)
		snprintf(buf, len, "<Nothing>");
	for (size_t i = 0; i < m && at + 1 < len; i++) {
		int w = snprintf(buf + at, len - at, "%s%s", i ? ", " : "", g->kinds.rows[ids[i]].kind);
		if (w < 0)
			break;
		at += (size_t)w;
	}
}

int hi_heapgraph_partition(struct hi_heapgraph *g, const uint32_t *sel, size_t n, int retained,
			   struct hi_census *out)
{
	int rcs = out->by[0] == 'r', type = out->by[0] == 't';
	uint32_t *row = malloc(((size_t)g->n ? g->n : 1) * sizeof *row);
	uint32_t *ids = NULL;
	/* Rows by kind: each of G's kinds once (its name, or its type's).  */
	uint32_t *of_kind = malloc((g->kinds.nrows ? g->kinds.nrows : 1) * sizeof *of_kind);
	char *text = malloc(4096);
	int rc = -1;
	if (!row || !of_kind || !text || (rcs && !hi_heapgraph_referrers(g)))
		goto done;
	if (rcs) {
		uint32_t most = 1;
		for (uint32_t v = 0; v < g->n; v++)
			if (g->rev.first[v + 1] - g->rev.first[v] > most)
				most = (uint32_t)(g->rev.first[v + 1] - g->rev.first[v]);
		if (!(ids = malloc((size_t)most * sizeof *ids)))
			goto done;
	}
	for (size_t k = 0; k < g->kinds.nrows; k++) {
		const char *name = g->kinds.rows[k].kind;
		of_kind[k] = UINT32_MAX;
		if (!rcs && (of_kind[k] = hi_census_kind(out, type && !strncmp(name, "dict ", 5) ? "dict" : name)) == UINT32_MAX)
			goto done;
	}
	for (uint32_t v = 0; v < g->n; v++)
		row[v] = UINT32_MAX;
	size_t count = sel ? n : g->n;
	for (size_t i = 0; i < count; i++) {
		uint32_t v = sel ? sel[i] : (uint32_t)i;
		if (!sel && g->relative && (g->flags[v] & HI_HG_OLD))
			continue;
		if (rcs) {
			referrer_kinds(g, v, ids, text, 4096);
			row[v] = hi_census_kind(out, text);
		} else {
			row[v] = of_kind[g->kind[v]];
		}
		if (row[v] == UINT32_MAX)
			goto done;
		hi_census_add(out, row[v], g->size[v]);
	}
	rc = retained ? retained_by_row(g, row, out) : 0;
done:
	free(row);
	free(ids);
	free(of_kind);
	free(text);
	return rc;
}
