/* graph.c: see graph.h.  */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "census/graph.h"

int hi_graph_build(struct hi_graph *g, uint32_t n, const uint32_t *from, const uint32_t *to, uint64_t ne)
{
	memset(g, 0, sizeof *g);
	g->n = n;
	g->first = calloc((size_t)n + 1, sizeof *g->first);
	g->to = malloc((ne ? ne : 1) * sizeof *g->to);
	if (!g->first || !g->to) {
		hi_graph_free(g);
		return -1;
	}
	/* A counting sort by source: count, sum, place.  */
	for (uint64_t k = 0; k < ne; k++) {
		if (from[k] >= n || to[k] >= n) {
			hi_graph_free(g);
			return -1;
		}
		g->first[from[k] + 1]++;
	}
	for (uint32_t v = 0; v < n; v++)
		g->first[v + 1] += g->first[v];
	uint64_t *at = malloc(((size_t)n ? n : 1) * sizeof *at);
	if (!at) {
		hi_graph_free(g);
		return -1;
	}
	memcpy(at, g->first, (size_t)n * sizeof *at);
	for (uint64_t k = 0; k < ne; k++)
		g->to[at[from[k]]++] = to[k];
	free(at);
	return 0;
}

int hi_graph_reverse(const struct hi_graph *g, struct hi_graph *rev)
{
	uint32_t n = g->n;
	uint64_t ne = hi_graph_edges(g);
	memset(rev, 0, sizeof *rev);
	rev->n = n;
	rev->first = calloc((size_t)n + 1, sizeof *rev->first);
	rev->to = malloc((ne ? ne : 1) * sizeof *rev->to);
	uint64_t *at = malloc(((size_t)n ? n : 1) * sizeof *at);
	if (!rev->first || !rev->to || !at) {
		free(at);
		hi_graph_free(rev);
		return -1;
	}
	/* A counting sort by referent, straight from the rows: each
	 * object's referrers come out in ascending order.  */
	for (uint64_t k = 0; k < ne; k++)
		rev->first[g->to[k] + 1]++;
	for (uint32_t v = 0; v < n; v++)
		rev->first[v + 1] += rev->first[v];
	memcpy(at, rev->first, (size_t)n * sizeof *at);
	for (uint32_t u = 0; u < n; u++)
		for (uint64_t k = g->first[u]; k < g->first[u + 1]; k++)
			rev->to[at[g->to[k]]++] = u;
	free(at);
	return 0;
}

void hi_graph_free(struct hi_graph *g)
{
	free(g->first);
	free(g->to);
	memset(g, 0, sizeof *g);
}

/* ---- dominators ---- */

/* Work in depth-first numbers: 0 is the virtual root, 1..K the reached
 * objects in preorder.  */
struct dom {
	uint32_t *vertex;	/* number -> object */
	uint32_t *parent;	/* number -> its DFS parent's number */
	uint32_t *semi;		/* number -> its semidominator's number */
	uint32_t *label;	/* eval's answer, by path compression */
	uint32_t *ancestor;	/* the linked forest; NONE: not linked yet */
	uint32_t *chain;	/* compress's path, walked without recursion */
};

#define NONE UINT32_MAX

/* Of the linked path above V, the number whose semidominator is least. */
static uint32_t eval(struct dom *d, uint32_t v)
{
	if (d->ancestor[v] == NONE)
		return v;
	/* Compress: collect the path up to the last linked number, then
	 * from the top down pull each label and ancestor from above.  */
	size_t top = 0;
	for (uint32_t u = v; d->ancestor[d->ancestor[u]] != NONE; u = d->ancestor[u])
		d->chain[top++] = u;
	while (top--) {
		uint32_t u = d->chain[top], a = d->ancestor[u];
		if (d->semi[d->label[a]] < d->semi[d->label[u]])
			d->label[u] = d->label[a];
		d->ancestor[u] = d->ancestor[a];
	}
	return d->label[v];
}

