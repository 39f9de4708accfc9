/* heapgraph.h: the objects one census walked and the references between
 * them, kept for the reference commands (path, referrers, retained
 * sizes).
 *
 * Objects are numbered in the order the walk met them; each has its
 * address, sys.getsizeof size, heapy kind (an id into KINDS, the census
 * of every object walked, baseline or not) and flags.  The references
 * are the graph of graph.h, as the walk followed them, a referent that
 * appears twice in an object appearing twice (so that in-degrees can be
 * held against reference counts).  Per object 8 + 8 + 4 + 4 + 1 bytes
 * and 8 of row offsets; per reference 4.
 *
 * Built during a walk: hi_heapgraph_node for each object as it is
 * visited, hi_heapgraph_ref for each reference it makes while it is the
 * current object, then hi_heapgraph_finish turns referents' addresses
 * into object numbers.  Pure data otherwise.  */
#ifndef HI_HEAPGRAPH_H
#define HI_HEAPGRAPH_H
#include <stddef.h>
#include <stdint.h>
#include "census/census.h"
#include "census/graph.h"
#include "util/addrset.h"

/* Flags of an object.  */
#define HI_HG_OLD 1u	 /* the baseline had it (setrel) */
#define HI_HG_HIDDEN 2u	 /* reached only through references gc.get_referents
			  * does not report (a numpy view's base) */

/* A root a Python developer names (walk/roots.h): a module by its name
 * in sys.modules, a running frame's local.  */
struct hi_hg_root {
	uint64_t addr;
	uint32_t node;		/* once finished; UINT32_MAX: not an object */
	char *name;
};

struct hi_heapgraph {
	uint32_t n, cap;
	uint64_t *addr;
	uint64_t *size;
	uint32_t *kind;
	uint8_t *flags;
	uint32_t *refcnt;	/* ob_refcnt, at most UINT32_MAX */
	struct hi_census kinds;	/* every object walked, by kind */
	struct hi_graph refs;
	struct hi_hg_root *roots;	/* in the order named */
	size_t nroots, caproots;
	int relative;		/* OLD flags were set: a census after setrel */
	/* Worked out when first asked for: each object's referrers, and
	 * each object's predecessor on a shortest path from the named roots
	 * (paths.h).  */
	struct hi_graph rev;
	uint32_t *parent;
	int64_t reached;
	/* Objects no named root reaches whose reference count exceeds the
	 * references to them the walk saw: held by C code (or the
	 * interpreter's own state), roots of their own after the named
	 * ones.  What neither reaches is garbage the cyclic collector has
	 * not freed yet.  */
	uint32_t *held;
	size_t nheld;
	/* The dominator tree, on first use: each object's immediate
	 * dominator (graph.h's IDOM) and retained size.  */
	uint32_t *idom;
	uint64_t *retained;
	uint32_t *byaddr;	/* object numbers by address, on first find */
	/* While building: each object's first reference in RAW, and the
	 * referents' addresses.  */
	uint64_t *raw, nraw, capraw;
	struct hi_addrset seen;	/* the walk's visited set */
	int finished;
	/* References to addresses that did not turn out to be objects (a
	 * bad type): left out of REFS.  */
	uint64_t lost;
	int oom;
};

void hi_heapgraph_init(struct hi_heapgraph *g);
void hi_heapgraph_free(struct hi_heapgraph *g);

/* Room for NODES objects and REFS references, allocated and touched now
 * (before the target is stopped: page faults are not paid in the
 * pause).  0, or -1 when out of memory (nothing is lost: growth goes on
 * as needed).  */
int hi_heapgraph_reserve(struct hi_heapgraph *g, uint32_t nodes, uint64_t refs);

/* A new object at ADDR: its number, or UINT32_MAX when out of memory
 * (then G->oom is set and every later call does nothing).  Its size,
 * kind and flags are set by the caller.  */
uint32_t hi_heapgraph_node(struct hi_heapgraph *g, uint64_t addr);

/* A named root: OBJ, named NAME (copied).  Before hi_heapgraph_walked. */
void hi_heapgraph_root(struct hi_heapgraph *g, uint64_t obj, const char *name);

/* Room for one more reference: 0, or -1 (and G->oom) when out of
 * memory.  */
int hi_heapgraph_grow(struct hi_heapgraph *g);

/* The current object (the last one added) references REF.  */
static inline void hi_heapgraph_ref(struct hi_heapgraph *g, uint64_t ref)
{
	if (g->nraw == g->capraw && hi_heapgraph_grow(g) < 0)
		return;
	g->raw[g->nraw++] = ref;
}

/* Every object has been added: hand over the walk's visited set, whose
 * members include every object's address.  G owns it until
 * hi_heapgraph_finish.  */
void hi_heapgraph_walked(struct hi_heapgraph *g, struct hi_addrset *seen);

/* Turn references into object numbers (after the target runs again: it
 * reads nothing of the target).  0, or -1 when out of memory, when the
 * graph cannot be used.  Once done, it does nothing.  */
int hi_heapgraph_finish(struct hi_heapgraph *g);

/* The referrers graph, built on first use: NULL when out of memory.  */
const struct hi_graph *hi_heapgraph_referrers(struct hi_heapgraph *g);

/* The shortest paths from the named roots, then the held ones
 * (paths.h's PARENT: HI_PATH_ROOT + i for the ith named root, + nroots
 * + j for the jth held), worked out on first use: NULL when out of
 * memory.  */
const uint32_t *hi_heapgraph_paths(struct hi_heapgraph *g);

/* Each object's retained size: its own and that of every object it
 * dominates (all paths from the roots to them pass through it), the
 * roots being the named and the held ones; 0 for garbage.  Worked out
 * on first use; NULL when out of memory.  */
const uint64_t *hi_heapgraph_retained(struct hi_heapgraph *g);

/* OUT (initialized by the caller, by "kind", "type" or "rcs"): the
 * objects SEL[0..N) (SEL NULL: every object, but only the new ones when
 * the graph is relative) partitioned by their kind, their type (a dict's
 * kind is "dict of X", its type "dict"), or the kinds of their referrers
 * (heapy's byrcs: "function, tuple", "<Nothing>").  With RETAINED, each
 * row's retained size too (hi_row.retained).  0, or -1 when out of
 * memory.  */
int hi_heapgraph_partition(struct hi_heapgraph *g, const uint32_t *sel, size_t n, int retained,
			   struct hi_census *out);

/* The number of the object at ADDR, or UINT32_MAX: a binary search of
 * the objects sorted by address (sorted on first use, 4 bytes per
 * object; a linear search if memory is short).  */
uint32_t hi_heapgraph_find(struct hi_heapgraph *g, uint64_t addr);

/* Bytes G holds.  */
uint64_t hi_heapgraph_bytes(const struct hi_heapgraph *g);

#endif
