/* topn.h: the N largest of a stream of items, in bounded memory.
 *
 * A min-heap of at most N items keyed by size: an item enters only if it
 * is larger than the smallest kept, so a walk of millions of objects keeps
 * N items and spends O(log N) on the few that enter.  Equal sizes are
 * ordered by address, lower first, so the result does not depend on the
 * order of the walk.  Pure data: tested without a target.  */
#ifndef HI_TOPN_H
#define HI_TOPN_H
#include <stddef.h>
#include <stdint.h>

/* The most a caller may ask for: a bound on heapinspect's memory, not on
 * the target.  */
#define HI_TOPN_MAX 10000

struct hi_topn_item {
	uint64_t size;		/* the key */
	uint64_t addr;
	const void *type;	/* the caller's, not owned */
	uint32_t kind;		/* the caller's */
	uint32_t flags;		/* the caller's */
};

struct hi_topn {
	struct hi_topn_item *v;
	size_t n, cap;
};

/* Keep at most CAP items (1..HI_TOPN_MAX).  Returns 0, or -1 when CAP is
 * out of range or memory is short.  */
int hi_topn_init(struct hi_topn *h, size_t cap);
void hi_topn_free(struct hi_topn *h);

/* Does IT rank before X (larger, or as large at a lower address)?  */
static inline int hi_topn_before(const struct hi_topn_item *it, const struct hi_topn_item *x)
{
	return it->size != x->size ? it->size > x->size : it->addr < x->addr;
}

void hi_topn_offer_slow(struct hi_topn *h, const struct hi_topn_item *it);

/* Offer IT: kept if it is among the CAP largest so far.  */
static inline void hi_topn_offer(struct hi_topn *h, const struct hi_topn_item *it)
{
	if (h->n == h->cap && !hi_topn_before(it, &h->v[0]))
		return;	/* the common case: smaller than everything kept */
	hi_topn_offer_slow(h, it);
}

/* Sort the kept items, largest first, in place (H->v[0..H->n)); the heap
 * is spent: offer nothing more.  */
void hi_topn_sort(struct hi_topn *h);

#endif
