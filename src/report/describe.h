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
extern const char *const hi_census_csv_columns[];
void hi_census_describe(struct hi_emit *e, const struct hi_census *c, pid_t pid, const char *python);

/* {pid python by a: {objects size} b: {objects size} rows: [{kind
 * count_a count_b dcount size_a size_b dsize}...]}, rows in table order. */
void hi_diff_describe(struct hi_emit *e, const struct hi_diff *d, pid_t pid, const char *python, const char *by);
extern const char *const hi_diff_csv_columns[];

#endif
