/* numpy.c: see numpy.h.  */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/error.h"
#include "python/numpy.h"

#define NP_MODULE "_multiarray_umath"
/* Bounds on what an array may claim: beyond them its memory is garbage. */
#define MAX_NBYTES (1ull << 48)
#define MAX_ITEMSIZE (1ull << 31)

/* ==== numpy's public ABI: the one hand-written layout in heapinspect ====
 *
 * Used only when numpy's module has no DWARF.  From numpy's
 * ndarraytypes.h (x86-64, LP64), stable across numpy 1.x and 2.x because
 * compiled extensions read these fields through macros:
 *
 *   PyArrayObject_fields: PyObject_HEAD (16); char *data @16; int nd @24;
 *     npy_intp *dimensions @32; npy_intp *strides @40; PyObject *base @48;
 *     PyArray_Descr *descr @56; int flags @64; (weakreflist, ... follow)
 *   PyArray_Descr, numpy 1.x: typeobj @16; char kind @24, type @25,
 *     byteorder @26, flags @27; int type_num @28; int elsize @32; ...
 *   PyArray_Descr, numpy 2.x (_PyArray_DescrNumPy2): the same up to
 *     type_num @28; npy_uint64 flags @32; npy_intp elsize @40; ...
 *
 * tests/unit/test-numpy.c compiles numpy's own header and checks this
 * table against its DWARF.  */
void hi_np_layout_fallback(struct hi_np_layout *l, int major)
{
	l->from_dwarf = 0;
	l->data = 16;
	l->nd = 24;
	l->dimensions = 32;
	l->strides = 40;
	l->base = 48;
	l->descr = 56;
	l->flags = 64;
	l->end = 68;
	l->d_kind = 24;
	l->d_type = 25;
	l->d_byteorder = 26;
	if (major >= 2) {
		l->d_elsize = 40;
		l->d_elsize_size = 8;
	} else {
		l->d_elsize = 32;
		l->d_elsize_size = 4;
	}
	l->abi = major >= 2 ? 2 : 1;
}
/* ==== end of the hand-written layout ==== */

static int field(struct hi_dbg *d, const char *const *types, const char *name, uint32_t *off, uint32_t *size)
{
	struct hi_field f;
	for (int i = 0; types[i]; i++)
		if (hi_dbg_field(d, types[i], name, &f) == 0) {
			*off = (uint32_t)f.offset;
			if (size)
				*size = (uint32_t)f.size;
			return 0;
		}
	return -1;
}

int hi_np_layout_dwarf(struct hi_np_layout *l, struct hi_dbg *d)
{
	static const char *const arr[] = { "PyArrayObject_fields", "struct tagPyArrayObject_fields", NULL };
	/* numpy 2 builds itself with the full descriptor as PyArray_Descr;
	 * the compatibility headers name it _PyArray_DescrNumPy2.  */
	static const char *const desc[] = { "_PyArray_DescrNumPy2", "PyArray_Descr", "struct _PyArray_Descr", NULL };
	uint32_t nd_size = 0, flags_size = 0, ptr_size = 0;
	if (field(d, arr, "data", &l->data, &ptr_size) < 0 || field(d, arr, "nd", &l->nd, &nd_size) < 0 ||
	    field(d, arr, "dimensions", &l->dimensions, NULL) < 0 || field(d, arr, "strides", &l->strides, NULL) < 0 ||
	    field(d, arr, "base", &l->base, NULL) < 0 || field(d, arr, "descr", &l->descr, NULL) < 0 ||
	    field(d, arr, "flags", &l->flags, &flags_size) < 0 || field(d, desc, "kind", &l->d_kind, NULL) < 0 ||
	    field(d, desc, "type", &l->d_type, NULL) < 0 || field(d, desc, "byteorder", &l->d_byteorder, NULL) < 0 ||
	    field(d, desc, "elsize", &l->d_elsize, &l->d_elsize_size) < 0)
		return -1;
	if (ptr_size != 8 || nd_size != 4 || flags_size != 4 || (l->d_elsize_size != 4 && l->d_elsize_size != 8))
		return -1;
	uint32_t end = 0, offs[] = { l->data + 8, l->nd + 4, l->dimensions + 8, l->strides + 8, l->base + 8,
				     l->descr + 8, l->flags + 4 };
	for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++)
		if (offs[i] > end)
			end = offs[i];
	l->end = end;
	l->from_dwarf = 1;
	l->descr_known = 1;
	snprintf(l->source, sizeof l->source, "DWARF of %s", hi_dbg_debug_path(d) ? hi_dbg_debug_path(d) : "numpy");
	return 0;
}

