/* graph.h: a reference graph in compressed form, and its dominator tree.
 *
 * Objects are numbered 0..N-1; the references of object V are
 * to[first[V] .. first[V + 1]) (compressed sparse rows): 4 bytes per
 * reference and 8 per object.  The dominator tree says what each object
 * alone keeps alive: D dominates V when every path from the roots to V
 * passes through D, and V's retained size is its own size plus that of
 * every object it dominates (what freeing V would free; Eclipse MAT's
 * and heapy's domisize).  Pure data: tested on small graphs with known
 * answers.  */
#ifndef HI_GRAPH_H
#define HI_GRAPH_H
#include <stddef.h>
#include <stdint.h>

struct hi_graph {
	uint32_t n;		/* objects */
	uint64_t *first;	/* N + 1 offsets into TO */
	uint32_t *to;
};

/* G over N objects from the NE references FROM[k] -> TO[k], in any
 * order (an object's own references keep their order).  0, or -1 when
 * out of memory or a number is not below N.  */
int hi_graph_build(struct hi_graph *g, uint32_t n, const uint32_t *from, const uint32_t *to, uint64_t ne);

/* REV: G with every reference turned around (each object's referrers). */
int hi_graph_reverse(const struct hi_graph *g, struct hi_graph *rev);

void hi_graph_free(struct hi_graph *g);

static inline uint64_t hi_graph_edges(const struct hi_graph *g)
{
	return g->first ? g->first[g->n] : 0;
}

/* IDOM's value for an object dominated by no single object (a root, or
 * one that several roots reach apart), and for one no root reaches.  */
#define HI_DOM_ROOT (UINT32_MAX - 1)
#define HI_DOM_NONE UINT32_MAX

/* The immediate dominator of every object of G (N entries of IDOM), the
 * roots being ROOTS (under one virtual root above them all).  ORDER, if
 * not NULL, receives the reached objects in depth-first preorder, each
 * after its dominator.  Semi-NCA (Georgiadis' variant of Lengauer and
 * Tarjan), without recursion: any depth.  Returns how many objects were
 * reached, or -1 when out of memory.  */
int64_t hi_dominators(const struct hi_graph *g, const uint32_t *roots, size_t nroots, uint32_t *idom,
		      uint32_t *order);

/* RETAINED[v]: SIZE[v] plus the retained sizes of the objects V
 * immediately dominates; 0 for objects not reached.  IDOM, ORDER and
 * NREACHED as hi_dominators gave them; N entries each.  */
void hi_retained(uint32_t n, const uint32_t *idom, const uint32_t *order, uint64_t nreached, const uint64_t *size,
		 uint64_t *retained);

#endif