int64_t hi_dominators(const struct hi_graph *g, const uint32_t *roots, size_t nroots, uint32_t *idom,
		      uint32_t *order)
{
	uint32_t n = g->n;
	size_t slots = (size_t)n + 1;
	struct dom d = { 0 };
	uint32_t *pre = malloc(((size_t)n ? n : 1) * sizeof *pre);	/* object -> number, NONE */
	unsigned char *is_root = calloc((size_t)n ? n : 1, 1);
	uint32_t *stack = malloc(slots * sizeof *stack);
	uint64_t *next = malloc(slots * sizeof *next);
	uint64_t *pfirst = NULL;	/* number -> its referrers' numbers in PTO */
	uint32_t *pto = NULL;
	d.vertex = malloc(slots * sizeof *d.vertex);
	d.parent = malloc(slots * sizeof *d.parent);
	d.semi = malloc(slots * sizeof *d.semi);
	d.label = malloc(slots * sizeof *d.label);
	d.ancestor = malloc(slots * sizeof *d.ancestor);
	d.chain = malloc(slots * sizeof *d.chain);
	int64_t k = -1;
	if (!pre || !is_root || !stack || !next || !d.vertex || !d.parent || !d.semi || !d.label || !d.ancestor ||
	    !d.chain)
		goto out;
	for (uint32_t v = 0; v < n; v++)
		pre[v] = NONE;
	for (size_t r = 0; r < nroots; r++)
		if (roots[r] < n)
			is_root[roots[r]] = 1;

	/* Depth-first from each root in turn, numbering in preorder.  */
	uint32_t count = 0;
	d.vertex[0] = NONE;
	d.parent[0] = 0;
	for (size_t r = 0; r < nroots; r++) {
		uint32_t s = roots[r];
		if (s >= n || pre[s] != NONE)
			continue;
		pre[s] = ++count;
		d.vertex[count] = s;
		d.parent[count] = 0;
		size_t sp = 0;
		stack[sp] = s;
		next[sp++] = g->first[s];
		while (sp) {
			uint32_t v = stack[sp - 1];
			if (next[sp - 1] == g->first[v + 1]) {
				sp--;
				continue;
			}
			uint32_t w = g->to[next[sp - 1]++];
			if (pre[w] != NONE)
				continue;
			pre[w] = ++count;
			d.vertex[count] = w;
			d.parent[count] = pre[v];
			stack[sp] = w;
			next[sp++] = g->first[w];
		}
	}

	/* Each reached object's referrers, by number, in rows indexed by
	 * number: the pass below then reads them in order, not scattered
	 * over the objects (every referent of a reached object is reached). */
	pfirst = calloc((size_t)count + 2, sizeof *pfirst);
	if (!pfirst)
		goto out;
	for (uint32_t v = 0; v < n; v++)
		if (pre[v] != NONE)
			for (uint64_t e = g->first[v]; e < g->first[v + 1]; e++)
				pfirst[pre[g->to[e]] + 1]++;
	for (uint32_t i = 0; i <= count; i++)
		pfirst[i + 1] += pfirst[i];
	pto = malloc((pfirst[count + 1] ? pfirst[count + 1] : 1) * sizeof *pto);
	if (!pto)
		goto out;
	/* NEXT (free now) keeps each row's fill point.  */
	memcpy(next, pfirst, ((size_t)count + 1) * sizeof *next);
	for (uint32_t v = 0; v < n; v++)
		if (pre[v] != NONE)
			for (uint64_t e = g->first[v]; e < g->first[v + 1]; e++)
				pto[next[pre[g->to[e]]]++] = pre[v];

	/* Semidominators, from the last number up.  */
	for (uint32_t i = 0; i <= count; i++) {
		d.semi[i] = i;
		d.label[i] = i;
		d.ancestor[i] = NONE;
	}
	for (uint32_t i = count; i >= 1; i--) {
		uint32_t w = d.vertex[i];
		if (is_root[w])
			d.semi[i] = 0;	/* the virtual root is a referrer */
		for (uint64_t e = pfirst[i]; e < pfirst[i + 1]; e++) {
			uint32_t x = eval(&d, pto[e]);
			if (d.semi[x] < d.semi[i])
				d.semi[i] = d.semi[x];
		}
		d.ancestor[i] = d.parent[i];
	}

	/* Immediate dominators: the nearest common ancestor, in the DFS
	 * tree, of the parent and the semidominator (in number order, each
	 * dominator's own being final before it is used).  Reuses LABEL.  */
	uint32_t *id = d.label;
	id[0] = 0;
	for (uint32_t i = 1; i <= count; i++) {
		uint32_t x = d.parent[i];
		while (x > d.semi[i])
			x = id[x];
		id[i] = x;
	}
	for (uint32_t v = 0; v < n; v++)
		idom[v] = HI_DOM_NONE;
	for (uint32_t i = 1; i <= count; i++) {
		idom[d.vertex[i]] = id[i] ? d.vertex[id[i]] : HI_DOM_ROOT;
		if (order)
			order[i - 1] = d.vertex[i];
	}
	k = count;
out:
	free(pfirst);
	free(pto);
	free(pre);
	free(is_root);
	free(stack);
	free(next);
	free(d.vertex);
	free(d.parent);
	free(d.semi);
	free(d.label);
	free(d.ancestor);
	free(d.chain);
	return k;
}

void hi_retained(uint32_t n, const uint32_t *idom, const uint32_t *order, uint64_t nreached, const uint64_t *size,
		 uint64_t *retained)
{
	for (uint32_t v = 0; v < n; v++)
		retained[v] = idom[v] == HI_DOM_NONE ? 0 : size[v];
	/* In reverse preorder every object comes before its dominator.  */
	for (uint64_t i = nreached; i-- > 0;) {
		uint32_t v = order[i], up = idom[v];
		if (up < n)
			retained[up] += retained[v];
	}
}
