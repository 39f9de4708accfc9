/* procmaps.h: a process's address space as /proc describes it.
 *
 * Parses /proc/PID/smaps (or maps) into mappings with their sizes, and
 * /proc/PID/smaps_rollup into totals; classifies each mapping by what its
 * name says (the [heap], a thread's [stack], a library, a data file, a
 * shared-memory segment, anonymous memory); reads /proc/PID/pagemap for
 * which pages are resident, and the threads' stack pointers.  The parsers
 * take a stdio stream, so the unit tests feed them sample text.  Nothing
 * here reads the target's memory; mapping contents are memmap.c's.  */
#ifndef HI_PROCMAPS_H
#define HI_PROCMAPS_H
#include <stdint.h>
#include "proc/rollup.h"
#include <stdio.h>
#include <sys/types.h>

/* Where memory goes, in the order `memory` shows it.  */
enum hi_mclass {
	HI_MC_PYMALLOC,		/* pymalloc's arenas */
	HI_MC_MALLOC_HEAP,	/* malloc: the [heap] (brk) */
	HI_MC_MALLOC_ARENA,	/* malloc: the heaps of threads' arenas */
	HI_MC_MALLOC_MMAP,	/* malloc: chunks mmap'd on their own */
	HI_MC_STACK,		/* thread stacks */
	HI_MC_CODE,		/* executables and libraries: code, data, bss */
	HI_MC_FILE,		/* mmap'd files that are not programs */
	HI_MC_SHM,		/* shared memory: /dev/shm, SysV, memfd, shared anonymous */
	HI_MC_ANON,		/* any other anonymous memory */
	HI_MC_COUNT
};

/* "pymalloc", "malloc_heap", ...: a key for scripts.  */
const char *hi_mclass_key(enum hi_mclass c);
/* "pymalloc arenas", ...: for people.  */
const char *hi_mclass_label(enum hi_mclass c);

enum hi_shmkind {
	HI_SHM_NONE,
	HI_SHM_POSIX,		/* a file under /dev/shm (shm_open) */
	HI_SHM_SYSV,		/* shmat: "/SYSV<key>" */
	HI_SHM_MEMFD,		/* memfd_create: "/memfd:<name>" */
	HI_SHM_ANON,		/* mmap(MAP_SHARED|MAP_ANONYMOUS): "/dev/zero" */
};
const char *hi_shmkind_name(enum hi_shmkind k);	/* "posix", "sysv", ... */
/* The kind of shared memory a mapping named P is (its path, less
 * " (deleted)"; SHARED: its perms end in 's'), or HI_SHM_NONE.  */
enum hi_shmkind hi_shmkind_of(const char *p, int shared);

struct hi_vma {
	uint64_t start, end, offset, inode;
	unsigned major, minor;
	char perms[5];
	char *path;		/* as /proc shows it, less " (deleted)"; "" if anonymous */
	int deleted;		/* " (deleted)"; hi_maps_classify clears it for SysV and
				 * shared anonymous memory, always so named */
	/* Bytes, from smaps (zero when parsed from maps).  */
	uint64_t rss, pss, swap, anon;
	uint64_t shared_clean, shared_dirty, private_clean, private_dirty;
	enum hi_mclass cls;	/* by name: hi_maps_classify */
	enum hi_shmkind shm;
};

struct hi_maps {
	struct hi_vma *v;	/* sorted by address, as /proc lists them */
	size_t n, cap;
};

/* Parse smaps or maps text.  Returns 0, or -1 (out of memory, or a line
 * that is neither a mapping nor a field: hi_errmsg() quotes it).  */
int hi_maps_parse(FILE *f, struct hi_maps *out);

/* Read /proc/PID/FILE ("smaps" or "maps").  Returns 0 or -1 with
 * hi_errmsg() set (WHO prefixes it).  */
int hi_maps_read(pid_t pid, const char *file, struct hi_maps *out, const char *who);

void hi_maps_free(struct hi_maps *m);

