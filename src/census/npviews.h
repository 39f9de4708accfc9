/* npviews.h: numpy views and the much larger bases they keep alive.
 *
 * The leak of slicing a big array and keeping only the slice: the view
 * holds its base, and the base all its data.  Pure data: the `numpy`
 * command feeds it each array a walk decoded (numpy.h) and each object
 * only hidden references reach (an array's base or dtype, which
 * gc.get_referents does not report), then has it size the bases through
 * a callback; so it is tested on synthetic arrays.  */
#ifndef HI_NPVIEWS_H
#define HI_NPVIEWS_H
#include <stddef.h>
#include <stdint.h>
#include "util/addrset.h"
#include "python/numpy.h"
#include "util/u64map.h"

/* A base is "much larger" than its views when it holds at least this
 * many times the bytes all its views address.  */
#define HI_NPV_WASTE_RATIO 10

/* Views of much larger bases, and those bases.  */
struct hi_npv_group {
	uint64_t views, view_bytes, bases, base_bytes;
};

struct hi_npv_base {
	uint64_t addr, views, view_bytes;
};

struct hi_npviews {
	/* Every array counted: their sys.getsizeof, the owners of their
	 * data and its bytes, the views and the bytes they address, and
	 * arrays neither (no base, data not owned).  */
	uint64_t arrays, size, owned, owned_bytes, views, view_bytes, other;
	/* After hi_npv_finish: the much larger bases only views reach, and
	 * those something else reaches too.  */
	struct hi_npv_group only, otherwise;
	/* Private.  */
	struct u64map base_index;	/* base address -> index + 1 into bases */
	struct hi_npv_base *bases;
	size_t nbases, capbases;
	struct hi_addrset hidden;	/* objects only hidden references reach */
	int oom;
};

void hi_npv_init(struct hi_npviews *v);
void hi_npv_free(struct hi_npviews *v);

/* Count array A, whose sys.getsizeof is SIZE.  */
void hi_npv_array(struct hi_npviews *v, const struct hi_np_array *a, uint64_t size);

/* OBJ is reached only through hidden references.  */
void hi_npv_hidden(struct hi_npviews *v, uint64_t obj);

/* After the walk: BYTES(ARG, ADDR) gives what each base holds (an
 * array's nbytes, another object's size; 0 when unknown, and the base is
 * left out).  Sums into ONLY and OTHERWISE the views of the bases holding
 * at least HI_NPV_WASTE_RATIO times the bytes their views address.
 * Returns 0, or -1 when memory ran out at any point (the sums are then
 * incomplete).  */
int hi_npv_finish(struct hi_npviews *v, uint64_t (*bytes)(void *arg, uint64_t addr), void *arg);

#endif
