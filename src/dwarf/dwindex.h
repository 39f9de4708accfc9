/* dwindex.h: what a module's DWARF says of types and variables: sizes,
 * members by dotted path, enum values and statics, looked up by name in
 * an index built when the module is opened (debuginfo.h).  */
#ifndef HI_DWINDEX_H
#define HI_DWINDEX_H
#include <stdint.h>

struct hi_dbg;

/* A member of a struct, found by a dotted path ("interpreters.head").
 * For an array member, elem_size and count describe its elements; for
 * anything else elem_size is 0 and count is 1.  */
struct hi_field {
	uint64_t offset;
	uint64_t size;
	uint64_t elem_size;
	uint64_t count;
	unsigned bit_offset;	/* for a bitfield: its lowest bit within the */
	unsigned bit_size;	/* byte at OFFSET (little-endian); else 0 */
};

/* sizeof a type named by typedef or tag ("PyObject", "struct _is").
 * Returns -1 if the DWARF has no such complete type.  */
int64_t hi_dbg_sizeof(struct hi_dbg *d, const char *type);

/* Offset and size of member PATH of TYPE.  Looks through anonymous
 * struct/union members.  Returns 0, or -1 if absent.  */
int hi_dbg_field(struct hi_dbg *d, const char *type, const char *path, struct hi_field *f);

/* The value of enumerator NAME of enum TYPE ("enum _framestate").
 * Returns 0, or -1 if absent.  */
int hi_dbg_enum_value(struct hi_dbg *d, const char *type, const char *name, int64_t *out);

/* A variable with static storage, defined at the top level of a unit:
 * where it lives (relocated) and its type's size; for an array, element
 * size and count (elem_size 0 otherwise).  */
struct hi_var {
	uint64_t addr;
	uint64_t size;
	uint64_t elem_size;
	uint64_t count;
};

/* Find variable NAME of the unit whose file name ends in UNIT
 * ("obmalloc.c"), for statics no struct reaches.  The DWARF gives its
 * type and usually its address; when it has none (link-time optimization
 * leaves "optimized out" variables that still exist in memory), the
 * address comes from the symbol table: a local NAME or NAME.lto_priv.N
 * (NAME.N) of the same size, and only if exactly one matches.  Returns 0,
 * or -1 if absent or ambiguous.  */
int hi_dbg_static(struct hi_dbg *d, const char *unit, const char *name, struct hi_var *v);

/* Every question above is answered first from the answers cached for
 * the module's build (dwcache.h), and only then from its DWARF, loaded
 * at that moment.  A question neither can answer (the cache lacks it and
 * the DWARF is gone: a stripped copy of a cached build) returns -1 as if
 * absent, and is remembered here: callers that take absence for a
 * layout's variant must check, and refuse.  NULL when none was.  */
const char *hi_dbg_missed(const struct hi_dbg *d);

#endif
