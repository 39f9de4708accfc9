/* pysize.c: see pysize.h.  */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "python/member.h"
#include "python/emucall.h"
#include "python/numpy.h"
#include "python/pysize.h"

#define PTR 8

/* A size's fields: one that cannot be read leaves the size unknown,
 * which the census counts as an unreadable field.  */
static int rd_i64(struct hi_py *py, uint64_t addr, struct hi_mbr m, int64_t *out)
{
	if (hi_member_int(py->mem, addr, m, out) < 0) {
		py->bad_reads++;
		return -1;
	}
	return 0;
}

static int rd_ptr(struct hi_py *py, uint64_t addr, struct hi_mbr m, uint64_t *out)
{
	if (hi_member_ptr(py->mem, addr, m, out) < 0) {
		py->bad_reads++;
		return -1;
	}
	return 0;
}

static int rd_bit(struct hi_py *py, uint64_t addr, struct hi_mbr m, unsigned *out)
{
	return hi_member_bits(py->mem, addr, m, out);
}

static int64_t ob_size(struct hi_py *py, uint64_t obj)
{
	int64_t n = 0;
	rd_i64(py, obj, py->l.ob_size, &n);
	return n;
}

/* Counts read from the target are clamped here before any arithmetic: a
 * garbage value gives a wrong size, never an overflow.  */
#define MAX_COUNT (1ll << 40)

static uint64_t clamp(int64_t v)
{
	return v < 0 ? 0 : v > MAX_COUNT ? (uint64_t)MAX_COUNT : (uint64_t)v;
}

static uint64_t default_size(struct hi_py *py, uint64_t obj, struct hi_type *t)
{
	uint64_t s = (uint64_t)t->basicsize;
	if (t->itemsize > 0) {
		int64_t n = ob_size(py, obj);
		s += clamp(n < 0 && n != INT64_MIN ? -n : n) * (uint64_t)t->itemsize;
	}
	return s;
}

uint64_t hi_py_keys_size(const struct hi_py *py, const struct hi_dictkeys *k)
{
	uint64_t usable = (k->size << 1) / 3;	/* USABLE_FRACTION */
	return py->l.sizeof_dictkeys + k->index_bytes + usable * k->entry_size;
}

static uint64_t dict_size(struct hi_py *py, uint64_t obj, struct hi_type *t)
{
	uint64_t s = (uint64_t)t->basicsize, keys, values;
	struct hi_dictkeys k;
	if (rd_ptr(py, obj, py->l.ma_keys, &keys) < 0 || rd_ptr(py, obj, py->l.ma_values, &values) < 0 ||
	    hi_py_dictkeys(py, keys, &k) < 0)
		return s;
	if (values) {
		if (k.kind < 0)	/* 3.8-3.10: USABLE_FRACTION(dk_size) slots */
			s += ((k.size << 1) / 3) * PTR;
		else		/* 3.11+: shared_keys_usable_size */
			s += (clamp(k.nentries) + clamp(k.usable)) * PTR;
	}
	if (k.refcnt == 1)	/* shared and static keys are not this dict's */
		s += hi_py_keys_size(py, &k);
	return s;
}

static uint64_t odict_size(struct hi_py *py, uint64_t obj, struct hi_type *t)
{
	uint64_t s = dict_size(py, obj, t), first;
	int64_t fast, used;
	if (rd_i64(py, obj, py->l.od_fast_nodes_size, &fast) == 0 && fast > 0)
		s += clamp(fast) * PTR;
	if (rd_ptr(py, obj, py->l.od_first, &first) == 0 && first &&
	    rd_i64(py, obj, py->l.ma_used, &used) == 0 && used > 0)
		s += clamp(used) * py->l.sizeof_odict_node;
	return s;
}

