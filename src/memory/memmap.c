/* memmap.c: attribute an address space to classes (see memmap.h).  */
#include "config.h"
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "util/error.h"
#include "util/interrupt.h"
#include "memory/memmap.h"
#include "util/u64map.h"

#define PAGE 4096ull
/* glibc's HEAP_MAX_SIZE on 64-bit: 2 * DEFAULT_MMAP_THRESHOLD_MAX.  Thread
 * arenas grow in heaps of at most this size, aligned to it.  */
#define GLIBC_HEAP_MAX (64ull << 20)
/* glibc's default thread stack when RLIMIT_STACK is unlimited (x86-64). */
#define GLIBC_STACK_DEFAULT (2ull << 20)
#define MAX_PHDRS 64
#define SCAN_BATCH 512

struct claim {
	uint64_t start, end;
	int cls;
};

struct claims {
	struct claim *c;
	size_t n, cap;
};

static int claims_grow(struct claims *s)
{
	if (s->n < s->cap)
		return 0;
	size_t nc = s->cap ? s->cap * 2 : 256;
	struct claim *c = realloc(s->c, nc * sizeof *c);
	if (!c)
		return -1;
	s->c = c;
	s->cap = nc;
	return 0;
}

/* Add the parts of [start, end) that no claim holds yet, as class CLS. */
static int claim_add(struct claims *s, uint64_t start, uint64_t end, int cls)
{
	/* The first claim that ends after START (ends ascend too).  */
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->c[mid].end <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t i = lo;
	while (start < end) {
		if (i < s->n && s->c[i].start <= start) {
			if (s->c[i].end > start)
				start = s->c[i].end;
			i++;
			continue;
		}
		uint64_t gap_end = i < s->n && s->c[i].start < end ? s->c[i].start : end;
		if (claims_grow(s) < 0)
			return -1;
		memmove(&s->c[i + 1], &s->c[i], (s->n - i) * sizeof *s->c);
		s->c[i] = (struct claim){ start, gap_end, cls };
		s->n++;
		i++;
		start = gap_end;
	}
	return 0;
}

/* The work allowed while the target is stopped, and what is left of it. */
struct budget {
	uint64_t read;		/* chunk headers that may still be read (pages) */
	uint64_t examine;	/* hi_pagemap_examined() may reach this */
	int interrupted;	/* SIGINT and friends: unwind */
};

/* How many pages' headers the chunk search may read: about 0.25 s per
 * GiB of anonymous memory that is not in chunks.  */
#define READ_BUDGET_DEFAULT (1ull << 20)	/* pages: 4 GiB */
/* How many pagemap entries the searches may look at one by one, and then
 * the measures of split mappings as many again: without PAGEMAP_SCAN the
 * kernel takes about 1.5 s a TiB of address space, present or not.  */
#define EXAMINE_BUDGET_DEFAULT (16ull << 20)	/* pages: 64 GiB, 0.1 s */

static int over_budget(const struct hi_memmap_input *in, struct budget *b)
{
	if (hi_interrupted())
		b->interrupted = 1;
	return b->interrupted || !b->read || (in->pagemap && hi_pagemap_examined(in->pagemap) >= b->examine);
}

/* ---- what the target's memory says ---- */

/* The bss of each ELF file mapped from offset 0: the part of a writable
 * PT_LOAD beyond its file contents, which the loader maps anonymous.  */
