/* test-pack.c: layout packs (dwarf/pack.c): what is written is read
 * back; a pack of another build keeps the layouts and leaves its
 * addresses out; damaged packs are refused; the search finds a pack by
 * build id, then by version, then by minor version only when one
 * version of that minor is there.  */
#include "config.h"
#include <CUnit/CUnit.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>
#include "dwarf/dwcache.h"
#include "dwarf/pack.h"
#include "suites.h"
#include "util/error.h"

static char dir[64];

static int setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/hi-unit-pack-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct hi_pack_id ident(const char *version, const char *build_id)
{
	struct hi_pack_id id;
	memset(&id, 0, sizeof id);
	snprintf(id.version, sizeof id.version, "%s", version);
	snprintf(id.build_id, sizeof id.build_id, "%s", build_id);
	id.ptr_size = 8;
	id.machine = EM_X86_64;
	return id;
}

/* A pack at DIR/NAME of VERSION and BUILD_ID, with one answer of each
 * kind.  */
static void write_pack(const char *name, const char *version, const char *build_id)
{
	char path[256];
	struct hi_pack_id id = ident(version, build_id);
	struct hi_dwcache *c = hi_dwcache_new();
	hi_dwcache_put(c, "sizeof\x1fPyObject", "16");
	hi_dwcache_put(c, "field\x1fstruct _is\x1fthreads.head", "72 8 0 1 0 0");
	hi_dwcache_put(c, "static\x1fobmalloc.c\x1f" "arenas", "3750080 8 0 1");
	hi_dwcache_put(c, "symbol\x1f" "deque_type", "4096 416");
	hi_dwcache_put(c, "debugfile", "/not/an/answer");
	snprintf(path, sizeof path, "%s/%s", dir, name);
	CU_ASSERT_EQUAL(hi_pack_write(path, &id, "unit test", c, "test"), 0);
	hi_dwcache_close(c);
}

static void round_trip(void)
{
	char path[256];
	struct hi_pack_id id;
	int same = -1;
	write_pack("a.layout", "3.11.7", "abcd");
	snprintf(path, sizeof path, "%s/a.layout", dir);
	struct hi_dwcache *c = hi_pack_read(path, "abcd", &id, &same, "test");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(same, 1);
	CU_ASSERT_STRING_EQUAL(id.version, "3.11.7");
	CU_ASSERT_EQUAL(id.ptr_size, 8);
	CU_ASSERT_EQUAL(id.machine, EM_X86_64);
	CU_ASSERT_STRING_EQUAL(hi_dwcache_get(c, "field\x1fstruct _is\x1fthreads.head"), "72 8 0 1 0 0");
	CU_ASSERT_STRING_EQUAL(hi_dwcache_get(c, "static\x1fobmalloc.c\x1f" "arenas"), "3750080 8 0 1");
	CU_ASSERT_STRING_EQUAL(hi_dwcache_get(c, "symbol\x1f" "deque_type"), "4096 416");
	CU_ASSERT_PTR_NULL(hi_dwcache_get(c, "debugfile"));	/* a note, not saved */
	hi_dwcache_close(c);
	/* Another build: the layouts, not its addresses.  */
	c = hi_pack_read(path, "ef01", &id, &same, "test");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(same, 0);
	CU_ASSERT_STRING_EQUAL(hi_dwcache_get(c, "sizeof\x1fPyObject"), "16");
	CU_ASSERT_PTR_NULL(hi_dwcache_get(c, "static\x1fobmalloc.c\x1f" "arenas"));
	CU_ASSERT_PTR_NULL(hi_dwcache_get(c, "symbol\x1f" "deque_type"));
	hi_dwcache_close(c);
}

static void damaged_refused(void)
{
	char path[256], cmd[600];
	struct hi_pack_id id;
	int same;
	write_pack("b.layout", "3.12.1", "1234");
	/* Cut in the middle of a line.  */
	snprintf(path, sizeof path, "%s/b.layout", dir);
	snprintf(cmd, sizeof cmd, "truncate -s -3 %s", path);
	CU_ASSERT_EQUAL(system(cmd), 0);
	CU_ASSERT_PTR_NULL(hi_pack_read(path, "1234", &id, &same, "test"));
	CU_ASSERT_PTR_NOT_NULL(strstr(hi_errmsg(), "cut short"));
	/* Not a pack at all.  */
	snprintf(path, sizeof path, "%s/c.txt", dir);
	FILE *f = fopen(path, "w");
	fputs("heapinspect-dwarf-cache 1 1234\nsizeof\x1fPyObject\t16\n", f);
	fclose(f);
	CU_ASSERT_PTR_NULL(hi_pack_read(path, "1234", &id, &same, "test"));
	CU_ASSERT_PTR_NOT_NULL(strstr(hi_errmsg(), "not a heapinspect layout pack"));
	unlink(path);
	snprintf(path, sizeof path, "%s/b.layout", dir);
	unlink(path);
}

