/* pyobj.c: types, str and dict read from target memory (see pyobj.h).  */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dwarf/pack.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "python/member.h"
#include "python/pyobj.h"
#include "python/typetable.h"

#define TPFLAGS_TYPE_SUBCLASS (1ul << 31)
#define MAX_TP_NAME 256
#define MAX_BASE_DEPTH 64
/* Sanity bounds on values read from the target.  */
#define MAX_BASICSIZE (1 << 24)
#define MAX_ITEMSIZE (1 << 16)
#define MAX_DICT_LOG2 40

static uint64_t module_attr(struct hi_py *py, const char *module, const char *name);

/* sys.version, from the interpreter's sys dict: "3.9.18 (main, ...".  */
static void version_from_sys(struct hi_py *py)
{
	uint64_t interp = hi_py_main_interp(py), sysdict = 0, v;
	char buf[64];
	if (!interp || !hi_has(py->l.is_sysdict) || hi_mem_u64(py->mem, interp + py->l.is_sysdict.off, &sysdict) < 0 ||
	    !(v = hi_py_dict_get_str(py, sysdict, "version")) || hi_py_str(py, v, buf, sizeof buf) < 0)
		return;
	size_t n = strspn(buf, "0123456789.abrc+");
	if (n >= 5 && buf[0] == '3' && buf[1] == '.' && n < sizeof py->version) {
		memcpy(py->version, buf, n);
		py->version[n] = '\0';
	}
}

/* The version, from the running process itself: Py_Version (3.11+), else
 * the buffer Py_GetVersion() filled at start-up, else sys.version from
 * the sys dict (a stripped build has no symbol for that buffer), else the
 * module's file name.  The target's binary is never run.  */
static void read_version(struct hi_py *py)
{
	uint64_t addr, size;
	uint32_t hex;
	if (hi_dbg_symbol(py->dbg, "Py_Version", &addr, &size) == 0 &&
	    hi_mem_read(py->mem, addr, &hex, 4) == 0 && (hex >> 24) == 3) {
		py->version_hex = hex;
		hi_pack_version(hex, py->version, sizeof py->version);
	} else {
		const char *names[] = { "version.0", "version.1", "version" };
		char buf[64];
		for (size_t i = 0; i < 3 && !py->version[0]; i++) {
			if (hi_dbg_symbol(py->dbg, names[i], &addr, &size) != 0 || size != 250)
				continue;
			if (hi_mem_read(py->mem, addr, buf, sizeof buf) < 0)
				continue;
			buf[sizeof buf - 1] = '\0';
			size_t n = strspn(buf, "0123456789.abrc+");
			if (n >= 3 && buf[0] == '3' && buf[1] == '.') {
				if (n >= sizeof py->version)
					n = sizeof py->version - 1;
				memcpy(py->version, buf, n);
				py->version[n] = '\0';
			}
		}
		if (!py->version[0])
			version_from_sys(py);
		if (!py->version[0])
			snprintf(py->version, sizeof py->version, "%s", hi_dbg_name_version(py->dbg));
	}
	const char *dot = strchr(py->version, '.');
	py->minor = dot ? atoi(dot + 1) : 0;
}

/* A static exception type (_PyExc_OSError) is local to its module; the
 * exported pointer to it (PyExc_OSError) holds its address.  0, or -1.  */
static int exported_pointer(struct hi_py *py, const char *sym, uint64_t *addr)
{
	uint64_t p;
	if (strncmp(sym, "_PyExc_", 7) != 0 || hi_dbg_symbol(py->dbg, sym + 1, &p, NULL) < 0 ||
	    hi_mem_u64(py->mem, p, addr) < 0 || !*addr)
		return -1;
	return 0;
}