static int claim_bss(const struct hi_memmap_input *in, struct claims *s)
{
	struct hi_maps *m = in->maps;
	for (size_t i = 0; i < m->n; i++) {
		struct hi_vma *v = &m->v[i];
		Elf64_Ehdr eh;
		Elf64_Phdr ph[MAX_PHDRS];
		if (v->cls != HI_MC_CODE || v->offset != 0 || v->path[0] != '/' || v->perms[0] != 'r' ||
		    hi_mem_read(in->mem, v->start, &eh, sizeof eh) < 0 || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
		    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
		    eh.e_phnum > MAX_PHDRS || eh.e_phoff > v->end - v->start ||
		    hi_mem_read(in->mem, v->start + eh.e_phoff, ph, eh.e_phnum * sizeof *ph) < 0)
			continue;
		uint64_t bias = 0;
		int found = 0;
		for (int k = 0; k < eh.e_phnum && !found; k++)
			if (ph[k].p_type == PT_LOAD && ph[k].p_offset == 0) {
				bias = v->start - (ph[k].p_vaddr & ~(PAGE - 1));
				found = 1;
			}
		for (int k = 0; found && k < eh.e_phnum; k++) {
			if (ph[k].p_type != PT_LOAD || ph[k].p_memsz <= ph[k].p_filesz || ph[k].p_memsz > (1ull << 40))
				continue;
			uint64_t a = (bias + ph[k].p_vaddr + ph[k].p_filesz + PAGE - 1) & ~(PAGE - 1);
			uint64_t b = (bias + ph[k].p_vaddr + ph[k].p_memsz + PAGE - 1) & ~(PAGE - 1);
			if (a < b && claim_add(s, a, b, HI_MC_CODE) < 0)
				return -1;
		}
	}
	return 0;
}

/* Each thread's stack: the anonymous mapping holding its stack pointer,
 * from the guard page below it up, at most the stack size limit (without
 * a guard: from the stack pointer up).  The main thread's is [stack].  */
static int claim_stacks(const struct hi_memmap_input *in, struct claims *s, uint64_t *threads)
{
	struct hi_maps *m = in->maps;
	uint64_t limit = in->stack_limit ? in->stack_limit : GLIBC_STACK_DEFAULT;
	for (size_t i = 0; i < in->nsps; i++) {
		struct hi_vma *v = hi_maps_find(m, in->sps[i]);
		if (!v)
			continue;
		(*threads)++;
		if (v->cls != HI_MC_ANON)
			continue;	/* [stack], or not a stack we know */
		uint64_t a, b;
		if (v > m->v && v[-1].end == v->start && strcmp(v[-1].perms, "---p") == 0) {
			a = v->start;
			b = v->end - v->start > limit ? v->start + limit : v->end;
		} else {
			a = in->sps[i] & ~(PAGE - 1);
			b = v->end - a > limit ? a + limit : v->end;
		}
		if (claim_add(s, a, b, HI_MC_STACK) < 0)
			return -1;
	}
	return 0;
}

/* glibc's heap_info, at the start of each heap of a thread arena.  */
struct glibc_heap_info {
	uint64_t ar_ptr, prev, size, mprotect_size;
};

/* One probe of pagemap per 64 MiB of each anonymous mapping: a 16 TiB
 * one (ASan's shadow) costs 256 Ki probes, a fraction of a second.  */
static int claim_thread_heaps(const struct hi_memmap_input *in, struct claims *s, struct budget *b)
{
	struct hi_maps *m = in->maps;
	unsigned long probes = 0;
	for (size_t i = 0; i < m->n; i++) {
		struct hi_vma *v = &m->v[i];
		if (v->cls != HI_MC_ANON || strcmp(v->perms, "rw-p") != 0 || !v->rss)
			continue;
		for (uint64_t a = (v->start + GLIBC_HEAP_MAX - 1) & ~(GLIBC_HEAP_MAX - 1); a >= v->start && a < v->end;
		     a += GLIBC_HEAP_MAX) {
			if ((++probes & 1023) == 0 && hi_interrupted()) {
				b->interrupted = 1;
				return 0;
			}
			struct glibc_heap_info h;
			if ((in->pagemap && hi_pagemap_present(in->pagemap, a) != 1) ||
			    hi_mem_read(in->mem, a, &h, sizeof h) < 0)
				continue;
			if (!h.ar_ptr || (h.ar_ptr & 7) || !h.size || h.size % PAGE || h.mprotect_size % PAGE ||
			    h.mprotect_size < h.size || h.mprotect_size > GLIBC_HEAP_MAX)
				continue;
			/* The first heap of an arena holds the arena after its
			 * header; later ones link to the one before.  */
			if (h.prev ? h.prev % GLIBC_HEAP_MAX != 0 : (h.ar_ptr <= a || h.ar_ptr >= a + PAGE))
				continue;
			if (claim_add(s, a, a + h.mprotect_size, HI_MC_MALLOC_ARENA) < 0)
				return -1;
		}
	}
	return 0;
}