int hi_np_version(struct hi_py *py, char *buf, size_t size)
{
	uint64_t interp = hi_py_main_interp(py), modules = 0, md = 0;
	if (!interp || !hi_has(py->l.is_modules) || hi_mem_u64(py->mem, interp + py->l.is_modules.off, &modules) < 0 ||
	    !modules || !hi_py_is(py, modules, HI_B_DICT))
		return -1;
	uint64_t mod = hi_py_dict_get_str(py, modules, "numpy");
	if (!mod || !hi_py_is(py, mod, HI_B_MODULE) || hi_mem_u64(py->mem, mod + py->l.md_dict.off, &md) < 0 || !md)
		return -1;
	uint64_t v = hi_py_dict_get_str(py, md, "__version__");
	return v && hi_py_str(py, v, buf, size) > 0 ? 0 : -1;
}

static void describe(struct hi_np_layout *l)
{
	snprintf(l->source, sizeof l->source, "numpy %d.x public ABI, %s", l->abi,
		 l->major ? "by numpy.__version__" : l->descr_known ? "told by its dtypes" : "to be told by its dtypes");
}

/* numpy's DWARF: the one place numpy.c calls into dwfl, and it is slow: a
 * fresh report of the process's modules, a search for debug information
 * that may ask debuginfod over the network, DWARF indexing.  Only
 * hi_np_prepare calls it, and never while the target is stopped.  */
static struct hi_np_layout *look_for_dwarf(struct hi_py *py)
{
	struct hi_np_layout *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	struct hi_dbg *d = hi_dbg_open_module(py->dbg, NP_MODULE);
	if (!d || hi_np_layout_dwarf(l, d) < 0)
		snprintf(l->no_dwarf, sizeof l->no_dwarf, "%s",
			 d ? "its DWARF lacks PyArrayObject_fields or PyArray_Descr" : hi_errmsg());
	hi_dbg_close(d);
	hi_error_clear();	/* not an error: the fallback is the rule here */
	l->dwarf_looked = 1;
	l->version_pending = 1;
	return l;
}

/* Is numpy's module mapped into process PID?  */
static int module_mapped(pid_t pid)
{
	char path[64], line[4096];
	int found = 0;
	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof line, f))
		found = strstr(line, NP_MODULE) != NULL;
	fclose(f);
	return found;
}

void hi_np_prepare(struct hi_py *py)
{
	pid_t pid = py->dbg ? hi_dbg_pid(py->dbg) : 0;
	if (py->paused) {
		py->np_refused++;	/* a caller's bug: the pause must not pay for DWARF */
		return;
	}
	/* A core's modules are all known: numpy's among them, or not.  */
	int core = pid <= 0 && py->dbg && hi_dbg_modules_known(py->dbg);
	if ((pid <= 0 && !core) || (py->numpy && py->numpy->dwarf_looked) || (!core && !module_mapped(pid)))
		return;
	struct hi_np_layout *l = look_for_dwarf(py);
	if (!l)
		return;
	/* A layout made during the last pause, from the public ABI, gives
	 * way to this one.  */
	free(py->numpy);
	py->numpy = l;
}

const struct hi_np_layout *hi_np_layout(struct hi_py *py)
{
	if (!py->numpy) {
		/* numpy was imported after the last hi_np_prepare looked, or
		 * there is no process to look in: the public ABI for now.
		 * Looking for DWARF here would do it inside the pause; the
		 * next hi_np_prepare, before the next stop, does.  */
		struct hi_np_layout *l = calloc(1, sizeof *l);
		if (!l)
			return NULL;
		snprintf(l->no_dwarf, sizeof l->no_dwarf, "%s",
			 py->dbg && hi_dbg_pid(py->dbg) > 0
				 ? "not looked for yet: numpy was imported after the last command began, and "
				   "heapinspect never looks while the target is stopped (the next command does)"
				 : "an image: the files of its modules are not known");
		l->version_pending = 1;
		py->numpy = l;
	}
	struct hi_np_layout *l = py->numpy;
	if (!l->version_pending)
		return l;
	/* The rest reads the target: numpy.__version__ picks the variant.  */
	l->version_pending = 0;
	if (hi_np_version(py, l->version, sizeof l->version) == 0)
		l->major = atoi(l->version);
	if (!l->from_dwarf) {
		hi_np_layout_fallback(l, l->major);
		/* Without a version, the first descriptor of a known type
		 * decides between numpy 1 and 2 (check_descr).  */
		l->descr_known = l->major > 0;
		describe(l);
	}
	return l;
}

