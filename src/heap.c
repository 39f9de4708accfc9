/* heap.c: see heap.h.  */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "heap.h"
#include "identity.h"
#include "interrupt.h"
#include "kind.h"
#include "pysize.h"
#include "referents.h"
#include "u64map.h"

struct objvec {
	uint64_t *addr;
	size_t n, cap;
};

static int vec_push(struct objvec *v, uint64_t x)
{
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 65536;
		uint64_t *na = realloc(v->addr, ncap * sizeof *na);
		if (!na)
			return -1;
		v->addr = na;
		v->cap = ncap;
	}
	v->addr[v->n++] = x;
	return 0;
}

/* The closure walk: a visited set and an explicit stack (no recursion,
 * whatever the depth of the heap).  */
struct closure {
	struct u64map seen;
	struct objvec stack;
	struct hi_heap_diag *diag;
	int oom;
};

static void reach(uint64_t ref, void *arg)
{
	struct closure *w = arg;
	if (ref & 7) {	/* objects are at least 8-byte aligned */
		w->diag->bad_ptr++;
		return;
	}
	int r = u64map_add(&w->seen, ref, 1);
	if (r < 0 || (r == 1 && vec_push(&w->stack, ref) < 0))
		w->oom = 1;
}

static int gc_root(uint64_t obj, int interp, void *arg)
{
	(void)interp;
	struct closure *w = arg;
	w->diag->gc_objects++;
	reach(obj, w);
	return w->oom;
}

/* Walk from the roots; the objects found, in order, go to OUT.  */
static int close_over(struct hi_py *py, struct closure *w, struct objvec *out)
{
	unsigned long polled = 0;
	while (w->stack.n && !w->oom) {
		if ((++polled & 0xffff) == 0 && hi_interrupted())
			return 1;	/* cancelled: unwind, the caller resumes */
		uint64_t obj = w->stack.addr[--w->stack.n];
		struct hi_type *t = hi_py_type(py, hi_py_type_of(py, obj));
		if (!t) {
			w->diag->bad_type++;
			continue;
		}
		if (vec_push(out, obj) < 0)
			return -1;
		switch (hi_referents(py, obj, t, reach, w)) {
		case HI_REF_UNDECODED: w->diag->undecoded++; break;
		case HI_REF_GENERIC: w->diag->generic++; break;
		case HI_REF_BAD: w->diag->inconsistent++; break;
		default: break;
		}
	}
	return w->oom ? -1 : 0;
}

int hi_heap_census(struct hi_py *py, const struct hi_heap_opts *opts, struct hi_census *c,
		   struct hi_gcinfo *info, struct hi_heap_diag *diag, const char *who)
{
	enum hi_partition by = opts->by;
	struct objvec v = { 0 };
	struct closure w = { .diag = diag };
	memset(diag, 0, sizeof *diag);
	u64map_init(&w.seen);
	py->bad_reads = 0;
	int rc = hi_gc_walk(py, info, gc_root, &w, who);
	for (int i = 0; rc == 0 && i < info->ninterps; i++)
		diag->frames += hi_thread_roots(py, info->interps[i].addr, reach, &w);
	if (rc == 0) {
		int r = close_over(py, &w, &v);
		if (r > 0) {
			hi_error("%s: interrupted after %zu objects; the target runs on", who, v.n);
			rc = -1;
		} else if (r < 0) {
			hi_error("%s: out of memory after %zu objects", who, v.n);
			rc = -1;
		}
	}
	u64map_free(&w.seen);
	free(w.stack.addr);
	if (rc < 0) {
		free(v.addr);
		return -1;
	}
	hi_kind_load_aliases(py);

	/* dict address -> lowest owner address (heapy takes the first edge of
	 * its sorted owner graph).  */
	struct u64map owners, kind_of_type, dict_kind_of_type;
	u64map_init(&owners);
	u64map_init(&kind_of_type);
	u64map_init(&dict_kind_of_type);
	if (by == HI_BY_KIND)
		for (size_t i = 0; i < v.n; i++) {
			struct hi_type *t = hi_py_type(py, hi_py_type_of(py, v.addr[i]));
			if (!t)
				continue;
			uint64_t d = hi_py_owned_dict(py, v.addr[i], t);
			if (!d)
				continue;
			uint64_t *o = u64map_get(&owners, d);
			if (!o)
				u64map_put(&owners, d, v.addr[i]);
			else if (v.addr[i] < *o)
				*o = v.addr[i];
		}

	uint32_t no_owner = by == HI_BY_KIND ? hi_census_kind(c, "dict (no owner)") : 0;
	for (size_t i = 0; i < v.n; i++) {
		uint64_t obj = v.addr[i];
		struct hi_type *t = hi_py_type(py, hi_py_type_of(py, obj));
		if (!t)
			continue;	/* counted by the walk */
		if (opts->baseline || opts->record) {
			uint64_t key = hi_identity_key(py, obj, t);
			if (opts->record && u64map_put(opts->record, obj, key) < 0) {
				rc = -1;
				break;
			}
			if (opts->baseline && hi_baseline_has(opts->baseline, obj, key))
				continue;	/* an old object */
		}
		uint32_t kind;
		uint64_t *k;
		if (by == HI_BY_KIND && t->builtin == HI_B_DICT) {
			uint64_t *o = u64map_get(&owners, obj);
			struct hi_type *ot = o ? hi_py_type(py, hi_py_type_of(py, *o)) : NULL;
			if (!ot) {
				kind = no_owner;
			} else if ((k = u64map_get(&dict_kind_of_type, ot->addr))) {
				kind = (uint32_t)*k;
			} else {
				char name[600];
				snprintf(name, sizeof name, "dict of %s", hi_kind_type_name(py, ot));
				kind = hi_census_kind(c, name);
				u64map_put(&dict_kind_of_type, ot->addr, kind);
			}
		} else if ((k = u64map_get(&kind_of_type, t->addr))) {
			kind = (uint32_t)*k;
		} else {
			kind = hi_census_kind(c, hi_kind_type_name(py, t));
			u64map_put(&kind_of_type, t->addr, kind);
		}
		if (kind == UINT32_MAX)
			continue;
		hi_census_add(c, kind, hi_py_sizeof(py, obj, t));
	}
	diag->bad_reads = py->bad_reads;
	if (rc < 0)
		hi_error("%s: out of memory recording %zu objects", who, v.n);
	u64map_free(&owners);
	u64map_free(&kind_of_type);
	u64map_free(&dict_kind_of_type);
	free(v.addr);
	return rc;
}
