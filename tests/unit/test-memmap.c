/* test-memmap.c: attributing an address space by content, on a memory
 * image: pymalloc arenas, a library's bss, a thread stack, a glibc thread
 * heap and a glibc mmap'd chunk inside merged anonymous mappings, a
 * look-alike chunk header that must not count, and classes that add up.
 * Without pagemap, pieces get their mapping's RSS in proportion to size. */
#include "config.h"
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "util/error.h"
#include "util/interrupt.h"
#include "memory/memmap.h"
#include "suites.h"

#define MiB (1ull << 20)
#define KiB 1024ull

static struct hi_vma vma(uint64_t start, uint64_t end, const char *perms, const char *path, uint64_t rss)
{
	struct hi_vma v;
	memset(&v, 0, sizeof v);
	v.start = start;
	v.end = end;
	memcpy(v.perms, perms, 5);
	v.path = strdup(path);
	v.rss = v.pss = rss;
	if (path[0] == '/') {
		v.major = 0xfe;
		v.inode = 777;
	}
	return v;
}

/* Anonymous memory at X: arena [X, X+1M), chunk [X+2M, X+3M+4K), a false
 * header at X+4M, all in one 8 MiB mapping.  A 64 MiB-aligned mapping at
 * H holding a thread heap of 2 MiB.  A thread stack: guard, then 4 MiB
 * merged with what lies above.  A library at L with 16 KiB of bss.  */
#define X 0x7f1000000000ull
#define H 0x7f1004000000ull
#define S 0x7f1010000000ull
#define L 0x7f1020000000ull

static void add_u64s(struct hi_mem *m, uint64_t addr, const uint64_t *v, size_t n)
{
	CU_ASSERT_EQUAL_FATAL(hi_mem_image_add(m, addr, v, n * 8), 0);
}

