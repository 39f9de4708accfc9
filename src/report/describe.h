/* describe.h: a census and a diff, each described once for the emitter
 * (emit.h), so that -format json and -format tcl, and the census file,
 * hold the same keys in the same order.  */
#ifndef HI_DESCRIBE_H
#define HI_DESCRIBE_H
#include <sys/types.h>
#include "census/baseline.h"
#include "census/census.h"
#include "report/emit.h"

/* {pid python objects size skipped by rows: [{kind count size index
 * count_percent size_percent cumulative cumulative_percent}...]}, rows in
 * table order.  */
void hi_census_describe(struct hi_emit *e, const struct hi_census *c, pid_t pid, const char *python);

/* {pid python by from a: {objects size} b: {objects size} rows: [{index
 * kind count_a count_b dcount size_a size_b dsize}...]}, rows in table
 * order; FROM says what A is.  */
void hi_diff_describe(struct hi_emit *e, const struct hi_diff *d, pid_t pid, const char *python, const char *by,
		      const char *from);

/* How each is drawn and written as CSV (view.h): heapy's table, with
 * "Kind" or, by type, "Type" over the last column; the diff's.  */
struct hi_view;
extern const struct hi_view hi_census_view, hi_census_view_by_type, hi_census_view_by_rcs, hi_diff_view;
const struct hi_view *hi_census_view_of(const struct hi_census *c);

#endif
