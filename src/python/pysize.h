/* pysize.h: sys.getsizeof(o), computed from outside.
 *
 * __sizeof__ of the type (the nearest built-in base decides the rule),
 * plus what _PySys_GetSizeOf adds: the GC header (3.8-3.10, when the
 * object is GC) or the type's pre-header (3.11+: GC header, managed
 * dict/weakref words).  Struct sizes come from DWARF; the formulas follow
 * each version's C code (doc/design.md lists them).  Python-level
 * __sizeof__ overrides and C extension types with their own __sizeof__
 * are not modelled: those get the default rule.  */
#ifndef HI_PYSIZE_H
#define HI_PYSIZE_H
#include "python/pyobj.h"

/* sys.getsizeof of OBJ whose type is T.  When a field cannot be read the
 * default rule's value is returned and py->bad_reads is incremented.  */
uint64_t hi_py_sizeof(struct hi_py *py, uint64_t obj, struct hi_type *t);

/* The size every object of type T has, or 0 when it varies (variable-size
 * types, or a rule that reads the object).  */
uint64_t hi_type_fixed_size(struct hi_py *py, struct hi_type *t);

/* Bytes a dict keys object accounts for (its header, indices, entries). */
uint64_t hi_py_keys_size(const struct hi_py *py, const struct hi_dictkeys *k);

/* Is the __sizeof__ of T's objects Python code (the first class of T's
 * MRO to define __sizeof__ is a Python class)?  That code is never run:
 * such objects are sized by their C base's rule.  Cached in T.  */
int hi_type_python_sizeof(struct hi_py *py, struct hi_type *t);

#endif
