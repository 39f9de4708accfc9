/* referents.c: see referents.h.  */
#include "config.h"
#include <string.h>
#include "util/interrupt.h"
#include "util/loop.h"
#include "python/member.h"
#include "python/numpy.h"
#include "walk/referents.h"
#include "python/emucall.h"
#include "python/typetable.h"

#define PTR 8
/* Bounds on counts read from the target: beyond them memory is garbage. */
#define MAX_ITEMS (1ll << 31)
#define MAX_FRAME_SLOTS (1 << 20)
#define MAX_MEMBERS 1024
#define MAX_SLOT_BASES 64
/* PyMemberDef types holding a strong reference (structmember.h: T_OBJECT
 * and T_OBJECT_EX; Py_T_OBJECT_EX keeps the value in 3.12).  */
#define T_OBJECT 6
#define T_OBJECT_EX 16

static int rd_ptr(struct hi_py *py, uint64_t addr, struct hi_mbr m, uint64_t *out)
{
	return hi_member_ptr(py->mem, addr, m, out);
}

static int rd_int(struct hi_py *py, uint64_t addr, struct hi_mbr m, int64_t *out)
{
	return hi_member_int(py->mem, addr, m, out);
}

static void visit_ptr(struct hi_py *py, uint64_t addr, hi_ref_fn fn, void *arg)
{
	uint64_t p;
	if (hi_mem_u64(py->mem, addr, &p) == 0 && p)
		fn(p, arg);
}

/* Report N pointers stored at ADDR, read in bulk.  -1 if unreadable,
 * interrupted, or, when DENSE (a list's or tuple's items, a deque's
 * block: never NULL in a consistent object), when a whole buffer of 512
 * slots is NULL: a count that runs into memory never written (a
 * corrupt size, or a pointer into untouched pages) ends there, after 4
 * KiB, instead of after reading gigabytes of zeros.  */
static int visit_array_x(struct hi_py *py, uint64_t addr, int64_t n, int dense, hi_ref_fn fn, void *arg)
{
	uint64_t buf[512];
	if (n < 0 || n > MAX_ITEMS)
		return -1;
	for (int64_t i = 0; i < n;) {
		int64_t k = n - i < 512 ? n - i : 512;
		if (hi_mem_read(py->mem, addr + i * PTR, buf, k * PTR) < 0)
			return -1;
		int any = 0;
		for (int64_t j = 0; j < k; j++)
			if (buf[j]) {
				fn(buf[j], arg);
				any = 1;
			}
		if (dense && !any && k == 512)
			return -1;
		i += k;
		/* A long array is a long pause: let Ctrl-C end it.  */
		if ((i & 0xffff) == 0 && hi_interrupted())
			return -1;
	}
	return 0;
}

static int visit_array(struct hi_py *py, uint64_t addr, int64_t n, hi_ref_fn fn, void *arg)
{
	return visit_array_x(py, addr, n, 0, fn, arg);
}

static void visit_first_members(struct hi_py *py, uint64_t obj, int desc, int n, hi_ref_fn fn, void *arg)
{
	for (int k = 0; k < n; k++)
		if (py->desc_off[desc][k] != HI_ABSENT)
			visit_ptr(py, obj + py->desc_off[desc][k], fn, arg);
}

static void visit_members(struct hi_py *py, uint64_t obj, int desc, hi_ref_fn fn, void *arg)
{
	visit_first_members(py, obj, desc, HI_DESC_MEMBERS, fn, arg);
}

static int desc_has_members(struct hi_py *py, int desc)
{
	for (int k = 0; k < HI_DESC_MEMBERS; k++)
		if (py->desc_off[desc][k] != HI_ABSENT)
			return 1;
	return 0;
}

static int64_t ob_size(struct hi_py *py, uint64_t obj)
{
	int64_t n;
	return rd_int(py, obj, py->l.ob_size, &n) == 0 ? n : -1;
}

/* ---- containers ---- */

static int tuple_refs(struct hi_py *py, uint64_t obj, hi_ref_fn fn, void *arg)
{
	return visit_array_x(py, obj + py->l.tuple_items.off, ob_size(py, obj), 1, fn, arg);
}