/* sys.modules[MODULE].NAME, or 0.  */
static uint64_t module_attr(struct hi_py *py, const char *module, const char *name)
{
	uint64_t interp = hi_py_main_interp(py), modules = 0, mod, md;
	if (!interp || !hi_has(py->l.is_modules) || hi_mem_u64(py->mem, interp + py->l.is_modules.off, &modules) < 0 ||
	    !(mod = hi_py_dict_get_str(py, modules, module)) || !hi_py_is(py, mod, HI_B_MODULE) ||
	    hi_mem_u64(py->mem, mod + py->l.md_dict.off, &md) < 0)
		return 0;
	return hi_py_dict_get_str(py, md, name);
}

struct non_str {
	struct hi_py *py;
	int found;
};

static int non_str_key(uint64_t key, uint64_t value, void *arg)
{
	struct non_str *ns = arg;
	(void)value;
	if (!hi_py_is(ns->py, key, HI_B_STR)) {
		ns->found = 1;
		return 1;
	}
	return 0;
}

static int in_module(const struct hi_py *py, uint64_t addr)
{
	return addr >= py->module_lo && addr < py->module_hi;
}

/* Two static functions whose address tells what a structure is, found
 * in the running process when the module has no symbol for them (a
 * stripped build read with another build's layout pack):
 *   - subtype_dealloc, every Python class's tp_dealloc: that of a class
 *     defined in Python that every process has, importlib's ModuleSpec;
 *   - lookdict (3.8-3.10), the dict lookup of tables with keys other than
 *     str: that of posix.environ, whose keys are bytes.
 * Each must lie in the Python module.  What is not found stays 0: a
 * census would then be wrong, and the validation refuses (validate.h). */
static void find_local_functions(struct hi_py *py)
{
	const struct hi_layout *l = &py->l;
	uint64_t v;
	if (!py->subtype_dealloc_fn && hi_has(l->tp_dealloc)) {
		uint64_t spec = module_attr(py, "_frozen_importlib", "ModuleSpec");
		struct hi_type *t = spec ? hi_py_type(py, spec) : NULL;
		if (t && !t->static_type && hi_member_ptr(py->mem, spec, l->tp_dealloc, &v) == 0 && in_module(py, v))
			py->subtype_dealloc_fn = v;
	}
	if (!py->lookdict_fn && hi_has(l->dk_lookup)) {
		uint64_t env = module_attr(py, "posix", "environ"), keys;
		int64_t used;
		struct non_str ns = { py, 0 };
		if (env && hi_py_is(py, env, HI_B_DICT) && hi_member_int(py->mem, env, l->ma_used, &used) == 0 &&
		    used > 0 && hi_mem_u64(py->mem, env + l->ma_keys.off, &keys) == 0 &&
		    hi_member_ptr(py->mem, keys, l->dk_lookup, &v) == 0 && in_module(py, v) &&
		    hi_py_dict_foreach(py, env, non_str_key, &ns) == 0 && ns.found)
			py->lookdict_fn = v;
	}
}

