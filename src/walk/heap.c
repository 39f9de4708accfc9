/* heap.c: see heap.h.  */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/error.h"
#include "util/addrset.h"
#include "walk/heap.h"
#include "python/identity.h"
#include "util/interrupt.h"
#include "python/kind.h"
#include "python/pysize.h"
#include "walk/referents.h"
#include "walk/roots.h"
#include "util/u64map.h"

/* visit() to count(): the object's contents did not check out.  */
#define BAD_OBJECT 0x100u

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

/* Kind ids in census C: each type's and its instances' dicts', by the
 * type's index: [2i] and [2i + 1], UINT32_MAX until named.  */
struct kinds {
	struct hi_census *c;
	uint32_t *ids;
	size_t n;
	uint32_t no_owner;
};

/* One census: a walk with an explicit stack (no recursion, whatever the
 * depth of the heap) and a visited set, that classifies each object as it
 * first meets it.  Exact dicts wait to the end, when every owner is known. */
struct walk {
	struct hi_py *py;
	const struct hi_heap_opts *opts;
	struct hi_census *c;
	struct hi_heap_diag *diag;
	struct hi_addrset seen;
	struct objvec stack;
	struct objvec dicts;	/* exact dicts to name once owners are known;
				 * bit 0 set: reached only by hidden references */
	struct objvec later;	/* targets of hidden references, for phase 2 */
	uint64_t later_memo[64];	/* recently deferred: arrays share dtypes and bases */
	struct u64map owners;	/* dict -> its lowest-addressed owner */
	struct kinds counted;	/* the census's kinds */
	/* The graph (opts->graph): the object being visited, the kinds of
	 * every object walked, and the dicts whose owner is not known yet
	 * (by number).  */
	struct hi_heapgraph *g;
	uint32_t cur;
	struct kinds all;
	struct {
		uint32_t *v;
		size_t n, cap;
	} g_dicts;
	int oom;
};

static void reach(uint64_t ref, void *arg)
{
	struct walk *w = arg;
	/* Out of memory: nothing more is recorded, and no allocation is
	 * tried again for each of the millions of referents still to come
	 * (each failing realloc is a system call while the target waits). */
	if (w->oom)
		return;
	if (ref & 7) {	/* objects are at least 8-byte aligned */
		w->diag->bad_ptr++;
		return;
	}
	/* A garbage pointer into memory the set has not met costs it a
	 * bitmap: only readable memory may (a corrupt heap could otherwise
	 * make the set grow without bound).  */
	uint64_t word;
	if (!hi_addrset_covers(&w->seen, ref) && hi_mem_u64(w->py->mem, ref, &word) < 0) {
		w->diag->bad_ptr++;
		return;
	}
	if (w->cur != UINT32_MAX)
		hi_heapgraph_ref(w->g, ref);
	int r = hi_addrset_add(&w->seen, ref);
	if (r < 0 || (r == 1 && vec_push(&w->stack, ref) < 0))
		w->oom = 1;
}

/* A reference gc.get_referents does not report: followed after all the
 * others, so that what only such references reach is known (phase 2).  */
static void reach_hidden(uint64_t ref, void *arg)
{
	struct walk *w = arg;
	if (w->oom)
		return;
	if (ref & 7) {
		w->diag->bad_ptr++;
		return;
	}
	if (w->cur != UINT32_MAX)
		hi_heapgraph_ref(w->g, ref);
	unsigned m = (unsigned)((ref * 0x9E3779B97F4A7C15ull) >> 58);
	if (w->later_memo[m] == ref || hi_addrset_has(&w->seen, ref))
		return;
	w->later_memo[m] = ref;
	if (vec_push(&w->later, ref) < 0)
		w->oom = 1;
}

static int gc_root(uint64_t obj, int interp, void *arg)
{
	(void)interp;
	struct walk *w = arg;
	w->diag->gc_objects++;
	reach(obj, w);
	return w->oom;
}

/* The slot of type T's kind (DICT: its instances' dicts') in K, or NULL
 * when out of memory.  */
static uint32_t *kind_slot(struct kinds *k, const struct hi_type *t, int dict)
{
	size_t i = (size_t)t->index * 2 + (size_t)dict;
	if (i >= k->n) {
		size_t n = k->n ? k->n : 256;
		while (n <= i)
			n *= 2;
		uint32_t *ids = realloc(k->ids, n * sizeof *ids);
		if (!ids)
			return NULL;
		for (size_t j = k->n; j < n; j++)
			ids[j] = UINT32_MAX;
		k->ids = ids;
		k->n = n;
	}
	return &k->ids[i];
}

/* The kind of objects of type T in K's census (not exact dicts by
 * kind).  */
