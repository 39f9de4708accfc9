/* memmap.h: where a process's memory goes, class by class.
 *
 * A mapping's name says much (procmaps.c), but anonymous memory is
 * shared by many owners, and the kernel merges their neighbouring mmaps
 * into one mapping.  So ranges are claimed by what is known of them, in
 * this order, the first claim winning:
 *
 *   1. pymalloc's arenas (from Python's own state, arena.c);
 *   2. the bss of each program and library (its ELF program headers,
 *      read from the mapped file header in the target);
 *   3. thread stacks: the mapping holding each thread's stack pointer,
 *      from its guard page up, at most the stack size limit;
 *   4. glibc malloc's thread heaps: at 64 MiB-aligned addresses, a
 *      heap_info header whose sizes and arena pointer check out;
 *   5. glibc malloc's mmap'd chunks, in what is left: a page that starts
 *      with a chunk header (prev_size 0, IS_MMAPPED, a size in pages that
 *      fits) is a chunk of that size.  Only pages pagemap says are
 *      present are read (others would be swapped in, or mapped), and
 *      pagemap passes over holes in bulk.  The target is stopped
 *      meanwhile, so the work is bounded: at most 4 GiB of headers read,
 *      and 64 GiB of pagemap entries looked at one by one (a sparse
 *      mapping's absent pages too, without PAGEMAP_SCAN); the rest stays
 *      other anonymous memory, and `unscanned' says how much.  Ctrl-C
 *      ends the search.
 *
 * What is not claimed keeps the class its name gives.  Each piece of a
 * mapping gets the resident and swapped bytes /proc/PID/pagemap counts
 * for it (without pagemap: the mapping's, in proportion to size); the
 * unclaimed rest gets the mapping's Rss minus its pieces', so the classes
 * add up to smaps exactly.  PSS is split in proportion to resident bytes.
 * Measuring pieces may look at as many pagemap entries again; past that
 * they are split in proportion to size (`bounded').
 */
#ifndef HI_MEMMAP_H
#define HI_MEMMAP_H
#include <stdint.h>
#include "mem/mem.h"
#include "proc/procmaps.h"

struct hi_mtotal {
	uint64_t size, rss, pss, swap;
	uint64_t parts;		/* mappings, or pieces of mappings */
};

/* A file or segment: every mapping of one (device, inode, name).  */
struct hi_mitem {
	char *name;
	enum hi_mclass cls;
	enum hi_shmkind shm;
	unsigned major, minor;
	uint64_t inode;
	int deleted;
	struct hi_mtotal t;
	size_t next;		/* the item added before with the same file key */
};

struct hi_memmap {
	struct hi_mtotal cls[HI_MC_COUNT];
	struct hi_mtotal total;
	struct hi_mitem *items;	/* code, file and shm mappings by file */
	size_t nitems;
	int measured;		/* split mappings measured with pagemap */
	int bounded;		/* pagemap work reached its bound: see unscanned, measured */
	uint64_t split;		/* mappings shared by more than one class */
	uint64_t threads;	/* thread stacks found */
	uint64_t unscanned;	/* anonymous bytes not searched for malloc chunks */
};

struct hi_memmap_input {
	struct hi_maps *maps;		/* classified (hi_maps_classify) */
	struct hi_mem *mem;		/* the stopped target; NULL: names only */
	struct hi_pagemap *pagemap;	/* NULL: split in proportion to size */
	const uint64_t (*arenas)[2];	/* pymalloc's, sorted */
	size_t narenas;
	const uint64_t *sps;		/* threads' stack pointers */
	size_t nsps;
	uint64_t stack_limit;		/* 0: glibc's default, 2 MiB */
	uint64_t scan_pages;		/* pages the chunk search may read; 0: 1 Mi (4 GiB) */
	uint64_t examine_pages;		/* pagemap entries the searches, then the measures,
					 * may each look at; 0: 16 Mi (64 GiB) */
	int scan_blind;			/* search for chunks without pagemap (an image) */
};

/* Attribute every mapping of IN to classes.  Returns 0, or -1 (out of
 * memory, or interrupted: hi_errmsg() says which).  */
int hi_memmap_build(const struct hi_memmap_input *in, struct hi_memmap *out);
void hi_memmap_free(struct hi_memmap *mm);

/* Items of class C sorted by resident size, largest first (malloc'd array
 * of pointers into MM; *N of them).  */
const struct hi_mitem **hi_memmap_items(const struct hi_memmap *mm, enum hi_mclass c, size_t *n);

#endif
