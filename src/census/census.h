/* census.h: a partition of objects into kinds, with counts and sizes.
 *
 * Pure data: built from a walk, formatted by report.c, compared later by
 * diffs.  Knows nothing of targets or memory, so it is tested on
 * synthetic input.  */
#ifndef HI_CENSUS_H
#define HI_CENSUS_H
#include <stddef.h>
#include <stdint.h>

struct hi_row {
	const char *kind;	/* owned by the census */
	uint64_t count;
	uint64_t size;
	/* With hi_census.has_retained: what its objects alone keep alive
	 * (at least: the retained sizes of those no other of the row
	 * dominates).  */
	uint64_t retained;
};

struct hi_census {
	struct hi_row *rows;	/* indexed by kind id */
	size_t nrows, caprows;
	uint32_t *buckets;	/* name hash -> kind id + 1 */
	size_t nbuckets;
	uint64_t objects, size;
	/* Pointers, objects and fields the walk skipped because the memory
	 * did not add up (a corrupt heap): nonzero means partial.  */
	uint64_t skipped;
	/* Objects of C types whose references were not all followed (no
	 * decoder, and their own tp_traverse could not be run), and objects
	 * whose C __sizeof__ failed and that got the default size: nonzero
	 * means partial too.  */
	uint64_t unfollowed, unsized;
	/* The interpreters whose objects it holds: how many (0: not said),
	 * and with INTERP >= 0, only the one of that id.  */
	int interps;
	int64_t interp;
	char by[8];		/* "kind", "type" or "rcs" (the kinds of the referrers) */
	int has_retained;
};

void hi_census_init(struct hi_census *c, const char *by);
void hi_census_free(struct hi_census *c);

/* The id of kind NAME, added with zero count if new.  UINT32_MAX on
 * out-of-memory.  */
uint32_t hi_census_kind(struct hi_census *c, const char *name);

static inline void hi_census_add(struct hi_census *c, uint32_t kind, uint64_t size)
{
	c->rows[kind].count++;
	c->rows[kind].size += size;
	c->objects++;
	c->size += size;
}

/* How many kinds have objects (the rows a table would have).  */
size_t hi_census_nonempty(const struct hi_census *c);

/* Rows with a nonzero count, sorted as heapy sorts a partition: size
 * descending, then kind name in code-point order (count is no tiebreak).  Returns a malloc'd
 * array of *N row copies (kind strings still owned by C), or NULL.  */
struct hi_row *hi_census_sorted(const struct hi_census *c, size_t *n);

#endif
