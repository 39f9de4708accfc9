/* layout.c: fill struct hi_layout from DWARF (see layout.h).
 *
 * The table below is the only place that names CPython's structs and
 * members.  Where CPython renamed a member, the table lists each name and
 * the first one present wins.  */
#include "config.h"
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "util/error.h"
#include "dwarf/layout.h"
#include "dwarf/debuginfo.h"
#include "dwarf/dwindex.h"

enum { OPT = 0, REQ = 1 };

struct mbr_spec {
	size_t where;		/* offsetof(struct hi_layout, member) */
	int required;
	const char *type;
	const char *paths[4];	/* alternatives, first present wins */
};

#define M(field, req, type, ...) { offsetof(struct hi_layout, field), req, type, { __VA_ARGS__ } }

static const struct mbr_spec members[] = {
	M(ob_refcnt, REQ, "PyObject", "ob_refcnt"),
	M(ob_type, REQ, "PyObject", "ob_type"),
	M(ob_size, REQ, "PyVarObject", "ob_size"),

	M(tp_name, REQ, "PyTypeObject", "tp_name"),
	M(tp_basicsize, REQ, "PyTypeObject", "tp_basicsize"),
	M(tp_itemsize, REQ, "PyTypeObject", "tp_itemsize"),
	M(tp_flags, REQ, "PyTypeObject", "tp_flags"),
	M(tp_base, REQ, "PyTypeObject", "tp_base"),
	M(tp_dict, REQ, "PyTypeObject", "tp_dict"),
	M(tp_dictoffset, REQ, "PyTypeObject", "tp_dictoffset"),
	M(tp_is_gc, REQ, "PyTypeObject", "tp_is_gc"),
	M(tp_mro, OPT, "PyTypeObject", "tp_mro"),
	M(tp_members, OPT, "PyTypeObject", "tp_members"),
	M(tp_dealloc, OPT, "PyTypeObject", "tp_dealloc"),
	M(tp_traverse, OPT, "PyTypeObject", "tp_traverse"),
	M(tp_methods, OPT, "PyTypeObject", "tp_methods"),
	M(ht_cached_keys, REQ, "PyHeapTypeObject", "ht_cached_keys"),
	M(ht_name, OPT, "PyHeapTypeObject", "ht_name"),
	M(ht_qualname, OPT, "PyHeapTypeObject", "ht_qualname"),
	M(ht_module, OPT, "PyHeapTypeObject", "ht_module"),

	M(gc_next, REQ, "PyGC_Head", "_gc_next"),
	M(gc_prev, REQ, "PyGC_Head", "_gc_prev"),
	M(rt_interp_head, REQ, "struct pyruntimestate", "interpreters.head"),
	M(rt_gc, OPT, "struct pyruntimestate", "gc"),
	M(rt_interp_main, OPT, "struct pyruntimestate", "interpreters.main"),
	M(rt_tstate_current, OPT, "struct pyruntimestate", "gilstate.tstate_current"),
	M(is_next, REQ, "struct _is", "next"),
	M(is_gc, OPT, "struct _is", "gc"),
	M(is_id, OPT, "struct _is", "id"),
	M(is_threads_head, OPT, "struct _is", "threads.head", "tstate_head"),
	M(is_modules, OPT, "struct _is", "imports.modules", "modules"),
	M(is_sysdict, OPT, "struct _is", "sysdict"),
	M(is_builtins, OPT, "struct _is", "builtins"),
	M(ts_next, REQ, "struct _ts", "next"),
	M(ts_thread_id, OPT, "struct _ts", "thread_id"),
	M(gcs_generations, REQ, "struct _gc_runtime_state", "generations"),
	M(gcs_permanent, OPT, "struct _gc_runtime_state", "permanent_generation"),
	M(gen_head, REQ, "struct gc_generation", "head"),

	M(list_items, REQ, "PyListObject", "ob_item"),
	M(list_allocated, REQ, "PyListObject", "allocated"),
	M(tuple_items, REQ, "PyTupleObject", "ob_item"),

	M(ma_used, REQ, "PyDictObject", "ma_used"),
	M(ma_keys, REQ, "PyDictObject", "ma_keys"),
	M(ma_values, REQ, "PyDictObject", "ma_values"),
	M(dk_refcnt, REQ, "struct _dictkeysobject", "dk_refcnt"),
	M(dk_size, OPT, "struct _dictkeysobject", "dk_size"),
	M(dk_log2_size, OPT, "struct _dictkeysobject", "dk_log2_size"),
	M(dk_log2_index_bytes, OPT, "struct _dictkeysobject", "dk_log2_index_bytes"),
	M(dk_kind, OPT, "struct _dictkeysobject", "dk_kind"),
	M(dk_usable, REQ, "struct _dictkeysobject", "dk_usable"),
	M(dk_nentries, REQ, "struct _dictkeysobject", "dk_nentries"),
	M(dk_indices, REQ, "struct _dictkeysobject", "dk_indices"),
	M(me_key, REQ, "PyDictKeyEntry", "me_key"),
	M(me_value, REQ, "PyDictKeyEntry", "me_value"),
	M(ue_key, OPT, "PyDictUnicodeEntry", "me_key"),
	M(ue_value, OPT, "PyDictUnicodeEntry", "me_value"),
	M(dv_values, OPT, "struct _dictvalues", "values"),
	M(dv_embedded, OPT, "struct _dictvalues", "embedded"),

	M(set_mask, REQ, "PySetObject", "mask"),
	M(set_table, REQ, "PySetObject", "table"),
	M(set_smalltable, REQ, "PySetObject", "smalltable"),
	M(set_used, OPT, "PySetObject", "used"),
	M(set_fill, OPT, "PySetObject", "fill"),

	M(str_length, REQ, "PyASCIIObject", "length"),
	M(str_kind, REQ, "PyASCIIObject", "state.kind"),
	M(str_compact, REQ, "PyASCIIObject", "state.compact"),
	M(str_ascii, REQ, "PyASCIIObject", "state.ascii"),
	M(str_legacy_data, OPT, "PyUnicodeObject", "data"),
	M(str_utf8_length, REQ, "PyCompactUnicodeObject", "utf8_length"),
	M(str_utf8, REQ, "PyCompactUnicodeObject", "utf8"),
	M(str_wstr, OPT, "PyASCIIObject", "wstr"),
	M(str_wstr_length, OPT, "PyCompactUnicodeObject", "wstr_length"),
	M(str_ready, OPT, "PyASCIIObject", "state.ready"),

	M(long_digit, OPT, "struct _longobject", "ob_digit", "long_value.ob_digit"),
	M(long_lv_tag, OPT, "struct _longobject", "long_value.lv_tag"),
	M(ba_alloc, REQ, "PyByteArrayObject", "ob_alloc"),
	M(od_first, OPT, "struct _odictobject", "od_first"),
	M(od_fast_nodes_size, OPT, "struct _odictobject", "od_fast_nodes_size"),
	M(dq_leftindex, OPT, "dequeobject", "leftindex"),
	M(dq_block_data, OPT, "struct BLOCK", "data"),

	M(md_dict, REQ, "PyModuleObject", "md_dict"),
	M(md_def, REQ, "PyModuleObject", "md_def"),
	M(md_state, OPT, "PyModuleObject", "md_state"),
	M(mdef_size, REQ, "struct PyModuleDef", "m_size"),
	M(func_dict, REQ, "PyFunctionObject", "func_dict"),

	M(co_extra, OPT, "PyCodeObject", "co_extra"),
	M(co_cell2arg, OPT, "PyCodeObject", "co_cell2arg"),
	M(co_cellvars, OPT, "PyCodeObject", "co_cellvars"),
	M(co_varnames, OPT, "PyCodeObject", "co_varnames"),
	M(co_localsplusnames, OPT, "PyCodeObject", "co_localsplusnames"),
	M(co_freevars, OPT, "PyCodeObject", "co_freevars"),
	M(co_nlocals, OPT, "PyCodeObject", "co_nlocals"),
	M(co_stacksize, OPT, "PyCodeObject", "co_stacksize"),
	M(co_framesize, OPT, "PyCodeObject", "co_framesize"),
	M(co_nlocalsplus, OPT, "PyCodeObject", "co_nlocalsplus"),
	M(co_opcache, OPT, "PyCodeObject", "co_opcache"),
	M(co_opcache_size, OPT, "PyCodeObject", "co_opcache_size"),
	M(co_code, OPT, "PyCodeObject", "co_code"),
	M(code_ncellvars, OPT, "PyCodeObject", "co_ncellvars"),
	M(code_nfreevars, OPT, "PyCodeObject", "co_nfreevars"),
	M(ce_size, OPT, "_PyCodeObjectExtra", "ce_size"),

	M(f_code, OPT, "struct _frame", "f_code"),
	M(f_back, OPT, "struct _frame", "f_back"),
	M(f_frame, OPT, "struct _frame", "f_frame"),
	M(f_frame_data, OPT, "struct _frame", "_f_frame_data"),
	M(iframe_localsplus, OPT, "struct _PyInterpreterFrame", "localsplus"),
	M(iframe_code, OPT, "struct _PyInterpreterFrame", "f_executable", "f_code"),
	M(gen_iframe, OPT, "PyGenObject", "gi_iframe"),
	M(gen_code, OPT, "PyGenObject", "gi_code"),
	M(gen_frame, OPT, "PyGenObject", "gi_frame"),
	M(gen_name, REQ, "PyGenObject", "gi_name"),
	M(gen_qualname, REQ, "PyGenObject", "gi_qualname"),
	M(gen_frame_state, OPT, "PyGenObject", "gi_frame_state"),

	M(f_localsplus, OPT, "struct _frame", "f_localsplus"),
	M(f_valuestack, OPT, "struct _frame", "f_valuestack"),
	M(f_stacktop, OPT, "struct _frame", "f_stacktop"),
	M(f_stackdepth, OPT, "struct _frame", "f_stackdepth"),
	M(iframe_previous, OPT, "struct _PyInterpreterFrame", "previous"),
	M(iframe_frame_obj, OPT, "struct _PyInterpreterFrame", "frame_obj"),
	M(iframe_locals, OPT, "struct _PyInterpreterFrame", "f_locals"),
	M(iframe_func, OPT, "struct _PyInterpreterFrame", "f_funcobj", "f_func"),
	M(iframe_stacktop, OPT, "struct _PyInterpreterFrame", "stacktop"),
	M(iframe_owner, OPT, "struct _PyInterpreterFrame", "owner"),
	M(ts_cframe, OPT, "struct _ts", "cframe"),
	M(cframe_current, OPT, "struct _PyCFrame", "current_frame"),
	M(ts_current_frame, OPT, "struct _ts", "current_frame"),
	M(ts_frame, OPT, "struct _ts", "frame"),

	M(memberdef_name, REQ, "struct PyMemberDef", "name"),
	M(memberdef_type, REQ, "struct PyMemberDef", "type"),
	M(memberdef_offset, REQ, "struct PyMemberDef", "offset"),
	M(methoddef_name, OPT, "struct PyMethodDef", "ml_name"),
	M(methoddef_meth, OPT, "struct PyMethodDef", "ml_meth"),
	M(methoddef_flags, OPT, "struct PyMethodDef", "ml_flags"),
	M(setentry_key, REQ, "setentry", "key"),
	M(dk_lookup, OPT, "struct _dictkeysobject", "dk_lookup"),
	M(dv_size, OPT, "struct _dictvalues", "size"),
	M(dv_valid, OPT, "struct _dictvalues", "valid"),
	M(dq_leftblock, OPT, "dequeobject", "leftblock"),
	M(dq_rightlink, OPT, "struct BLOCK", "rightlink"),
	M(float_val, REQ, "PyFloatObject", "ob_fval"),
	M(complex_val, REQ, "PyComplexObject", "cval"),
	M(bytes_sval, REQ, "PyBytesObject", "ob_sval"),
	M(co_firstlineno, OPT, "PyCodeObject", "co_firstlineno"),
	M(co_name, OPT, "PyCodeObject", "co_name"),
	M(co_filename, OPT, "PyCodeObject", "co_filename"),

	M(f_lasti, OPT, "struct _frame", "f_lasti"),
	M(iframe_instr, OPT, "struct _PyInterpreterFrame", "instr_ptr", "prev_instr"),
	M(co_code_adaptive, OPT, "PyCodeObject", "co_code_adaptive"),
	M(co_lnotab, OPT, "PyCodeObject", "co_lnotab"),
	M(co_linetable, OPT, "PyCodeObject", "co_linetable"),
	M(co_qualname, OPT, "PyCodeObject", "co_qualname"),
	M(ts_native_thread_id, OPT, "struct _ts", "native_thread_id"),
	M(rt_gil, OPT, "struct pyruntimestate", "ceval.gil"),
	M(is_gil, OPT, "struct _is", "ceval.gil"),
	M(gil_locked, OPT, "struct _gil_runtime_state", "locked._value", "locked"),
	M(gil_last_holder, OPT, "struct _gil_runtime_state", "last_holder._value", "last_holder"),
};

