/* heap.c: see heap.h.  */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "heap.h"
#include "kind.h"
#include "pysize.h"
#include "u64map.h"

struct objvec {
	uint64_t *addr;
	size_t n, cap;
};

static int collect(uint64_t obj, int interp, void *arg)
{
	(void)interp;
	struct objvec *v = arg;
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 65536;
		uint64_t *na = realloc(v->addr, ncap * sizeof *na);
		if (!na)
			return 1;
		v->addr = na;
		v->cap = ncap;
	}
	v->addr[v->n++] = obj;
	return 0;
}

/* The address of OBJ's __dict__ pointer, as _PyObject_GetDictPtr finds it,
 * without creating anything: the managed-dict slot before the object
 * (3.11+), or tp_dictoffset (negative: counted from the end of a
 * variable-size object).  0 if it has none.  */
static uint64_t dict_ptr_addr(struct hi_py *py, uint64_t obj, const struct hi_type *t)
{
	if (py->managed_dict_flag && (t->flags & py->managed_dict_flag))
		return obj - 3 * 8;
	if (t->dictoffset > 0)
		return obj + (uint64_t)t->dictoffset;
	if (t->dictoffset < 0) {
		int64_t n;
		if (hi_mem_i64(py->mem, obj + py->l.ob_size.off, &n) < 0)
			return 0;
		if (n < 0)
			n = -n;
		uint64_t size = (uint64_t)t->basicsize + (uint64_t)n * (uint64_t)t->itemsize;
		size = (size + 7) & ~7ull;
		return obj + size + (uint64_t)t->dictoffset;
	}
	return 0;
}

/* The dict OBJ owns, or 0.  */
static uint64_t owned_dict(struct hi_py *py, uint64_t obj, const struct hi_type *t)
{
	uint64_t slot = dict_ptr_addr(py, obj, t), d;
	if (!slot || hi_mem_u64(py->mem, slot, &d) < 0)
		return 0;
	/* 3.12's managed slot holds values instead of a dict when tagged. */
	if (d & 1)
		return 0;
	return d;
}

int hi_heap_census(struct hi_py *py, enum hi_partition by, struct hi_census *c, struct hi_gcinfo *info,
		   struct hi_heap_diag *diag, const char *who)
{
	struct objvec v = { 0 };
	memset(diag, 0, sizeof *diag);
	py->bad_reads = 0;
	if (hi_gc_walk(py, info, collect, &v, who) < 0) {
		free(v.addr);
		return -1;
	}
	if (v.n < info->objects) {
		free(v.addr);
		hi_error("%s: out of memory collecting %llu objects", who, (unsigned long long)info->objects);
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
			uint64_t d = owned_dict(py, v.addr[i], t);
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
		if (!t) {
			diag->bad_type++;
			continue;
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
	u64map_free(&owners);
	u64map_free(&kind_of_type);
	u64map_free(&dict_kind_of_type);
	free(v.addr);
	return 0;
}