static int list_refs(struct hi_py *py, uint64_t obj, hi_ref_fn fn, void *arg)
{
	uint64_t items;
	int64_t n = ob_size(py, obj), alloc;
	if (rd_ptr(py, obj, py->l.list_items, &items) < 0 || rd_int(py, obj, py->l.list_allocated, &alloc) < 0 ||
	    n < 0 || n > alloc)
		return -1;
	return n ? visit_array_x(py, items, n, 1, fn, arg) : 0;
}

struct dict_visit {
	hi_ref_fn fn;
	void *arg;
	int keys;
};

static int dict_entry(uint64_t key, uint64_t value, void *arg)
{
	struct dict_visit *v = arg;
	v->fn(value, v->arg);
	if (v->keys)
		v->fn(key, v->arg);
	return 0;
}

int hi_dict_visits(struct hi_py *py, uint64_t obj, int all_keys)
{
	uint64_t keys, lookup, values, embedded;
	struct hi_dictkeys k;
	/* 3.13: a dict made of an instance's inline values leaves them to
	 * the instance (dict_traverse skips embedded values); its keys are
	 * all str.  */
	if (hi_has(py->l.dv_embedded) && rd_ptr(py, obj, py->l.ma_values, &values) == 0 && values &&
	    hi_mem_uint(py->mem, values + py->l.dv_embedded.off, 1, &embedded) == 0 && embedded)
		return 0;
	if (all_keys)
		return HI_DICT_VALUES | HI_DICT_KEYS;
	if (rd_ptr(py, obj, py->l.ma_keys, &keys) < 0 || hi_py_dictkeys(py, keys, &k) < 0)
		return -1;
	if (k.kind >= 0)
		return HI_DICT_VALUES | (k.kind == 0 ? HI_DICT_KEYS : 0);	/* DICT_KEYS_GENERAL */
	return HI_DICT_VALUES |
	       (rd_ptr(py, keys, py->l.dk_lookup, &lookup) == 0 && lookup == py->lookdict_fn ? HI_DICT_KEYS : 0);
}

/* dict_traverse: values, and keys too unless all keys are str (a str key
 * cannot be part of a cycle, so CPython skips them, and so does heapy).
 * ALL_KEYS: every key, as odict_traverse visits each node's key (the
 * same objects as the dict's keys).  */
static int dict_refs(struct hi_py *py, uint64_t obj, int all_keys, hi_ref_fn fn, void *arg)
{
	int what = hi_dict_visits(py, obj, all_keys);
	if (what <= 0)
		return what;
	struct dict_visit v = { fn, arg, (what & HI_DICT_KEYS) != 0 };
	return hi_py_dict_foreach(py, obj, dict_entry, &v);
}

static int set_refs(struct hi_py *py, uint64_t obj, hi_ref_fn fn, void *arg)
{
	uint64_t table;
	int64_t mask;
	const struct hi_layout *l = &py->l;
	if (rd_ptr(py, obj, l->set_table, &table) < 0 || rd_int(py, obj, l->set_mask, &mask) < 0 || mask < 0 ||
	    mask >= MAX_ITEMS || ((mask + 1) & mask))
		return -1;
	/* The table holds FILL keys and dummies: once all are found, the
	 * rest is empty, so a corrupt mask costs no more than the real
	 * table.  */
	int64_t fill = -1;
	if (hi_has(l->set_fill) && (rd_int(py, obj, l->set_fill, &fill) < 0 || fill < 0 || fill > mask + 1))
		return -1;
	unsigned char buf[8192];
	uint64_t esize = l->sizeof_setentry, per = sizeof buf / esize;
	int64_t found = 0;
	for (int64_t i = 0; i <= mask && (fill < 0 || found < fill);) {
		int64_t k = mask + 1 - i < (int64_t)per ? mask + 1 - i : (int64_t)per;
		if (hi_mem_read(py->mem, table + i * esize, buf, k * esize) < 0)
			return -1;
		for (int64_t j = 0; j < k; j++) {
			uint64_t key;
			memcpy(&key, buf + j * esize + l->setentry_key.off, 8);
			if (key)
				found++;
			if (key && key != py->set_dummy)
				fn(key, arg);
		}
		i += k;
		if ((i & 0xffff) == 0 && hi_interrupted())
			return -1;
	}
	return fill >= 0 && found < fill ? -1 : 0;
}

