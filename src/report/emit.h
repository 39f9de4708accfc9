/* emit.h: one writer for results as JSON text, Tcl values and CSV.
 *
 * A command describes its result once, as nested objects and lists of
 * named numbers and strings; the writer prints it as JSON, builds it as
 * Tcl dicts and lists, or writes one list's records as CSV, and tables
 * are drawn from the Tcl value (view.h), so no format can drift from
 * another.  Keys are given inside objects and omitted (NULL) inside
 * lists.  */
#ifndef HI_EMIT_H
#define HI_EMIT_H
#include <stdint.h>
#include <stdio.h>
#include <tcl.h>

struct hi_emit;

/* Write JSON to OUT, or build a Tcl value.  NULL if out of memory.  */
struct hi_emit *hi_emit_json(FILE *out);
struct hi_emit *hi_emit_tcl(void);

/* Write CSV to OUT: a header of COLUMNS (NULL-terminated), then one line
 * per record of the list under key LIST of the top-level object, its
 * fields in COLUMNS' order (a field it lacks is empty; booleans are 1 and
 * 0).  A column naming a container of the record holds its values
 * space-separated (for a list of records, the first field of each).  */
struct hi_emit *hi_emit_csv(FILE *out, const char *list, const char *const *columns);

void hi_emit_object(struct hi_emit *e, const char *key);
void hi_emit_list(struct hi_emit *e, const char *key);
void hi_emit_end(struct hi_emit *e);
void hi_emit_u64(struct hi_emit *e, const char *key, uint64_t v);
void hi_emit_i64(struct hi_emit *e, const char *key, int64_t v);
void hi_emit_double(struct hi_emit *e, const char *key, double v);
void hi_emit_str(struct hi_emit *e, const char *key, const char *s);
void hi_emit_bool(struct hi_emit *e, const char *key, int v);

/* V bytes for people: "512 B", "132.0 KiB", "55.0 MiB", "1.2 GiB".
 * Returns BUF.  */
const char *hi_fmt_bytes(uint64_t v, char buf[24]);

/* End the writer.  For Tcl, returns the value built (refcount 0); for
 * JSON, ends the line and returns NULL.  */
Tcl_Obj *hi_emit_finish(struct hi_emit *e);

#endif
