/* topn.c: see topn.h.  */
#include "config.h"
#include <stdlib.h>
#include "census/topn.h"

int hi_topn_init(struct hi_topn *h, size_t cap)
{
	h->n = 0;
	h->cap = 0;
	h->v = NULL;
	if (cap < 1 || cap > HI_TOPN_MAX || !(h->v = malloc(cap * sizeof *h->v)))
		return -1;
	h->cap = cap;
	return 0;
}

void hi_topn_free(struct hi_topn *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}

/* The root is the item that ranks last; each parent ranks after its
 * children.  */
static void sift_down(struct hi_topn_item *v, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, last = i;
		if (l < n && hi_topn_before(&v[last], &v[l]))
			last = l;
		if (r < n && hi_topn_before(&v[last], &v[r]))
			last = r;
		if (last == i)
			return;
		struct hi_topn_item t = v[i];
		v[i] = v[last];
		v[last] = t;
		i = last;
	}
}

void hi_topn_offer_slow(struct hi_topn *h, const struct hi_topn_item *it)
{
	if (h->n < h->cap) {
		size_t i = h->n++;
		h->v[i] = *it;
		while (i > 0) {
			size_t p = (i - 1) / 2;
			if (!hi_topn_before(&h->v[p], &h->v[i]))
				break;
			struct hi_topn_item t = h->v[p];
			h->v[p] = h->v[i];
			h->v[i] = t;
			i = p;
		}
		return;
	}
	if (!hi_topn_before(it, &h->v[0]))
		return;
	h->v[0] = *it;
	sift_down(h->v, h->n, 0);
}

void hi_topn_sort(struct hi_topn *h)
{
	/* Heapsort: move the last-ranked root to the end, repeatedly; the
	 * array ends up first-ranked first.  */
	for (size_t n = h->n; n > 1; n--) {
		struct hi_topn_item t = h->v[0];
		h->v[0] = h->v[n - 1];
		h->v[n - 1] = t;
		sift_down(h->v, n - 1, 0);
	}
}