static uint64_t set_size(struct hi_py *py, uint64_t obj, struct hi_type *t)
{
	uint64_t s = (uint64_t)t->basicsize, table;
	int64_t mask;
	if (rd_ptr(py, obj, py->l.set_table, &table) == 0 && table != obj + py->l.set_smalltable.off &&
	    rd_i64(py, obj, py->l.set_mask, &mask) == 0 && mask >= 0)
		s += (clamp(mask) + 1) * py->l.sizeof_setentry;
	return s;
}

static uint64_t list_size(struct hi_py *py, uint64_t obj, struct hi_type *t)
{
	int64_t alloc;
	uint64_t s = (uint64_t)t->basicsize;
	if (rd_i64(py, obj, py->l.list_allocated, &alloc) == 0 && alloc > 0)
		s += (uint64_t)alloc * PTR;
	return s;
}

static uint64_t type_size(struct hi_py *py, uint64_t obj)
{
	struct hi_type *self = hi_py_type(py, obj);
	if (!self)
		return py->l.sizeof_type;
	if (self->static_type)
		return py->l.sizeof_type;
	uint64_t s = py->l.sizeof_heaptype, keys;
	struct hi_dictkeys k;
	if (rd_ptr(py, obj, py->l.ht_cached_keys, &keys) == 0 && keys && hi_py_dictkeys(py, keys, &k) == 0)
		s += hi_py_keys_size(py, &k);
	return s;
}

static uint64_t str_size(struct hi_py *py, uint64_t obj)
{
	const struct hi_layout *l = &py->l;
	int64_t len;
	unsigned kind, compact, ascii, ready = 1;
	if (rd_i64(py, obj, l->str_length, &len) < 0 || len < 0 || len > MAX_COUNT ||
	    rd_bit(py, obj, l->str_kind, &kind) < 0 ||
	    rd_bit(py, obj, l->str_compact, &compact) < 0 || rd_bit(py, obj, l->str_ascii, &ascii) < 0)
		return l->sizeof_ascii;
	if (hi_has(l->str_ready))
		rd_bit(py, obj, l->str_ready, &ready);
	uint64_t s, data = 0;
	if (compact && ascii) {
		s = l->sizeof_ascii + len + 1;
		data = obj + l->sizeof_ascii;
	} else if (compact) {
		s = l->sizeof_compact_unicode + (uint64_t)(len + 1) * kind;
		data = obj + l->sizeof_compact_unicode;
	} else {
		s = l->sizeof_unicode;
		if (rd_ptr(py, obj, l->str_legacy_data, &data) == 0 && data)
			s += (uint64_t)(len + 1) * kind;
	}
	if (!(compact && ascii)) {
		uint64_t utf8;
		int64_t utf8_len;
		if (rd_ptr(py, obj, l->str_utf8, &utf8) == 0 && utf8 && utf8 != data &&
		    rd_i64(py, obj, l->str_utf8_length, &utf8_len) == 0 && utf8_len >= 0)
			s += clamp(utf8_len) + 1;
	}
	if (hi_has(l->str_wstr)) {	/* <= 3.11: the wchar_t cache */
		uint64_t wstr;
		if (rd_ptr(py, obj, l->str_wstr, &wstr) == 0 && wstr && (!ready || wstr != data)) {
			int64_t wlen = len;
			if (!(compact && ascii))
				rd_i64(py, obj, l->str_wstr_length, &wlen);
			if (wlen >= 0)
				s += (clamp(wlen) + 1) * 4;
		}
	}
	return s;
}

static uint64_t int_size(struct hi_py *py, uint64_t obj, struct hi_type *t)
{
	const struct hi_layout *l = &py->l;
	uint64_t digit = l->long_digit.elem ? l->long_digit.elem : 4;
	if (hi_has(l->long_lv_tag)) {	/* 3.12+: compact ints, digit count in lv_tag */
		int64_t tag;
		uint64_t n = 1;
		if (rd_i64(py, obj, l->long_lv_tag, &tag) == 0 && (tag >> 3) > 1)
			n = clamp(tag >> 3);
		return (uint64_t)t->basicsize + (uint64_t)t->itemsize * n;
	}
	int64_t n = ob_size(py, obj);
	uint64_t ndig = clamp(n < 0 && n != INT64_MIN ? -n : n);
	if (py->minor == 11 && ndig == 0)
		ndig = 1;	/* 3.11 counts one digit for zero (gh-100637) */
	return l->long_digit.off + ndig * digit;
}