static int deque_refs(struct hi_py *py, uint64_t obj, hi_ref_fn fn, void *arg)
{
	const struct hi_layout *l = &py->l;
	uint64_t block, blocklen = l->dq_block_data.count;
	int64_t index, n = ob_size(py, obj);
	if (!blocklen || rd_ptr(py, obj, l->dq_leftblock, &block) < 0 || rd_int(py, obj, l->dq_leftindex, &index) < 0 ||
	    n < 0 || n > MAX_ITEMS || index < 0 || (uint64_t)index >= blocklen)
		return -1;
	int64_t blocks = n / (int64_t)blocklen + 2;	/* more means a loop */
	/* A chain that comes back to a block it passed is corrupt: without
	 * this, a block linked to itself with a huge length re-reads one
	 * block for minutes.  */
	struct hi_loop lp = HI_LOOP_INIT;
	while (n > 0) {
		int64_t k = (int64_t)blocklen - index < n ? (int64_t)blocklen - index : n;
		if (!block || blocks-- <= 0 || hi_loop_seen(&lp, block) ||
		    visit_array_x(py, block + l->dq_block_data.off + index * PTR, k, 1, fn, arg) < 0)
			return -1;
		n -= k;
		index = 0;
		if (n > 0 && rd_ptr(py, block, l->dq_rightlink, &block) < 0)
			return -1;
		if ((blocks & 0x3ff) == 0 && hi_interrupted())
			return -1;
	}
	return 0;
}

/* ---- frames ---- */

/* An interpreter frame (3.11+): its function, code, locals dict, frame
 * object, and the live part of localsplus (locals, cells, stack).  */
int hi_iframe_referents(struct hi_py *py, uint64_t f, hi_ref_fn fn, void *arg)
{
	const struct hi_layout *l = &py->l;
	int64_t top;
	visit_ptr(py, f + l->iframe_frame_obj.off, fn, arg);
	visit_ptr(py, f + l->iframe_locals.off, fn, arg);
	visit_ptr(py, f + l->iframe_func.off, fn, arg);
	visit_ptr(py, f + l->iframe_code.off, fn, arg);
	if (rd_int(py, f, l->iframe_stacktop, &top) < 0 || top < -1 || top > MAX_FRAME_SLOTS)
		return -1;
	if (top == -1) {
		/* The frame runs (the innermost of its thread, in a call to C):
		 * its stack pointer lives in the evaluation loop, so only the
		 * locals, cells and frees are known, co_nlocalsplus of them
		 * (unset ones are NULL).  */
		uint64_t code;
		int64_t n;
		if (rd_ptr(py, f, l->iframe_code, &code) < 0 || !hi_py_is(py, code, HI_B_CODE) ||
		    rd_int(py, code, l->co_nlocalsplus, &n) < 0 || n < 0 || n > MAX_FRAME_SLOTS)
			return 0;
		return visit_array(py, f + l->iframe_localsplus.off, n, fn, arg);
	}
	return visit_array(py, f + l->iframe_localsplus.off, top, fn, arg);
}

static int frame_refs(struct hi_py *py, uint64_t obj, struct hi_type *t, hi_ref_fn fn, void *arg)
{
	const struct hi_layout *l = &py->l;
	visit_members(py, obj, t->desc, fn, arg);
	if (hi_has(l->f_frame)) {	/* 3.11+: the data is an interpreter frame */
		uint64_t f;
		if (rd_ptr(py, obj, l->f_frame, &f) < 0 || !f)
			return -1;
		return hi_iframe_referents(py, f, fn, arg);
	}
	/* 3.8-3.10: locals, cells and frees, then the value stack.  */
	uint64_t code, cells = 0, frees = 0, stack;
	int64_t nlocals;
	if (rd_ptr(py, obj, l->f_code, &code) < 0 || !code || rd_int(py, code, l->co_nlocals, &nlocals) < 0)
		return -1;
	rd_ptr(py, code, l->co_cellvars, &cells);
	rd_ptr(py, code, l->co_freevars, &frees);
	int64_t slots = nlocals + (cells ? ob_size(py, cells) : 0) + (frees ? ob_size(py, frees) : 0);
	if (slots < 0 || slots > MAX_FRAME_SLOTS || visit_array(py, obj + l->f_localsplus.off, slots, fn, arg) < 0)
		return -1;
	if (rd_ptr(py, obj, l->f_valuestack, &stack) < 0 || !stack)
		return 0;
	if (hi_has(l->f_stackdepth)) {	/* 3.10: -1 while the frame runs */
		int64_t depth;
		if (rd_int(py, obj, l->f_stackdepth, &depth) < 0 || depth < -1 || depth > MAX_FRAME_SLOTS)
			return -1;
		if (depth == -1)
			return 0;	/* the depth is in the evaluation loop's registers */
		return visit_array(py, stack, depth, fn, arg);
	}
	uint64_t top;	/* 3.8, 3.9: NULL while the frame runs */
	if (rd_ptr(py, obj, l->f_stacktop, &top) < 0 || !top)
		return 0;
	if (top < stack || (top - stack) / PTR > MAX_FRAME_SLOTS)
		return -1;
	return visit_array(py, stack, (int64_t)((top - stack) / PTR), fn, arg);
}