static uint32_t kind_of(struct walk *w, struct kinds *k, struct hi_type *t)
{
	uint32_t *id = kind_slot(k, t, 0);
	if (id && *id == UINT32_MAX)
		*id = hi_census_kind(k->c, hi_kind_type_name(w->py, t));
	return id ? *id : UINT32_MAX;
}

/* "dict of X" for dicts owned by objects of type OT.  */
static uint32_t dict_kind_of(struct walk *w, struct kinds *k, struct hi_type *ot)
{
	uint32_t *id = kind_slot(k, ot, 1);
	if (id && *id == UINT32_MAX) {
		char name[600];
		snprintf(name, sizeof name, "dict of %s", hi_kind_type_name(w->py, ot));
		*id = hi_census_kind(k->c, name);
	}
	return id ? *id : UINT32_MAX;
}

/* The owner's type of dict D, if an owner is known.  */
static struct hi_type *owner_type(struct walk *w, uint64_t d)
{
	uint64_t *own = u64map_get(&w->owners, d);
	return own ? hi_py_type(w->py, hi_py_type_of(w->py, *own)) : NULL;
}

/* OBJ's sys.getsizeof size.  */
static uint64_t size_of(struct walk *w, uint64_t obj, struct hi_type *t, unsigned flags)
{
	if (t->fixed_size == UINT64_MAX)	/* first of its type in this census */
		t->fixed_size = hi_type_fixed_size(w->py, t);
	if (!t->static_type && hi_type_python_sizeof(w->py, t))
		t->walked.sizeof_python++;
	/* An object whose contents did not check out (a deque whose blocks
	 * loop, a list whose items run into untouched memory) is counted at
	 * its fixed part, without reading the fields that would size the
	 * rest: its variable part was not seen, and the census says Partial
	 * (inconsistent).  */
	uint64_t size = t->fixed_size;
	if (!size)
		size = (flags & BAD_OBJECT) ? (uint64_t)t->basicsize : hi_py_sizeof(w->py, obj, t);
	return size;
}

static void count(struct walk *w, uint64_t obj, struct hi_type *t, uint64_t size, uint32_t kind, unsigned flags)
{
	if (kind == UINT32_MAX) {
		w->oom = 1;
		return;
	}
	hi_census_add(w->c, kind, size);
	if (flags & HI_OBSERVE_HIDDEN)
		w->diag->hidden++;
	if (w->opts->observe)
		w->opts->observe(w->opts->observe_arg, obj, t, size, kind, flags & ~BAD_OBJECT);
}