int hi_py_init(struct hi_py *py, struct hi_dbg *dbg, struct hi_mem *mem, const char *who)
{
	memset(py, 0, sizeof *py);
	py->mem = mem;
	const char *emulate = getenv("HEAPINSPECT_EMULATE");
	py->emu_off = !hi_emu_available() || (emulate && strcmp(emulate, "0") == 0);
	py->dbg = dbg;
	u64map_init(&py->type_index);
	u64map_init(&py->types_alias);
	if (hi_layout_load(&py->l, dbg, who) < 0)
		return -1;
	if (hi_dbg_symbol(dbg, "_PyRuntime", &py->runtime, NULL) < 0) {
		hi_error("%s: no _PyRuntime symbol in %s", who, hi_dbg_python_path(dbg));
		return -1;
	}
	u64map_init(&py->desc_of_addr);
	py->desc_off = calloc(hi_ntypedescs, sizeof *py->desc_off);
	py->desc_size = calloc(hi_ntypedescs, sizeof *py->desc_size);
	if (!py->desc_off || !py->desc_size) {
		hi_error("%s: out of memory", who);
		return -1;
	}
	py->desc_nosym = calloc(hi_ntypedescs, 1);
	if (!py->desc_nosym) {
		hi_error("%s: out of memory", who);
		return -1;
	}
	hi_dbg_python_span(dbg, &py->module_lo, &py->module_hi);
	for (int i = 0; i < hi_ntypedescs; i++) {
		const struct hi_typedesc *td = &hi_typedescs[i];
		int found = 0;
		for (int k = 0; k < HI_DESC_SYMS && td->syms[k]; k++) {
			uint64_t a;
			if (hi_dbg_symbol(dbg, td->syms[k], &a, NULL) < 0 &&
			    exported_pointer(py, td->syms[k], &a) < 0)
				continue;
			found = 1;
			u64map_put(&py->desc_of_addr, a, (uint64_t)i + 1);
			if (td->family && !py->builtin_addr[td->family])
				py->builtin_addr[td->family] = a;
		}
		py->desc_nosym[i] = td->syms[0] && !found;
		/* Asked now, not when a type borrows the name: every question
		 * is put at attach (what `layout save` relies on).  */
		py->desc_size[i] = td->cstruct ? hi_dbg_sizeof(dbg, td->cstruct) : -1;
		for (int k = 0; k < HI_DESC_MEMBERS; k++) {
			struct hi_field f;
			py->desc_off[i][k] = HI_ABSENT;
			if (td->members[k] && hi_dbg_field(dbg, td->cstruct, td->members[k], &f) == 0 && f.size == 8)
				py->desc_off[i][k] = (uint32_t)f.offset;
		}
	}
	if (!py->builtin_addr[HI_B_TYPE] || !py->builtin_addr[HI_B_OBJECT]) {
		hi_error("%s: %s has no PyType_Type/PyBaseObject_Type symbols; not a CPython runtime",
			 who, hi_dbg_python_path(dbg));
		return -1;
	}
	read_version(py);
	hi_dbg_symbol(dbg, "lookdict", &py->lookdict_fn, NULL);
	hi_dbg_symbol(dbg, "subtype_dealloc", &py->subtype_dealloc_fn, NULL);
	find_local_functions(py);
	/* Flag bits for pre-header managed dicts/weakrefs and inline values:
	 * C macros, absent from DWARF.  Their presence follows the layouts
	 * that DWARF does show: PyDictValues appears with managed dicts
	 * (3.11), PyDictOrValues with managed weakrefs (3.12), and the
	 * `embedded` member of PyDictValues with inline values (3.13).  */
	if (hi_has(py->l.dv_values))
		py->managed_dict_flag = 1ul << 4;
	if (hi_dbg_sizeof(dbg, "PyDictOrValues") >= 0 || hi_has(py->l.dv_embedded) ||
	    (py->minor >= 12 && hi_has(py->l.dv_values)))
		py->managed_weakref_flag = 1ul << 3;
	if (hi_has(py->l.dv_embedded))
		py->inline_values_flag = 1ul << 2;
	if (hi_has(py->l.dv_embedded))
		py->managed = HI_MANAGED_313;
	else if (py->managed_weakref_flag)
		py->managed = HI_MANAGED_312;
	else if (py->managed_dict_flag)
		py->managed = HI_MANAGED_311;
	/* The set's deleted-entry marker: _PySet_Dummy points to it.  The
	 * object's own symbol, _dummy_struct, is static, and link-time
	 * optimization renames it (Debian's python3.11:
	 * _dummy_struct.lto_priv.0); the exported pointer keeps its name.  */
	uint64_t dummy_ptr;
	if (hi_dbg_symbol(dbg, "_PySet_Dummy", &dummy_ptr, NULL) < 0 ||
	    hi_mem_u64(mem, dummy_ptr, &py->set_dummy) < 0 || !py->set_dummy)
		hi_dbg_symbol(dbg, "_dummy_struct", &py->set_dummy, NULL);
	return 0;
}

