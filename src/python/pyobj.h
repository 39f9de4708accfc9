/* pyobj.h: reading CPython objects out of target memory.
 *
 * A struct hi_py ties together the memory reader, the layout and the
 * addresses of the built-in type objects, and caches what it learns about
 * each type (flags, sizes, name, kind).  Everything it reads is validated:
 * a pointer that cannot be read, a length out of range or a type that does
 * not look like a type makes the call fail, never crash.  */
#ifndef HI_PYOBJ_H
#define HI_PYOBJ_H
#include <stdint.h>
#include <sys/types.h>
#include "dwarf/debuginfo.h"
#include "dwarf/layout.h"
#include "emu/emu.h"
#include "mem/mem.h"
#include "python/typetable.h"
#include "util/u64map.h"

/* tp_flags bits that have been stable since 3.8. */
#define HI_TPFLAGS_HEAPTYPE (1ul << 9)
#define HI_TPFLAGS_HAVE_GC (1ul << 14)
/* 3.11: MANAGED_DICT at bit 4; 3.12+: MANAGED_DICT bit 4, MANAGED_WEAKREF
 * bit 3 (together "PREHEADER"); 3.13: INLINE_VALUES bit 2.  Which of these
 * exist is decided from the DWARF of the target (see pyobj.c).  */

struct hi_type {
	uint64_t addr;
	uint64_t flags;
	int64_t basicsize, itemsize;
	uint64_t base;		/* tp_base */
	uint64_t dict;		/* tp_dict */
	int64_t dictoffset;
	enum hi_builtin builtin;	/* itself the built-in of its family */
	enum hi_builtin family;	/* family of the nearest described base */
	int desc;		/* that base's typetable entry, or -1 */
	int described;		/* the entry is its own, not a base's */
	int is_gc;		/* HAVE_GC */
	int static_type;	/* not a heap type */
	uint32_t index;		/* its place in hi_py.types (a walk's side tables) */
	/* Precomputed on first use by the census: objects of this type
	 * reference nothing (a leaf), and all have this size (0: it varies;
	 * UINT64_MAX: not known yet). */
	int8_t leaf;		/* -1 unknown, 0, 1 */
	/* Instances hold references only a C type's tp_traverse knows: it
	 * is, or its nearest base that is not a Python class is, a C type
	 * (static or heap) with GC and no decoder.  -1 unknown, 0, 1;
	 * set by the referents.  */
	int8_t over_c;
	int8_t py_class;	/* a Python class (hi_py_is_class): -1 unknown */
	uint64_t sizeof_fn;	/* its C __sizeof__ (pysize.c): 0 none,
				 * UINT64_MAX not looked for yet */
	uint64_t sizeof_cls;	/* the type that defines it */
	int8_t py_sizeof;	/* its objects' __sizeof__ is Python code
				 * (never run): -1 unknown, 0, 1 */
	int32_t sizeof_flags;	/* its ml_flags */
	uint64_t fixed_size;
	/* What the current census did with its objects, for heap -v: reset
	 * by each census.  */
	struct hi_type_walked {
		uint32_t emulated;	/* followed by its tp_traverse, emulated */
		uint32_t generic;	/* only through __dict__ and members */
		uint32_t undecoded;	/* not followed at all */
		uint32_t sizeof_emulated;	/* sized by its C __sizeof__, emulated */
		uint32_t sizeof_failed;	/* ... which failed: the default rule */
		uint32_t sizeof_python;	/* __sizeof__ is Python code (not run) */
	} walked;
	char *name;		/* heapy display name */
	char *tp_name;		/* tp_name as read */
};

struct hi_py {
	struct hi_mem *mem;
	struct hi_dbg *dbg;
	struct hi_layout l;
	char version[32];	/* "3.11.7" */
	char checked[64];	/* what validate.h found: "41 checks agree" */
	unsigned version_hex;	/* 0x030b07f0, or 0 if unknown */
	int minor;		/* 11 */
	uint64_t runtime;	/* &_PyRuntime */
	uint64_t builtin_addr[HI_B_COUNT];
	/* typetable entries: type address -> entry index + 1, and each
	 * entry's member offsets (HI_ABSENT where this version lacks one).  */
	struct u64map desc_of_addr;
	uint32_t (*desc_off)[16];
	int64_t *desc_size;	/* sizeof each entry's C struct, or -1 */
	/* Entries whose symbols this module lacks (local symbols of a
	 * stripped build read with another build's layout pack): their
	 * static type is found by tp_name among the static types the
	 * Python module itself holds, [module_lo, module_hi).  */
	char *desc_nosym;
	uint64_t module_lo, module_hi;
	uint64_t managed_dict_flag, managed_weakref_flag, inline_values_flag;
	/* Where a managed __dict__ lives (3.11+), chosen by layout:
	 * HI_MANAGED_311 values at obj-4 words, dict at obj-3;
	 * HI_MANAGED_312 one tagged dict-or-values word at obj-3;
	 * HI_MANAGED_313 dict pointer at obj-3, values inline after the object. */
	enum { HI_MANAGED_NONE, HI_MANAGED_311, HI_MANAGED_312, HI_MANAGED_313 } managed;
	uint64_t lookdict_fn;	/* 3.8-3.10: the general (non-str keys) lookup */
	uint64_t subtype_dealloc_fn;	/* every Python class's tp_dealloc */
	/* The target's tp_traverse functions run in an emulator (emu.h),
	 * made on first need; EMU_OFF: never (HEAPINSPECT_EMULATE=0, or
	 * none built in).  */
	struct hi_emu *emu;
	int emu_off;		/* 1: off or not built in; 2: could not start */
	struct hi_emu *emu_sizeof_for;	/* the emulator pysize's natives are in */
	/* 3.12+: the thread-local _Py_tss_tstate, as emulated code finds it
	 * through __tls_get_addr: its offset in the Python module's TLS
	 * block, and the module's span (tls_off UINT64_MAX: none).  */
	uint64_t tls_off, tls_lo, tls_hi;
	uint64_t emu_tstate;	/* the thread state emulated code runs with */
	int tls_learning;	/* tls_off is being learned (emucall.c) */
	uint64_t set_dummy;	/* the set's deleted-entry marker */
	/* Type cache: type address -> index into types.  */
	struct u64map type_index;
	struct hi_type **types;	/* stable pointers: entries never move */
	size_t ntypes, captypes;
	/* The `types` module's aliases: type address -> "types.Name". */
	struct u64map types_alias;
	char **alias_names;
	size_t nalias;
	int aliases_loaded;
	int type_depth;		/* recursion guard for base chains */
	/* Direct-mapped memo in front of type_index: a walk meets few types,
	 * over and over.  */
	struct { uint64_t addr; struct hi_type *t; } type_memo[64];
	/* Diagnostics of the current walk. */
	unsigned long long bad_reads;
	/* numpy's layouts, learned when the first array is met (numpy.c).  */
	struct hi_np_layout *numpy;
	/* The target is stopped (hi_session_stop to hi_session_resume):
	 * nothing slow may start, no debug information is looked for.  */
	int paused;
	unsigned long np_refused;	/* hi_np_prepare calls refused: paused */
};

