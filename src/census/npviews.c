/* npviews.c: see npviews.h.  */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "census/npviews.h"

void hi_npv_init(struct hi_npviews *v)
{
	memset(v, 0, sizeof *v);
	u64map_init(&v->base_index);
	hi_addrset_init(&v->hidden);
}

void hi_npv_free(struct hi_npviews *v)
{
	u64map_free(&v->base_index);
	hi_addrset_free(&v->hidden);
	free(v->bases);
	v->bases = NULL;
	v->nbases = v->capbases = 0;
}

static struct hi_npv_base *base_of(struct hi_npviews *v, uint64_t addr)
{
	uint64_t *ix = u64map_get(&v->base_index, addr);
	if (ix)
		return &v->bases[*ix - 1];
	if (v->nbases == v->capbases) {
		size_t ncap = v->capbases ? v->capbases * 2 : 64;
		struct hi_npv_base *nb = realloc(v->bases, ncap * sizeof *nb);
		if (!nb)
			return NULL;
		v->bases = nb;
		v->capbases = ncap;
	}
	if (u64map_put(&v->base_index, addr, v->nbases + 1) < 0)
		return NULL;
	v->bases[v->nbases] = (struct hi_npv_base){ addr, 0, 0 };
	return &v->bases[v->nbases++];
}

void hi_npv_array(struct hi_npviews *v, const struct hi_np_array *a, uint64_t size)
{
	v->arrays++;
	v->size += size;
	if (a->owned) {
		v->owned++;
		v->owned_bytes += a->nbytes;
	} else if (a->base) {
		struct hi_npv_base *b = base_of(v, a->base);
		v->views++;
		v->view_bytes += a->nbytes;
		if (!b) {
			v->oom = 1;
			return;
		}
		b->views++;
		b->view_bytes += a->nbytes;
	} else {
		v->other++;
	}
}

void hi_npv_hidden(struct hi_npviews *v, uint64_t obj)
{
	if (hi_addrset_add(&v->hidden, obj) < 0)
		v->oom = 1;
}

int hi_npv_finish(struct hi_npviews *v, uint64_t (*bytes)(void *arg, uint64_t addr), void *arg)
{
	memset(&v->only, 0, sizeof v->only);
	memset(&v->otherwise, 0, sizeof v->otherwise);
	for (size_t i = 0; i < v->nbases; i++) {
		const struct hi_npv_base *b = &v->bases[i];
		uint64_t n = bytes(arg, b->addr);
		/* n < RATIO * view_bytes, without overflow.  */
		if (!n || n / HI_NPV_WASTE_RATIO < b->view_bytes)
			continue;
		struct hi_npv_group *g = hi_addrset_has(&v->hidden, b->addr) ? &v->only : &v->otherwise;
		g->views += b->views;
		g->view_bytes += b->view_bytes;
		g->bases++;
		g->base_bytes += n;
	}
	return v->oom ? -1 : 0;
}
