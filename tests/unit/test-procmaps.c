/* test-procmaps.c: the smaps, maps, smaps_rollup and /proc/sysvipc/shm
 * parsers and the classification of mappings by name, on sample text
 * (tests/data/smaps-sample: twenty mappings of every kind).  */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "proc/procmaps.h"
#include "memory/shmseg.h"
#include "suites.h"

static FILE *open_sample(const char *name)
{
	const char *dir = getenv("HI_SRCDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/data/%s", dir ? dir : "tests", name);
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(path, sizeof path, "../data/%s", name);	/* run from tests/unit */
		f = fopen(path, "r");
	}
	return f;
}

static FILE *text(const char *s)
{
	return fmemopen((void *)s, strlen(s), "r");
}

static void test_parse_sample(void)
{
	FILE *f = open_sample("smaps-sample");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	struct hi_maps m;
	CU_ASSERT_EQUAL_FATAL(hi_maps_parse(f, &m), 0);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(m.n, 20);
	struct hi_vma *v = &m.v[0];
	CU_ASSERT_EQUAL(v->start, 0x55befb2e6000ull);
	CU_ASSERT_EQUAL(v->end, 0x55befb2e7000ull);
	CU_ASSERT_STRING_EQUAL(v->perms, "r--p");
	CU_ASSERT_EQUAL(v->major, 0xfe);
	CU_ASSERT_EQUAL(v->minor, 0);
	CU_ASSERT_EQUAL(v->inode, 18624);
	CU_ASSERT_STRING_EQUAL(v->path, "/usr/bin/python3.11");
	CU_ASSERT_EQUAL(v->rss, 4096);
	/* The heap: sizes in bytes.  */
	CU_ASSERT_STRING_EQUAL(m.v[3].path, "[heap]");
	CU_ASSERT_EQUAL(m.v[3].rss, 2736 * 1024);
	CU_ASSERT_EQUAL(m.v[3].anon, 2736 * 1024);
	CU_ASSERT_EQUAL(m.v[3].private_dirty, 2736 * 1024);
	/* Anonymous: no name.  */
	CU_ASSERT_STRING_EQUAL(m.v[4].path, "");
	CU_ASSERT_EQUAL(m.v[4].end - m.v[4].start, 4096 * 1024);
	/* A deleted file with spaces in its name; shared: PSS is half.  */
	CU_ASSERT_STRING_EQUAL(m.v[5].path, "/tmp/data file with spaces.dat");
	CU_ASSERT_EQUAL(m.v[5].deleted, 1);
	CU_ASSERT_EQUAL(m.v[5].rss, 51200 * 1024);
	CU_ASSERT_EQUAL(m.v[5].pss, 25600 * 1024);
	CU_ASSERT_EQUAL(m.v[6].minor, 0x1b);
	CU_ASSERT_EQUAL(m.v[8].deleted, 1);
	CU_ASSERT_STRING_EQUAL(m.v[8].path, "/memfd:buffers");
	/* The kernel says " (deleted)" of every SysV segment.  */
	CU_ASSERT_STRING_EQUAL(m.v[7].path, "/SYSV0000abcd");
	CU_ASSERT_EQUAL(m.v[7].deleted, 1);
	CU_ASSERT_EQUAL(m.v[9].deleted, 1);
	CU_ASSERT_EQUAL(m.v[19].start, 0xffffffffff600000ull);
	hi_maps_free(&m);
}

