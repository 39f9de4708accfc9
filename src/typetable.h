/* typetable.h: the C types heapinspect knows, and what each references.
 *
 * Each entry names a type object by its C symbol (or, for types some
 * versions create at run time, by tp_name), gives its family (which picks
 * the sys.getsizeof rule and any special referent decoder), and lists the
 * struct members its tp_traverse visits, by DWARF member name.  A member a
 * version does not have is skipped, so one list serves 3.8-3.13.  A type
 * is described by the nearest entry on its tp_base chain.  */
#ifndef HI_TYPETABLE_H
#define HI_TYPETABLE_H
#include "pyobj.h"

#define HI_DESC_SYMS 4
#define HI_DESC_MEMBERS 16

struct hi_typedesc {
	enum hi_builtin family;
	const char *syms[HI_DESC_SYMS];
	const char *tp_name;		/* matched when no symbol is found */
	const char *cstruct;		/* struct holding the members */
	const char *members[HI_DESC_MEMBERS];
};

extern const struct hi_typedesc hi_typedescs[];
extern const int hi_ntypedescs;

#endif