static void free_types(struct hi_py *py)
{
	for (size_t i = 0; i < py->ntypes; i++) {
		free(py->types[i]->name);
		free(py->types[i]->tp_name);
		free(py->types[i]);
	}
	py->ntypes = 0;
	u64map_clear(&py->type_index);
	memset(py->type_memo, 0, sizeof py->type_memo);
	for (size_t i = 0; i < py->nalias; i++)
		free(py->alias_names[i]);
	py->nalias = 0;
	u64map_clear(&py->types_alias);
	py->aliases_loaded = 0;
}

void hi_py_reset(struct hi_py *py)
{
	/* Types can be created, freed and their memory reused while the
	 * target runs: nothing read in one stop is trusted in the next.  */
	free_types(py);
	py->bad_reads = 0;
}

/* Let the emulator go (its pages came from the reader it was made for). */
static void drop_emu(struct hi_py *py)
{
	hi_emu_free(py->emu);
	py->emu = NULL;
	py->emu_sizeof_for = NULL;
}

int hi_py_is_class(struct hi_py *py, struct hi_type *t)
{
	uint64_t dealloc;
	if (t->py_class < 0)
		t->py_class = !t->static_type && py->subtype_dealloc_fn && hi_has(py->l.tp_dealloc) &&
			      hi_member_ptr(py->mem, t->addr, py->l.tp_dealloc, &dealloc) == 0 &&
			      dealloc == py->subtype_dealloc_fn;
	return t->py_class;
}

void hi_py_use_mem(struct hi_py *py, struct hi_mem *mem)
{
	if (py->mem != mem)
		drop_emu(py);
	py->mem = mem;
}

void hi_py_fini(struct hi_py *py)
{
	free_types(py);
	drop_emu(py);
	free(py->desc_off);
	py->desc_off = NULL;
	free(py->desc_size);
	py->desc_size = NULL;
	free(py->desc_nosym);
	py->desc_nosym = NULL;
	u64map_free(&py->desc_of_addr);
	free(py->types);
	free(py->alias_names);
	u64map_free(&py->type_index);
	u64map_free(&py->types_alias);
}

uint64_t hi_py_type_of(struct hi_py *py, uint64_t obj)
{
	uint64_t t;
	if (hi_mem_u64(py->mem, obj + py->l.ob_type.off, &t) < 0) {
		py->bad_reads++;
		return 0;
	}
	return t;
}

static int read_word(struct hi_py *py, uint64_t addr, struct hi_mbr m, uint64_t *out)
{
	return hi_member_uint(py->mem, addr, m, out);
}

/* The typetable entry describing exactly the type at ADDR, or -1.  */
static int desc_of(struct hi_py *py, uint64_t addr)
{
	uint64_t *v = u64map_get(&py->desc_of_addr, addr);
	return v ? (int)*v - 1 : -1;
}

/* Entry for a type created at run time (no symbol), by its tp_name.  */
static int desc_by_name(const char *tp_name)
{
	for (int i = 0; i < hi_ntypedescs; i++)
		if (hi_typedescs[i].tp_name && strcmp(hi_typedescs[i].tp_name, tp_name) == 0)
			return i;
	return -1;
}

struct hi_type *hi_py_type(struct hi_py *py, uint64_t addr)
{
	if (!addr || (addr & 7))
		return NULL;
	/* Type objects sit a few hundred bytes apart: mix all the bits, or the
	 * handful of hot types collide in the memo.  */
	unsigned m = (unsigned)((addr * 0x9E3779B97F4A7C15ull) >> 58);
	if (py->type_memo[m].addr == addr)
		return py->type_memo[m].t;
	uint64_t *slot = u64map_get(&py->type_index, addr);
	if (slot) {
		struct hi_type *found = *slot == UINT64_MAX ? NULL : py->types[*slot];
		py->type_memo[m].addr = addr;
		py->type_memo[m].t = found;
		return found;
	}