static uint64_t code_extra(struct hi_py *py, uint64_t code)
{
	uint64_t extra;
	int64_t n;
	if (rd_ptr(py, code, py->l.co_extra, &extra) < 0 || !extra)
		return 0;
	if (hi_mem_i64(py->mem, extra + py->l.ce_size.off, &n) < 0 || n < 1 || n > 1 << 20)
		return 0;
	return py->l.sizeof_code_extra + (uint64_t)(n - 1) * PTR;
}

static uint64_t code_size(struct hi_py *py, uint64_t obj, struct hi_type *t)
{
	const struct hi_layout *l = &py->l;
	if (t->itemsize > 0)	/* 3.11+: code units inline */
		return ((default_size(py, obj, t) + 7) & ~7ull) + code_extra(py, obj);
	uint64_t s = (uint64_t)t->basicsize + code_extra(py, obj), p, cellvars;
	if (hi_has(l->co_cell2arg) && rd_ptr(py, obj, l->co_cell2arg, &p) == 0 && p &&
	    rd_ptr(py, obj, l->co_cellvars, &cellvars) == 0 && cellvars)
		s += (uint64_t)ob_size(py, cellvars) * PTR;
	if (hi_has(l->co_opcache) && rd_ptr(py, obj, l->co_opcache, &p) == 0 && p) {
		uint64_t code, osize;
		if (rd_ptr(py, obj, l->co_code, &code) == 0 && code)
			s += (uint64_t)ob_size(py, code) / 2;
		if (hi_mem_uint(py->mem, obj + l->co_opcache_size.off, l->co_opcache_size.size, &osize) == 0)
			s += osize * l->sizeof_opcache;
	}
	return s;
}

/* 3.11+: slots of an interpreter frame for CODE.  */
static uint64_t frame_slots(struct hi_py *py, uint64_t code)
{
	int64_t nlp = 0, stack = 0;
	if (!code || rd_i64(py, code, py->l.co_nlocalsplus, &nlp) < 0 || rd_i64(py, code, py->l.co_stacksize, &stack) < 0 ||
	    nlp < 0 || stack < 0)
		return 0;
	return clamp(nlp) + clamp(stack);
}

static uint64_t frame_size(struct hi_py *py, uint64_t obj, struct hi_type *t)
{
	const struct hi_layout *l = &py->l;
	uint64_t code = 0;
	if (hi_has(l->f_frame_data)) {	/* 3.11+ */
		uint64_t iframe;
		if (rd_ptr(py, obj, l->f_frame, &iframe) == 0 && iframe)
			rd_ptr(py, iframe, l->iframe_code, &code);
		return l->f_frame_data.off + l->iframe_localsplus.off + frame_slots(py, code) * PTR;
	}
	/* 3.8-3.10: value stack, locals, cells and frees after the struct. */
	int64_t nlocals = 0, stack = 0;
	uint64_t cells = 0, frees = 0;
	if (rd_ptr(py, obj, l->f_code, &code) < 0 || !code)
		return default_size(py, obj, t);
	rd_i64(py, code, l->co_nlocals, &nlocals);
	rd_i64(py, code, l->co_stacksize, &stack);
	rd_ptr(py, code, l->co_cellvars, &cells);
	rd_ptr(py, code, l->co_freevars, &frees);
	int64_t extras = (int64_t)(clamp(stack) + clamp(nlocals) + (cells ? clamp(ob_size(py, cells)) : 0) +
				   (frees ? clamp(ob_size(py, frees)) : 0));
	return l->sizeof_frame + (extras > 0 ? (uint64_t)(extras - 1) * PTR : 0);
}