static void test_attribution(void)
{
	struct hi_maps maps = { 0 };
	struct hi_vma v[] = {
		vma(X, X + 8 * MiB, "rw-p", "", 8 * MiB),
		vma(H, H + 2 * MiB, "rw-p", "", 2 * MiB),
		vma(H + 2 * MiB, H + 64 * MiB, "---p", "", 0),
		vma(S - 4 * KiB, S, "---p", "", 0),
		vma(S, S + 4 * MiB, "rw-p", "", 4 * MiB),
		vma(L, L + 0x1000, "r--p", "/usr/lib/libfoo.so", 0x1000),
		vma(L + 0x1000, L + 0x3000, "r-xp", "/usr/lib/libfoo.so", 0x2000),
		vma(L + 0x3000, L + 0x4000, "rw-p", "/usr/lib/libfoo.so", 0x1000),
		vma(L + 0x4000, L + 0x10000, "rw-p", "", 0xc000),
		vma(L + 0x10000, L + 0x11000, "rw-s", "/dev/shm/seg", 0x1000),
	};
	maps.n = maps.cap = sizeof v / sizeof v[0];
	maps.v = v;
	v[5].offset = 0;
	v[6].offset = 0x1000;
	v[7].offset = 0x3000;
	v[9].inode = 778;
	hi_maps_classify(&maps);
	CU_ASSERT_EQUAL(v[9].cls, HI_MC_SHM);

	struct hi_mem *m = hi_mem_open_image();
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	uint64_t chunk[2] = { 0, (MiB + 4 * KiB) | 2 };		/* IS_MMAPPED */
	add_u64s(m, X + 2 * MiB, chunk, 2);
	uint64_t fake[2] = { 0, MiB | 3 };			/* PREV_INUSE too: not mmap'd */
	add_u64s(m, X + 4 * MiB, fake, 2);
	uint64_t heap[4] = { H + 0x20, 0, MiB, 2 * MiB };	/* ar_ptr, prev, size, mprotect_size */
	add_u64s(m, H, heap, 4);
	/* libfoo: two PT_LOADs, the second with 0x4800 bytes of bss past
	 * its 0x800 bytes of file.  */
	unsigned char elf[sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr)];
	memset(elf, 0, sizeof elf);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)elf;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_phoff = sizeof *eh;
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 2;
	Elf64_Phdr *ph = (Elf64_Phdr *)(elf + sizeof *eh);
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0, .p_vaddr = 0, .p_filesz = 0x3000, .p_memsz = 0x3000 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x3000, .p_vaddr = 0x3000, .p_filesz = 0x800,
			      .p_memsz = 0x5000 };
	CU_ASSERT_EQUAL_FATAL(hi_mem_image_add(m, L, elf, sizeof elf), 0);

	uint64_t arenas[1][2] = { { X, X + MiB } };
	uint64_t sps[2] = { S + 4 * MiB - 100, 0x1234 };	/* a thread, and a pointer nowhere */
	struct hi_memmap_input in = {
		.maps = &maps, .mem = m, .pagemap = NULL, .arenas = (const uint64_t(*)[2])arenas, .narenas = 1,
		.sps = sps, .nsps = 2, .stack_limit = MiB, .scan_blind = 1,
	};
	struct hi_memmap mm;
	CU_ASSERT_EQUAL_FATAL(hi_memmap_build(&in, &mm), 0);
	CU_ASSERT_EQUAL(mm.cls[HI_MC_PYMALLOC].size, MiB);
	CU_ASSERT_EQUAL(mm.cls[HI_MC_PYMALLOC].rss, MiB);		/* 8 MiB resident of 8: in proportion */
	CU_ASSERT_EQUAL(mm.cls[HI_MC_MALLOC_MMAP].size, MiB + 4 * KiB);
	CU_ASSERT_EQUAL(mm.cls[HI_MC_MALLOC_MMAP].parts, 1);	/* not the look-alike */
	CU_ASSERT_EQUAL(mm.cls[HI_MC_MALLOC_ARENA].size, 2 * MiB);
	CU_ASSERT_EQUAL(mm.cls[HI_MC_STACK].size, MiB);		/* the limit, from the guard up */
	CU_ASSERT_EQUAL(mm.threads, 1);
	/* libfoo's three file mappings and its bss [L+0x4000, L+0x8000).  */
	CU_ASSERT_EQUAL(mm.cls[HI_MC_CODE].size, 0x4000 + 0x4000);
	CU_ASSERT_EQUAL(mm.cls[HI_MC_CODE].parts, 4);
	CU_ASSERT_EQUAL(mm.cls[HI_MC_SHM].size, 0x1000);
	/* What no one claimed: the rest of X, of the stack mapping, of the
	 * heap's reservation, the guard, and past libfoo's bss.  */
	uint64_t rest = (8 * MiB - MiB - (MiB + 4 * KiB)) + (4 * MiB - MiB) + 62 * MiB + 4 * KiB + 0x8000;
	CU_ASSERT_EQUAL(mm.cls[HI_MC_ANON].size, rest);
	/* The classes add up to the mappings, in size and in RSS.  */
	uint64_t size = 0, rss = 0;
	for (int c = 0; c < HI_MC_COUNT; c++) {
		size += mm.cls[c].size;
		rss += mm.cls[c].rss;
	}
	CU_ASSERT_EQUAL(size, mm.total.size);
	CU_ASSERT_EQUAL(rss, mm.total.rss);
	CU_ASSERT_EQUAL(mm.measured, 0);
	/* Items: libfoo (code) and the segment (shm).  */
	size_t n;
	const struct hi_mitem **items = hi_memmap_items(&mm, HI_MC_SHM, &n);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(items[0]->name, "/dev/shm/seg");
	free(items);
	items = hi_memmap_items(&mm, HI_MC_CODE, &n);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(n ? items[0]->t.parts : 0, 3);
	free(items);
	CU_ASSERT_EQUAL(mm.unscanned, 0);
	hi_memmap_free(&mm);

	/* A bound on the search: ten pages do not reach the chunk, and the
	 * rest of the mapping is reported unscanned.  */
	in.scan_pages = 10;
	CU_ASSERT_EQUAL_FATAL(hi_memmap_build(&in, &mm), 0);
	CU_ASSERT_EQUAL(mm.cls[HI_MC_MALLOC_MMAP].size, 0);
	CU_ASSERT_EQUAL(mm.unscanned, 7 * MiB - 10 * 4 * KiB + 3 * MiB + 0x8000);
	in.scan_pages = 0;
	hi_memmap_free(&mm);

	/* A live target without pagemap: no blind search for chunks.  */
	in.scan_blind = 0;
	CU_ASSERT_EQUAL_FATAL(hi_memmap_build(&in, &mm), 0);
	CU_ASSERT_EQUAL(mm.cls[HI_MC_MALLOC_MMAP].size, 0);
	CU_ASSERT_EQUAL(mm.cls[HI_MC_MALLOC_ARENA].size, 2 * MiB);
	hi_memmap_free(&mm);

	/* Names only (no memory): nothing is claimed but the arenas.  */
	in.mem = NULL;
	CU_ASSERT_EQUAL_FATAL(hi_memmap_build(&in, &mm), 0);
	CU_ASSERT_EQUAL(mm.cls[HI_MC_MALLOC_MMAP].size, 0);
	CU_ASSERT_EQUAL(mm.cls[HI_MC_STACK].size, 0);
	CU_ASSERT_EQUAL(mm.cls[HI_MC_PYMALLOC].size, MiB);
	hi_memmap_free(&mm);

	hi_mem_close(m);
	for (size_t i = 0; i < maps.n; i++)
		free(v[i].path);
}

/* The chunk search on a live sparse mapping (this process's own): 64 GiB
 * reserved, a few pages touched, and a 1 MiB look-alike chunk 48 GiB in.
 * With PAGEMAP_SCAN the search passes over the holes and finds it; with
 * the file only and a bound of 4 GiB of entries, it stops early, finds
 * nothing past the bound and reports the rest unscanned.  Either way the
 * work is bounded and the classes add up.  */