/* Search [a, b) of anonymous memory no one claimed for glibc's mmap'd
 * chunks, appending them to OUT (in ascending order).  Only present pages
 * are read (a chunk's header page was written; reading others would swap
 * them in or map them), and holes are passed over by pagemap in bulk.
 * Past the budget, what is left goes to *UNSCANNED.  */
static int scan_chunks(const struct hi_memmap_input *in, uint64_t a, uint64_t b, struct claims *out,
		       struct budget *bud, uint64_t *unscanned)
{
	uint64_t addrs[SCAN_BATCH];
	uint64_t hdr[SCAN_BATCH][2];
	unsigned char ok[SCAN_BATCH];
	uint64_t p = a;		/* below it, every page is done */
	while (p < b) {
		if (over_budget(in, bud)) {
			*unscanned += b - p;
			return 0;
		}
		/* The next present pages, up to Q.  */
		size_t n = 0;
		uint64_t q = p;
		while (q < b && n < SCAN_BATCH && n < bud->read) {
			uint64_t at;
			int r = in->pagemap ? hi_pagemap_next_present(in->pagemap, q, b, &at) : (at = q, 1);
			if (r < 0) {
				*unscanned += b - q;	/* pagemap went away: the target exited */
				b = q;
				break;
			}
			if (r == 0) {
				q = at;	/* a buffer's worth of holes: look at the budget again */
				if (q < b && over_budget(in, bud))
					break;
				continue;
			}
			addrs[n++] = at;
			q = at + PAGE;
		}
		bud->read -= n;
		if (n)
			hi_mem_gather(in->mem, addrs, n, 16, hdr, ok);
		for (size_t k = 0; k < n; k++) {
			if (addrs[k] < p)
				continue;	/* inside a chunk found just now */
			uint64_t size = hdr[k][1] & ~7ull;
			if (!ok[k] || hdr[k][0] != 0 || (hdr[k][1] & 7) != 2 || size < PAGE || size % PAGE ||
			    size > b - addrs[k])
				continue;
			if (claims_grow(out) < 0)
				return -1;
			out->c[out->n++] = (struct claim){ addrs[k], addrs[k] + size, HI_MC_MALLOC_MMAP };
			p = addrs[k] + size;
		}
		if (p < q)
			p = q;
	}
	return 0;
}

static int scan_gaps(const struct hi_memmap_input *in, const struct claims *s, struct claims *out,
		     struct budget *bud, uint64_t *unscanned)
{
	struct hi_maps *m = in->maps;
	size_t j = 0;
	for (size_t i = 0; i < m->n && !bud->interrupted; i++) {
		struct hi_vma *v = &m->v[i];
		if (v->cls != HI_MC_ANON || v->perms[0] != 'r' || v->perms[1] != 'w' || !v->rss)
			continue;
		while (j < s->n && s->c[j].end <= v->start)
			j++;
		uint64_t p = v->start;
		for (size_t k = j; k < s->n && s->c[k].start < v->end; k++) {
			if (s->c[k].start > p && scan_chunks(in, p, s->c[k].start, out, bud, unscanned) < 0)
				return -1;
			if (s->c[k].end > p)
				p = s->c[k].end;
		}
		if (p < v->end && scan_chunks(in, p, v->end, out, bud, unscanned) < 0)
			return -1;
	}
	return 0;
}

/* ---- totals ---- */

static void add_total(struct hi_mtotal *t, uint64_t size, uint64_t rss, uint64_t pss, uint64_t swap)
{
	t->size += size;
	t->rss += rss;
	t->pss += pss;
	t->swap += swap;
	t->parts++;
}

/* Add V to its file's item; INDEX maps file keys to the item added last
 * for the key (items of one key chain through their `next').  */
