/* lines.h: the source line of a place in a code object, as the target's
 * own PyCode_Addr2Line computes it, from the code's line table:
 *   - 3.8, 3.9: co_lnotab, (address delta, signed line delta) byte pairs;
 *   - 3.10: co_linetable, (address delta, signed line delta) pairs whose
 *     line delta -128 says "no line";
 *   - 3.11+: co_linetable, the location table: entries of 1 to 8 code
 *     units, each with a line delta in one of five encodings.
 * Which one is told by the layout (co_lnotab, co_linetable and
 * co_code_adaptive, which 3.11 added with the location table).  */
#ifndef HI_LINES_H
#define HI_LINES_H
#include <stdint.h>
#include "python/pyobj.h"

/* The line of byte offset LASTI in code object CODE (its
 * co_firstlineno when LASTI < 0, as CPython says of a frame not yet
 * started), or -1 when the table gives none or cannot be read.  */
int64_t hi_py_code_line(struct hi_py *py, uint64_t code, int64_t lasti);

/* The same on a line table already read (TABLE, LEN bytes), for tests:
 * FORMAT 0 lnotab (3.8, 3.9), 1 linetable (3.10), 2 location table
 * (3.11+).  */
int64_t hi_line_of(const unsigned char *table, size_t len, int format, int64_t firstlineno, int64_t lasti);

#endif