static uint64_t gen_size(struct hi_py *py, uint64_t obj, struct hi_type *t)
{
	const struct hi_layout *l = &py->l;
	if (!hi_has(l->gen_iframe))	/* <= 3.10: the default */
		return default_size(py, obj, t);
	uint64_t code = 0;
	if (rd_ptr(py, obj + l->gen_iframe.off, l->iframe_code, &code) < 0 || !code)
		rd_ptr(py, obj, l->gen_code, &code);
	return l->gen_iframe.off + l->iframe_localsplus.off + frame_slots(py, code) * PTR;
}

static uint64_t deque_size(struct hi_py *py, uint64_t obj, struct hi_type *t)
{
	const struct hi_layout *l = &py->l;
	int64_t left;
	uint64_t blocklen = l->dq_block_data.count;
	if (!blocklen || rd_i64(py, obj, l->dq_leftindex, &left) < 0)
		return (uint64_t)t->basicsize;
	/* Both clamped before adding: garbage gives a wrong size, never an
	 * overflow (the fuzzer found left + n overflowing).  */
	uint64_t used = clamp(left) + clamp(ob_size(py, obj));
	return (uint64_t)t->basicsize + (used + blocklen - 1) / blocklen * l->sizeof_deque_block;
}

/* ---- a C type's own __sizeof__, emulated ---- */

#define SIZEOF_BUDGET 250000	/* basic blocks */
#define METH_NOARGS 0x0004
#define MAX_METHODS 256

/* How a __sizeof__ is called (its ml_flags): METH_NOARGS (self, NULL);
 * METH_FASTCALL (self, NULL, 0); METH_METHOD | METH_FASTCALL |
 * METH_KEYWORDS (self, defining class, NULL, 0, NULL).  */
#define METH_FASTCALL 0x0080
#define METH_KEYWORDS 0x0002
#define METH_METHOD 0x0200

/* The __sizeof__ in the tp_methods of type B, if it takes no arguments in
 * a way heapinspect can call: its function, its flags in *FLAGS; or 0. */
static uint64_t sizeof_in_methods(struct hi_py *py, struct hi_type *b, int64_t *flags)
{
	const struct hi_layout *l = &py->l;
	uint64_t methods, name, meth;
	char buf[11];
	if (hi_member_ptr(py->mem, b->addr, l->tp_methods, &methods) < 0 || !methods)
		return 0;
	for (int i = 0; i < MAX_METHODS; i++) {
		uint64_t md = methods + (uint64_t)i * l->sizeof_methoddef;
		if (hi_member_ptr(py->mem, md, l->methoddef_name, &name) < 0 || !name)
			return 0;
		if (hi_mem_read(py->mem, name, buf, sizeof buf) < 0 || memcmp(buf, "__sizeof__", sizeof buf) != 0)
			continue;
		if (hi_member_ptr(py->mem, md, l->methoddef_meth, &meth) < 0 ||
		    hi_member_int(py->mem, md, l->methoddef_flags, flags) < 0)
			return 0;
		int64_t f = *flags & (METH_NOARGS | METH_FASTCALL | METH_KEYWORDS | METH_METHOD | 0x0001);
		return f == METH_NOARGS || f == METH_FASTCALL || f == (METH_METHOD | METH_FASTCALL | METH_KEYWORDS) ? meth
															: 0;
	}
	return 0;
}

/* The C __sizeof__ objects of T answer sys.getsizeof with, when no rule
 * of heapinspect's covers it: T's, or its nearest C base's, below the
 * first type heapinspect describes (object, dict, type, ...: its rule
 * applies).  So ctypes' StgDict (a dict) and its metatypes (types) are
 * sized by their own.  A Python class's __sizeof__ is Python code, never
 * run: its C base's is used.  0: none, or no emulator.  Cached in T.  */
