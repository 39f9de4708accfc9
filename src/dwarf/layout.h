/* layout.h: the struct layouts of one CPython, learned from its DWARF.
 *
 * Every offset and size the walker uses lives here, each filled by name
 * from the target's debug information (layout.c holds the table of
 * names).  A member that this CPython does not have reads HI_ABSENT; code
 * picks the variant by presence ("does the interpreter state have `gc`?"),
 * not by version number.  */
#ifndef HI_LAYOUT_H
#define HI_LAYOUT_H
#include <stdint.h>
#include "dwarf/debuginfo.h"

#define HI_ABSENT UINT32_MAX

/* A member: byte offset (or HI_ABSENT), byte size, and for bitfields the
 * bit position within the byte at OFF.  */
struct hi_mbr {
	uint32_t off;
	uint32_t size;
	uint32_t elem;		/* element size for arrays */
	uint32_t count;		/* element count for arrays */
	uint8_t bit, bits;
};

static inline int hi_has(struct hi_mbr m) { return m.off != HI_ABSENT; }

struct hi_layout {
	/* PyObject, PyVarObject */
	struct hi_mbr ob_refcnt, ob_type, ob_size;
	uint32_t sizeof_object, sizeof_varobject;
	/* PyTypeObject, PyHeapTypeObject */
	struct hi_mbr tp_name, tp_basicsize, tp_itemsize, tp_flags, tp_base,
		tp_dict, tp_dictoffset, tp_is_gc, tp_mro, tp_members, tp_dealloc, tp_traverse, tp_methods;
	uint32_t sizeof_type, sizeof_heaptype;
	struct hi_mbr ht_cached_keys, ht_name, ht_qualname, ht_module;
	/* PyGC_Head and GC state */
	uint32_t sizeof_gc_head;
	struct hi_mbr gc_next, gc_prev;
	struct hi_mbr rt_interp_head;	/* _PyRuntime.interpreters.head */
	struct hi_mbr rt_gc;		/* _PyRuntime.gc (3.8) */
	struct hi_mbr rt_interp_main;	/* _PyRuntime.interpreters.main */
	struct hi_mbr rt_tstate_current;	/* 3.8-3.11: gilstate.tstate_current */
	struct hi_mbr is_next, is_gc, is_id, is_threads_head, is_modules, is_sysdict, is_builtins;
	struct hi_mbr ts_next, ts_thread_id;
	struct hi_mbr gcs_generations, gcs_permanent;
	struct hi_mbr gen_head;		/* gc_generation.head */
	/* list, tuple */
	struct hi_mbr list_items, list_allocated, tuple_items;
	/* dict */
	struct hi_mbr ma_used, ma_keys, ma_values;
	struct hi_mbr dk_refcnt, dk_size, dk_log2_size, dk_log2_index_bytes, dk_kind,
		dk_usable, dk_nentries, dk_indices;
	uint32_t sizeof_dictkeys, sizeof_entry, sizeof_unicode_entry;
	struct hi_mbr me_key, me_value, ue_key, ue_value;
	struct hi_mbr dv_values, dv_embedded;	/* PyDictValues */
	/* set */
	struct hi_mbr set_mask, set_table, set_smalltable, set_used, set_fill;
	uint32_t sizeof_setentry;
	/* str */
	struct hi_mbr str_length, str_kind, str_compact, str_ascii;
	uint32_t sizeof_ascii, sizeof_compact_unicode;
	struct hi_mbr str_legacy_data;	/* PyUnicodeObject.data */
	struct hi_mbr str_utf8_length, str_utf8, str_wstr, str_wstr_length, str_ready;
	uint32_t sizeof_unicode;
	/* int, bytearray, OrderedDict, deque */
	struct hi_mbr long_digit, long_lv_tag;
	struct hi_mbr ba_alloc;
	struct hi_mbr od_first, od_fast_nodes_size;
	uint32_t sizeof_odict_node;
	struct hi_mbr dq_leftindex, dq_block_data;
	uint32_t sizeof_deque_block;
	/* module, function */
	struct hi_mbr md_dict, md_def, md_state;
	struct hi_mbr mdef_size;		/* PyModuleDef.m_size */
	struct hi_mbr func_dict;
	/* code */
	struct hi_mbr co_extra, co_cell2arg, co_cellvars, co_freevars, co_nlocals, co_stacksize,
		co_framesize, co_nlocalsplus, co_opcache, co_opcache_size, co_code, co_varnames,
		co_localsplusnames;
	struct hi_mbr ce_size;		/* _PyCodeObjectExtra.ce_size */
	uint32_t sizeof_code_extra, sizeof_opcache;
	/* frames and generators */
	uint32_t sizeof_frame;
	struct hi_mbr f_code, f_back, f_frame, f_frame_data, f_iframe_code;
	struct hi_mbr iframe_localsplus, iframe_code;
	struct hi_mbr gen_iframe, gen_code, gen_frame;
	struct hi_mbr code_ncellvars, code_nfreevars;
	/* referents: frames and threads */
	struct hi_mbr f_localsplus, f_valuestack, f_stacktop, f_stackdepth;
	struct hi_mbr iframe_previous, iframe_frame_obj, iframe_locals, iframe_func, iframe_stacktop,
		iframe_owner;
	struct hi_mbr ts_cframe, cframe_current, ts_current_frame, ts_frame;
	struct hi_mbr gen_name, gen_qualname, gen_frame_state;
	int64_t frame_cleared, owned_by_cstack;	/* enum values, or -1 */
	/* referents: slots, sets, dicts, deques */
	struct hi_mbr memberdef_name, memberdef_type, memberdef_offset;
	uint32_t sizeof_memberdef;
	struct hi_mbr methoddef_name, methoddef_meth, methoddef_flags;
	uint32_t sizeof_methoddef;
	struct hi_mbr setentry_key, dk_lookup;
	struct hi_mbr dv_size, dv_valid;
	struct hi_mbr dq_leftblock, dq_rightlink;
	/* stacks: where a frame is in its code, and the code's line table */
	struct hi_mbr f_lasti;		/* <= 3.10 frame object: bytes (3.10: code units) */
	struct hi_mbr iframe_instr;	/* 3.11, 3.12 prev_instr; 3.13 instr_ptr */
	struct hi_mbr co_code_adaptive, co_lnotab, co_linetable, co_qualname;
	struct hi_mbr ts_native_thread_id;
	/* the GIL: 3.8-3.11 one in _PyRuntime, 3.12+ a pointer per
	 * interpreter; whether it is taken and by which thread state */
	struct hi_mbr rt_gil, is_gil, gil_locked, gil_last_holder;
	/* identity digests */
	struct hi_mbr float_val, complex_val, bytes_sval, co_firstlineno, co_name, co_filename;
};