static int add_item(struct hi_memmap *mm, const struct hi_vma *v, size_t *cap, struct u64map *index)
{
	uint64_t key = hi_vma_file_key(v);
	uint64_t *slot = u64map_get(index, key);
	for (size_t i = slot ? *slot : SIZE_MAX; i != SIZE_MAX; i = mm->items[i].next) {
		struct hi_mitem *it = &mm->items[i];
		if (it->inode == v->inode && it->major == v->major && it->minor == v->minor && strcmp(it->name, v->path) == 0) {
			add_total(&it->t, v->end - v->start, v->rss, v->pss, v->swap);
			return 0;
		}
	}
	if (mm->nitems == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct hi_mitem *ni = realloc(mm->items, nc * sizeof *ni);
		if (!ni)
			return -1;
		mm->items = ni;
		*cap = nc;
	}
	struct hi_mitem *it = &mm->items[mm->nitems];
	memset(it, 0, sizeof *it);
	if (!(it->name = strdup(v->path)))
		return -1;
	it->cls = v->cls;
	it->shm = v->shm;
	it->major = v->major;
	it->minor = v->minor;
	it->inode = v->inode;
	it->deleted = v->deleted;
	add_total(&it->t, v->end - v->start, v->rss, v->pss, v->swap);
	it->next = slot ? (size_t)*slot : SIZE_MAX;
	if (u64map_put(index, key, mm->nitems) < 0) {
		free(it->name);	/* not counted in nitems: hi_memmap_free would miss it */
		it->name = NULL;
		return -1;
	}
	mm->nitems++;
	return 0;
}

static uint64_t prorate(uint64_t total, uint64_t part, uint64_t whole)
{
	if (!whole)
		return 0;
	return (uint64_t)((unsigned __int128)total * part / whole);
}

/* Split mapping V among the claims C[0..n) that overlap it.  */
static void split_vma(const struct hi_memmap_input *in, struct hi_memmap *mm, const struct hi_vma *v,
		      const struct claim *c, size_t n, const struct budget *bud)
{
	uint64_t vsize = v->end - v->start, used_size = 0, used_rss = 0, used_pss = 0, used_swap = 0;
	int measured = in->pagemap != NULL;
	for (size_t k = 0; k < n; k++) {
		uint64_t a = c[k].start > v->start ? c[k].start : v->start;
		uint64_t b = c[k].end < v->end ? c[k].end : v->end;
		uint64_t size = b - a, rss, swap;
		int rc = measured ? hi_pagemap_count(in->pagemap, a, b, bud->examine, &rss, &swap) : -1;
		if (rc != 0) {
			if (rc > 0)
				mm->bounded = 1;	/* past the budget */
			measured = 0;
			rss = prorate(v->rss, size, vsize);
			swap = prorate(v->swap, size, vsize);
		}
		/* Never more than the mapping has left (pages can come and go
		 * between smaps and pagemap only if the target runs).  */
		if (rss > v->rss - used_rss)
			rss = v->rss - used_rss;
		if (swap > v->swap - used_swap)
			swap = v->swap - used_swap;
		uint64_t pss = prorate(v->pss, rss, v->rss);
		if (pss > v->pss - used_pss)
			pss = v->pss - used_pss;
		add_total(&mm->cls[c[k].cls], size, rss, pss, swap);
		used_size += size;
		used_rss += rss;
		used_pss += pss;
		used_swap += swap;
	}
	if (used_size < vsize)
		add_total(&mm->cls[v->cls], vsize - used_size, v->rss - used_rss, v->pss - used_pss,
			  v->swap - used_swap);
	if (!measured)
		mm->measured = 0;
	mm->split++;
}

