/* arena.c: pymalloc's state (see arena.h).  */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "memory/arena.h"
#include "util/error.h"
#include "walk/gcwalk.h"

/* obmalloc.c serves requests up to SMALL_REQUEST_THRESHOLD bytes, 512
 * since 3.8; it is a macro, so DWARF does not have it.  */
#define SMALL_REQUEST_THRESHOLD 512
#define MAX_ARENAS (1u << 24)	/* 16 TiB of 1 MiB arenas: beyond is garbage */
#define MAX_STATES HI_MAX_INTERPS
#define BATCH 4096		/* pool headers per gathered read */

struct state {
	uint64_t arenas;	/* the arena_object vector */
	uint64_t maxarenas;
	uint64_t used;		/* address of usedpools[0] */
};

static uint64_t get_uint(const unsigned char *p, struct hi_mbr m)
{
	uint64_t v = 0;
	if (m.size == 1 || m.size == 2 || m.size == 4 || m.size == 8)
		memcpy(&v, p + m.off, m.size);	/* little-endian */
	return v;
}

/* The obmalloc states: the statics, or each interpreter's.  */
static int find_states(struct hi_py *py, const struct hi_obmalloc_layout *ol, struct state *st, int *n,
		       const char *who)
{
	struct hi_mem *m = py->mem;
	uint64_t arenas, maxarenas;
	*n = 0;
	if (!ol->per_interp) {
		if (hi_mem_u64(m, ol->var_arenas.addr, &arenas) < 0 ||
		    hi_mem_uint(m, ol->var_maxarenas.addr, ol->var_maxarenas.size, &maxarenas) < 0) {
			hi_error("%s: cannot read pymalloc's arenas at 0x%llx", who,
				 (unsigned long long)ol->var_arenas.addr);
			return -1;
		}
		st[(*n)++] = (struct state){ arenas, maxarenas, ol->var_used.addr };
		return 0;
	}
	uint64_t all[MAX_STATES];
	int ninterps = hi_py_interps(py, all, MAX_STATES, who);
	if (ninterps < 0)
		return -1;
	for (int k = 0; k < ninterps; k++) {
		uint64_t s = all[k] + ol->is_obmalloc.off;
		if (ol->interp_ptr && hi_mem_u64(m, s, &s) < 0)
			s = 0;
		int dup = 0;
		for (int i = 0; i < *n; i++)
			dup |= st[i].used == s + ol->st_used.off;
		if (s && !dup && hi_mem_u64(m, s + ol->st_arenas.off, &arenas) == 0 &&
		    hi_mem_uint(m, s + ol->st_maxarenas.off, ol->st_maxarenas.size, &maxarenas) == 0 && arenas)
			st[(*n)++] = (struct state){ arenas, maxarenas, s + ol->st_used.off };
	}
	return 0;
}

/* The pool size, from the pools in use: a pool of size class I has
 * maxnextoffset = POOL_SIZE - (I+1)*ALIGNMENT.  0 when no pool is in use,
 * -1 when pools disagree.  */
static int64_t pool_size_of(struct hi_py *py, const struct hi_obmalloc_layout *ol, const struct state *st,
			    int nst, uint32_t alignment, uint32_t nclasses)
{
	uint64_t found = 0;
	unsigned char hdr[256];
	if (ol->sizeof_pool_header > sizeof hdr)
		return -1;
	for (int s = 0; s < nst; s++)
		for (uint32_t i = 0; i < nclasses; i++) {
			uint64_t slot = st[s].used + 2 * i * 8, p;
			if (hi_mem_u64(py->mem, slot, &p) < 0)
				return -1;
			/* An empty list's head points at itself, shifted back by
			 * the two pointers before nextpool.  */
			if (!p || p == slot - ol->ph_nextpool.off)
				continue;
			if (hi_mem_read(py->mem, p, hdr, ol->sizeof_pool_header) < 0)
				continue;
			if (get_uint(hdr, ol->ph_szidx) != i)
				continue;
			uint64_t ps = get_uint(hdr, ol->ph_maxnextoffset) + (uint64_t)(i + 1) * alignment;
			if (ps < 4096 || ps > (1u << 20) || (ps & (ps - 1)) || p % ps)
				continue;
			if (found && found != ps)
				return -1;
			found = ps;
		}
	return (int64_t)found;
}