static void visit(struct walk *w, uint64_t obj, struct hi_type *t, unsigned flags)
{
	struct hi_py *py = w->py;
	const struct hi_heap_opts *o = w->opts;
	uint32_t v = UINT32_MAX;	/* its number in the graph */
	if (w->g) {
		v = hi_heapgraph_node(w->g, obj);
		w->cur = v;	/* reach() records its references */
	}
	if (!hi_type_is_leaf(py, t))
		switch (hi_referents(py, obj, t, reach, w)) {
		case HI_REF_UNDECODED: t->walked.undecoded++; break;
		case HI_REF_GENERIC: t->walked.generic++; break;
		case HI_REF_EMULATED: t->walked.emulated++; break;
		case HI_REF_BAD:
			w->diag->inconsistent++;
			flags |= BAD_OBJECT;
			break;
		default: break;
		}
	if (hi_type_has_hidden(t))
		hi_referents_hidden(py, obj, t, reach_hidden, w);
	w->cur = UINT32_MAX;
	/* Owners first: an old object may own a new dict.  */
	if ((o->by == HI_BY_KIND || w->g) && (t->dictoffset || (py->managed && (t->flags & py->managed_dict_flag)))) {
		uint64_t d = hi_py_owned_dict(py, obj, t);
		if (d) {
			uint64_t *own = u64map_get(&w->owners, d);
			if (!own) {
				if (u64map_put(&w->owners, d, obj) < 0)
					w->oom = 1;
			} else if (obj < *own) {
				*own = obj;
			}
		}
	}
	/* The walk meets an owner before its __dict__ as a rule (the dict is
	 * one of the owner's referents): a dict is named at once.  Only a
	 * dict reached some other way first waits for the end.  (heapy takes
	 * the lowest-addressed owner when several objects share a dict; here
	 * the first one met wins, which differs only when they are of
	 * different types.)  */
	int is_dict = t->builtin == HI_B_DICT;
	struct hi_type *ot = is_dict ? owner_type(w, obj) : NULL;
	uint64_t size = UINT64_MAX;
	if (v != UINT32_MAX) {
		struct hi_heapgraph *g = w->g;
		size = g->size[v] = size_of(w, obj, t, flags);
		uint64_t rc;
		if (hi_mem_u64(py->mem, obj + py->l.ob_refcnt.off, &rc) == 0)
			g->refcnt[v] = rc > UINT32_MAX ? UINT32_MAX : (uint32_t)rc;
		g->flags[v] = (flags & HI_OBSERVE_HIDDEN) ? HI_HG_HIDDEN : 0;
		if (is_dict && !ot) {
			if (w->g_dicts.n == w->g_dicts.cap) {
				size_t cap = w->g_dicts.cap ? w->g_dicts.cap * 2 : 4096;
				uint32_t *nv = realloc(w->g_dicts.v, cap * sizeof *nv);
				if (!nv) {
					w->oom = 1;
					return;
				}
				w->g_dicts.v = nv;
				w->g_dicts.cap = cap;
			}
			w->g_dicts.v[w->g_dicts.n++] = v;
		} else {
			uint32_t k = ot ? dict_kind_of(w, &w->all, ot) : kind_of(w, &w->all, t);
			if (k == UINT32_MAX) {
				w->oom = 1;
				return;
			}
			g->kind[v] = k;
			hi_census_add(&g->kinds, k, size);
		}
	}
	if (o->baseline || o->record || (o->mark && v != UINT32_MAX)) {
		uint64_t key = hi_identity_key(py, obj, t);
		if (o->mark && v != UINT32_MAX && hi_baseline_has(o->mark, obj, key))
			w->g->flags[v] |= HI_HG_OLD;
		if (o->record && hi_keyset_add(o->record, obj, key) < 0)
			w->oom = 1;
		if (o->baseline && hi_baseline_has(o->baseline, obj, key)) {
			if (v != UINT32_MAX)
				w->g->flags[v] |= HI_HG_OLD;
			return;	/* an old object: walked, not counted */
		}
	}
	if (size == UINT64_MAX)
		size = size_of(w, obj, t, flags);
	if (o->by == HI_BY_KIND && is_dict) {
		if (ot) {
			count(w, obj, t, size, dict_kind_of(w, &w->counted, ot), flags);
			return;
		}
		if (vec_push(&w->dicts, obj | (flags & HI_OBSERVE_HIDDEN)) < 0)
			w->oom = 1;
		return;
	}
	count(w, obj, t, size, kind_of(w, &w->counted, t), flags);
}

/* Visit everything on the stack and what it reaches.  Returns 0, 1 when
 * interrupted, -1 out of memory.  */
static int drain(struct walk *w, unsigned flags, unsigned long *polled)
{
	struct hi_py *py = w->py;
	while (w->stack.n && !w->oom) {
		if ((++*polled & 0xffff) == 0) {
			if (hi_interrupted())
				return 1;	/* cancelled: unwind, the caller resumes */
			if (w->opts->progress)
				w->opts->progress(w->opts->progress_arg, *polled);
		}
		if (w->opts->max_objects && w->c->objects >= w->opts->max_objects) {
			w->diag->truncated = 1;
			break;
		}
		uint64_t obj = w->stack.addr[--w->stack.n];
		struct hi_type *t = hi_py_type(py, hi_py_type_of(py, obj));
		if (!t) {
			w->diag->bad_type++;
			continue;
		}
		visit(w, obj, t, flags);
	}
	return w->oom ? -1 : 0;
}

/* Walk from the roots: phase 1 follows every reference gc.get_referents
 * reports (and heapy's additions); phase 2 then what only hidden
 * references reach.  Returns 0, 1 when interrupted, -1 out of memory. */
static int close_over(struct walk *w)
{
	struct hi_py *py = w->py;
	unsigned long polled = 0;
	int r = drain(w, 0, &polled);
	while (r == 0 && w->later.n && !w->diag->truncated) {
		reach(w->later.addr[--w->later.n], w);	/* the same checks as any referent */
		r = drain(w, HI_OBSERVE_HIDDEN, &polled);
	}
	if (r)
		return r;
	/* Now every owner is known: name the dicts.  */
	for (size_t i = 0; i < w->dicts.n && !w->oom; i++) {
		uint64_t d = w->dicts.addr[i] & ~7ull;
		unsigned flags = (unsigned)(w->dicts.addr[i] & HI_OBSERVE_HIDDEN);
		struct hi_type *t = hi_py_type(py, hi_py_type_of(py, d));
		struct hi_type *ot = owner_type(w, d);
		if (t)
			count(w, d, t, size_of(w, d, t, flags), ot ? dict_kind_of(w, &w->counted, ot) : w->counted.no_owner,
			      flags);
	}
	for (size_t i = 0; w->g && i < w->g_dicts.n && !w->oom; i++) {
		uint32_t v = w->g_dicts.v[i];
		struct hi_type *ot = owner_type(w, w->g->addr[v]);
		uint32_t k = ot ? dict_kind_of(w, &w->all, ot) : w->all.no_owner;
		if (k == UINT32_MAX)
			w->oom = 1;
		else {
			w->g->kind[v] = k;
			hi_census_add(&w->g->kinds, k, w->g->size[v]);
		}
	}
	return w->oom ? -1 : 0;
}