void hi_np_reset(struct hi_py *py)
{
	if (py->numpy)
		memset(py->numpy->descr_memo, 0, sizeof py->numpy->descr_memo);
}

void hi_np_free(struct hi_py *py)
{
	free(py->numpy);
	py->numpy = NULL;
}

/* The item size numpy gives each type character of fixed size (LP64).  */
static uint64_t fixed_itemsize(char type)
{
	switch (type) {
	case '?': case 'b': case 'B': return 1;
	case 'h': case 'H': case 'e': return 2;
	case 'i': case 'I': case 'f': return 4;
	case 'l': case 'L': case 'q': case 'Q': case 'p': case 'P': case 'd': case 'F': case 'O': case 'm': case 'M':
		return 8;
	case 'g': case 'D': return 16;
	case 'G': return 32;
	default: return 0;
	}
}

struct descr_fields {
	char kind, type, byteorder;
	uint64_t elsize;
};

static int read_descr(struct hi_py *py, const struct hi_np_layout *l, uint64_t descr, uint32_t elsize_off,
		      uint32_t elsize_size, struct descr_fields *f)
{
	uint64_t v;
	if (hi_mem_read(py->mem, descr + l->d_kind, &f->kind, 1) < 0 ||
	    hi_mem_read(py->mem, descr + l->d_type, &f->type, 1) < 0 ||
	    hi_mem_read(py->mem, descr + l->d_byteorder, &f->byteorder, 1) < 0 ||
	    hi_mem_uint(py->mem, descr + elsize_off, elsize_size, &v) < 0)
		return -1;
	f->elsize = elsize_size == 4 ? (uint64_t)(int64_t)(int32_t)v : v;	/* int or npy_intp */
	return 0;
}

/* Does F look like a numpy dtype?  Its kind is one numpy has, its byte
 * order one of numpy's four, its item size sane and, for types of fixed
 * size, exactly theirs.  */
static int descr_ok(const struct descr_fields *f)
{
	if (!f->kind || !strchr("biufcmMOSUVT", f->kind) || !f->byteorder || !strchr("<>=|", f->byteorder) ||
	    f->elsize > MAX_ITEMSIZE)
		return 0;
	uint64_t fixed = fixed_itemsize(f->type);
	return !fixed || f->kind == 'V' || fixed == f->elsize;
}

/* Read descriptor DESCR into F, settling numpy 1 versus 2 on the first
 * descriptor that can tell them apart when the version was unknown.  */
static int check_descr(struct hi_py *py, uint64_t descr, struct descr_fields *f)
{
	struct hi_np_layout *l = py->numpy;
	if (l->descr_known) {
		unsigned m = (unsigned)((descr * 0x9E3779B97F4A7C15ull) >> 58);
		if (l->descr_memo[m].addr == descr) {
			*f = (struct descr_fields){ l->descr_memo[m].kind, l->descr_memo[m].type,
						    l->descr_memo[m].byteorder, l->descr_memo[m].elsize };
			return 0;
		}
		if (read_descr(py, l, descr, l->d_elsize, l->d_elsize_size, f) < 0 || !descr_ok(f))
			return -1;
		l->descr_memo[m].addr = descr;
		l->descr_memo[m].kind = f->kind;
		l->descr_memo[m].type = f->type;
		l->descr_memo[m].byteorder = f->byteorder;
		l->descr_memo[m].elsize = f->elsize;
		return 0;
	}
	struct hi_np_layout v1 = *l, v2 = *l;
	struct descr_fields f1, f2;
	hi_np_layout_fallback(&v1, 1);
	hi_np_layout_fallback(&v2, 2);
	int ok1 = read_descr(py, l, descr, v1.d_elsize, v1.d_elsize_size, &f1) == 0 && descr_ok(&f1);
	int ok2 = read_descr(py, l, descr, v2.d_elsize, v2.d_elsize_size, &f2) == 0 && descr_ok(&f2);
	if (ok1 != ok2 && fixed_itemsize(ok1 ? f1.type : f2.type)) {
		const struct hi_np_layout *won = ok1 ? &v1 : &v2;
		l->d_elsize = won->d_elsize;
		l->d_elsize_size = won->d_elsize_size;
		l->abi = won->abi;
		l->descr_known = 1;
		describe(l);
	}
	*f = ok1 ? f1 : f2;
	return ok1 || ok2 ? 0 : -1;
}