	struct hi_layout *l = &py->l;
	struct hi_type t = { .addr = addr, .desc = -1, .leaf = -1, .over_c = -1, .py_class = -1, .py_sizeof = -1, .sizeof_fn = UINT64_MAX, .fixed_size = UINT64_MAX };
	uint64_t meta, metaflags, name_ptr, v;
	char name[MAX_TP_NAME];
	int ok = 1;
	/* A type's own type is a metatype: its flags carry TYPE_SUBCLASS. */
	if (hi_mem_u64(py->mem, addr + l->ob_type.off, &meta) < 0 ||
	    read_word(py, meta, l->tp_flags, &metaflags) < 0 || !(metaflags & TPFLAGS_TYPE_SUBCLASS))
		ok = 0;
	if (ok && (read_word(py, addr, l->tp_flags, &t.flags) < 0 ||
		   read_word(py, addr, l->tp_basicsize, &v) < 0))
		ok = 0;
	t.basicsize = (int64_t)v;
	if (ok && read_word(py, addr, l->tp_itemsize, &v) < 0)
		ok = 0;
	t.itemsize = (int64_t)v;
	if (ok && (t.basicsize < (int64_t)l->sizeof_object || t.basicsize > MAX_BASICSIZE ||
		   t.itemsize < 0 || t.itemsize > MAX_ITEMSIZE))
		ok = 0;
	if (ok && (read_word(py, addr, l->tp_name, &name_ptr) < 0 ||
		   hi_mem_cstr(py->mem, name_ptr, name, sizeof name) < 0))
		ok = 0;
	if (ok) {
		read_word(py, addr, l->tp_base, &t.base);
		read_word(py, addr, l->tp_dict, &t.dict);
		if (read_word(py, addr, l->tp_dictoffset, &v) == 0)
			t.dictoffset = (int64_t)v;
		t.is_gc = (t.flags & HI_TPFLAGS_HAVE_GC) != 0;
		t.static_type = !(t.flags & HI_TPFLAGS_HEAPTYPE);
		t.desc = desc_of(py, addr);
		if (t.desc < 0 && !t.static_type) {
			/* A name alone can be borrowed (type("collections.deque",
			 * ...)): the instances must also be as large as the C
			 * struct the entry decodes.  */
			int d = desc_by_name(name);
			int64_t need = d >= 0 ? py->desc_size[d] : -1;
			if (d >= 0 && need > 0 && t.basicsize >= need)
				t.desc = d;
		}
		if (t.desc < 0 && t.static_type) {
			/* An extension's type that no symbol names (numpy's module
			 * has no symbol table heapinspect reads): by tp_name, for
			 * entries that name no symbol.  Their decoders check the
			 * sizes (numpy.c).  */
			int d = desc_by_name(name);
			if (d >= 0 && !hi_typedescs[d].syms[0])
				t.desc = d;
			/* ... and the Python module's own static types whose
			 * local symbols its stripped build lacks: found by name
			 * within the module, then known by address.  */
			if (d >= 0 && py->desc_nosym[d] && in_module(py, addr)) {
				t.desc = d;
				u64map_put(&py->desc_of_addr, addr, (uint64_t)d + 1);
				enum hi_builtin f = hi_typedescs[d].family;
				if (f && !py->builtin_addr[f])
					py->builtin_addr[f] = addr;
			}
		}
		t.described = t.desc >= 0;
		uint64_t b = t.base;
		for (int depth = 0; t.desc < 0 && b && depth < MAX_BASE_DEPTH; depth++) {
			/* Bases are resolved through the cache; the depth guard
			 * stops a tp_base cycle in corrupt memory.  */
			struct hi_type *bt = NULL;
			if (py->type_depth < MAX_BASE_DEPTH) {
				py->type_depth++;
				bt = hi_py_type(py, b);
				py->type_depth--;
			}
			if (bt) {
				t.desc = bt->desc;
				break;
			}
			if (read_word(py, b, l->tp_base, &b) < 0)
				break;
		}
		t.family = t.desc >= 0 ? hi_typedescs[t.desc].family : HI_B_NONE;
		/* The family's own type (dict, not defaultdict or a subclass). */
		t.builtin = t.family && py->builtin_addr[t.family] == addr ? t.family : HI_B_NONE;
		t.tp_name = strdup(name);
	}
	if (py->ntypes == py->captypes) {
		size_t ncap = py->captypes ? py->captypes * 2 : 256;
		struct hi_type **nt = realloc(py->types, ncap * sizeof *nt);
		if (!nt) {
			free(t.tp_name);
			return NULL;
		}
		py->types = nt;
		py->captypes = ncap;
	}
	if (!ok || !t.tp_name) {
		free(t.tp_name);
		u64map_put(&py->type_index, addr, UINT64_MAX);
		return NULL;
	}
	struct hi_type *copy = malloc(sizeof *copy);
	if (!copy) {
		free(t.tp_name);
		return NULL;
	}
	*copy = t;
	copy->index = (uint32_t)py->ntypes;
	py->types[py->ntypes] = copy;
	u64map_put(&py->type_index, addr, py->ntypes);
	return py->types[py->ntypes++];
}