#define SPARSE (64ull << 30)
#define CHUNK_AT (48ull << 30)

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static void test_sparse(void)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, SPARSE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) {
		hi_unit_skip("cannot map 64 GiB (overcommit?)");
		return;
	}
	for (uint64_t off = 0; off < SPARSE; off += SPARSE / 16)
		m[off + 8] = 1;	/* not chunk headers: prev_size stays 0, size 0 */
	uint64_t hdr[2] = { 0, MiB | 2 };
	memcpy(m + CHUNK_AT, hdr, sizeof hdr);
	for (uint64_t off = CHUNK_AT; off < CHUNK_AT + MiB; off += page)
		m[off + 64] = 1;
	uint64_t base = (uint64_t)(uintptr_t)m;
	uint64_t rss = 15 * page + MiB;	/* the 16th touched page is the chunk's header */
	struct hi_maps maps = { 0 };
	struct hi_vma v = vma(base, base + SPARSE, "rw-p", "", rss);
	maps.v = &v;
	maps.n = maps.cap = 1;
	hi_maps_classify(&maps);
	struct hi_mem *mem = hi_mem_open_pid(getpid());
	CU_ASSERT_PTR_NOT_NULL_FATAL(mem);
	for (int mode = 0; mode < 2; mode++) {
		struct hi_pagemap *pm = hi_pagemap_open(getpid());
		CU_ASSERT_PTR_NOT_NULL_FATAL(pm);
		if (mode)
			hi_pagemap_no_scan(pm);
		struct hi_memmap_input in = { .maps = &maps, .mem = mem, .pagemap = pm,
					      .examine_pages = mode ? (4ull << 30) / page : 0 };
		struct hi_memmap mm;
		double t0 = now();
		CU_ASSERT_EQUAL_FATAL(hi_memmap_build(&in, &mm), 0);
		double secs = now() - t0;
		uint64_t examined = hi_pagemap_examined(pm);
		/* Measured: 2 ms (PAGEMAP_SCAN), 8 ms (the file, 4 GiB).  */
		if (secs >= 1.0)
			fprintf(stderr, "test_sparse: %s: 64 GiB searched in %.3f s, %llu pages examined\n",
				mode ? "file, 4 GiB bound" : "default", secs, (unsigned long long)examined);
		CU_ASSERT(secs < 1.0);
		CU_ASSERT_EQUAL(mm.cls[HI_MC_ANON].rss + mm.cls[HI_MC_MALLOC_MMAP].rss, rss);
		CU_ASSERT_EQUAL(mm.total.rss, rss);
		if (mode) {
			/* The first 4 GiB, then the bound: 60 GiB left.  */
			CU_ASSERT_EQUAL(mm.cls[HI_MC_MALLOC_MMAP].size, 0);
			CU_ASSERT_EQUAL(mm.unscanned, SPARSE - (4ull << 30));
			CU_ASSERT_EQUAL(mm.bounded, 1);
			CU_ASSERT(examined <= (4ull << 30) / page + 4096);
		} else if (examined < 65536) {
			/* PAGEMAP_SCAN (Linux 6.7): only present pages looked at,
			 * and one probe per 64 MiB for thread heaps.  */
			CU_ASSERT_EQUAL(mm.cls[HI_MC_MALLOC_MMAP].size, MiB);
			CU_ASSERT_EQUAL(mm.cls[HI_MC_MALLOC_MMAP].rss, MiB);
			CU_ASSERT_EQUAL(mm.unscanned, 0);
			CU_ASSERT_EQUAL(mm.bounded, 0);
			CU_ASSERT_EQUAL(mm.measured, 1);
		} else {
			/* An older kernel: the default bound, 64 GiB of entries. */
			CU_ASSERT(examined <= 2 * (64ull << 30) / page + 2 * 4096);
		}
		hi_memmap_free(&mm);
		hi_pagemap_close(pm);
	}
	/* Ctrl-C during the search: it unwinds, and says so.  */
	struct hi_pagemap *pm = hi_pagemap_open(getpid());
	CU_ASSERT_PTR_NOT_NULL_FATAL(pm);
	hi_pagemap_no_scan(pm);
	struct hi_memmap_input in = { .maps = &maps, .mem = mem, .pagemap = pm };
	struct hi_memmap mm;
	hi_interrupt_signal = SIGINT;
	CU_ASSERT_EQUAL(hi_memmap_build(&in, &mm), -1);
	hi_interrupt_clear();
	CU_ASSERT_PTR_NOT_NULL(strstr(hi_errmsg(), "interrupted"));
	CU_ASSERT(hi_pagemap_examined(pm) <= 4096);
	hi_pagemap_close(pm);
	hi_mem_close(mem);
	free(v.path);
	munmap(m, SPARSE);
}

int hi_suite_memmap(void)
{
	CU_pSuite s = CU_add_suite("memmap", NULL, NULL);
	if (!s)
		return -1;
	if (!CU_add_test(s, "ranges claimed by content, classes add up", test_attribution) ||
	    !CU_add_test(s, "a sparse 64 GiB mapping: search bounded, holes passed over", test_sparse))
		return -1;
	return 0;
}
