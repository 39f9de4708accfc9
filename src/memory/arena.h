/* arena.h: pymalloc's arenas, pools and blocks, read from outside.
 *
 * pymalloc (Objects/obmalloc.c) serves every request of 512 bytes or less:
 * it mmaps arenas, carves them into pools, and each pool into blocks of
 * one size class.  Its state is a vector of arena_objects (one per arena)
 * and the usedpools table of partly used pools per size class: static
 * variables up to 3.11, per interpreter from 3.12.  This reads them all,
 * then every pool header, and counts what _debugmallocstats() counts:
 * blocks in use and free per size class, unused pools, and what headers,
 * quantization and alignment cost.  The target must be stopped.
 *
 * No size is taken on faith: the block alignment comes from the length of
 * usedpools (2 entries per size class, for requests up to 512 bytes), the
 * pool size from a pool in use (maxnextoffset + its block size), the arena
 * size from nfp2lasta (one entry per possible count of free pools), each
 * checked against the arenas found.  */
#ifndef HI_ARENA_H
#define HI_ARENA_H
#include <stdint.h>
#include "dwarf/layout.h"
#include "python/pyobj.h"

#define HI_PYMALLOC_MAXCLASSES 64

struct hi_pymalloc_class {
	uint32_t size;		/* block size */
	uint64_t pools;		/* pools in use of this class */
	uint64_t used;		/* blocks in use */
	uint64_t avail;		/* free blocks in those pools */
};

struct hi_pymalloc {
	uint64_t arena_size, pool_size;
	uint32_t alignment, nclasses, pool_overhead;
	int nstates;		/* obmalloc states read (one, or one per interpreter) */
	uint64_t arenas;	/* arenas allocated now */
	uint64_t pools_used;	/* pools holding blocks */
	uint64_t pools_unused;	/* emptied or never carved pools (nfreepools) */
	uint64_t used_bytes;	/* in blocks in use */
	uint64_t avail_bytes;	/* in free blocks of used pools */
	uint64_t unused_bytes;	/* in unused pools */
	uint64_t header_bytes, quantization_bytes, alignment_bytes;
	struct hi_pymalloc_class cls[HI_PYMALLOC_MAXCLASSES];
	uint64_t (*ranges)[2];	/* the arenas' [start, end), sorted and merged */
	size_t nranges;
	uint64_t bad_arenas, bad_pools;	/* inconsistent: skipped */
};

/* Read pymalloc's state of the stopped target behind PY into PM (which
 * the call initializes).  Returns 0, or -1 with hi_errmsg() set (WHO
 * prefixes it).  A target that does not use pymalloc (PYTHONMALLOC=malloc)
 * has no arenas: 0, with PM->arenas == 0.  */
int hi_pymalloc_read(struct hi_py *py, const struct hi_obmalloc_layout *ol, struct hi_pymalloc *pm,
		     const char *who);

void hi_pymalloc_free(struct hi_pymalloc *pm);

#endif