static void test_classify(void)
{
	FILE *f = open_sample("smaps-sample");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	struct hi_maps m;
	CU_ASSERT_EQUAL_FATAL(hi_maps_parse(f, &m), 0);
	fclose(f);
	hi_maps_classify(&m);
	static const struct {
		enum hi_mclass cls;
		enum hi_shmkind shm;
	} want[20] = {
		{ HI_MC_CODE }, { HI_MC_CODE }, { HI_MC_CODE },	/* python: every mapping of it */
		{ HI_MC_MALLOC_HEAP },
		{ HI_MC_ANON },
		{ HI_MC_FILE },				/* the deleted data file */
		{ HI_MC_SHM, HI_SHM_POSIX },
		{ HI_MC_SHM, HI_SHM_SYSV },
		{ HI_MC_SHM, HI_SHM_MEMFD },
		{ HI_MC_SHM, HI_SHM_ANON },		/* shared /dev/zero */
		{ HI_MC_ANON },				/* private /dev/zero */
		{ HI_MC_ANON },				/* [anon:cpython] */
		{ HI_MC_FILE },				/* LC_CTYPE: never executable */
		{ HI_MC_CODE }, { HI_MC_CODE }, { HI_MC_CODE },	/* libc */
		{ HI_MC_ANON },				/* libc's bss: by content only */
		{ HI_MC_CODE },				/* [vdso] */
		{ HI_MC_STACK },
		{ HI_MC_CODE },				/* [vsyscall] */
	};
	for (size_t i = 0; i < 20; i++) {
		if (m.v[i].cls != want[i].cls || m.v[i].shm != want[i].shm)
			fprintf(stderr, "mapping %zu (%s): class %d shm %d, want %d %d\n", i, m.v[i].path, m.v[i].cls,
				m.v[i].shm, want[i].cls, want[i].shm);
		CU_ASSERT_EQUAL(m.v[i].cls, want[i].cls);
		CU_ASSERT_EQUAL(m.v[i].shm, want[i].shm);
	}
	/* Which says nothing of SysV segments and shared anonymous memory:
	 * cleared; a memfd keeps it.  */
	CU_ASSERT_EQUAL(m.v[7].deleted, 0);
	CU_ASSERT_EQUAL(m.v[8].deleted, 1);
	CU_ASSERT_EQUAL(m.v[9].deleted, 0);
	CU_ASSERT_PTR_EQUAL(hi_maps_find(&m, 0x7f04faa00000ull), &m.v[6]);
	CU_ASSERT_PTR_EQUAL(hi_maps_find(&m, 0x7f04fea00000ull - 1), &m.v[6]);
	CU_ASSERT_PTR_EQUAL(hi_maps_find(&m, 0x7ffcb15aafffull), &m.v[18]);
	CU_ASSERT_PTR_NULL(hi_maps_find(&m, 0x7f04fea50000ull));	/* a hole */
	CU_ASSERT_PTR_NULL(hi_maps_find(&m, 0x1000));
	hi_maps_free(&m);
}

static void test_maps_and_garbage(void)
{
	struct hi_maps m;
	FILE *f = text("00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon\n"
		       "00e03000-00e24000 rw-p 00000000 00:00 0           [heap]\n"
		       "35b1800000-35b1820000 r-xp 00000000 08:02 135522  /usr/lib64/ld-2.15.so\n");
	CU_ASSERT_EQUAL_FATAL(hi_maps_parse(f, &m), 0);
	fclose(f);
	CU_ASSERT_EQUAL(m.n, 3);
	CU_ASSERT_EQUAL(m.v[2].start, 0x35b1800000ull);
	CU_ASSERT_EQUAL(m.v[1].rss, 0);
	hi_maps_free(&m);
	f = text("00400000-00452000 r-xp 00000000 08:02 173521 /bin/x\nthis is not smaps\n");
	CU_ASSERT_EQUAL(hi_maps_parse(f, &m), -1);
	fclose(f);
	f = text("Rss: 4 kB\n");	/* a field before any mapping */
	CU_ASSERT_EQUAL(hi_maps_parse(f, &m), -1);
	fclose(f);
}

