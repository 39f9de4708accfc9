/* validate.c: do the layouts fit the target? (validate.h)  */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "dwarf/debuginfo.h"
#include "python/validate.h"
#include "util/error.h"

struct check {
	struct hi_py *py;
	int passed;
	char what[300];		/* the first disagreement */
};

static void disagree(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void disagree(struct check *c, const char *fmt, ...)
{
	if (c->what[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->what, sizeof c->what, fmt, ap);
	va_end(ap);
}

/* ---- builtin type objects ---- */

/* What the layouts say of TYPE: its size (MEMBER NULL), or the offset of
 * MEMBER, plus PLUS; -1 when the DWARF has no such thing.  */
static int64_t layout_says(struct hi_dbg *d, const char *type, const char *member, int plus)
{
	struct hi_field f;
	if (!member)
		return hi_dbg_sizeof(d, type);
	return hi_dbg_field(d, type, member, &f) == 0 ? (int64_t)f.offset + plus : -1;
}

/* "sizeof(T)" or "offsetof(T, M) + 1", for messages.  */
static const char *said(char *buf, size_t size, const char *type, const char *member, int plus)
{
	if (!member)
		snprintf(buf, size, "sizeof(%s)", type);
	else
		snprintf(buf, size, "offsetof(%s, %s)%s", type, member, plus ? " + 1" : "");
	return buf;
}

static const struct {
	const char *sym, *name;
	const char *type, *member;	/* tp_basicsize is sizeof TYPE, or the
					 * offset of MEMBER ... */
	int plus;			/* ... plus this */
} types[] = {
	{ "PyType_Type", "type", "PyHeapTypeObject" },
	{ "PyBaseObject_Type", "object", "PyObject" },
	{ "PyDict_Type", "dict", "PyDictObject" },
	{ "PyList_Type", "list", "PyListObject" },
	{ "PyUnicode_Type", "str", "PyUnicodeObject" },
	{ "PyFloat_Type", "float", "PyFloatObject" },
	{ "PySet_Type", "set", "PySetObject" },
	{ "PyModule_Type", "module", "PyModuleObject" },
	{ "PyTuple_Type", "tuple", "PyTupleObject", "ob_item" },
	{ "PyBytes_Type", "bytes", "PyBytesObject", "ob_sval", 1 },	/* its NUL */
	{ "PyLong_Type", "int", "struct _longobject", "ob_digit" },
	{ "PyLong_Type", "int", "struct _longobject", "long_value.ob_digit" },
};

static void check_types(struct check *c)
{
	struct hi_py *py = c->py;
	const struct hi_layout *l = &py->l;
	uint64_t type_type = 0;
	hi_dbg_symbol(py->dbg, "PyType_Type", &type_type, NULL);
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		uint64_t addr, name_ptr, meta, basicsize;
		char name[64];
		if (hi_dbg_symbol(py->dbg, types[i].sym, &addr, NULL) < 0)
			continue;
		/* A read that fails proves nothing (the process may be
		 * exiting): only what was read can disagree.  */
		if (hi_mem_u64(py->mem, addr + l->tp_name.off, &name_ptr) < 0)
			continue;
		if (hi_mem_cstr(py->mem, name_ptr, name, sizeof name) < 0) {
			if (!hi_mem_target_gone(py->mem))
				disagree(c, "%s's tp_name (at offset %u) does not point to a name", types[i].sym,
					 l->tp_name.off);
			continue;
		}
		if (strcmp(name, types[i].name) != 0) {
			disagree(c, "%s's tp_name (at offset %u) reads \"%.40s\", not \"%s\"", types[i].sym,
				 l->tp_name.off, name, types[i].name);
			continue;
		}
		c->passed++;
		if (type_type && hi_mem_u64(py->mem, addr + l->ob_type.off, &meta) == 0) {
			if (meta != type_type)
				disagree(c, "%s's ob_type (at offset %u) is not PyType_Type", types[i].sym, l->ob_type.off);
			else
				c->passed++;
		}
		int64_t want = layout_says(py->dbg, types[i].type, types[i].member, types[i].plus);
		char what[160];
		if (want < 0 || hi_mem_uint(py->mem, addr + l->tp_basicsize.off, l->tp_basicsize.size, &basicsize) < 0)
			continue;
		if ((int64_t)basicsize != want)
			disagree(c, "%s's tp_basicsize is %llu, where the layouts give %s = %lld", types[i].sym,
				 (unsigned long long)basicsize,
				 said(what, sizeof what, types[i].type, types[i].member, types[i].plus), (long long)want);
		else
			c->passed++;
	}
}

/* ---- interpreters and thread states ---- */

/* The newest thread state of each interpreter names it as its own.  The
 * target runs while heapinspect attaches: a head that changed between
 * two reads proves nothing, and is skipped.  */
static void check_threads(struct check *c)
{
	struct hi_py *py = c->py;
	const struct hi_layout *l = &py->l;
	struct hi_field ts_interp;
	uint64_t all[HI_MAX_INTERPS];
	if (hi_dbg_field(py->dbg, "PyThreadState", "interp", &ts_interp) < 0 || !hi_has(l->is_threads_head))
		return;
	int n = hi_py_interps(py, all, HI_MAX_INTERPS, "");
	hi_error_clear();
	for (int i = 0; i < n; i++) {
		uint64_t ts, back, again;
		if (hi_mem_u64(py->mem, all[i] + l->is_threads_head.off, &ts) < 0 || !ts ||
		    hi_mem_u64(py->mem, ts + ts_interp.offset, &back) < 0 ||
		    hi_mem_u64(py->mem, all[i] + l->is_threads_head.off, &again) < 0 || again != ts)
			continue;
		if (back != all[i]) {
			disagree(c, "the newest thread state of interpreter 0x%llx names 0x%llx as its interpreter (PyThreadState.interp at offset %llu)",
				 (unsigned long long)all[i], (unsigned long long)back, (unsigned long long)ts_interp.offset);
			return;
		}
		c->passed++;
	}
}

/* ---- 3.13+: the offsets CPython publishes in _PyRuntime.debug_offsets ---- */

static const struct {
	const char *published;		/* member of _Py_DebugOffsets */
	const char *type, *member;	/* NULL member: sizeof TYPE */
} published[] = {
	{ "runtime_state.size", "_PyRuntimeState", NULL },
	{ "runtime_state.finalizing", "_PyRuntimeState", "_finalizing" },
	{ "runtime_state.interpreters_head", "_PyRuntimeState", "interpreters.head" },
	{ "interpreter_state.size", "PyInterpreterState", NULL },
	{ "interpreter_state.id", "PyInterpreterState", "id" },
	{ "interpreter_state.next", "PyInterpreterState", "next" },
	{ "interpreter_state.threads_head", "PyInterpreterState", "threads.head" },
	{ "interpreter_state.gc", "PyInterpreterState", "gc" },
	{ "interpreter_state.imports_modules", "PyInterpreterState", "imports.modules" },
	{ "interpreter_state.sysdict", "PyInterpreterState", "sysdict" },
	{ "interpreter_state.builtins", "PyInterpreterState", "builtins" },
	{ "interpreter_state.ceval_gil", "PyInterpreterState", "ceval.gil" },
	{ "interpreter_state.gil_runtime_state", "PyInterpreterState", "_gil" },
	{ "thread_state.size", "PyThreadState", NULL },
	{ "thread_state.prev", "PyThreadState", "prev" },
	{ "thread_state.next", "PyThreadState", "next" },
	{ "thread_state.interp", "PyThreadState", "interp" },
	{ "thread_state.current_frame", "PyThreadState", "current_frame" },
	{ "thread_state.thread_id", "PyThreadState", "thread_id" },
	{ "thread_state.native_thread_id", "PyThreadState", "native_thread_id" },
	{ "thread_state.datastack_chunk", "PyThreadState", "datastack_chunk" },
	{ "interpreter_frame.size", "struct _PyInterpreterFrame", NULL },
	{ "interpreter_frame.previous", "struct _PyInterpreterFrame", "previous" },
	{ "interpreter_frame.executable", "struct _PyInterpreterFrame", "f_executable" },
	{ "interpreter_frame.instr_ptr", "struct _PyInterpreterFrame", "instr_ptr" },
	{ "interpreter_frame.localsplus", "struct _PyInterpreterFrame", "localsplus" },
	{ "interpreter_frame.owner", "struct _PyInterpreterFrame", "owner" },
	{ "code_object.size", "PyCodeObject", NULL },
	{ "code_object.filename", "PyCodeObject", "co_filename" },
	{ "code_object.name", "PyCodeObject", "co_name" },
	{ "code_object.qualname", "PyCodeObject", "co_qualname" },
	{ "code_object.firstlineno", "PyCodeObject", "co_firstlineno" },
	{ "code_object.localsplusnames", "PyCodeObject", "co_localsplusnames" },
	{ "code_object.co_code_adaptive", "PyCodeObject", "co_code_adaptive" },
	{ "pyobject.size", "PyObject", NULL },
	{ "pyobject.ob_type", "PyObject", "ob_type" },
	{ "type_object.size", "PyTypeObject", NULL },
	{ "type_object.tp_name", "PyTypeObject", "tp_name" },
	{ "type_object.tp_flags", "PyTypeObject", "tp_flags" },
	{ "tuple_object.size", "PyTupleObject", NULL },
	{ "tuple_object.ob_item", "PyTupleObject", "ob_item" },
	{ "tuple_object.ob_size", "PyTupleObject", "ob_base.ob_size" },
	{ "list_object.size", "PyListObject", NULL },
	{ "list_object.ob_item", "PyListObject", "ob_item" },
	{ "list_object.ob_size", "PyListObject", "ob_base.ob_size" },
	{ "dict_object.size", "PyDictObject", NULL },
	{ "dict_object.ma_keys", "PyDictObject", "ma_keys" },
	{ "dict_object.ma_values", "PyDictObject", "ma_values" },
	{ "float_object.size", "PyFloatObject", NULL },
	{ "float_object.ob_fval", "PyFloatObject", "ob_fval" },
	{ "long_object.size", "struct _longobject", NULL },
	{ "long_object.lv_tag", "struct _longobject", "long_value.lv_tag" },
	{ "long_object.ob_digit", "struct _longobject", "long_value.ob_digit" },
	{ "bytes_object.size", "PyBytesObject", NULL },
	{ "bytes_object.ob_size", "PyBytesObject", "ob_base.ob_size" },
	{ "bytes_object.ob_sval", "PyBytesObject", "ob_sval" },
	{ "gc.collecting", "struct _gc_runtime_state", "collecting" },
};

static void check_published(struct check *c)
{
	struct hi_py *py = c->py;
	struct hi_field at, pf;
	if (hi_dbg_field(py->dbg, "_PyRuntimeState", "debug_offsets", &at) < 0)
		return;	/* before 3.13 */
	uint64_t base = py->runtime + at.offset, version;
	char cookie[8];
	if (hi_mem_read(py->mem, base, cookie, sizeof cookie) < 0)
		return;
	if (memcmp(cookie, "xdebugpy", 8) != 0) {
		disagree(c, "_PyRuntime.debug_offsets (at offset %llu) does not begin with CPython's cookie",
			 (unsigned long long)at.offset);
		return;
	}
	c->passed++;
	if (hi_dbg_field(py->dbg, "_Py_DebugOffsets", "version", &pf) == 0 &&
	    hi_mem_u64(py->mem, base + pf.offset, &version) == 0 && py->version_hex) {
		if (version != py->version_hex)
			disagree(c, "_PyRuntime.debug_offsets says version 0x%08llx, Py_Version 0x%08x",
				 (unsigned long long)version, py->version_hex);
		else
			c->passed++;
	}
	for (size_t i = 0; i < sizeof published / sizeof published[0]; i++) {
		uint64_t theirs;
		char what[160];
		if (hi_dbg_field(py->dbg, "_Py_DebugOffsets", published[i].published, &pf) < 0 ||
		    hi_mem_u64(py->mem, base + pf.offset, &theirs) < 0)
			continue;
		int64_t mine = layout_says(py->dbg, published[i].type, published[i].member, 0);
		if (mine < 0)
			continue;
		if ((uint64_t)mine != theirs)
			disagree(c, "_PyRuntime.debug_offsets says %s is %llu, where the layouts give %s = %lld",
				 published[i].published, (unsigned long long)theirs,
				 said(what, sizeof what, published[i].type, published[i].member, 0), (long long)mine);
		else
			c->passed++;
	}
}

/* What a census cannot do without: the functions that tell a Python
 * class (subtype_dealloc) and, 3.8-3.10, a dict whose keys are not all
 * str (lookdict) are found by symbol, or else in the process
 * (pyobj.c).  */
static void check_found(struct check *c)
{
	const struct hi_py *py = c->py;
	if (hi_has(py->l.tp_dealloc) && !py->subtype_dealloc_fn)
		disagree(c, "subtype_dealloc, every Python class's tp_dealloc, was not found (no symbol, and importlib's ModuleSpec did not give it)");
	else
		c->passed++;
	if (hi_has(py->l.dk_lookup) && !py->lookdict_fn)
		disagree(c, "lookdict, the lookup of dicts with keys other than str, was not found (no symbol, and posix.environ is empty or unreadable)");
	else if (hi_has(py->l.dk_lookup))
		c->passed++;
}

void hi_py_validate_ask(struct hi_dbg *d)
{
	struct hi_field f;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		layout_says(d, types[i].type, types[i].member, types[i].plus);
	hi_dbg_field(d, "PyThreadState", "interp", &f);
	if (hi_dbg_field(d, "_PyRuntimeState", "debug_offsets", &f) < 0)
		return;
	hi_dbg_field(d, "_Py_DebugOffsets", "version", &f);
	for (size_t i = 0; i < sizeof published / sizeof published[0]; i++)
		if (hi_dbg_field(d, "_Py_DebugOffsets", published[i].published, &f) == 0)
			layout_says(d, published[i].type, published[i].member, 0);
}

int hi_py_validate(struct hi_py *py, const char *who)
{
	struct check c = { py, 0, "" };
	check_found(&c);
	check_types(&c);
	check_threads(&c);
	check_published(&c);
	const char *pv = NULL;
	int same = 0;
	const char *pack = hi_dbg_pack_file(py->dbg, &pv, &same);
	int from_pack = hi_dbg_layout_source(py->dbg) == HI_LAYOUT_PACK;
	/* The version: a pack is for one version; what the target says of
	 * itself must be that one (its file name tells only the minor).  */
	if (from_pack && pv && py->version[0] && strchr(py->version, '.') != strrchr(py->version, '.')) {
		if (strcmp(py->version, pv) != 0)
			disagree(&c, "the target is CPython %s, the pack is of CPython %s", py->version, pv);
		else
			c.passed++;
	}
	if (hi_dbg_refuse_missed(py->dbg, who) < 0)
		return -1;
	if (c.what[0] && hi_mem_target_gone(py->mem)) {
		hi_error("%s: the process exited while heapinspect attached", who);
		hi_error_class(HI_E_GONE);
		return -1;
	}
	if (c.what[0]) {
		if (from_pack)
			hi_error("%s: the layout pack %s does not fit %s: %s; use the pack of this Python's own version and build, install its debug symbols, set DEBUGINFOD_URLS, or save a pack from a build of the same version with debug information (`layout -save`)",
				 who, pack, hi_dbg_python_path(py->dbg), c.what);
		else
			hi_error("%s: the debug information %s does not fit %s: %s; it is of another build: install the debug symbols of this very build",
				 who, hi_dbg_debug_path(py->dbg), hi_dbg_python_path(py->dbg), c.what);
		hi_error_class(HI_E_NODEBUG);
		return -1;
	}
	snprintf(py->checked, sizeof py->checked, "%d checks agree", c.passed);
	return 0;
}
