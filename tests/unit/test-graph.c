/* test-graph.c: the reference graph and its dominator tree (graph.h) on
 * graphs with known answers: a diamond, a cycle, several roots, what no
 * root reaches, Lengauer and Tarjan's own example, a chain deeper than
 * any C stack, and random graphs against dominance by its definition
 * (D dominates V when V cannot be reached once D is taken away).  */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "census/graph.h"
#include "census/heapgraph.h"
#include "suites.h"

static int build(struct hi_graph *g, uint32_t n, const uint32_t (*e)[2], size_t ne)
{
	uint32_t *from = malloc((ne ? ne : 1) * sizeof *from), *to = malloc((ne ? ne : 1) * sizeof *to);
	for (size_t k = 0; k < ne; k++) {
		from[k] = e[k][0];
		to[k] = e[k][1];
	}
	int rc = hi_graph_build(g, n, from, to, ne);
	free(from);
	free(to);
	return rc;
}

static void csr_keeps_each_objects_references_in_order(void)
{
	static const uint32_t e[][2] = { { 2, 0 }, { 0, 1 }, { 2, 1 }, { 0, 2 } };
	struct hi_graph g, r;
	CU_ASSERT_FATAL(build(&g, 3, e, 4) == 0);
	CU_ASSERT_EQUAL(hi_graph_edges(&g), 4);
	CU_ASSERT_EQUAL(g.first[1] - g.first[0], 2);
	CU_ASSERT_EQUAL(g.to[g.first[0]], 1);
	CU_ASSERT_EQUAL(g.to[g.first[0] + 1], 2);
	CU_ASSERT_EQUAL(g.first[2], g.first[1]);	/* 1 references nothing */
	CU_ASSERT_EQUAL(g.to[g.first[2]], 0);
	CU_ASSERT_EQUAL(g.to[g.first[2] + 1], 1);
	CU_ASSERT_FATAL(hi_graph_reverse(&g, &r) == 0);
	CU_ASSERT_EQUAL(r.first[2] - r.first[1], 2);	/* 1's referrers: 0 and 2 */
	CU_ASSERT_EQUAL(r.to[r.first[1]], 0);
	CU_ASSERT_EQUAL(r.to[r.first[1] + 1], 2);
	static const uint32_t bad[][2] = { { 0, 3 } };
	struct hi_graph b;
	CU_ASSERT(build(&b, 3, bad, 1) < 0);
	hi_graph_free(&g);
	hi_graph_free(&r);
}

/* Dominators of G from ROOTS, and retained sizes with SIZE (1 each if
 * NULL), compared with WANT_IDOM and WANT_RETAINED.  */
static void check(uint32_t n, const uint32_t (*e)[2], size_t ne, const uint32_t *roots, size_t nroots,
		  const uint32_t *want_idom, const uint64_t *want_retained, int64_t want_reached)
{
	struct hi_graph g;
	CU_ASSERT_FATAL(build(&g, n, e, ne) == 0);
	uint32_t *idom = malloc(n * sizeof *idom), *order = malloc(n * sizeof *order);
	uint64_t *size = malloc(n * sizeof *size), *ret = malloc(n * sizeof *ret);
	for (uint32_t v = 0; v < n; v++)
		size[v] = 1;
	int64_t k = hi_dominators(&g, roots, nroots, idom, order);
	CU_ASSERT_EQUAL(k, want_reached);
	for (uint32_t v = 0; v < n; v++)
		CU_ASSERT_EQUAL(idom[v], want_idom[v]);
	if (want_retained) {
		hi_retained(n, idom, order, (uint64_t)k, size, ret);
		for (uint32_t v = 0; v < n; v++)
			CU_ASSERT_EQUAL(ret[v], want_retained[v]);
	}
	free(idom);
	free(order);
	free(size);
	free(ret);
	hi_graph_free(&g);
}

#define R HI_DOM_ROOT
#define X HI_DOM_NONE

static void a_diamond(void)
{
	/* 0 -> 1, 2 -> 3 -> 4: the join is 0's alone.  */
	static const uint32_t e[][2] = { { 0, 1 }, { 0, 2 }, { 1, 3 }, { 2, 3 }, { 3, 4 } };
	static const uint32_t roots[] = { 0 }, idom[] = { R, 0, 0, 0, 3 };
	static const uint64_t ret[] = { 5, 1, 1, 2, 1 };
	check(5, e, 5, roots, 1, idom, ret, 5);
}