static void test_rollup(void)
{
	struct hi_rollup r;
	const char *t = ("55b295c39000-7ffef1fb7000 ---p 00000000 00:00 0                          [rollup]\n"
		       "Rss:              445752 kB\nPss:              407756 kB\nPss_Dirty:           116 kB\n"
		       "Pss_Anon:         300000 kB\nPss_File:          10000 kB\nPss_Shmem:          32768 kB\n"
		       "Anonymous:        310000 kB\nSwap:                 12 kB\nSwapPss:               6 kB\n");
	CU_ASSERT_EQUAL_FATAL(hi_rollup_parse(t, &r), 0);
	CU_ASSERT_EQUAL(r.rss, 445752ull * 1024);
	CU_ASSERT_EQUAL(r.pss, 407756ull * 1024);
	CU_ASSERT_EQUAL(r.pss_anon, 300000ull * 1024);
	CU_ASSERT_EQUAL(r.pss_shmem, 32768ull * 1024);
	CU_ASSERT_EQUAL(r.swap, 12ull * 1024);	/* not SwapPss */
	CU_ASSERT_EQUAL(hi_rollup_parse("Pss: 5 kB\n", &r), -1);
}

static void test_sysv(void)
{
	struct hi_sysv *s;
	size_t n;
	FILE *f = text("       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n"
		       "     43981      65538   600              65536  4242  4243      2     0     0     0     0 1700000000          0 1700000000                 65536                     0\n"
		       "         0          7  1600          1048576    10    11      0     0     0     0     0          0          0 1700000000                     0                     0\n");
	CU_ASSERT_EQUAL_FATAL(hi_sysv_parse(f, &s, &n), 0);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(s[0].key, 0xabcd);
	CU_ASSERT_EQUAL(s[0].shmid, 65538);
	CU_ASSERT_EQUAL(s[0].size, 65536);
	CU_ASSERT_EQUAL(s[0].cpid, 4242);
	CU_ASSERT_EQUAL(s[0].lpid, 4243);
	CU_ASSERT_EQUAL(s[0].nattch, 2);
	CU_ASSERT_EQUAL(s[1].size, 1048576);
	/* perms is octal; 01000 (SHM_DEST) once IPC_RMID'd.  */
	CU_ASSERT_EQUAL(s[0].mode, 0600);
	CU_ASSERT_EQUAL(s[0].removed, 0);
	CU_ASSERT_EQUAL(s[1].mode, 01600);
	CU_ASSERT_EQUAL(s[1].removed, 1);
	CU_ASSERT_PTR_EQUAL(hi_sysv_find(s, n, 7), &s[1]);
	CU_ASSERT_PTR_NULL(hi_sysv_find(s, n, 8));
	free(s);
	f = text("key shmid perms\n1 2 3\n");	/* columns missing */
	CU_ASSERT_EQUAL(hi_sysv_parse(f, &s, &n), -1);
	fclose(f);
}

/* Peers of segments, from another process's maps: a SysV segment with
 * shmid 0 (inode 0) is a segment; a shared /dev/zero mapping whose inode
 * equals a SysV shmid on the same internal mount is another; a /dev/shm
 * file matches by device and inode whatever its path.  */