static int gen_refs(struct hi_py *py, uint64_t obj, hi_ref_fn fn, void *arg)
{
	const struct hi_layout *l = &py->l;
	visit_ptr(py, obj + l->gen_name.off, fn, arg);
	visit_ptr(py, obj + l->gen_qualname.off, fn, arg);
	if (hi_has(l->gen_code))
		visit_ptr(py, obj + l->gen_code.off, fn, arg);
	if (!hi_has(l->gen_iframe)) {	/* <= 3.10: a frame object */
		visit_ptr(py, obj + l->gen_frame.off, fn, arg);
		return 0;
	}
	int64_t state;
	if (rd_int(py, obj, l->gen_frame_state, &state) < 0)
		return -1;
	if (l->frame_cleared >= 0 && state >= l->frame_cleared)
		return 0;	/* finished: its frame is gone */
	return hi_iframe_referents(py, obj + l->gen_iframe.off, fn, arg);
}

/* ---- instances of classes ---- */

/* The T_OBJECT members of each type up the base chain: for heap types
 * their __slots__ (as subtype_traverse visits them); with STATIC_TOO, also
 * the members C types declare, up to the first base heapinspect knows.  */
int hi_object_members(struct hi_py *py, struct hi_type *t, int static_too, hi_member_fn fn, void *arg)
{
	const struct hi_layout *l = &py->l;
	struct hi_type *b = t;
	int found = 0;
	for (int depth = 0; b && (static_too || !b->static_type) && depth < MAX_SLOT_BASES; depth++) {
		if (static_too && b != t && b->desc >= 0)
			break;
		uint64_t members;
		if (rd_ptr(py, b->addr, l->tp_members, &members) == 0 && members)
			for (int i = 0; i < MAX_MEMBERS; i++) {
				uint64_t md = members + (uint64_t)i * l->sizeof_memberdef, name;
				int64_t type, off;
				if (rd_ptr(py, md, l->memberdef_name, &name) < 0 || !name ||
				    rd_int(py, md, l->memberdef_type, &type) < 0 ||
				    rd_int(py, md, l->memberdef_offset, &off) < 0)
					break;
				if ((type == T_OBJECT || type == T_OBJECT_EX) && off > 0 && off < b->basicsize) {
					found = 1;
					if (fn(name, (uint64_t)off, arg))
						return found;
				}
			}
		b = b->base ? hi_py_type(py, b->base) : NULL;
	}
	return found;
}

struct member_visit {
	struct hi_py *py;
	uint64_t obj;
	hi_ref_fn fn;
	void *arg;
};

static int member_ref(uint64_t name, uint64_t off, void *arg)
{
	struct member_visit *m = arg;
	(void)name;
	visit_ptr(m->py, m->obj + off, m->fn, m->arg);
	return 0;
}

static int member_refs(struct hi_py *py, uint64_t obj, struct hi_type *t, int static_too, hi_ref_fn fn, void *arg)
{
	struct member_visit m = { py, obj, fn, arg };
	return hi_object_members(py, t, static_too, member_ref, &m);
}