static int add_range(struct hi_pymalloc *pm, size_t *cap, uint64_t a, uint64_t b)
{
	if (pm->nranges == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		uint64_t(*nr)[2] = realloc(pm->ranges, nc * sizeof *nr);
		if (!nr)
			return -1;
		pm->ranges = nr;
		*cap = nc;
	}
	pm->ranges[pm->nranges][0] = a;
	pm->ranges[pm->nranges][1] = b;
	pm->nranges++;
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Count the pools at ADDRS (N of them).  */
static void count_pools(struct hi_py *py, const struct hi_obmalloc_layout *ol, struct hi_pymalloc *pm,
			const uint64_t *addrs, size_t n, unsigned char *buf, unsigned char *ok)
{
	size_t hs = ol->sizeof_pool_header;
	hi_mem_gather(py->mem, addrs, n, hs, buf, ok);
	for (size_t i = 0; i < n; i++) {
		if (!ok[i]) {
			pm->bad_pools++;
			continue;
		}
		const unsigned char *h = buf + i * hs;
		uint64_t count = get_uint(h, ol->ph_count) & 0xffffffffu, sz = get_uint(h, ol->ph_szidx);
		if (count == 0)
			continue;	/* emptied: counted among the arena's free pools */
		if (sz >= pm->nclasses) {
			pm->bad_pools++;
			continue;
		}
		struct hi_pymalloc_class *c = &pm->cls[sz];
		uint64_t nblocks = (pm->pool_size - pm->pool_overhead) / c->size;
		if (count > nblocks) {
			pm->bad_pools++;
			continue;
		}
		c->pools++;
		c->used += count;
		c->avail += nblocks - count;
		pm->pools_used++;
	}
}

int hi_pymalloc_read(struct hi_py *py, const struct hi_obmalloc_layout *ol, struct hi_pymalloc *pm,
		     const char *who)
{
	memset(pm, 0, sizeof *pm);
	struct state st[MAX_STATES];
	int nst;
	if (find_states(py, ol, st, &nst, who) < 0)
		return -1;
	pm->nstates = nst;
	/* Two usedpools entries per size class, padded to a multiple of 16. */
	uint32_t nclasses = ol->used_count / 2;
	if (nclasses == 0 || nclasses > HI_PYMALLOC_MAXCLASSES || SMALL_REQUEST_THRESHOLD % nclasses) {
		hi_error("%s: pymalloc's usedpools has %u entries; heapinspect expects 2 per size class of at most 512 bytes",
			 who, ol->used_count);
		return -1;
	}
	pm->nclasses = nclasses;
	pm->alignment = SMALL_REQUEST_THRESHOLD / nclasses;
	for (uint32_t i = 0; i < nclasses; i++)
		pm->cls[i].size = (i + 1) * pm->alignment;
	pm->pool_overhead = (ol->sizeof_pool_header + pm->alignment - 1) / pm->alignment * pm->alignment;
	int64_t ps = pool_size_of(py, ol, st, nst, pm->alignment, nclasses);
	if (ps < 0) {
		hi_error("%s: pymalloc's pools in use disagree on the pool size; its memory may be inconsistent", who);
		return -1;
	}
	pm->pool_size = (uint64_t)ps;
	if (ol->has_nfp2lasta && ol->nfp_count > 1)
		pm->arena_size = pm->pool_size * (ol->nfp_count - 1);

	size_t cap = 0;
	unsigned char *ao = NULL, *buf = malloc(BATCH * ol->sizeof_pool_header);
	unsigned char *ok = malloc(BATCH);
	uint64_t *addrs = malloc(BATCH * sizeof *addrs);
	size_t npend = 0;
	int rc = -1;
	if (!buf || !ok || !addrs)
		goto oom;
	uint32_t aos = ol->sizeof_arena_object;
	for (int s = 0; s < nst; s++) {
		if (st[s].maxarenas > MAX_ARENAS) {
			pm->bad_arenas++;
			continue;
		}
		for (uint64_t base = 0; base < st[s].maxarenas; base += 1024) {
			uint64_t k = st[s].maxarenas - base < 1024 ? st[s].maxarenas - base : 1024;
			unsigned char *na = realloc(ao, k * aos);
			if (!na)
				goto oom;
			ao = na;
			if (hi_mem_read(py->mem, st[s].arenas + base * aos, ao, k * aos) < 0) {
				pm->bad_arenas += k;
				continue;
			}
			for (uint64_t j = 0; j < k; j++) {
				const unsigned char *a = ao + j * aos;
				uint64_t addr = get_uint(a, ol->ao_address);
				if (!addr)
					continue;	/* a slot with no arena */
				uint64_t pool_address = get_uint(a, ol->ao_pool_address);
				uint64_t nfree = get_uint(a, ol->ao_nfreepools), ntotal = get_uint(a, ol->ao_ntotalpools);
				if (!pm->pool_size) {
					pm->bad_arenas++;
					continue;
				}
				uint64_t first = (addr + pm->pool_size - 1) & ~(pm->pool_size - 1);
				uint64_t size = (ntotal + (first != addr)) * pm->pool_size;
				if (!pm->arena_size)
					pm->arena_size = size;	/* no nfp2lasta: from the arena itself */
				if (size != pm->arena_size || nfree > ntotal || pool_address < first ||
				    pool_address > addr + pm->arena_size || (pool_address - first) % pm->pool_size) {
					pm->bad_arenas++;
					continue;
				}
				pm->arenas++;
				pm->pools_unused += nfree;
				if (first != addr)
					pm->alignment_bytes += pm->pool_size;
				if (add_range(pm, &cap, addr, addr + pm->arena_size) < 0)
					goto oom;
				for (uint64_t p = first; p < pool_address; p += pm->pool_size) {
					addrs[npend++] = p;
					if (npend == BATCH) {
						count_pools(py, ol, pm, addrs, npend, buf, ok);
						npend = 0;
					}
				}
			}
		}
	}
	if (npend)
		count_pools(py, ol, pm, addrs, npend, buf, ok);
	if (hi_mem_target_gone(py->mem)) {
		hi_error("%s: the process exited while its arenas were read", who);
		hi_error_class(HI_E_GONE);
		goto out;
	}
	for (uint32_t i = 0; i < nclasses; i++) {
		struct hi_pymalloc_class *c = &pm->cls[i];
		pm->used_bytes += c->used * c->size;
		pm->avail_bytes += c->avail * c->size;
		pm->quantization_bytes += c->pools * ((pm->pool_size - pm->pool_overhead) % c->size);
	}
	pm->header_bytes = pm->pools_used * pm->pool_overhead;
	pm->unused_bytes = pm->pools_unused * pm->pool_size;
	qsort(pm->ranges, pm->nranges, sizeof *pm->ranges, cmp_range);
	size_t w = 0;
	for (size_t i = 0; i < pm->nranges; i++) {
		if (w && pm->ranges[i][0] <= pm->ranges[w - 1][1]) {
			if (pm->ranges[i][1] > pm->ranges[w - 1][1])
				pm->ranges[w - 1][1] = pm->ranges[i][1];
			continue;
		}
		pm->ranges[w][0] = pm->ranges[i][0];
		pm->ranges[w][1] = pm->ranges[i][1];
		w++;
	}
	pm->nranges = w;
	rc = 0;
	goto out;
oom:
	hi_error("%s: out of memory reading pymalloc's arenas", who);
out:
	free(ao);
	free(buf);
	free(ok);
	free(addrs);
	if (rc < 0)
		hi_pymalloc_free(pm);
	return rc;
}

void hi_pymalloc_free(struct hi_pymalloc *pm)
{
	free(pm->ranges);
	pm->ranges = NULL;
	pm->nranges = 0;
}