static void test_shm_peers(void)
{
	struct hi_maps m;
	FILE *f = text("7f0000000000-7f0000100000 rw-s 00000000 00:01 0          /SYSV00000000 (deleted)\n"
		       "7f0000100000-7f0000200000 rw-s 00000000 00:01 7          /SYSV00001234 (deleted)\n"
		       "7f0000200000-7f0000300000 rw-s 00000000 00:01 7          /dev/zero (deleted)\n"
		       "7f0000300000-7f0000400000 rw-s 00000000 fe:fe 99         /dev/shm/seg\n"
		       "7f0000400000-7f0000500000 rw-p 00000000 00:00 0 \n");
	CU_ASSERT_EQUAL_FATAL(hi_maps_parse(f, &m), 0);
	fclose(f);
	hi_maps_classify(&m);
	struct hi_shminfo si;
	CU_ASSERT_EQUAL_FATAL(hi_shm_segments(getpid(), &m, &si), 0);
	hi_maps_free(&m);
	CU_ASSERT_EQUAL_FATAL(si.n, 4);	/* the two with inode 7 are two */
	CU_ASSERT_STRING_EQUAL(si.segs[0].name, "/SYSV00000000");
	CU_ASSERT_EQUAL(si.segs[1].kind, HI_SHM_SYSV);
	CU_ASSERT_EQUAL(si.segs[2].kind, HI_SHM_ANON);
	/* Process 4242 maps shmid 0 twice, the /dev/zero of inode 7 (not
	 * the SysV one) and the /dev/shm file by another path; anonymous
	 * memory (00:00 0) is nothing.  */
	f = text("7e0000000000-7e0000100000 rw-s 00000000 00:01 0          /SYSV00000000 (deleted)\n"
		 "7e0000100000-7e0000180000 r--s 00000000 00:01 0          /SYSV00000000 (deleted)\n"
		 "7e0000200000-7e0000300000 rw-s 00000000 00:01 7          /dev/zero (deleted)\n"
		 "7e0000300000-7e0000400000 rw-s 00000000 fe:fe 99         /dev/shm/other-path\n"
		 "7e0000400000-7e0000500000 rw-p 00000000 00:00 0 \n");
	CU_ASSERT_EQUAL(hi_shm_add_peers(&si, 4242, "peer", f), 1);
	fclose(f);
	/* Process 4343 maps only anonymous memory and a file.  */
	f = text("7e0000400000-7e0000500000 rw-p 00000000 00:00 0 \n"
		 "7e0000500000-7e0000600000 r--p 00000000 fe:fe 100        /usr/lib/x.so\n");
	CU_ASSERT_EQUAL(hi_shm_add_peers(&si, 4343, "other", f), 0);
	fclose(f);
	CU_ASSERT_EQUAL(si.segs[0].npeers, 1);	/* once, though mapped twice */
	CU_ASSERT_EQUAL(si.segs[0].npeers ? si.segs[0].peers[0].pid : 0, 4242);
	CU_ASSERT_STRING_EQUAL(si.segs[0].npeers ? si.segs[0].peers[0].comm : "", "peer");
	CU_ASSERT_EQUAL(si.segs[1].npeers, 0);	/* SysV shmid 7: not the /dev/zero */
	CU_ASSERT_EQUAL(si.segs[2].npeers, 1);
	CU_ASSERT_EQUAL(si.segs[3].npeers, 1);
	hi_shm_free(&si);
}

/* pagemap on this very process: a sparse 64 GiB mapping with five pages
 * touched, and every other page of 8 MiB (more runs than one call holds).  Both ways (PAGEMAP_SCAN where the kernel has it, and the file
 * read a buffer at a time) find exactly those pages; the file is read at
 * most one buffer (4096 entries) a call, so callers can bound the work. */