static void a_cycle(void)
{
	/* 0 -> 1 <-> 2 -> 3: the cycle's entry keeps all of it.  */
	static const uint32_t e[][2] = { { 0, 1 }, { 1, 2 }, { 2, 1 }, { 2, 3 } };
	static const uint32_t roots[] = { 0 }, idom[] = { R, 0, 1, 2 };
	static const uint64_t ret[] = { 4, 3, 2, 1 };
	check(4, e, 4, roots, 1, idom, ret, 4);
}

static void several_roots_and_the_unreached(void)
{
	/* Roots 0 and 1 both reach 2 -> 3; 4 -> 3 is reached by no root;
	 * root 1 also reaches root 0.  */
	static const uint32_t e[][2] = { { 0, 2 }, { 1, 2 }, { 2, 3 }, { 4, 3 }, { 1, 0 } };
	static const uint32_t roots[] = { 0, 1 }, idom[] = { R, R, R, 2, X };
	static const uint64_t ret[] = { 1, 1, 2, 1, 0 };
	check(5, e, 5, roots, 2, idom, ret, 4);
}

static void lengauer_tarjans_example(void)
{
	/* The flow graph of their 1979 paper, R=0 A..L=1..12.  */
	enum { R0, A, B, C, D, E, F, G, H, I, J, K, L };
	static const uint32_t e[][2] = {
		{ R0, A }, { R0, B }, { R0, C }, { A, D }, { B, A }, { B, D }, { B, E }, { C, F },
		{ C, G },  { D, L },  { E, H },	 { F, I }, { G, I }, { G, J }, { H, E }, { H, K },
		{ I, K },  { J, I },  { K, I },	 { K, R0 }, { L, H },
	};
	static const uint32_t roots[] = { R0 };
	static const uint32_t idom[] = { R, R0, R0, R0, R0, R0, C, C, R0, R0, G, R0, D };
	check(13, e, sizeof e / sizeof e[0], roots, 1, idom, NULL, 13);
}

static void a_chain_deeper_than_any_stack(void)
{
	uint32_t n = 2000000;
	uint32_t *from = malloc((n - 1) * sizeof *from), *to = malloc((n - 1) * sizeof *to);
	for (uint32_t v = 0; v + 1 < n; v++) {
		from[v] = v;
		to[v] = v + 1;
	}
	struct hi_graph g;
	CU_ASSERT_FATAL(hi_graph_build(&g, n, from, to, n - 1) == 0);
	uint32_t *idom = malloc(n * sizeof *idom), *order = malloc(n * sizeof *order), root = 0;
	uint64_t *size = malloc(n * sizeof *size), *ret = malloc(n * sizeof *ret);
	for (uint32_t v = 0; v < n; v++)
		size[v] = 8;
	CU_ASSERT_EQUAL(hi_dominators(&g, &root, 1, idom, order), n);
	CU_ASSERT_EQUAL(idom[n - 1], n - 2);
	hi_retained(n, idom, order, n, size, ret);
	CU_ASSERT_EQUAL(ret[0], 8ull * n);
	CU_ASSERT_EQUAL(ret[n / 2], 8ull * (n - n / 2));
	free(from);
	free(to);
	free(idom);
	free(order);
	free(size);
	free(ret);
	hi_graph_free(&g);
}

/* ---- against the definition ---- */

#define SMALL 24

/* Which objects the roots reach without passing through CUT (SMALL
 * entries; CUT SMALL: none cut).  */
static void reach(uint32_t n, const unsigned char adj[SMALL][SMALL], const uint32_t *roots, size_t nroots, uint32_t cut,
		  unsigned char *seen)
{
	uint32_t stack[SMALL];
	size_t sp = 0;
	memset(seen, 0, SMALL);
	for (size_t r = 0; r < nroots; r++)
		if (roots[r] != cut && !seen[roots[r]]) {
			seen[roots[r]] = 1;
			stack[sp++] = roots[r];
		}
	while (sp) {
		uint32_t v = stack[--sp];
		for (uint32_t w = 0; w < n; w++)
			if (adj[v][w] && w != cut && !seen[w]) {
				seen[w] = 1;
				stack[sp++] = w;
			}
	}
}

