/* dwcache.h: what a module's DWARF answered, kept per build id, so that
 * the next attach to the same build need not read the DWARF again.
 *
 * A module's debug information can take a tenth of a second to load
 * (Debian's .debug files are compressed); heapinspect asks a few hundred
 * questions of it (struct sizes, member offsets, enum values, statics).
 * The cache is those questions and their answers, absent ones included,
 * as text in one file per build id: $HEAPINSPECT_CACHE_DIR, by default
 * $XDG_CACHE_HOME/heapinspect or ~/.cache/heapinspect ("" turns it off).
 * A question it lacks is put to the DWARF, loaded then, and the answer
 * added.  The file is only trusted for the exact build id it names, and
 * for this cache format; otherwise it is ignored, and rewritten.
 *
 * Internal to dwarf/: debuginfo.c owns a cache per handle, dwindex.c
 * consults it.  */
#ifndef HI_DWCACHE_H
#define HI_DWCACHE_H
#include <stddef.h>

struct hi_dwcache;

/* The cache of the build BUILD_ID (hex digits): loaded when its file
 * exists and matches, else empty.  NULL when the cache is off, or the
 * build has no id.  */
struct hi_dwcache *hi_dwcache_open(const char *build_id);

/* Did it come from a file (so the DWARF may never be needed)?  */
int hi_dwcache_loaded(const struct hi_dwcache *c);

/* Where its file is (or will be).  */
const char *hi_dwcache_path(const struct hi_dwcache *c);

/* The answer kept for question Q ("sizeof\tPyObject"), or NULL.  */
const char *hi_dwcache_get(const struct hi_dwcache *c, const char *q);

/* Keep answer A for question Q.  */
void hi_dwcache_put(struct hi_dwcache *c, const char *q, const char *a);

/* An empty table of answers kept in memory only (never written): what a
 * layout pack (pack.h) fills.  NULL when out of memory.  */
struct hi_dwcache *hi_dwcache_new(void);

/* Call FN for every question and its answer, in no particular order.  */
void hi_dwcache_each(const struct hi_dwcache *c, void (*fn)(const char *q, const char *a, void *arg), void *arg);

/* Write the file if answers were added (atomically: a new file renamed
 * over the old), then free C.  Failures to write are silent: the cache
 * only saves time.  */
void hi_dwcache_close(struct hi_dwcache *c);

#endif