/* Set each mapping's class and shared-memory kind from its name: [heap],
 * [stack], [vdso] and friends (code), /dev/shm/..., /SYSV..., /memfd:...,
 * shared /dev/zero (shared memory), a file some mapping of which is
 * executable (code: every mapping of it), other files (data files), and
 * anonymous memory (refined by memmap.c from contents).  */
void hi_maps_classify(struct hi_maps *m);

/* A nonzero hash of V's device and inode, for maps keyed by file.  */
uint64_t hi_vma_file_key(const struct hi_vma *v);

/* The mapping holding ADDR, or NULL.  */
struct hi_vma *hi_maps_find(struct hi_maps *m, uint64_t addr);

/* smaps_rollup's totals: rollup.h.  */

/* /proc/PID/pagemap: which pages are present (in RAM) or swapped.
 *
 * Entries are read a buffer at a time, and runs of pages neither present
 * nor swapped (never touched: most of a sparse mapping) are passed over
 * in bulk: with Linux 6.7's PAGEMAP_SCAN ioctl the kernel skips
 * unpopulated page tables whole (milliseconds for a TiB); before it, one
 * call reads at most 4096 entries (16 MiB of address space, about 20 us),
 * so callers can bound the work and poll for interrupts between calls.
 * Nothing here changes the target: the ioctl only reports.  */
struct hi_pagemap;
struct hi_pagemap *hi_pagemap_open(pid_t pid);	/* NULL if not readable */
void hi_pagemap_close(struct hi_pagemap *pm);
/* Read the file only, as before Linux 6.7 (for tests).  */
void hi_pagemap_no_scan(struct hi_pagemap *pm);

/* Pages looked at one by one so far: entries read from the file, and
 * present or swapped pages the kernel's scan reported (a hole it skips
 * whole costs nothing).  The measure of the work done, for budgets.  */
uint64_t hi_pagemap_examined(const struct hi_pagemap *pm);

/* The first present page in [ADDR, END): returns 1 with *AT = its
 * address.  Returns 0 when none was found in the part looked at, with
 * *AT = where that part ends: END, or less when the call stopped after
 * one buffer (call again from *AT).  -1 if pagemap cannot be read.
 * Reading a page that is not present (swapped out, or never touched)
 * would swap it in or map it: searches look only at present pages.  */
int hi_pagemap_next_present(struct hi_pagemap *pm, uint64_t addr, uint64_t end, uint64_t *at);

/* Is the page at ADDR present in RAM?  1, 0, or -1 if unknown.  One
 * entry is read unless the last buffer holds it: for scattered probes. */
int hi_pagemap_present(struct hi_pagemap *pm, uint64_t addr);

/* Bytes of [start, end) that are present, and that are swapped out.
 * Returns 0; 1 if it stopped because hi_pagemap_examined() reached
 * LIMIT (0: no limit) before the range was covered (*PRESENT and
 * *SWAPPED then count part of it); -1 if pagemap cannot be read.  */
int hi_pagemap_count(struct hi_pagemap *pm, uint64_t start, uint64_t end, uint64_t limit, uint64_t *present,
		     uint64_t *swapped);

/* Call FN(ARG, START, END, SWAPPED) for each run of pages in [START,
 * END) that are present (SWAPPED 0) or swapped out (SWAPPED 1), in
 * address order, adjacent pages of one kind as one run; pages never
 * touched are skipped without a call.  Returns 0, FN's first nonzero
 * return, or -1 if pagemap cannot be read.  */
int hi_pagemap_runs(struct hi_pagemap *pm, uint64_t start, uint64_t end,
		    int (*fn)(void *arg, uint64_t start, uint64_t end, int swapped), void *arg);

/* The stack pointer of each thread of stopped process PID (from
 * /proc/PID/task/TID/syscall).  Returns the number found (malloc'd
 * *SPS), or -1.  */
int hi_proc_thread_sps(pid_t pid, uint64_t **sps);

/* The soft stack size limit of PID (/proc/PID/limits), which glibc takes
 * as the default size of a thread's stack; 0 if unlimited or unknown.  */
uint64_t hi_proc_stack_limit(pid_t pid);

#endif