int hi_py_interps(struct hi_py *py, uint64_t *out, int max, const char *who)
{
	const struct hi_layout *l = &py->l;
	uint64_t in;
	if (hi_mem_u64(py->mem, py->runtime + l->rt_interp_head.off, &in) < 0) {
		hi_error("%s: cannot read _PyRuntime at 0x%llx: the process may be exiting", who,
			 (unsigned long long)py->runtime);
		return -1;
	}
	int n = 0;
	while (in && n < max) {
		for (int i = 0; i < n; i++)
			if (out[i] == in)
				return n;	/* a loop: corrupt memory */
		out[n++] = in;
		if (hi_mem_u64(py->mem, in + l->is_next.off, &in) < 0)
			break;
	}
	return n;
}

uint64_t hi_py_main_interp(struct hi_py *py)
{
	const struct hi_layout *l = &py->l;
	uint64_t in = 0, all[HI_MAX_INTERPS];
	if (hi_has(l->rt_interp_main) && hi_mem_u64(py->mem, py->runtime + l->rt_interp_main.off, &in) == 0 && in)
		return in;
	/* The list is newest first: the main interpreter is last.  */
	int n = hi_py_interps(py, all, HI_MAX_INTERPS, "");
	return n > 0 ? all[n - 1] : 0;
}

int hi_py_is(struct hi_py *py, uint64_t obj, enum hi_builtin b)
{
	struct hi_type *t = hi_py_type(py, hi_py_type_of(py, obj));
	return t && t->family == b;
}