static void named_root(uint64_t obj, const char *name, void *arg)
{
	hi_heapgraph_root(arg, obj, name);
}

uint64_t hi_heap_skipped(const struct hi_heap_diag *diag, uint64_t broken_lists)
{
	return diag->bad_type + diag->bad_ptr + diag->inconsistent + diag->bad_reads + broken_lists;
}

int hi_heap_census(struct hi_py *py, const struct hi_heap_opts *opts, struct hi_census *c,
		   struct hi_gcinfo *info, struct hi_heap_diag *diag, const char *who)
{
	struct walk w = { .py = py, .opts = opts, .c = c, .diag = diag, .g = opts->graph, .cur = UINT32_MAX };
	memset(diag, 0, sizeof *diag);
	hi_addrset_init(&w.seen);
	u64map_init(&w.owners);
	py->bad_reads = 0;
	/* Precomputed facts are taken afresh by each census (kind ids are
	 * the walk's own, in w.kinds).  */
	for (size_t i = 0; i < py->ntypes; i++) {
		py->types[i]->leaf = -1;
		py->types[i]->fixed_size = UINT64_MAX;
		memset(&py->types[i]->walked, 0, sizeof py->types[i]->walked);
	}
	hi_kind_load_aliases(py);
	w.counted.c = c;
	w.counted.no_owner = opts->by == HI_BY_KIND ? hi_census_kind(c, "dict (no owner)") : 0;
	if (w.g) {
		w.all.c = &w.g->kinds;
		w.all.no_owner = hi_census_kind(&w.g->kinds, "dict (no owner)");
	}

	int rc = 0;
	if (opts->nroots) {
		memset(info, 0, sizeof *info);
		for (size_t i = 0; i < opts->nroots; i++)
			reach(opts->roots[i], &w);
	} else {
		rc = hi_gc_walk(py, info, opts->interp_set ? opts->interp_id : -1, gc_root, &w, who);
		for (int i = 0; rc == 0 && i < info->ninterps; i++)
			if (!opts->interp_set || info->interps[i].id == opts->interp_id)
				diag->frames += hi_thread_roots(py, info->interps[i].addr, reach, &w);
	}
	if (rc == 0) {
		int r = close_over(&w);
		if (r > 0) {
			hi_error("%s: interrupted after %llu objects; the target runs on", who,
				 (unsigned long long)c->objects);
			rc = -1;
		} else if (r < 0) {
			hi_error("%s: out of memory after %llu objects; the target was let go at once; free memory or raise heapinspect's limit (ulimit -v) and retry",
				 who, (unsigned long long)c->objects);
			rc = -1;
		}
	}
	if (rc == 0 && w.g) {
		/* The main interpreter last, unprefixed.  */
		for (int i = 0; !opts->nroots && i < info->ninterps; i++) {
			char prefix[48] = "";
			if (opts->interp_set && info->interps[i].id != opts->interp_id)
				continue;
			if (i < info->ninterps - 1)
				snprintf(prefix, sizeof prefix, "interpreter %lld: ", (long long)info->interps[i].id);
			hi_named_roots(py, info->interps[i].addr, prefix, named_root, w.g);
		}
		hi_heapgraph_walked(w.g, &w.seen);
	}
	diag->bad_reads = py->bad_reads;
	if (!opts->nroots) {
		c->interps = opts->interp_set ? 1 : info->ninterps;
		c->interp = opts->interp_set ? opts->interp_id : -1;
	}
	/* What the walk and pysize counted type by type, in all.  */
	for (size_t i = 0; i < py->ntypes; i++) {
		const struct hi_type_walked *tw = &py->types[i]->walked;
		diag->undecoded += tw->undecoded;
		diag->generic += tw->generic;
		diag->emulated += tw->emulated;
		diag->sizeof_emulated += tw->sizeof_emulated;
		diag->sizeof_failed += tw->sizeof_failed;
		diag->sizeof_python += tw->sizeof_python;
	}
	hi_addrset_free(&w.seen);
	u64map_free(&w.owners);
	free(w.counted.ids);
	free(w.all.ids);
	free(w.g_dicts.v);
	free(w.stack.addr);
	free(w.dicts.addr);
	free(w.later.addr);
	return rc;
}