int hi_memmap_build(const struct hi_memmap_input *in, struct hi_memmap *mm)
{
	struct claims s = { 0 }, chunks = { 0 };
	struct claim *all = NULL;
	size_t cap = 0;
	struct u64map index;
	u64map_init(&index);
	memset(mm, 0, sizeof *mm);
	mm->measured = in->pagemap != NULL;
	uint64_t examine = in->examine_pages ? in->examine_pages : EXAMINE_BUDGET_DEFAULT;
	struct budget bud = { in->scan_pages ? in->scan_pages : READ_BUDGET_DEFAULT, examine, 0 };
	if (in->pagemap)
		bud.examine += hi_pagemap_examined(in->pagemap);
	/* 1. pymalloc's arenas: sorted and disjoint, so appended.  */
	for (size_t i = 0; i < in->narenas; i++)
		if (claim_add(&s, in->arenas[i][0], in->arenas[i][1], HI_MC_PYMALLOC) < 0)
			goto oom;
	if (in->mem) {
		/* 2-5: what the target's memory says.  Without pagemap a live
		 * target's chunks are not searched (see hi_pagemap_present);
		 * an image may be.  */
		if (claim_bss(in, &s) < 0 || claim_stacks(in, &s, &mm->threads) < 0 ||
		    claim_thread_heaps(in, &s, &bud) < 0 ||
		    (!bud.interrupted && (in->pagemap || in->scan_blind) &&
		     scan_gaps(in, &s, &chunks, &bud, &mm->unscanned) < 0))
			goto oom;
		if (bud.interrupted)
			goto interrupted;
	}
	/* As much again for measuring the pieces of split mappings.  */
	if (in->pagemap) {
		if (hi_pagemap_examined(in->pagemap) >= bud.examine)
			mm->bounded = 1;
		bud.examine = hi_pagemap_examined(in->pagemap) + examine;
	}
	/* Merge the two sorted, disjoint lists.  */
	size_t nall = s.n + chunks.n, i = 0, j = 0, k = 0;
	all = malloc((nall ? nall : 1) * sizeof *all);
	if (!all)
		goto oom;
	while (i < s.n || j < chunks.n)
		all[k++] = (j >= chunks.n || (i < s.n && s.c[i].start < chunks.c[j].start)) ? s.c[i++] : chunks.c[j++];

	size_t first = 0;
	for (size_t x = 0; x < in->maps->n; x++) {
		const struct hi_vma *v = &in->maps->v[x];
		while (first < nall && all[first].end <= v->start)
			first++;
		size_t last = first;
		while (last < nall && all[last].start < v->end)
			last++;
		if (last > first && !(last == first + 1 && all[first].start <= v->start && all[first].end >= v->end))
			split_vma(in, mm, v, all + first, last - first, &bud);
		else
			add_total(&mm->cls[last > first ? all[first].cls : (int)v->cls], v->end - v->start, v->rss,
				  v->pss, v->swap);
		add_total(&mm->total, v->end - v->start, v->rss, v->pss, v->swap);
		if ((v->cls == HI_MC_SHM || v->cls == HI_MC_FILE || v->cls == HI_MC_CODE) && v->path[0] == '/' &&
		    add_item(mm, v, &cap, &index) < 0)
			goto oom;
	}
	free(all);
	free(s.c);
	free(chunks.c);
	u64map_free(&index);
	return 0;
oom:
	free(all);
	free(s.c);
	free(chunks.c);
	u64map_free(&index);
	hi_memmap_free(mm);
	hi_error("out of memory attributing the mappings; free some memory and retry");
	return -1;
interrupted:
	free(s.c);
	free(chunks.c);
	u64map_free(&index);
	hi_error("interrupted while searching the mappings; the target runs on");
	return -1;
}

void hi_memmap_free(struct hi_memmap *mm)
{
	for (size_t i = 0; i < mm->nitems; i++)
		free(mm->items[i].name);
	free(mm->items);
	mm->items = NULL;
	mm->nitems = 0;
}

static int by_rss(const void *a, const void *b)
{
	const struct hi_mitem *x = *(const struct hi_mitem *const *)a, *y = *(const struct hi_mitem *const *)b;
	if (x->t.rss != y->t.rss)
		return x->t.rss > y->t.rss ? -1 : 1;
	return strcmp(x->name, y->name);
}

const struct hi_mitem **hi_memmap_items(const struct hi_memmap *mm, enum hi_mclass c, size_t *n)
{
	const struct hi_mitem **v = malloc((mm->nitems ? mm->nitems : 1) * sizeof *v);
	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < mm->nitems; i++)
		if (mm->items[i].cls == c)
			v[(*n)++] = &mm->items[i];
	qsort(v, *n, sizeof *v, by_rss);
	return v;
}