static uint64_t c_sizeof_fn(struct hi_py *py, struct hi_type *t)
{
	const struct hi_layout *l = &py->l;
	if (t->sizeof_fn != UINT64_MAX)
		return t->sizeof_fn;
	uint64_t fn = 0;
	if (!py->emu_off && hi_has(l->tp_methods) && hi_has(l->methoddef_name) &&
	    hi_has(l->methoddef_meth) && hi_has(l->methoddef_flags) && l->sizeof_methoddef) {
		struct hi_type *b = t;
		int64_t flags = 0;
		for (int depth = 0; b && depth < 64 && !b->described; depth++) {
			if (!hi_py_is_class(py, b) && (fn = sizeof_in_methods(py, b, &flags)) != 0) {
				t->sizeof_flags = (int32_t)flags;
				t->sizeof_cls = b->addr;
				break;
			}
			b = b->base ? hi_py_type(py, b->base) : NULL;
		}
	}
	t->sizeof_fn = fn;
	return fn;
}

/* The value of the int object at BUF (its first bytes), or -1.  */
static int64_t int_value(struct hi_py *py, const unsigned char *buf, size_t len)
{
	const struct hi_layout *l = &py->l;
	int64_t n;
	uint64_t ndig;
	if (hi_has(l->long_lv_tag)) {
		memcpy(&n, buf + l->long_lv_tag.off, 8);
		if ((n & 3) == 2)
			return -1;	/* negative */
		ndig = (uint64_t)n >> 3;
	} else {
		memcpy(&n, buf + l->ob_size.off, 8);
		if (n < 0)
			return -1;
		ndig = (uint64_t)n;
	}
	if (ndig > 3 || l->long_digit.off + 4 * ndig > len)
		return -1;
	uint64_t v = 0;
	for (uint64_t i = ndig; i-- > 0;) {
		uint32_t d;
		memcpy(&d, buf + l->long_digit.off + 4 * i, 4);
		if (v >> 34)
			return -1;	/* past 2^64: no object is that large */
		v = (v << 30) | (d & 0x3fffffff);
	}
	return (int64_t)v;
}

/* _PySys_GetSizeOf(o), which a C __sizeof__ calls for what it holds
 * (BytesIO's buffer): sys.getsizeof by these rules, natively.  */
static uint64_t n_getsizeof(struct hi_emu *e, const uint64_t *a, void *user, int *ok)
{
	struct hi_py *py = user;
	(void)e;
	struct hi_type *t = a[0] ? hi_py_type(py, hi_py_type_of(py, a[0])) : NULL;
	if (!t) {
		*ok = 0;
		return 0;
	}
	return hi_py_sizeof(py, a[0], t);
}

/* OBJ's C __sizeof__ FN, run in the emulator: the int it returns (made
 * by PyLong_FromSsize_t's native, emucall.c, or one of CPython's small
 * ints), or 0 when the call failed or the value cannot be OBJ's size.  */
static uint64_t emulated_sizeof(struct hi_py *py, uint64_t obj, struct hi_type *t, uint64_t fn)
{
	struct hi_emu *emu = hi_py_emu(py);
	uint64_t getsizeof;
	if (!emu)
		return 0;
	if (py->emu_sizeof_for != emu) {
		py->emu_sizeof_for = emu;
		if (hi_dbg_symbol(py->dbg, "_PySys_GetSizeOf", &getsizeof, NULL) == 0)
			hi_emu_add_native(emu, getsizeof, n_getsizeof, py);
	}
	uint64_t args[5] = { obj, 0, 0, 0, 0 }, ret = 0;
	if (t->sizeof_flags & METH_METHOD)
		args[1] = t->sizeof_cls;	/* the defining class */
	unsigned char buf[48];
	int64_t v = -1;
	enum hi_emu_end end = hi_emu_call(emu, fn, args, 5, SIZEOF_BUDGET, &ret, buf, sizeof buf);
	uint64_t type = 0;
	memcpy(&type, buf + py->l.ob_type.off, 8);
	if (end == HI_EMU_RETURNED && type == py->builtin_addr[HI_B_INT])
		v = int_value(py, buf, sizeof buf);
	if (v < t->basicsize || v > (int64_t)(1ull << 40)) {
		t->walked.sizeof_failed++;
		return 0;
	}
	t->walked.sizeof_emulated++;
	return (uint64_t)v;
}

