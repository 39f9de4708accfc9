/* heap.h: the census of a stopped target.
 *
 * Collects the objects on every GC list, finds which dicts are some
 * object's __dict__ (tp_dictoffset, or the managed-dict slot of 3.11+), and
 * partitions everything by heapy's kind (or by type) with sys.getsizeof
 * sizes.  The target must be stopped for the whole call.  */
#ifndef HI_HEAP_H
#define HI_HEAP_H
#include "census.h"
#include "gcwalk.h"
#include "pyobj.h"

struct hi_heap_diag {
	uint64_t bad_type;	/* objects whose type pointer was unreadable */
	uint64_t bad_reads;	/* fields that could not be read (sizes approximated) */
};

enum hi_partition { HI_BY_KIND, HI_BY_TYPE };

/* Build C (initialized by the caller with hi_census_init) for the target
 * behind PY.  INFO receives the per-list counts.  Returns 0, or -1 with
 * hi_errmsg() set (WHO prefixes it).  */
int hi_heap_census(struct hi_py *py, enum hi_partition by, struct hi_census *c, struct hi_gcinfo *info,
		   struct hi_heap_diag *diag, const char *who);

#endif
