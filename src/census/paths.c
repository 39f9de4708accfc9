/* paths.c: see paths.h.  */
#include "config.h"
#include <stdlib.h>
#include "census/paths.h"

int64_t hi_paths(const struct hi_graph *g, const uint32_t *roots, size_t nroots, uint32_t *parent)
{
	if (g->n >= HI_PATH_ROOT || nroots >= UINT32_MAX - HI_PATH_ROOT)
		return -1;
	uint32_t *queue = malloc(((size_t)g->n ? g->n : 1) * sizeof *queue);
	if (!queue)
		return -1;
	for (uint32_t v = 0; v < g->n; v++)
		parent[v] = HI_PATH_NONE;
	size_t head = 0, tail = 0;
	for (size_t i = 0; i < nroots; i++) {
		uint32_t r = roots[i];
		if (r >= g->n || parent[r] != HI_PATH_NONE)
			continue;
		parent[r] = HI_PATH_ROOT + (uint32_t)i;
		queue[tail++] = r;
	}
	while (head < tail) {
		uint32_t u = queue[head++];
		for (uint64_t k = g->first[u]; k < g->first[u + 1]; k++) {
			uint32_t v = g->to[k];
			if (parent[v] == HI_PATH_NONE) {
				parent[v] = u;
				queue[tail++] = v;
			}
		}
	}
	free(queue);
	return (int64_t)tail;
}

size_t hi_path_of(const uint32_t *parent, uint32_t v, uint32_t *path, size_t max)
{
	size_t n = 0;
	if (parent[v] == HI_PATH_NONE)
		return 0;
	/* Up to the root, then turned around.  */
	for (;;) {
		if (n == max)
			return 0;
		path[n++] = v;
		if (parent[v] >= HI_PATH_ROOT)
			break;
		v = parent[v];
	}
	for (size_t i = 0; i < n / 2; i++) {
		uint32_t t = path[i];
		path[i] = path[n - 1 - i];
		path[n - 1 - i] = t;
	}
	return n;
}