static size_t put_utf8(char *out, uint32_t c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

static int read_bits(struct hi_py *py, uint64_t addr, struct hi_mbr m, unsigned *out)
{
	return hi_member_bits(py->mem, addr, m, out);
}

/* Where str OBJ keeps its characters: length in code points, bytes per
 * code point, address.  -1 if it is not a readable str.  */
static int str_data(struct hi_py *py, uint64_t obj, int64_t *len, unsigned *kind, uint64_t *data)
{
	struct hi_layout *l = &py->l;
	unsigned compact, ascii;
	if (!hi_py_is(py, obj, HI_B_STR) || hi_mem_i64(py->mem, obj + l->str_length.off, len) < 0 || *len < 0 ||
	    read_bits(py, obj, l->str_kind, kind) < 0 ||
	    read_bits(py, obj, l->str_compact, &compact) < 0 ||
	    read_bits(py, obj, l->str_ascii, &ascii) < 0)
		return -1;
	if (*kind != 1 && *kind != 2 && *kind != 4)
		return -1;
	if (compact)
		*data = obj + (ascii ? l->sizeof_ascii : l->sizeof_compact_unicode);
	else if (!hi_has(l->str_legacy_data) || hi_mem_u64(py->mem, obj + l->str_legacy_data.off, data) < 0)
		return -1;
	return 0;
}

int64_t hi_py_str_chars(struct hi_py *py, uint64_t obj, uint32_t *out, size_t max, size_t *got)
{
	int64_t len;
	unsigned kind;
	uint64_t data;
	unsigned char raw[1024];
	if (str_data(py, obj, &len, &kind, &data) < 0)
		return -1;
	size_t n = (uint64_t)len < max ? (size_t)len : max;
	if (n > sizeof raw / 4)
		n = sizeof raw / 4;
	if (n && hi_mem_read(py->mem, data, raw, n * kind) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (kind == 1)
			out[i] = raw[i];
		else if (kind == 2)
			out[i] = raw[2 * i] | (uint32_t)raw[2 * i + 1] << 8;
		else
			memcpy(&out[i], raw + 4 * i, 4);
	}
	*got = n;
	return len;
}

ssize_t hi_py_str(struct hi_py *py, uint64_t obj, char *buf, size_t size)
{
	int64_t len;
	unsigned kind;
	uint64_t data;
	if (!size || str_data(py, obj, &len, &kind, &data) < 0)
		return -1;
	size_t out = 0;
	unsigned char raw[256];
	int64_t i = 0;
	while (i < len && out + 5 < size) {
		int64_t n = len - i;
		if (n > (int64_t)(sizeof raw / kind))
			n = sizeof raw / kind;
		if (hi_mem_read(py->mem, data + i * kind, raw, n * kind) < 0)
			return -1;
		for (int64_t j = 0; j < n && out + 5 < size; j++, i++) {
			uint32_t c;
			if (kind == 1)
				c = raw[j];
			else if (kind == 2)
				c = raw[2 * j] | (uint32_t)raw[2 * j + 1] << 8;
			else
				memcpy(&c, raw + 4 * j, 4);
			/* Keep the output valid UTF-8 and unbroken: no lone
			 * surrogates, no NUL.  */
			if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) || c == 0)
				c = 0xfffd;
			out += put_utf8(buf + out, c);
		}
	}
	buf[out] = '\0';
	return (ssize_t)out;
}

