/* gcwalk.c: see gcwalk.h.  */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "util/error.h"
#include "walk/gcwalk.h"
#include "util/addrset.h"

/* The low two bits of _gc_next/_gc_prev carry flags (collecting,
 * finalized, unreachable, and in 3.14 the incremental GC's space bit).  */
#define GC_PTR_MASK (~(uint64_t)3)
#define MAX_THREADS 1000000

static int walk_list(struct hi_py *py, struct hi_gclist *gl, struct hi_addrset *seen, hi_gc_fn fn,
		     void *arg, int interp, int *stop)
{
	uint64_t next;
	const struct hi_layout *l = &py->l;
	if (hi_mem_u64(py->mem, gl->head + l->gc_next.off, &next) < 0)
		return -1;
	next &= GC_PTR_MASK;
	while (next != gl->head) {
		if (!next) {
			gl->broken = 1;
			break;
		}
		int r = hi_addrset_add(seen, next);
		if (r < 0)
			return -2;	/* out of memory: the census cannot be had */
		if (r == 0) {	/* seen before: a cycle */
			gl->broken = 1;
			break;
		}
		gl->count++;
		if (fn(next + l->sizeof_gc_head, interp, arg)) {
			*stop = 1;
			return 0;
		}
		uint64_t n;
		if (hi_mem_u64(py->mem, next + l->gc_next.off, &n) < 0) {
			gl->broken = 1;
			break;
		}
		next = n & GC_PTR_MASK;
	}
	return 0;
}

static void add_list(struct hi_interp *in, const char *name, uint64_t head)
{
	if (in->nlists >= HI_MAX_GCLISTS)
		return;
	struct hi_gclist *gl = &in->lists[in->nlists++];
	memset(gl, 0, sizeof *gl);
	snprintf(gl->name, sizeof gl->name, "%s", name);
	gl->head = head;
}

/* The list heads of the GC state at GCSTATE.  */
static void gc_lists(struct hi_py *py, struct hi_interp *in, uint64_t gcstate)
{
	const struct hi_layout *l = &py->l;
	struct hi_mbr g = l->gcs_generations;
	uint32_t stride = g.elem ? g.elem : 24;
	for (uint32_t i = 0; i < g.count && i < HI_MAX_GCLISTS - 1; i++) {
		char name[16];
		snprintf(name, sizeof name, "gen%u", i);
		add_list(in, name, gcstate + g.off + i * stride + l->gen_head.off);
	}
	if (hi_has(l->gcs_permanent))
		add_list(in, "permanent", gcstate + l->gcs_permanent.off + l->gen_head.off);
}

int hi_gc_walk(struct hi_py *py, struct hi_gcinfo *info, int64_t only, hi_gc_fn fn, void *arg, const char *who)
{
	const struct hi_layout *l = &py->l;
	struct hi_addrset seen;
	memset(info, 0, sizeof *info);
	hi_addrset_init(&seen);

	uint64_t all[HI_MAX_INTERPS];
	int ninterps = hi_py_interps(py, all, HI_MAX_INTERPS, who);
	if (ninterps < 0)
		return -1;
	if (ninterps == 0) {
		hi_error("%s: the Python runtime has no interpreter (not yet initialized, or finalized)", who);
		return -1;
	}
	for (int k = 0; k < ninterps; k++) {
		uint64_t interp = all[k];
		struct hi_interp *in = &info->interps[info->ninterps];
		memset(in, 0, sizeof *in);
		in->addr = interp;
		in->id = -1;
		if (hi_has(l->is_id)) {
			uint64_t id;
			if (hi_mem_uint(py->mem, interp + l->is_id.off, l->is_id.size, &id) == 0)
				in->id = (int64_t)id;
		}
		uint64_t ts = 0;
		if (hi_has(l->is_threads_head) && hi_mem_u64(py->mem, interp + l->is_threads_head.off, &ts) == 0) {
			/* A list that comes back on itself (corrupt memory) is
			 * counted to the repeat and called broken.  */
			struct hi_addrset tss;
			hi_addrset_init(&tss);
			for (int n = 0; ts && n < MAX_THREADS; n++) {
				int r = ts & 7 ? 0 : hi_addrset_add(&tss, ts);	/* misaligned: corrupt */
				if (r == 0) {
					in->threads_broken = 1;
					info->broken_lists++;
					break;
				}
				in->nthreads++;
				if (r < 0 || hi_mem_u64(py->mem, ts + l->ts_next.off, &ts) < 0)
					break;
			}
			hi_addrset_free(&tss);
		}
		if (hi_has(l->is_gc)) {
			gc_lists(py, in, interp + l->is_gc.off);
			in->owns_gc = 1;
		} else if (info->ninterps == 0) {
			/* 3.8: one GC state for the whole runtime. */
			gc_lists(py, in, py->runtime + l->rt_gc.off);
			in->owns_gc = 1;
		}
		info->ninterps++;
	}
	int stop = 0, chosen = -1;
	for (int i = 0; only >= 0 && i < info->ninterps; i++)
		if (info->interps[i].id == only)
			chosen = i;
	if (only >= 0 && chosen < 0) {
		char ids[200] = "";
		size_t n = 0;
		for (int i = 0; i < info->ninterps && n < sizeof ids - 24; i++)
			n += (size_t)snprintf(ids + n, sizeof ids - n, "%s%lld", i ? ", " : "",
					      (long long)info->interps[i].id);
		hi_addrset_free(&seen);
		hi_error("%s: no interpreter has id %lld (its interpreters: %s; see info)", who, (long long)only, ids);
		hi_error_class(HI_E_USAGE);
		return -1;
	}
	if (only >= 0 && (!hi_has(l->is_gc) && info->ninterps > 1)) {
		hi_addrset_free(&seen);
		hi_error("%s: CPython %s keeps one set of GC lists for all its interpreters: a census of one of them cannot be told apart; take the whole census (without -interp)",
			 who, py->version);
		hi_error_class(HI_E_USAGE);
		return -1;
	}
	for (int i = 0; i < info->ninterps && !stop; i++) {
		struct hi_interp *in = &info->interps[i];
		if (only >= 0 && i != chosen)
			continue;
		for (int k = 0; k < in->nlists && !stop; k++) {
			int r = walk_list(py, &in->lists[k], &seen, fn, arg, i, &stop);
			if (r == -2) {
				hi_addrset_free(&seen);
				hi_error("%s: out of memory walking the GC lists; the target was let go at once; free memory or raise heapinspect's limit (ulimit -v) and retry",
					 who);
				return -1;
			}
			if (r < 0) {
				if (hi_mem_target_gone(py->mem)) {
					hi_addrset_free(&seen);
					hi_error("%s: the process exited during the walk", who);
					hi_error_class(HI_E_GONE);
					return -1;
				}
				in->lists[k].broken = 1;
			}
			info->objects += in->lists[k].count;
			info->broken_lists += in->lists[k].broken;
		}
	}
	hi_addrset_free(&seen);
	return 0;
}