/* Set up from debug info and a reader.  Reads the version (Py_Version,
 * or the string Py_GetVersion() built at start-up).  WHO prefixes errors.
 * Returns 0 or -1.  The target must be stopped if reading memory.  */
int hi_py_init(struct hi_py *py, struct hi_dbg *dbg, struct hi_mem *mem, const char *who);
void hi_py_fini(struct hi_py *py);

/* Is T a class made by Python code (class statement, type())?  Told by
 * its tp_dealloc, subtype_dealloc; 0 for every C type, static or heap,
 * and when that cannot be told.  Cached in T.  */
int hi_py_is_class(struct hi_py *py, struct hi_type *t);

/* Read through MEM from now on (a walk on a copy, then live again).  */
void hi_py_use_mem(struct hi_py *py, struct hi_mem *mem);

/* Forget per-stop state (the type cache keeps static facts only).  */
void hi_py_reset(struct hi_py *py);

/* The addresses of the runtime's interpreter states, newest first (the
 * main interpreter last), into OUT (at most MAX): the one walk of
 * _PyRuntime.interpreters.  A list that comes back on itself (corrupt
 * memory) ends at the repeat.  Returns how many (0: no interpreter yet,
 * or none left), or -1 with hi_errmsg() set, naming WHO, when _PyRuntime
 * cannot be read.  */
#define HI_MAX_INTERPS 256
int hi_py_interps(struct hi_py *py, uint64_t *out, int max, const char *who);

/* The main interpreter's state (_PyRuntime.interpreters.main, else the
 * last of the list), or 0.  */
uint64_t hi_py_main_interp(struct hi_py *py);

/* Read an object's type pointer.  0 on failure.  */
uint64_t hi_py_type_of(struct hi_py *py, uint64_t obj);

/* Type information, cached.  NULL if TYPE does not look like a type.  */
struct hi_type *hi_py_type(struct hi_py *py, uint64_t type);

/* Is OBJ an instance of the built-in B (exactly, or a subclass)?  */
int hi_py_is(struct hi_py *py, uint64_t obj, enum hi_builtin b);

/* Read a str object as UTF-8 into BUF (NUL-terminated, truncated to SIZE).
 * Returns its length in bytes, or -1 if OBJ is not a readable str.  */
ssize_t hi_py_str(struct hi_py *py, uint64_t obj, char *buf, size_t size);

/* The first code points of str OBJ: up to MAX (at most 256) into OUT,
 * *GOT of them.  Returns the str's length in code points, or -1 if OBJ is
 * not a readable str.  */
int64_t hi_py_str_chars(struct hi_py *py, uint64_t obj, uint32_t *out, size_t max, size_t *got);

/* Call FN for each (key, value) of dict DICT, in table order.  Stops early
 * when FN returns nonzero.  Returns 0, or -1 if the dict is unreadable.
 * Bounded by the table size; garbage lengths fail the call.  */
typedef int (*hi_dict_fn)(uint64_t key, uint64_t value, void *arg);
int hi_py_dict_foreach(struct hi_py *py, uint64_t dict, hi_dict_fn fn, void *arg);

/* Look up str key NAME in DICT.  Returns the value, or 0.  */
uint64_t hi_py_dict_get_str(struct hi_py *py, uint64_t dict, const char *name);

/* The address of OBJ's __dict__ pointer as _PyObject_GetDictPtr finds it,
 * without creating anything (3.11+: the managed slot), or 0.  */
uint64_t hi_py_dict_slot(struct hi_py *py, uint64_t obj, const struct hi_type *t);

/* The dict OBJ owns (materialized), or 0.  */
uint64_t hi_py_owned_dict(struct hi_py *py, uint64_t obj, const struct hi_type *t);

/* Dict internals used by sizes and iteration.  */
struct hi_dictkeys {
	uint64_t addr;
	int64_t refcnt;
	uint64_t size;		/* number of index slots (DK_SIZE) */
	unsigned index_bytes;	/* total bytes of the index table */
	int kind;		/* 0 general, 1 unicode, 2 split (3.11+); -1 before */
	uint64_t entry_size;
	int64_t usable, nentries;
	uint64_t entries;	/* address of the first entry */
};
int hi_py_dictkeys(struct hi_py *py, uint64_t keys, struct hi_dictkeys *k);

#endif