struct size_spec {
	size_t where;
	int required;
	const char *types[3];
};

#define S(field, req, ...) { offsetof(struct hi_layout, field), req, { __VA_ARGS__ } }

static const struct size_spec sizes[] = {
	S(sizeof_object, REQ, "PyObject"),
	S(sizeof_varobject, REQ, "PyVarObject"),
	S(sizeof_type, REQ, "PyTypeObject"),
	S(sizeof_heaptype, REQ, "PyHeapTypeObject"),
	S(sizeof_gc_head, REQ, "PyGC_Head"),
	S(sizeof_dictkeys, REQ, "struct _dictkeysobject"),
	S(sizeof_entry, REQ, "PyDictKeyEntry"),
	S(sizeof_unicode_entry, OPT, "PyDictUnicodeEntry"),
	S(sizeof_setentry, REQ, "setentry"),
	S(sizeof_ascii, REQ, "PyASCIIObject"),
	S(sizeof_compact_unicode, REQ, "PyCompactUnicodeObject"),
	S(sizeof_unicode, REQ, "PyUnicodeObject"),
	S(sizeof_odict_node, OPT, "_ODictNode"),
	S(sizeof_deque_block, OPT, "struct BLOCK"),
	S(sizeof_code_extra, OPT, "_PyCodeObjectExtra"),
	S(sizeof_opcache, OPT, "_PyOpcache"),
	S(sizeof_frame, REQ, "struct _frame"),
	S(sizeof_memberdef, REQ, "struct PyMemberDef"),
	S(sizeof_methoddef, OPT, "struct PyMethodDef"),
};