/* Is the __sizeof__ objects of T would answer with Python code (the
 * first class of its MRO to define one is a Python class)?  Python code
 * is never run: such objects get the C-level size, and -v counts them.
 * Cached in T.  */
int hi_type_python_sizeof(struct hi_py *py, struct hi_type *t)
{
	const struct hi_layout *l = &py->l;
	if (t->py_sizeof >= 0)
		return t->py_sizeof;
	/* Python's lookup: the first class of the MRO whose dict holds
	 * __sizeof__ (3.12+ keeps static types' dicts elsewhere: they are
	 * passed over, and are not Python classes anyway).  */
	int r = 0;
	uint64_t mro, k;
	int64_t n = 0;
	if (hi_has(l->tp_mro) && hi_member_ptr(py->mem, t->addr, l->tp_mro, &mro) == 0 && mro &&
	    hi_member_int(py->mem, mro, l->ob_size, &n) == 0 && n > 0 && n < 256)
		for (int64_t i = 0; i < n; i++) {
			struct hi_type *c;
			if (hi_mem_u64(py->mem, mro + l->tuple_items.off + (uint64_t)i * PTR, &k) < 0 ||
			    !(c = hi_py_type(py, k)))
				break;
			if (c->dict && hi_py_dict_get_str(py, c->dict, "__sizeof__")) {
				r = hi_py_is_class(py, c);
				break;
			}
		}
	t->py_sizeof = (int8_t)r;
	return r;
}

static uint64_t sizeof_method(struct hi_py *py, uint64_t obj, struct hi_type *t)
{
	uint64_t fn = obj ? c_sizeof_fn(py, t) : 0, s;
	if (fn && (s = emulated_sizeof(py, obj, t, fn)) != 0)
		return s;
	switch (t->family) {
	case HI_B_LIST: return list_size(py, obj, t);
	case HI_B_DICT: return dict_size(py, obj, t);
	case HI_B_ODICT: return odict_size(py, obj, t);
	case HI_B_SET:
	case HI_B_FROZENSET: return set_size(py, obj, t);
	case HI_B_TYPE: return type_size(py, obj);
	case HI_B_STR: return str_size(py, obj);
	case HI_B_INT:
	case HI_B_BOOL: return int_size(py, obj, t);
	case HI_B_BYTEARRAY: {
		int64_t alloc = 0;
		rd_i64(py, obj, py->l.ba_alloc, &alloc);
		return (uint64_t)t->basicsize + (alloc > 0 ? (uint64_t)alloc : 0);
	}
	case HI_B_CODE: return code_size(py, obj, t);
	case HI_B_FRAME: return frame_size(py, obj, t);
	case HI_B_GEN:
	case HI_B_CORO:
	case HI_B_ASYNCGEN: return gen_size(py, obj, t);
	case HI_B_DEQUE: return deque_size(py, obj, t);
	case HI_B_NDARRAY: return hi_np_sizeof(py, obj, t);
	default: return default_size(py, obj, t);
	}
}