static void found_by_build_version_minor(void)
{
	char path[256], sub[sizeof dir];
	struct hi_pack_id want;
	snprintf(sub, sizeof sub, "%.50s/find", dir);
	CU_ASSERT_EQUAL(mkdir(sub, 0700), 0);
	setenv("HEAPINSPECT_LAYOUT_PATH", sub, 1);
	unsetenv("HEAPINSPECT_LAYOUT");
	char saved[sizeof dir];
	memcpy(saved, dir, sizeof dir);
	memcpy(dir, sub, sizeof dir);
	write_pack("x-3.9.18.layout", "3.9.18", "aaaa");
	write_pack("y-3.9.18.layout", "3.9.18", "bbbb");
	write_pack("z-3.10.13.layout", "3.10.13", "cccc");
	/* The very build first.  */
	want = ident("3.9.18", "bbbb");
	CU_ASSERT_EQUAL(hi_pack_find(&want, path, sizeof path, "test"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(path, "y-3.9.18"));
	/* Another build of the version.  */
	want = ident("3.10.13", "dddd");
	CU_ASSERT_EQUAL(hi_pack_find(&want, path, sizeof path, "test"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(path, "z-3.10.13"));
	/* The minor only: one version of it is there (two builds).  */
	want = ident("3.9", "eeee");
	CU_ASSERT_EQUAL(hi_pack_find(&want, path, sizeof path, "test"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(path, "3.9.18"));
	/* ... but not when two versions of it are.  */
	write_pack("w-3.9.17.layout", "3.9.17", "ffff");
	CU_ASSERT_EQUAL(hi_pack_find(&want, path, sizeof path, "test"), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(hi_errmsg(), "HEAPINSPECT_LAYOUT"));
	/* Another kind, another machine: none.  */
	want = ident("3.10.13", "dddd");
	want.flags = HI_PACK_DEBUG;
	CU_ASSERT_EQUAL(hi_pack_find(&want, path, sizeof path, "test"), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(hi_errmsg(), "no layout pack for CPython 3.10.13 (debug, 64-bit x86_64)"));
	want.flags = 0;
	want.machine = EM_AARCH64;
	CU_ASSERT_EQUAL(hi_pack_find(&want, path, sizeof path, "test"), -1);
	/* HEAPINSPECT_LAYOUT is used whatever it says.  */
	setenv("HEAPINSPECT_LAYOUT", "/some/pack", 1);
	CU_ASSERT_EQUAL(hi_pack_find(&want, path, sizeof path, "test"), 0);
	CU_ASSERT_STRING_EQUAL(path, "/some/pack");
	unsetenv("HEAPINSPECT_LAYOUT");
	unsetenv("HEAPINSPECT_LAYOUT_PATH");
	memcpy(dir, saved, sizeof dir);
}

static void kind_names(void)
{
	char buf[64];
	hi_pack_kind(0, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "release");
	hi_pack_kind(HI_PACK_DEBUG, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "debug");
	hi_pack_kind(HI_PACK_FREETHREADED, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "free-threaded");
	hi_pack_kind(HI_PACK_FREETHREADED | HI_PACK_DEBUG | HI_PACK_TRACEREFS, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "free-threaded debug trace-refs");
}

int hi_suite_pack(void)
{
	CU_pSuite s = CU_add_suite("pack", setup, teardown);
	if (!s || !CU_add_test(s, "what is written is read back; another build's addresses left out", round_trip) ||
	    !CU_add_test(s, "a pack cut short or of another format is refused", damaged_refused) ||
	    !CU_add_test(s, "found by build id, version, then minor when unambiguous", found_by_build_version_minor) ||
	    !CU_add_test(s, "build kinds are named", kind_names))
		return -1;
	return 0;
}