static void random_graphs_against_the_definition(void)
{
	unsigned seed = 12345;
	int bad = 0;
	for (int round = 0; round < 400; round++) {
		uint32_t n = 2 + (uint32_t)(rand_r(&seed) % (SMALL - 1));
		unsigned char adj[SMALL][SMALL] = { { 0 } };
		uint32_t e[SMALL * SMALL][2];
		size_t ne = 0;
		int density = 1 + rand_r(&seed) % 4;
		for (uint32_t v = 0; v < n; v++)
			for (uint32_t w = 0; w < n; w++)
				if (rand_r(&seed) % (2 * (int)n) < density && !adj[v][w]) {
					adj[v][w] = 1;
					e[ne][0] = v;
					e[ne++][1] = w;
				}
		uint32_t roots[3];
		size_t nroots = 1 + rand_r(&seed) % 3;
		for (size_t r = 0; r < nroots; r++)
			roots[r] = (uint32_t)(rand_r(&seed) % n);
		struct hi_graph g;
		CU_ASSERT_FATAL(build(&g, n, (const uint32_t(*)[2])e, ne) == 0);
		uint32_t idom[SMALL], order[SMALL];
		int64_t k = hi_dominators(&g, roots, nroots, idom, order);
		hi_graph_free(&g);
		/* By definition: D dominates V (V != D) when V is reached but
		 * not once D is cut; the immediate one is the dominator that
		 * every other dominator of V dominates too.  */
		unsigned char all[SMALL], dom[SMALL][SMALL] = { { 0 } }, cut[SMALL];
		reach(n, adj, roots, nroots, SMALL, all);
		int64_t reached = 0;
		for (uint32_t v = 0; v < n; v++)
			reached += all[v];
		for (uint32_t d = 0; d < n; d++) {
			reach(n, adj, roots, nroots, d, cut);
			for (uint32_t v = 0; v < n; v++)
				dom[d][v] = v != d && all[v] && !cut[v];
		}
		for (uint32_t v = 0; v < n; v++) {
			uint32_t want = all[v] ? HI_DOM_ROOT : HI_DOM_NONE;
			for (uint32_t d = 0; d < n; d++) {
				if (!dom[d][v])
					continue;
				int immediate = 1;
				for (uint32_t o = 0; o < n && immediate; o++)
					if (o != d && dom[o][v] && !dom[o][d])
						immediate = 0;
				if (immediate)
					want = d;
			}
			if (idom[v] != want)
				bad++;
		}
		if (k != reached)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* A walk's graph: objects by address as the walk met them, references
 * by address (twice where an object holds one twice, to a non-object
 * where the walk met a bad pointer), then numbered through the visited
 * set.  */
static void a_walks_graph_numbers_references_by_address(void)
{
	static const uint64_t addr[] = { 0x7f0000001000, 0x7f0000001040, 0x550000020010, 0x7f00000f0000 };
	struct hi_heapgraph g;
	struct hi_addrset seen;
	hi_heapgraph_init(&g);
	hi_addrset_init(&seen);
	CU_ASSERT_EQUAL(hi_addrset_add(&seen, 0x600000000008), 1);	/* seen, not an object */
	for (uint32_t v = 0; v < 4; v++) {
		CU_ASSERT_EQUAL_FATAL(hi_heapgraph_node(&g, addr[v]), v);
		hi_addrset_add(&seen, addr[v]);
		g.size[v] = 16 * (v + 1);
	}
	/* References are of the last object added: rebuild in that order.  */
	hi_heapgraph_free(&g);
	hi_heapgraph_init(&g);
	hi_heapgraph_node(&g, addr[0]);
	hi_heapgraph_ref(&g, addr[2]);
	hi_heapgraph_ref(&g, addr[2]);
	hi_heapgraph_ref(&g, 0x600000000008);
	hi_heapgraph_node(&g, addr[1]);
	hi_heapgraph_node(&g, addr[2]);
	hi_heapgraph_ref(&g, addr[3]);
	hi_heapgraph_ref(&g, addr[0]);
	hi_heapgraph_ref(&g, 0x123450);	/* never seen */
	hi_heapgraph_node(&g, addr[3]);
	hi_heapgraph_ref(&g, addr[1]);
	hi_heapgraph_walked(&g, &seen);
	CU_ASSERT_EQUAL(seen.members, 0);	/* handed over */
	CU_ASSERT_FATAL(hi_heapgraph_finish(&g) == 0);
	CU_ASSERT_EQUAL(g.n, 4);
	CU_ASSERT_EQUAL(g.lost, 2);
	CU_ASSERT_EQUAL(hi_graph_edges(&g.refs), 5);
	static const uint32_t want[] = { 2, 2, 3, 0, 1 };
	static const uint64_t first[] = { 0, 2, 2, 4, 5 };
	for (int k = 0; k < 5; k++) {
		CU_ASSERT_EQUAL(g.refs.to[k], want[k]);
		CU_ASSERT_EQUAL(g.refs.first[k], first[k]);
	}
	CU_ASSERT_EQUAL(hi_heapgraph_find(&g, addr[3]), 3);
	CU_ASSERT_EQUAL(hi_heapgraph_find(&g, 0x600000000008), UINT32_MAX);
	CU_ASSERT(hi_heapgraph_finish(&g) == 0);	/* once */
	hi_heapgraph_free(&g);
	hi_addrset_free(&seen);
}

/* Finding objects by address, through the radix-sorted index: every
 * object found, addresses between them not.  */
static void objects_are_found_by_address(void)
{
	struct hi_heapgraph g;
	struct hi_addrset seen;
	hi_heapgraph_init(&g);
	hi_addrset_init(&seen);
	srand(11);
	uint32_t n = 0;
	for (int i = 0; i < 200000; i++) {
		uint64_t x = (0x550000000000ull + ((uint64_t)rand() << 20 | (uint64_t)(rand() & 0xfffff))) & ~15ull;
		if (hi_addrset_add(&seen, x) == 1) {
			hi_heapgraph_node(&g, x);
			n++;
		}
	}
	hi_heapgraph_walked(&g, &seen);
	CU_ASSERT_FATAL(hi_heapgraph_finish(&g) == 0);
	int bad = 0;
	for (uint32_t v = 0; v < n; v++) {
		if (hi_heapgraph_find(&g, g.addr[v]) != v)
			bad++;
		if (hi_heapgraph_find(&g, g.addr[v] + 8) != UINT32_MAX)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(hi_heapgraph_find(&g, 0), UINT32_MAX);
	CU_ASSERT_EQUAL(hi_heapgraph_find(&g, UINT64_MAX & ~7ull), UINT32_MAX);
	hi_heapgraph_free(&g);
	hi_addrset_free(&seen);
}

/* The visited set's numbering: every member a distinct number below
 * the count, non-members none, over many bitmaps.  */
static void the_visited_sets_numbering_is_a_bijection(void)
{
	struct hi_addrset s;
	hi_addrset_init(&s);
	srand(7);
	uint64_t *a = malloc(100000 * sizeof *a);
	size_t n = 0;
	for (int i = 0; i < 100000; i++) {
		uint64_t x = ((uint64_t)(rand() % 64) << 24 | (uint64_t)(rand() & 0xffffff)) & ~7ull;
		if (hi_addrset_add(&s, x) == 1)
			a[n++] = x;
	}
	CU_ASSERT_FATAL(hi_addrset_rank_build(&s) == 0);
	unsigned char *hit = calloc(n, 1);
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t r = hi_addrset_rank(&s, a[i]);
		if (r >= n || hit[r])
			bad++;
		else
			hit[r] = 1;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(hi_addrset_rank(&s, 0x7777777777770), UINT64_MAX);
	free(hit);
	free(a);
	hi_addrset_free(&s);
}

int hi_suite_graph(void)
{
	CU_pSuite s = CU_add_suite("graph", NULL, NULL);
	if (!s ||
	    !CU_add_test(s, "references in compressed rows, and turned around",
			 csr_keeps_each_objects_references_in_order) ||
	    !CU_add_test(s, "a walk's graph: references numbered by address", a_walks_graph_numbers_references_by_address) ||
	    !CU_add_test(s, "the visited set numbers its members one to one", the_visited_sets_numbering_is_a_bijection) ||
	    !CU_add_test(s, "objects are found by address", objects_are_found_by_address) ||
	    !CU_add_test(s, "a diamond: the join is the top's alone", a_diamond) ||
	    !CU_add_test(s, "a cycle: its entry keeps all of it", a_cycle) ||
	    !CU_add_test(s, "several roots, and what no root reaches", several_roots_and_the_unreached) ||
	    !CU_add_test(s, "Lengauer and Tarjan's example", lengauer_tarjans_example) ||
	    !CU_add_test(s, "a chain of 2,000,000: no recursion", a_chain_deeper_than_any_stack) ||
	    !CU_add_test(s, "400 random graphs against the definition of dominance",
			 random_graphs_against_the_definition))
		return -1;
	return 0;
}
