/* referents.h: what an object references, decoded from target memory.
 *
 * For each object the references its type's tp_traverse visits (what
 * gc.get_referents reports), plus heapy's additions: code objects' fields
 * (code has no tp_traverse) and heap types' names.  Every count and
 * pointer read from the target is bounded; a referent is reported as a raw
 * address and validated by the caller.  */
#ifndef HI_REFERENTS_H
#define HI_REFERENTS_H
#include "python/pyobj.h"

typedef void (*hi_ref_fn)(uint64_t ref, void *arg);

enum hi_ref_result {
	HI_REF_DONE = 0,	/* referents reported (possibly none) */
	HI_REF_UNDECODED = 1,	/* a GC type heapinspect cannot decode */
	HI_REF_BAD = 2,		/* its memory was inconsistent; partly reported */
	HI_REF_GENERIC = 3,	/* a C type followed only through what it declares:
				 * its __dict__ and tp_members object members */
	HI_REF_EMULATED = 4,	/* followed by running its type's own tp_traverse
				 * in the emulator (emu.h) */
};

/* Basic blocks one emulated tp_traverse may enter (a few million
 * instructions).  */
#define HI_EMU_TRAVERSE_BUDGET 1000000

enum hi_ref_result hi_referents(struct hi_py *py, uint64_t obj, struct hi_type *t, hi_ref_fn fn, void *arg);

/* References that neither tp_traverse (gc.get_referents) nor heapy
 * report, so that every gc-based tool misses what only they keep alive:
 * a numpy array's base (the array a view keeps alive) and its dtype
 * (ndarray has no tp_traverse).  Reports them and returns 1 when T has
 * such references, else returns 0.  */
int hi_referents_hidden(struct hi_py *py, uint64_t obj, struct hi_type *t, hi_ref_fn fn, void *arg);

/* May objects of type T have such references?  Cheap: asked per object. */
static inline int hi_type_has_hidden(const struct hi_type *t)
{
	return t->family == HI_B_NDARRAY;
}

/* Do objects of type T never reference anything that tp_traverse would
 * report (non-GC, not code, not a class instance)?  Then the walk need
 * not ask hi_referents (hi_referents_hidden is asked apart).  */
int hi_type_is_leaf(struct hi_py *py, struct hi_type *t);

/* What dict_traverse visits of dict OBJ: HI_DICT_VALUES unless they are
 * an instance's inline values (3.13), and HI_DICT_KEYS unless they are
 * all str (ALL_KEYS: an OrderedDict, whose nodes hold every key); -1
 * when its memory does not add up.  */
#define HI_DICT_VALUES 1
#define HI_DICT_KEYS 2
int hi_dict_visits(struct hi_py *py, uint64_t obj, int all_keys);

/* Each object member (T_OBJECT, T_OBJECT_EX) of the tp_members of T and
 * of its bases that are classes (STATIC_TOO: and the C types up to the
 * first with a decoder), as the walk follows them: FN gets the member's
 * name (the address of its C string) and offset, until it returns
 * nonzero.  Returns whether there was any.  */
typedef int (*hi_member_fn)(uint64_t name, uint64_t off, void *arg);
int hi_object_members(struct hi_py *py, struct hi_type *t, int static_too, hi_member_fn fn, void *arg);

/* Where instance OBJ of class T keeps its attributes: its materialized
 * __dict__ in *DICT (0: none), and (3.11+) the *N values it keeps
 * without a dict at *VALUES, the values of the first N keys of the
 * class's shared keys.  0, or -1 when its memory does not add up.  */
int hi_instance_attrs(struct hi_py *py, uint64_t obj, struct hi_type *t, uint64_t *dict, uint64_t *values, int64_t *n);

/* The references of interpreter frame F (3.11+, not an object): its
 * function, code, locals dict, frame object and the live part of its
 * localsplus.  0, or -1 when its memory is inconsistent.  */
int hi_iframe_referents(struct hi_py *py, uint64_t f, hi_ref_fn fn, void *arg);

#endif
