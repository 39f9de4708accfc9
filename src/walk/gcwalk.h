/* gcwalk.h: the garbage collector's object lists of every interpreter.
 *
 * Walks _PyRuntime.interpreters.head -> next, and in each interpreter's GC
 * state (or the runtime's, in 3.8) every generation plus the permanent
 * generation, following _gc_next with the flag bits masked.  Every walk is
 * bounded: a node seen before ends the list (a cycle in corrupt memory),
 * an unreadable node ends it too, and both are counted.  */
#ifndef HI_GCWALK_H
#define HI_GCWALK_H
#include <stdint.h>
#include "python/pyobj.h"

#define HI_MAX_GCLISTS 8

struct hi_gclist {
	char name[16];		/* "gen0", ..., "permanent" */
	uint64_t head;
	uint64_t count;
	int broken;		/* ended on a bad pointer or a cycle */
};

struct hi_interp {
	uint64_t addr;
	int64_t id;
	int nthreads;		/* Python thread states */
	int threads_broken;	/* their list loops back: nthreads counts to the repeat */
	int owns_gc;		/* its GC lists were walked for it */
	struct hi_gclist lists[HI_MAX_GCLISTS];
	int nlists;
};

struct hi_gcinfo {
	struct hi_interp interps[HI_MAX_INTERPS];
	int ninterps;
	uint64_t objects;
	uint64_t broken_lists;
};

/* Called for each object on a GC list (OBJ is the object, after its GC
 * header).  Return nonzero to stop the walk.  */
typedef int (*hi_gc_fn)(uint64_t obj, int interp, void *arg);

/* Walk every GC list, or with ONLY >= 0 only those of the interpreter
 * whose id is ONLY (INFO still lists every interpreter; the others'
 * lists are not walked).  Returns 0, or -1 with hi_errmsg() set when the
 * roots themselves are unreadable, or no interpreter has id ONLY, or
 * its objects share lists with others' (3.8: one GC state for the
 * runtime) (WHO prefixes it).  */
int hi_gc_walk(struct hi_py *py, struct hi_gcinfo *info, int64_t only, hi_gc_fn fn, void *arg, const char *who);

#endif
