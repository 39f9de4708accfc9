/* censusfile.h: the saved census (heap -save FILE, diff -from FILE), one
 * writer and one reader.
 *
 * The file is one Tcl dict: the census as hi_census_describe gives it,
 * then "format heapinspect-census-1" and "taken" (ISO 8601 local time).
 * The reader refuses a file whose format key is missing or names another
 * format or version, saying which it found.  */
#ifndef HI_CENSUSFILE_H
#define HI_CENSUSFILE_H
#include <sys/types.h>
#include "census/census.h"

#define HI_CENSUS_FORMAT "heapinspect-census-1"

/* Write C to PATH (replaced).  0, or -1 with hi_errmsg() set.  */
int hi_census_save(const char *path, const struct hi_census *c, pid_t pid, const char *python);

/* Read the census saved in PATH into C (initialized here).  WHO
 * prefixes errors.  0, or -1 with hi_errmsg() set, naming the file.  */
int hi_census_load(const char *path, struct hi_census *c, const char *who);

#endif