int hi_np_array(struct hi_py *py, uint64_t obj, const struct hi_type *t, struct hi_np_array *a)
{
	const struct hi_np_layout *l = hi_np_layout(py);
	unsigned char hdr[256];
	if (!l || t->family != HI_B_NDARRAY || t->basicsize < (int64_t)l->end || l->end > sizeof hdr ||
	    hi_mem_read(py->mem, obj, hdr, l->end) < 0)
		return -1;
	int32_t nd, flags;
	uint64_t dims;
	a->addr = obj;
	memcpy(&a->data, hdr + l->data, 8);
	memcpy(&nd, hdr + l->nd, 4);
	memcpy(&dims, hdr + l->dimensions, 8);
	memcpy(&a->base, hdr + l->base, 8);
	memcpy(&a->descr, hdr + l->descr, 8);
	memcpy(&flags, hdr + l->flags, 4);
	if (nd < 0 || nd > HI_NP_MAXDIMS || !a->descr || (a->descr & 7) || (a->base & 7))
		return -1;
	a->nd = nd;
	a->flags = flags;
	a->owned = (flags & HI_NP_OWNDATA) != 0;
	struct descr_fields f;
	if (check_descr(py, a->descr, &f) < 0)
		return -1;
	a->kind = f.kind;
	a->type = f.type > 0x20 && f.type < 0x7f ? f.type : '?';	/* printable, whatever the target holds */
	a->byteorder = f.byteorder;
	a->itemsize = f.elsize;
	if (nd > 0 && hi_mem_read(py->mem, dims, a->dims, (size_t)nd * 8) < 0)
		return -1;
	uint64_t n = a->itemsize;
	for (int i = 0; i < nd; i++) {
		if (a->dims[i] < 0)
			return -1;
		if (__builtin_mul_overflow(n, (uint64_t)a->dims[i], &n) || n > MAX_NBYTES) {
			/* Only a product with a zero in it can come back. */
			int zero = 0;
			for (int k = 0; k < nd; k++)
				zero |= a->dims[k] == 0;
			if (!zero)
				return -1;
			n = 0;
			break;
		}
	}
	a->nbytes = n;
	return 0;
}

uint64_t hi_np_sizeof(struct hi_py *py, uint64_t obj, const struct hi_type *t)
{
	struct hi_np_array a;
	if (hi_np_array(py, obj, t, &a) < 0) {
		py->bad_reads++;
		return (uint64_t)t->basicsize;
	}
	return (uint64_t)t->basicsize + (uint64_t)a.nd * 2 * 8 + (a.owned ? a.nbytes : 0);
}

void hi_np_refs(struct hi_py *py, uint64_t obj, const struct hi_type *t, void (*fn)(uint64_t, void *), void *arg)
{
	const struct hi_np_layout *l = hi_np_layout(py);
	uint64_t base, descr;
	if (!l || t->basicsize < (int64_t)l->end)
		return;
	if (hi_mem_u64(py->mem, obj + l->base, &base) == 0 && base)
		fn(base, arg);
	if (hi_mem_u64(py->mem, obj + l->descr, &descr) == 0 && descr)
		fn(descr, arg);
}

void hi_np_shape_str(const struct hi_np_array *a, char *buf, size_t size)
{
	size_t n = 0;
	if (!size)
		return;
	buf[0] = '\0';
	n += (size_t)snprintf(buf, size, "(");
	for (int i = 0; i < a->nd && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%lld", i ? ", " : "", (long long)a->dims[i]);
	if (n < size)
		snprintf(buf + n, size - n, a->nd == 1 ? ",)" : ")");
}