/* pymalloc's state (Objects/obmalloc.c), loaded only by `memory`.  Up to
 * 3.11 the state is static variables of obmalloc.c; from 3.12 a struct
 * _obmalloc_state in each interpreter (3.12: embedded; 3.13: a pointer),
 * whose members are at the st_* offsets.  */
struct hi_obmalloc_layout {
	int per_interp;			/* 3.12+: interp->obmalloc */
	int interp_ptr;			/* 3.13: it is a pointer */
	struct hi_mbr is_obmalloc;	/* struct _is.obmalloc */
	struct hi_mbr st_arenas, st_maxarenas, st_used, st_nfp2lasta;
	/* Up to 3.11: the static variables' addresses (in the target) */
	struct hi_var var_arenas, var_maxarenas, var_used, var_nfp2lasta;
	int has_nfp2lasta;
	uint32_t used_count;		/* entries of usedpools (2 per size class, padded) */
	uint32_t nfp_count;		/* entries of nfp2lasta: MAX_POOLS_IN_ARENA + 1 */
	uint32_t sizeof_arena_object, sizeof_pool_header;
	struct hi_mbr ao_address, ao_pool_address, ao_nfreepools, ao_ntotalpools;
	struct hi_mbr ph_count, ph_szidx, ph_nextoffset, ph_maxnextoffset, ph_nextpool;
};

/* Fill OL from D.  Returns 0, or -1 with hi_errmsg() naming what this
 * CPython's DWARF lacks.  */
int hi_layout_obmalloc(struct hi_obmalloc_layout *ol, struct hi_dbg *d, const char *who);

/* Fill L from D.  Returns 0, or -1 with hi_errmsg() naming the first
 * required member this CPython's DWARF lacks ("unsupported CPython
 * layout: struct _is has no member gc or ...").  WHO prefixes errors.  */
int hi_layout_load(struct hi_layout *l, struct hi_dbg *d, const char *who);

#endif