uint64_t hi_py_dict_slot(struct hi_py *py, uint64_t obj, const struct hi_type *t)
{
	if (py->managed && (t->flags & py->managed_dict_flag))
		return obj - 3 * 8;
	if (t->dictoffset > 0)
		return obj + (uint64_t)t->dictoffset;
	if (t->dictoffset < 0) {
		/* Counted from the end of a variable-size object. */
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

uint64_t hi_py_owned_dict(struct hi_py *py, uint64_t obj, const struct hi_type *t)
{
	uint64_t slot = hi_py_dict_slot(py, obj, t), d;
	if (!slot || hi_mem_u64(py->mem, slot, &d) < 0)
		return 0;
	/* 3.12's managed word holds values, not a dict, when tagged. */
	if (py->managed == HI_MANAGED_312 && (d & 1))
		return 0;
	return d;
}

int hi_py_dictkeys(struct hi_py *py, uint64_t keys, struct hi_dictkeys *k)
{
	struct hi_layout *l = &py->l;
	uint64_t v;
	memset(k, 0, sizeof *k);
	k->addr = keys;
	if (!keys || hi_mem_i64(py->mem, keys + l->dk_refcnt.off, &k->refcnt) < 0)
		return -1;
	if (hi_has(l->dk_size)) {
		/* 3.8-3.10: dk_size slots of 1, 2, 4 or 8 bytes. */
		if (read_word(py, keys, l->dk_size, &v) < 0 || v == 0 || (v & (v - 1)) || v > (1ull << 31))
			return -1;
		k->size = v;
		unsigned ix = v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffffull ? 4 : 8;
		k->index_bytes = (unsigned)(v * ix);
		k->kind = -1;
		k->entry_size = l->sizeof_entry;
	} else {
		uint64_t lg, lgi, kind = 0;
		if (read_word(py, keys, l->dk_log2_size, &lg) < 0 ||
		    read_word(py, keys, l->dk_log2_index_bytes, &lgi) < 0 || lg > 31 || lgi > 31)
			return -1;
		if (hi_has(l->dk_kind) && read_word(py, keys, l->dk_kind, &kind) < 0)
			return -1;
		if (kind > 2)
			return -1;
		k->size = 1ull << lg;
		k->index_bytes = 1u << lgi;
		k->kind = (int)kind;
		k->entry_size = kind == 0 ? l->sizeof_entry : l->sizeof_unicode_entry;
	}
	if (hi_mem_i64(py->mem, keys + l->dk_usable.off, &k->usable) < 0 ||
	    hi_mem_i64(py->mem, keys + l->dk_nentries.off, &k->nentries) < 0 ||
	    k->nentries < 0 || (uint64_t)k->nentries > k->size)
		return -1;
	k->entries = keys + l->dk_indices.off + k->index_bytes;
	return 0;
}

int hi_py_dict_foreach(struct hi_py *py, uint64_t dict, hi_dict_fn fn, void *arg)
{
	struct hi_layout *l = &py->l;
	uint64_t keys, values;
	struct hi_dictkeys k;
	if (hi_mem_u64(py->mem, dict + l->ma_keys.off, &keys) < 0 ||
	    hi_mem_u64(py->mem, dict + l->ma_values.off, &values) < 0 ||
	    hi_py_dictkeys(py, keys, &k) < 0)
		return -1;
	struct hi_mbr mk = k.kind > 0 ? l->ue_key : l->me_key;
	struct hi_mbr mv = k.kind > 0 ? l->ue_value : l->me_value;
	uint64_t vals = 0;
	if (values)	/* split table: values live apart, indexed like entries */
		vals = hi_has(l->dv_values) ? values + l->dv_values.off : values;
	unsigned char buf[4096];
	size_t per = k.entry_size ? sizeof buf / k.entry_size : 0;
	if (!per)
		return -1;
	for (int64_t i = 0; i < k.nentries;) {
		size_t n = (size_t)(k.nentries - i) < per ? (size_t)(k.nentries - i) : per;
		if (hi_mem_read(py->mem, k.entries + i * k.entry_size, buf, n * k.entry_size) < 0)
			return -1;
		for (size_t j = 0; j < n; j++, i++) {
			uint64_t key, value;
			memcpy(&key, buf + j * k.entry_size + mk.off, 8);
			if (vals) {
				if (hi_mem_u64(py->mem, vals + 8 * i, &value) < 0)
					return -1;
			} else {
				memcpy(&value, buf + j * k.entry_size + mv.off, 8);
			}
			if (!key || !value)
				continue;
			if (fn(key, value, arg))
				return 0;
		}
		if ((i & 0xffff) < (int64_t)per && hi_interrupted())
			return -1;	/* a huge table: let Ctrl-C end it */
	}
	return 0;
}

struct get_str_ctx {
	struct hi_py *py;
	const char *name;
	uint64_t found;
};

static int get_str_cb(uint64_t key, uint64_t value, void *arg)
{
	struct get_str_ctx *c = arg;
	char buf[128];
	if (hi_py_str(c->py, key, buf, sizeof buf) >= 0 && strcmp(buf, c->name) == 0) {
		c->found = value;
		return 1;
	}
	return 0;
}

uint64_t hi_py_dict_get_str(struct hi_py *py, uint64_t dict, const char *name)
{
	struct get_str_ctx c = { py, name, 0 };
	if (!dict || hi_py_dict_foreach(py, dict, get_str_cb, &c) < 0)
		return 0;
	return c.found;
}
