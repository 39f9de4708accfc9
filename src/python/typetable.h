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

/* Built-in types heapinspect knows by their C symbol.  */
enum hi_builtin {
	HI_B_NONE = 0,
	HI_B_OBJECT, HI_B_TYPE, HI_B_LIST, HI_B_TUPLE, HI_B_DICT, HI_B_SET,
	HI_B_FROZENSET, HI_B_STR, HI_B_BYTES, HI_B_BYTEARRAY, HI_B_INT, HI_B_BOOL,
	HI_B_FLOAT, HI_B_COMPLEX, HI_B_MODULE, HI_B_FUNCTION, HI_B_CODE,
	HI_B_FRAME, HI_B_GEN, HI_B_CORO, HI_B_ASYNCGEN, HI_B_CELL, HI_B_METHOD,
	HI_B_ODICT, HI_B_NONETYPE, HI_B_DEQUE,
	HI_B_NDARRAY,		/* numpy.ndarray, by name (numpy.c) */
	HI_B_COUNT
};


#define HI_DESC_SYMS 4
#define HI_DESC_MEMBERS 16
/* The members of type's entry that every type object has (the rest are
 * PyHeapTypeObject's).  */
#define HI_TYPE_OBJECT_MEMBERS 5

struct hi_typedesc {
	enum hi_builtin family;
	const char *syms[HI_DESC_SYMS];
	const char *tp_name;		/* matched when no symbol is found */
	const char *cstruct;		/* struct holding the members */
	const char *members[HI_DESC_MEMBERS];
	/* The members are not all it references (lru_cache's linked list
	 * of keys and results): its own tp_traverse runs in the emulator
	 * when there is one, the members are the fallback.  */
	int partial;
};

extern const struct hi_typedesc hi_typedescs[];
extern const int hi_ntypedescs;

#endif
