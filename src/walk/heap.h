/* heap.h: the census of a stopped target.
 *
 * Every live object heapinspect can reach: the objects on every GC list and
 * the running frames of every thread are the roots, and the census is
 * their closure through referents.c, each object counted once.  Then it
 * finds which dicts are some object's __dict__ (tp_dictoffset, or the
 * managed-dict slot of 3.11+), and partitions everything by heapy's kind
 * (or by type) with sys.getsizeof sizes.  The target must be stopped for
 * the whole call.
 *
 * References only heapinspect follows (a numpy array's base and dtype)
 * are followed last: first everything the other references reach, then
 * what only those reach, which is flagged HIDDEN for observers.  */
#ifndef HI_HEAP_H
#define HI_HEAP_H
#include "census/baseline.h"
#include "census/census.h"
#include "census/heapgraph.h"
#include "walk/gcwalk.h"
#include "python/pyobj.h"

struct hi_heap_diag {
	uint64_t gc_objects;	/* roots on the GC lists */
	uint64_t frames;	/* running frames walked as roots */
	uint64_t bad_type;	/* referents whose type did not check out: skipped */
	uint64_t bad_ptr;	/* null-looking or misaligned referents: skipped */
	uint64_t undecoded;	/* objects of C types whose references are unknown */
	uint64_t generic;	/* ... followed only through __dict__ and tp_members */
	uint64_t emulated;	/* ... followed by their own tp_traverse, emulated */
	uint64_t inconsistent;	/* objects whose memory did not add up */
	uint64_t bad_reads;	/* fields that could not be read (sizes approximated) */
	uint64_t sizeof_emulated;	/* sized by their C __sizeof__, emulated */
	uint64_t sizeof_failed;	/* ... whose call failed: the default rule */
	uint64_t sizeof_python;	/* whose class's __sizeof__ is Python code */
	uint64_t hidden;	/* objects only hidden references reach (HI_OBSERVE_HIDDEN) */
	int truncated;		/* stopped at opts.max_objects */
};

/* Referents, objects and fields skipped because the memory did not add up
 * (with BROKEN_LISTS from the GC walk): nonzero makes the census partial. */
uint64_t hi_heap_skipped(const struct hi_heap_diag *diag, uint64_t broken_lists);

/* Flags of an observed object.  HIDDEN: reachable only through references
 * gc.get_referents does not report (referents.h: hi_referents_hidden,
 * e.g. a numpy base kept alive by views alone), so gc-based tools, heapy
 * included, miss it.  */
#define HI_OBSERVE_HIDDEN 1u

/* Called once per counted object: its address, type, sys.getsizeof size,
 * census kind id (a row of the census being built) and HI_OBSERVE_*
 * flags.  The target is stopped (or PY reads a copy) during the call, so
 * the observer may read the object.  */
typedef void (*hi_heap_observer)(void *arg, uint64_t obj, struct hi_type *t, uint64_t size, uint32_t kind,
				 unsigned flags);

enum hi_partition { HI_BY_KIND, HI_BY_TYPE };

struct hi_heap_opts {
	enum hi_partition by;
	/* Relative census: leave out every object the baseline already had
	 * (same address, same identity key).  NULL: count everything.  */
	const struct hi_baseline *baseline;
	/* If not NULL, filled with address -> identity key of every object
	 * (what setrel remembers).  */
	struct hi_keyset *record;
	/* If NROOTS, the census of what ROOTS reach, instead of the GC lists
	 * and the running frames.  */
	const uint64_t *roots;
	size_t nroots;
	/* If INTERP_SET, the census of one interpreter, the one whose id is
	 * INTERP_ID: its GC lists and its threads' frames only.  */
	int interp_set;
	int64_t interp_id;
	/* Stop after this many objects (0: no bound); diag.truncated says
	 * it happened.  */
	uint64_t max_objects;
	/* If not NULL, told of every object counted (after the baseline's
	 * are left out).  */
	hi_heap_observer observe;
	void *observe_arg;
	/* If not NULL (initialized by the caller), receives every object
	 * walked, the baseline's too, and the references between them, to
	 * be finished (heapgraph.h) once the target runs again.  When out
	 * of memory for it, its oom is set and the census goes on.  */
	struct hi_heapgraph *graph;
	/* If not NULL (and BASELINE is NULL), the graph's objects this
	 * baseline has are flagged HI_HG_OLD, all of them counted (diff's
	 * census of the whole heap, whose graph knows what is new).  */
	const struct hi_baseline *mark;
	/* If not NULL, told every 65536 objects how many were walked (the
	 * caller shows progress; the walk prints nothing).  */
	void (*progress)(void *arg, uint64_t walked);
	void *progress_arg;
};

/* Build C (initialized by the caller with hi_census_init) for the target
 * behind PY.  INFO receives the per-list counts.  Returns 0, or -1 with
 * hi_errmsg() set (WHO prefixes it).  */
int hi_heap_census(struct hi_py *py, const struct hi_heap_opts *opts, struct hi_census *c,
		   struct hi_gcinfo *info, struct hi_heap_diag *diag, const char *who);

#endif