static int load(struct hi_layout *l, struct hi_dbg *d, const char *who)
{
	for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
		const struct mbr_spec *s = &members[i];
		struct hi_mbr *m = (struct hi_mbr *)((char *)l + s->where);
		struct hi_field f;
		int found = 0;
		*m = (struct hi_mbr){ .off = HI_ABSENT };
		for (int k = 0; k < 4 && s->paths[k]; k++)
			if (hi_dbg_field(d, s->type, s->paths[k], &f) == 0) {
				*m = (struct hi_mbr){ (uint32_t)f.offset, (uint32_t)f.size,
						      (uint32_t)f.elem_size, (uint32_t)f.count,
						      (uint8_t)f.bit_offset, (uint8_t)f.bit_size };
				found = 1;
				break;
			}
		if (!found && s->required) {
			hi_error("%s: unsupported CPython layout: %s has no member %s in the debug information of %s",
				 who, s->type, s->paths[0], hi_dbg_python_path(d));
			hi_error_class(HI_E_NOTPY);
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		const struct size_spec *s = &sizes[i];
		uint32_t *out = (uint32_t *)((char *)l + s->where);
		int64_t v = -1;
		for (int k = 0; k < 3 && s->types[k] && v < 0; k++)
			v = hi_dbg_sizeof(d, s->types[k]);
		if (v < 0 && s->required) {
			hi_error("%s: unsupported CPython layout: no type %s in the debug information of %s",
				 who, s->types[0], hi_dbg_python_path(d));
			hi_error_class(HI_E_NOTPY);
			return -1;
		}
		*out = v < 0 ? 0 : (uint32_t)v;
	}
	/* Enumerators (3.11+): when a generator's frame is gone, and which
	 * interpreter frames are C-stack shims.  */
	if (hi_dbg_enum_value(d, "enum _framestate", "FRAME_CLEARED", &l->frame_cleared) < 0)
		l->frame_cleared = -1;
	if (hi_dbg_enum_value(d, "enum _frameowner", "FRAME_OWNED_BY_CSTACK", &l->owned_by_cstack) < 0)
		l->owned_by_cstack = -1;
	/* Variants that need one of two members. */
	if (!hi_has(l->is_gc) && !hi_has(l->rt_gc)) {
		hi_error("%s: unsupported CPython layout: neither struct _is nor _PyRuntime has a member gc (%s)",
			 who, hi_dbg_python_path(d));
		hi_error_class(HI_E_NOTPY);
		return -1;
	}
	if (!hi_has(l->dk_size) && !hi_has(l->dk_log2_size)) {
		hi_error("%s: unsupported CPython layout: struct _dictkeysobject has neither dk_size nor dk_log2_size (%s)",
			 who, hi_dbg_python_path(d));
		hi_error_class(HI_E_NOTPY);
		return -1;
	}
	return 0;
}

