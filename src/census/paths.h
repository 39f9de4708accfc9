/* paths.h: shortest reference paths from the named roots.
 *
 * A breadth-first search of the graph from every root at once, the roots
 * in the order given (so a module's global wins over a frame's local at
 * the same depth), each object's references in the order the walk
 * followed them.  Pure data.  */
#ifndef HI_PATHS_H
#define HI_PATHS_H
#include <stddef.h>
#include <stdint.h>
#include "census/graph.h"

/* PARENT's value for an object no root reaches.  */
#define HI_PATH_NONE UINT32_MAX
/* PARENT's values from here up: a root, the (value - HI_PATH_ROOT)th of
 * ROOTS.  Objects are numbered below it.  */
#define HI_PATH_ROOT 0xF0000000u

/* PARENT[v] (G->n entries): the object before V on a shortest path from
 * ROOTS (object numbers; UINT32_MAX entries are skipped), or HI_PATH_ROOT
 * + i when V is ROOTS[i] (its first mention), or HI_PATH_NONE.  Returns
 * how many objects the roots reach, or -1 when out of memory or G has too
 * many objects.  */
int64_t hi_paths(const struct hi_graph *g, const uint32_t *roots, size_t nroots, uint32_t *parent);

/* The objects on V's path, root first, into PATH (at most MAX); returns
 * how many, 0 when no root reaches V (or the path is longer than MAX). */
size_t hi_path_of(const uint32_t *parent, uint32_t v, uint32_t *path, size_t max);

#endif