int hi_instance_attrs(struct hi_py *py, uint64_t obj, struct hi_type *t, uint64_t *dict, uint64_t *values, int64_t *n)
{
	const struct hi_layout *l = &py->l;
	uint64_t word, keys;
	struct hi_dictkeys k;
	int managed = py->managed && (t->flags & py->managed_dict_flag);
	*dict = *values = 0;
	*n = 0;
	if (managed && (py->managed == HI_MANAGED_311 || py->managed == HI_MANAGED_312)) {
		uint64_t v = 0;
		if (hi_mem_u64(py->mem, obj - 3 * PTR, &word) < 0)
			return 0;
		if (py->managed == HI_MANAGED_311) {
			if (word)
				*dict = word;
			else if (hi_mem_u64(py->mem, obj - 4 * PTR, &v) < 0)
				v = 0;
		} else if (word & 1) {
			/* Tagged: the word is the values pointer minus one (3.12's
			 * _PyDictOrValues_SetValues).  */
			v = word + 1;
		} else {
			*dict = word;
		}
		if (!v)
			return 0;
		/* The values of the first nentries keys of the type's shared
		 * keys.  */
		if (rd_ptr(py, t->addr, l->ht_cached_keys, &keys) < 0 || !keys || hi_py_dictkeys(py, keys, &k) < 0)
			return -1;
		*values = hi_has(l->dv_values) ? v + l->dv_values.off : v;
		*n = k.nentries;
		return 0;
	}
	if (managed && py->managed == HI_MANAGED_313 && (t->flags & py->inline_values_flag)) {
		/* Values inline after the object; a materialized dict shares them. */
		uint64_t v = obj + (uint64_t)t->basicsize, valid, size;
		if (hi_mem_u64(py->mem, obj - 3 * PTR, &word) == 0 && word)
			*dict = word;
		if (hi_mem_uint(py->mem, v + l->dv_valid.off, 1, &valid) < 0 ||
		    hi_mem_uint(py->mem, v + l->dv_size.off, 1, &size) < 0)
			return -1;
		if (valid) {
			*values = v + l->dv_values.off;
			*n = (int64_t)size;
		}
		return 0;
	}
	*dict = hi_py_owned_dict(py, obj, t);
	return 0;
}

static int instance_dict_refs(struct hi_py *py, uint64_t obj, struct hi_type *t, hi_ref_fn fn, void *arg)
{
	uint64_t dict, values;
	int64_t n;
	if (hi_instance_attrs(py, obj, t, &dict, &values, &n) < 0)
		return -1;
	if (dict)
		fn(dict, arg);
	return n ? visit_array(py, values, n, fn, arg) : 0;
}

/* ---- what is not followed ---- */

/* 1 when T's instances hold references only a C type's tp_traverse
 * knows (struct hi_type's over_c), with 2 when T is that C type itself;
 * 0 when heapinspect decodes what they hold.  Python classes are told
 * from C types by their tp_dealloc, subtype_dealloc; without that symbol
 * or member nothing is said (0).  */
static int over_c_type(struct hi_py *py, struct hi_type *t)
{
	if (t->over_c >= 0)
		return t->over_c;
	int r = 0;
	struct hi_type *b = t;
	if (py->subtype_dealloc_fn && hi_has(py->l.tp_dealloc)) {
		for (int depth = 0; b && depth < MAX_SLOT_BASES && hi_py_is_class(py, b); depth++)
			b = b->base ? hi_py_type(py, b->base) : NULL;
		if (b && b->is_gc && !b->described)
			r = b == t ? 2 : 1;
	}
	t->over_c = (int8_t)r;
	return r;
}

/* ---- the type's own tp_traverse, emulated ---- */

struct emu_visit {
	hi_ref_fn fn;
	void *arg;
};

static void emu_visit(uint64_t obj, void *arg)
{
	struct emu_visit *v = arg;
	v->fn(obj, v->arg);
}

/* Run T's tp_traverse on OBJ in the emulator: 0 when it returned 0 (every
 * object it visited went to FN), -1 when it could not run or did not
 * return (what it visited before went to FN: the walk counts each object
 * once).  Failures are counted by how they ended (py->emu's stats).  */
static int emulate_traverse(struct hi_py *py, uint64_t obj, struct hi_type *t, hi_ref_fn fn, void *arg)
{
	uint64_t traverse, ret = 1;
	struct hi_emu *emu;
	if (py->emu_off || rd_ptr(py, t->addr, py->l.tp_traverse, &traverse) < 0 || !traverse || !(emu = hi_py_emu(py)))
		return -1;
	struct emu_visit v = { fn, arg };
	enum hi_emu_end end = hi_emu_traverse(emu, traverse, obj, emu_visit, &v, HI_EMU_TRAVERSE_BUDGET, &ret);
	return end == HI_EMU_RETURNED && ret == 0 ? 0 : -1;
}

/* ---- dispatch ---- */