static int obm_member(struct hi_dbg *d, const char *type, const char *path, struct hi_mbr *m)
{
	struct hi_field f;
	if (hi_dbg_field(d, type, path, &f) < 0) {
		*m = (struct hi_mbr){ .off = HI_ABSENT };
		return -1;
	}
	*m = (struct hi_mbr){ (uint32_t)f.offset, (uint32_t)f.size, (uint32_t)f.elem_size, (uint32_t)f.count,
			      (uint8_t)f.bit_offset, (uint8_t)f.bit_size };
	return 0;
}

static int load_obmalloc(struct hi_obmalloc_layout *ol, struct hi_dbg *d, const char *who)
{
	static const char *const unit = "obmalloc.c";
	const char *missing = NULL;
	memset(ol, 0, sizeof *ol);
	/* The blocks: an arena_object per arena, a pool_header per pool.  */
	int64_t ao = hi_dbg_sizeof(d, "struct arena_object"), ph = hi_dbg_sizeof(d, "struct pool_header");
	if (ao <= 0 || ph <= 0)
		missing = ao <= 0 ? "struct arena_object" : "struct pool_header";
	ol->sizeof_arena_object = ao > 0 ? (uint32_t)ao : 0;
	ol->sizeof_pool_header = ph > 0 ? (uint32_t)ph : 0;
	if (!missing && (obm_member(d, "struct arena_object", "address", &ol->ao_address) < 0 ||
			 obm_member(d, "struct arena_object", "pool_address", &ol->ao_pool_address) < 0 ||
			 obm_member(d, "struct arena_object", "nfreepools", &ol->ao_nfreepools) < 0 ||
			 obm_member(d, "struct arena_object", "ntotalpools", &ol->ao_ntotalpools) < 0))
		missing = "struct arena_object's address, pool_address, nfreepools or ntotalpools";
	if (!missing && (obm_member(d, "struct pool_header", "ref.count", &ol->ph_count) < 0 ||
			 obm_member(d, "struct pool_header", "szidx", &ol->ph_szidx) < 0 ||
			 obm_member(d, "struct pool_header", "nextoffset", &ol->ph_nextoffset) < 0 ||
			 obm_member(d, "struct pool_header", "maxnextoffset", &ol->ph_maxnextoffset) < 0 ||
			 obm_member(d, "struct pool_header", "nextpool", &ol->ph_nextpool) < 0))
		missing = "struct pool_header's ref.count, szidx, nextoffset, maxnextoffset or nextpool";
	/* Where the state is: in each interpreter (3.12+) ...  */
	if (!missing && obm_member(d, "struct _is", "obmalloc", &ol->is_obmalloc) == 0) {
		ol->per_interp = 1;
		int64_t st = hi_dbg_sizeof(d, "struct _obmalloc_state");
		ol->interp_ptr = st > 0 && ol->is_obmalloc.size != (uint64_t)st && ol->is_obmalloc.size == 8;
		if (obm_member(d, "struct _obmalloc_state", "mgmt.arenas", &ol->st_arenas) < 0 ||
		    obm_member(d, "struct _obmalloc_state", "mgmt.maxarenas", &ol->st_maxarenas) < 0 ||
		    obm_member(d, "struct _obmalloc_state", "pools.used", &ol->st_used) < 0)
			missing = "struct _obmalloc_state's mgmt.arenas, mgmt.maxarenas or pools.used";
		ol->has_nfp2lasta = obm_member(d, "struct _obmalloc_state", "mgmt.nfp2lasta", &ol->st_nfp2lasta) == 0;
		ol->used_count = ol->st_used.count;
		ol->nfp_count = ol->has_nfp2lasta ? ol->st_nfp2lasta.count : 0;
	} else if (!missing) {
		/* ... or static variables of obmalloc.c (3.8-3.11).  */
		if (hi_dbg_static(d, unit, "arenas", &ol->var_arenas) < 0 ||
		    hi_dbg_static(d, unit, "maxarenas", &ol->var_maxarenas) < 0 ||
		    hi_dbg_static(d, unit, "usedpools", &ol->var_used) < 0)
			missing = "the static variables arenas, maxarenas and usedpools of obmalloc.c";
		ol->has_nfp2lasta = hi_dbg_static(d, unit, "nfp2lasta", &ol->var_nfp2lasta) == 0;
		ol->used_count = (uint32_t)ol->var_used.count;
		ol->nfp_count = ol->has_nfp2lasta ? (uint32_t)ol->var_nfp2lasta.count : 0;
	}
	if (missing && hi_dbg_layout_source(d) == HI_LAYOUT_PACK) {
		/* A pack of another build leaves its statics out.  */
		hi_error("%s: cannot read pymalloc's state: %s has no debug information, and the layout pack of another build cannot say where %s are in this one",
			 who, hi_dbg_python_path(d), missing);
		hi_error_class(HI_E_NODEBUG);
		return -1;
	}
	if (missing) {
		hi_error("%s: cannot read pymalloc's state: the debug information of %s lacks %s",
			 who, hi_dbg_python_path(d), missing);
		hi_error_class(HI_E_NOTPY);
		return -1;
	}
	return 0;
}

int hi_layout_load(struct hi_layout *l, struct hi_dbg *d, const char *who)
{
	int r = load(l, d, who);
	return hi_dbg_refuse_missed(d, who) < 0 ? -1 : r;
}

int hi_layout_obmalloc(struct hi_obmalloc_layout *ol, struct hi_dbg *d, const char *who)
{
	int r = load_obmalloc(ol, d, who);
	return hi_dbg_refuse_missed(d, who) < 0 ? -1 : r;
}