uint64_t hi_type_fixed_size(struct hi_py *py, struct hi_type *t)
{
	if (c_sizeof_fn(py, t))
		return 0;	/* its own __sizeof__ reads the object */
	/* Families whose __sizeof__ reads the object.  */
	switch (t->family) {
	case HI_B_LIST: case HI_B_DICT: case HI_B_ODICT: case HI_B_SET: case HI_B_FROZENSET:
	case HI_B_TYPE: case HI_B_STR: case HI_B_INT: case HI_B_BOOL: case HI_B_BYTEARRAY:
	case HI_B_CODE: case HI_B_FRAME: case HI_B_GEN: case HI_B_CORO: case HI_B_ASYNCGEN:
	case HI_B_DEQUE: case HI_B_NDARRAY:
		return 0;
	default:
		break;
	}
	if (t->itemsize > 0)
		return 0;
	/* The default rule plus the header: what hi_py_sizeof would say for
	 * any object of T; no field of the object is read.  */
	return hi_py_sizeof(py, 0, t);
}

/* Where the variable part of a large OBJ of T lives: [*AT, *AT + *LEN)
 * is memory its size claims.  0 when not known (then only the terabyte
 * bound applies).  */
static int claimed_memory(struct hi_py *py, uint64_t obj, struct hi_type *t, uint64_t size, uint64_t *at,
			  uint64_t *len)
{
	uint64_t items;
	int64_t alloc;
	switch (t->family) {
	case HI_B_LIST:
		if (rd_ptr(py, obj, py->l.list_items, &items) < 0 || !items ||
		    rd_i64(py, obj, py->l.list_allocated, &alloc) < 0 || alloc <= 0)
			return 0;
		*at = items;
		*len = clamp(alloc) * PTR;
		return 1;
	case HI_B_STR: case HI_B_INT: case HI_B_BOOL:
		break;	/* compact: the data follows the header */
	default:
		if (t->itemsize <= 0)
			return 0;
		break;
	}
	if (t->family == HI_B_STR) {
		unsigned compact = 0;
		if (rd_bit(py, obj, py->l.str_compact, &compact) < 0 || !compact)
			return 0;
	}
	*at = obj;
	*len = size;
	return 1;
}

/* Above this a size is checked against the memory it claims.  */
#define LARGE_OBJECT (1ull << 20)

uint64_t hi_py_sizeof(struct hi_py *py, uint64_t obj, struct hi_type *t)
{
	uint64_t s = sizeof_method(py, obj, t), at, len;
	uint8_t last;
	if (s > (1ull << 40)) {	/* a terabyte object: the memory was garbage */
		py->bad_reads++;
		s = (uint64_t)t->basicsize;
	} else if (s > LARGE_OBJECT && obj && claimed_memory(py, obj, t, s, &at, &len) && len &&
		   (at + len < at || hi_mem_read(py->mem, at + len - 1, &last, 1) < 0)) {
		/* A str whose length says 2^39 adds 512 GB unless its last
		 * byte is there to read: a wrong field, not a huge object. */
		py->bad_reads++;
		s = (uint64_t)t->basicsize;
	}
	int is_type_obj = t->family == HI_B_TYPE;
	if (py->managed_dict_flag) {
		/* 3.11+: _PyType_PreHeaderSize of the object's type.  3.13 leaves
		 * static type objects of exactly `type` out (gh-114564).  */
		if (py->minor >= 13 && t->builtin == HI_B_TYPE) {
			struct hi_type *self = hi_py_type(py, obj);
			if (self && self->static_type)
				return s;
		}
		if (t->is_gc)
			s += py->l.sizeof_gc_head;
		if (t->flags & (py->managed_dict_flag | py->managed_weakref_flag))
			s += 2 * PTR;
		return s;
	}
	/* 3.8-3.10: the GC header if PyObject_IS_GC(o); type objects answer
	 * through tp_is_gc, which is true only for heap types.  */
	if (t->is_gc) {
		if (is_type_obj) {
			struct hi_type *self = hi_py_type(py, obj);
			if (self && self->static_type)
				return s;
		}
		s += py->l.sizeof_gc_head;
	}
	return s;
}