enum hi_ref_result hi_referents(struct hi_py *py, uint64_t obj, struct hi_type *t, hi_ref_fn fn, void *arg)
{
	int rc = 0;
	switch (t->family) {
	case HI_B_TUPLE: rc = tuple_refs(py, obj, fn, arg); break;
	case HI_B_LIST: rc = list_refs(py, obj, fn, arg); break;
	case HI_B_DICT: rc = dict_refs(py, obj, 0, fn, arg); break;
	case HI_B_ODICT: rc = dict_refs(py, obj, 1, fn, arg); break;
	case HI_B_SET:
	case HI_B_FROZENSET: rc = set_refs(py, obj, fn, arg); break;
	case HI_B_DEQUE: rc = deque_refs(py, obj, fn, arg); break;
	case HI_B_FRAME: return frame_refs(py, obj, t, fn, arg) < 0 ? HI_REF_BAD : HI_REF_DONE;
	case HI_B_GEN:
	case HI_B_CORO:
	case HI_B_ASYNCGEN: rc = gen_refs(py, obj, fn, arg); break;
	case HI_B_TYPE: {
		/* As heapy follows types: a static type's dict, MRO, bases and
		 * base too (gc.get_referents gives nothing for it, and its
		 * tuples are untracked: nothing else reaches them), and a heap
		 * type's names and __slots__ besides.  A static built-in type's
		 * dict lives in the interpreter from 3.12 (tp_dict is NULL) and
		 * is found on the GC lists.  */
		struct hi_type *self = hi_py_type(py, obj);
		if (self)
			visit_first_members(py, obj, t->desc, self->static_type ? HI_TYPE_OBJECT_MEMBERS : HI_DESC_MEMBERS,
					    fn, arg);
		return HI_REF_DONE;
	}
	default:
		if (t->desc >= 0 && hi_typedescs[t->desc].partial && t->described &&
		    emulate_traverse(py, obj, t, fn, arg) == 0)
			return HI_REF_EMULATED;
		if (t->desc >= 0 && desc_has_members(py, t->desc)) {
			visit_members(py, obj, t->desc, fn, arg);
		} else if (t->static_type && t->is_gc) {
			/* A C type of its own (_io.TextIOWrapper, ...): its own
			 * tp_traverse, emulated; failing that, what it declares,
			 * its __dict__ and object members.  */
			if (emulate_traverse(py, obj, t, fn, arg) == 0)
				return HI_REF_EMULATED;
			uint64_t d = hi_py_owned_dict(py, obj, t);
			if (d)
				fn(d, arg);
			int m = member_refs(py, obj, t, 1, fn, arg);
			return (d || m) ? HI_REF_GENERIC : HI_REF_UNDECODED;
		}
		break;
	}
	/* Members a dict subtype adds (OrderedDict's, defaultdict's). */
	if ((t->family == HI_B_DICT || t->family == HI_B_ODICT) && t->desc >= 0)
		visit_members(py, obj, t->desc, fn, arg);
	/* Instances of classes: slots and __dict__ (subtype_traverse). */
	int members = 0;
	if (!t->static_type) {
		members = member_refs(py, obj, t, 0, fn, arg);
		if (instance_dict_refs(py, obj, t, fn, arg) < 0)
			rc = -1;
	}
	if (rc < 0)
		return HI_REF_BAD;
	/* A heap C type (re.Pattern on 3.12), or a class over a C type
	 * (pandas' blocks over Cython), holds what only its tp_traverse
	 * knows: followed as far as members and __dict__ go, and said so. */
	if (!t->static_type && t->family == HI_B_OBJECT) {
		int c = over_c_type(py, t);
		/* Its own tp_traverse (subtype_traverse for a class) visits
		 * the C type's references too.  */
		if (c && emulate_traverse(py, obj, t, fn, arg) == 0)
			return HI_REF_EMULATED;
		if (c == 2 && !members)
			return HI_REF_UNDECODED;
		if (c)
			return HI_REF_GENERIC;
	}
	return HI_REF_DONE;
}

int hi_type_is_leaf(struct hi_py *py, struct hi_type *t)
{
	(void)py;
	if (t->leaf < 0)
		t->leaf = !t->is_gc && t->static_type && t->family != HI_B_CODE;
	return t->leaf;
}

int hi_referents_hidden(struct hi_py *py, uint64_t obj, struct hi_type *t, hi_ref_fn fn, void *arg)
{
	if (t->family != HI_B_NDARRAY)
		return 0;
	hi_np_refs(py, obj, t, fn, arg);
	return 1;
}