#define SPARSE (64ull << 30)

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static void test_pagemap(void)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, SPARSE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) {
		hi_unit_skip("cannot map 64 GiB (overcommit?)");
		return;
	}
	const size_t nstripe = (8 << 20) / page / 2;
	uint64_t *touched = malloc((5 + nstripe) * sizeof *touched);
	CU_ASSERT_PTR_NOT_NULL_FATAL(touched);
	size_t ntouched = 0;
	touched[ntouched++] = 0;
	touched[ntouched++] = page;
	touched[ntouched++] = 5 * page;
	touched[ntouched++] = 17ull << 30;
	for (size_t i = 0; i < nstripe; i++)
		touched[ntouched++] = (32ull << 30) + 2 * i * page;
	touched[ntouched++] = SPARSE - page;
	for (size_t i = 0; i < ntouched; i++)
		m[touched[i]] = 1;
	uint64_t base = (uint64_t)(uintptr_t)m, end = base + SPARSE;
	for (int mode = 0; mode < 2; mode++) {
		struct hi_pagemap *pm = hi_pagemap_open(getpid());
		CU_ASSERT_PTR_NOT_NULL_FATAL(pm);
		if (mode)
			hi_pagemap_no_scan(pm);
		/* Every present page, in order, and nothing else.  */
		size_t found = 0, calls = 0;
		uint64_t a = base, at, before = hi_pagemap_examined(pm), most = 0;
		double t0 = now();
		for (;;) {
			uint64_t e0 = hi_pagemap_examined(pm);
			int r = hi_pagemap_next_present(pm, a, end, &at);
			calls++;
			if (hi_pagemap_examined(pm) - e0 > most)
				most = hi_pagemap_examined(pm) - e0;
			CU_ASSERT_FATAL(r >= 0);
			CU_ASSERT_FATAL(at >= a && at <= end);
			if (r == 0) {
				if (at == end)
					break;
				CU_ASSERT_FATAL(at > a);	/* progress */
				a = at;
				continue;
			}
			CU_ASSERT_FATAL(found < ntouched);
			CU_ASSERT_EQUAL(at, base + touched[found]);
			found++;
			a = at + page;
		}
		double secs = now() - t0;
		CU_ASSERT_EQUAL(found, ntouched);
		uint64_t examined = hi_pagemap_examined(pm) - before;
		/* Measured: the file 0.1 s (16 Mi entries), PAGEMAP_SCAN 0.0 s. */
		if (secs >= 2.0)
			fprintf(stderr, "test_pagemap: %s: 64 GiB in %.3f s, %zu calls, %llu pages examined\n",
				mode ? "file" : "default", secs, calls, (unsigned long long)examined);
		CU_ASSERT(secs < 2.0);
		if (mode) {
			/* The file: every entry, one buffer a call at most.  */
			CU_ASSERT_EQUAL(examined, SPARSE / page);
			CU_ASSERT(most <= 4096);
		}
		/* Counting: the pages touched present, none swapped (a range
		 * not aligned to the touched pages too).  */
		uint64_t present, swapped;
		CU_ASSERT_EQUAL(hi_pagemap_count(pm, base, end, 0, &present, &swapped), 0);
		CU_ASSERT_EQUAL(present, ntouched * page);
		CU_ASSERT_EQUAL(swapped, 0);
		CU_ASSERT_EQUAL(hi_pagemap_count(pm, base + page, base + (17ull << 30) + page, 0, &present, &swapped), 0);
		CU_ASSERT_EQUAL(present, 3 * page);
		/* A limit on the work: the count stops, and says so.  */
		if (mode) {
			uint64_t limit = hi_pagemap_examined(pm) + 10000;
			CU_ASSERT_EQUAL(hi_pagemap_count(pm, base, end, limit, &present, &swapped), 1);
			CU_ASSERT(hi_pagemap_examined(pm) < limit + 4096);
		}
		/* Probes.  */
		CU_ASSERT_EQUAL(hi_pagemap_present(pm, base + 5 * page), 1);
		CU_ASSERT_EQUAL(hi_pagemap_present(pm, base + 6 * page), 0);
		CU_ASSERT_EQUAL(hi_pagemap_present(pm, base + (17ull << 30)), 1);
		CU_ASSERT_EQUAL(hi_pagemap_present(pm, base + (18ull << 30)), 0);
		hi_pagemap_close(pm);
	}
	munmap(m, SPARSE);
	free(touched);
}

int hi_suite_procmaps(void)
{
	CU_pSuite s = CU_add_suite("procmaps", NULL, NULL);
	if (!s)
		return -1;
	if (!CU_add_test(s, "smaps sample parses", test_parse_sample) ||
	    !CU_add_test(s, "mappings classified by name", test_classify) ||
	    !CU_add_test(s, "maps text, and garbage refused", test_maps_and_garbage) ||
	    !CU_add_test(s, "smaps_rollup", test_rollup) || !CU_add_test(s, "/proc/sysvipc/shm", test_sysv) ||
	    !CU_add_test(s, "pagemap of a sparse mapping, both ways", test_pagemap) ||
	    !CU_add_test(s, "shared memory peers: shmid 0, names on the shm mount", test_shm_peers))
		return -1;
	return 0;
}
