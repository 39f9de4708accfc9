/* test-numpy.c: numpy's layouts, and the escapes of `top`'s previews.
 *
 * The layout heapinspect falls back to without numpy's DWARF is checked
 * against DWARF compiled from numpy's own header (ndarraytypes.h of the
 * numpy that Debian's python3.11 imports): the test compiles a two-line
 * shared object with -g and reads it back through hi_np_layout_dwarf.
 * No compiler, Python headers or numpy: reported as skipped (TAP # SKIP).
 *
 * That object is named like numpy's module, so a python3.11 that loads
 * it (ctypes) looks like a process that imported numpy with DWARF: the
 * test of when numpy's DWARF is looked for (never while stopped) runs on
 * such a child.
 *
 * The views that keep much larger bases alive are summed on synthetic
 * arrays, with each case of the rule at its edge.
 *
 * The previews must print what Python's ascii() and repr() print; the
 * reference is Python itself, run on the same code points.  */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "dwarf/debuginfo.h"
#include "util/error.h"
#include "mem/mem.h"
#include "census/npviews.h"
#include "python/numpy.h"
#include "python/preview.h"
#include "suites.h"

#define PYTHON "/usr/bin/python3.11"

static char workdir[64];
static char fixture[128];
static int numpy_major;	/* of the numpy whose header was compiled */

static int run(const char *cmd, char *out, size_t size)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	size_t n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return pclose(p) == 0 && n ? 0 : -1;
}

/* Build the fixture once: numpy's structs as the compiler lays them out. */
static int build_fixture(void)
{
	char inc[512], npinc[512], ver[64], cmd[2048], src[160];
	if (access(PYTHON, X_OK) != 0 ||
	    run(PYTHON " -c \"import sysconfig; print(sysconfig.get_paths()['include'])\" 2>/dev/null", inc, sizeof inc) < 0 ||
	    run(PYTHON " -c 'import numpy; print(numpy.get_include())' 2>/dev/null", npinc, sizeof npinc) < 0 ||
	    run(PYTHON " -c 'import numpy; print(numpy.__version__)' 2>/dev/null", ver, sizeof ver) < 0) {
		hi_unit_skip("no %s with numpy and its headers", PYTHON);
		return -1;
	}
	numpy_major = atoi(ver);
	snprintf(workdir, sizeof workdir, "/tmp/heapinspect-unit-XXXXXX");
	if (!mkdtemp(workdir))
		return -1;
	snprintf(src, sizeof src, "%s/fixture.c", workdir);
	/* Named like numpy's module: hi_dbg_open_module finds it by name. */
	snprintf(fixture, sizeof fixture, "%s/fixture_multiarray_umath.so", workdir);
	FILE *f = fopen(src, "w");
	if (!f)
		return -1;
	fputs("#include <Python.h>\n"
	      "#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION\n"
	      "#include <numpy/ndarraytypes.h>\n"
	      "PyArrayObject_fields hi_fixture_array;\n"
	      "PyArray_Descr hi_fixture_descr;\n",
	      f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "${CC:-cc} -g -shared -fPIC -I'%s' -I'%s' -o '%s' '%s' 2>&1", inc, npinc, fixture, src);
	char out[4096];
	FILE *p = popen(cmd, "r");
	size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
	out[n] = '\0';
	if (!p || pclose(p) != 0) {
		hi_unit_skip("cannot compile numpy's header: %s", out);
		fixture[0] = '\0';
		return -1;
	}
	return 0;
}

static int suite_init(void)
{
	if (build_fixture() < 0)
		fixture[0] = '\0';
	return 0;
}

static int suite_clean(void)
{
	char path[160];
	if (workdir[0]) {
		snprintf(path, sizeof path, "%s/fixture.c", workdir);
		unlink(path);
		if (fixture[0])
			unlink(fixture);
		rmdir(workdir);
	}
	return 0;
}

static void fallback_matches_numpys_header(void)
{
	if (!fixture[0]) {
		hi_unit_skip("no fixture");
		return;
	}
	struct hi_dbg *d = hi_dbg_open_elf(fixture);
	if (!d)
		printf("# %s\n", hi_errmsg());
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	struct hi_np_layout dw = { 0 }, fb = { 0 };
	CU_ASSERT_EQUAL_FATAL(hi_np_layout_dwarf(&dw, d), 0);
	hi_np_layout_fallback(&fb, numpy_major);
	CU_ASSERT_TRUE(dw.from_dwarf);
	CU_ASSERT_EQUAL(dw.data, fb.data);
	CU_ASSERT_EQUAL(dw.nd, fb.nd);
	CU_ASSERT_EQUAL(dw.dimensions, fb.dimensions);
	CU_ASSERT_EQUAL(dw.strides, fb.strides);
	CU_ASSERT_EQUAL(dw.base, fb.base);
	CU_ASSERT_EQUAL(dw.descr, fb.descr);
	CU_ASSERT_EQUAL(dw.flags, fb.flags);
	CU_ASSERT_EQUAL(dw.end, fb.end);
	CU_ASSERT_EQUAL(dw.d_kind, fb.d_kind);
	CU_ASSERT_EQUAL(dw.d_type, fb.d_type);
	CU_ASSERT_EQUAL(dw.d_byteorder, fb.d_byteorder);
	CU_ASSERT_EQUAL(dw.d_elsize, fb.d_elsize);
	CU_ASSERT_EQUAL(dw.d_elsize_size, fb.d_elsize_size);
	hi_dbg_close(d);
}

/* A module without those structs is refused, not half-read.  */
static void dwarf_without_numpy_is_refused(void)
{
	char lib[] = "/usr/lib/x86_64-linux-gnu/libdw.so.1";
	if (access(lib, R_OK) != 0) {
		hi_unit_skip("no %s", lib);
		return;
	}
	struct hi_dbg *d = hi_dbg_open_elf(lib);
	if (!d) {
		/* Without DWARF the library proves nothing about a layout. */
		hi_unit_skip("%s has no DWARF at all", lib);
		return;
	}
	struct hi_np_layout l = { 0 };
	CU_ASSERT_EQUAL(hi_np_layout_dwarf(&l, d), -1);
	hi_dbg_close(d);
}

/* A python3.11 that has loaded the fixture and waits on its stdin (*IN,
 * closed to end it).  0 if it cannot be started.  */
static pid_t start_loader(int *in)
{
	int to[2], from[2];
	char line[16] = "";
	if (pipe(to) < 0)
		return 0;
	if (pipe(from) < 0) {
		close(to[0]);
		close(to[1]);
		return 0;
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[1]);
		close(from[0]);
		execl(PYTHON, PYTHON, "-c",
		      "import ctypes, sys; ctypes.CDLL(sys.argv[1]); print('ready', flush=True); sys.stdin.read()",
		      fixture, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	FILE *f = pid > 0 ? fdopen(from[0], "r") : NULL;
	if (!f || !fgets(line, sizeof line, f) || strcmp(line, "ready\n") != 0) {
		if (f)
			fclose(f);
		else
			close(from[0]);
		close(to[1]);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return 0;
	}
	fclose(f);
	*in = to[1];
	return pid;
}

/* numpy's DWARF is looked for only by hi_np_prepare, before a stop: while
 * the target is stopped (py.paused), prepare refuses and a layout needed
 * by the walk comes from the public ABI, without a call into dwfl; the
 * next prepare replaces it with the DWARF's.  */
static void no_dwarf_lookup_while_stopped(void)
{
	if (!fixture[0]) {
		hi_unit_skip("no fixture");
		return;
	}
	int in = -1;
	pid_t pid = start_loader(&in);
	if (!pid) {
		hi_unit_skip("%s cannot load the fixture", PYTHON);
		return;
	}
	char who[32];
	snprintf(who, sizeof who, "pid %d", (int)pid);
	struct hi_dbg *dbg = hi_dbg_open_pid(pid);
	struct hi_mem *mem = dbg ? hi_mem_open_pid(pid) : NULL;
	struct hi_py py;
	memset(&py, 0, sizeof py);
	/* The child sits in read(): its memory holds still enough.  */
	int ok = mem && hi_py_init(&py, dbg, mem, who) == 0;
	if (!ok)
		hi_unit_skip("cannot read %s (%s): %s", PYTHON, who, hi_errmsg());
	if (ok) {
		py.paused = 1;
		hi_np_prepare(&py);
		CU_ASSERT_PTR_NULL(py.numpy);
		CU_ASSERT_EQUAL(py.np_refused, 1);
		const struct hi_np_layout *l = hi_np_layout(&py);
		CU_ASSERT_PTR_NOT_NULL_FATAL(l);
		if (l->from_dwarf)
			printf("# looked for DWARF while stopped: %s\n", l->source);
		CU_ASSERT_FALSE(l->from_dwarf);
		CU_ASSERT_FALSE(l->dwarf_looked);
		CU_ASSERT_PTR_NOT_NULL(strstr(l->no_dwarf, "not looked for yet"));
		CU_ASSERT_EQUAL(l->data, 16);	/* the public ABI's */

		py.paused = 0;	/* resumed: the next command's prepare */
		hi_np_prepare(&py);
		l = hi_np_layout(&py);
		CU_ASSERT_PTR_NOT_NULL_FATAL(l);
		if (!l->from_dwarf)
			printf("# no DWARF after prepare: %s\n", l->no_dwarf);
		CU_ASSERT_TRUE(l->from_dwarf);
		CU_ASSERT_TRUE(l->dwarf_looked);
		CU_ASSERT_PTR_NOT_NULL(strstr(l->source, "fixture_multiarray_umath"));
		CU_ASSERT_EQUAL(py.np_refused, 1);
		hi_np_free(&py);
		hi_py_fini(&py);
	}
	if (mem)
		hi_mem_close(mem);
	hi_dbg_close(dbg);
	close(in);
	if (waitpid(pid, NULL, 0) != pid)
		kill(pid, SIGKILL);
}

/* What each base holds, for hi_npv_finish; 0 for an unknown address. */
static const struct { uint64_t addr, bytes; } base_sizes[] = {
	{ 0x1000, 3145728 }, { 0x2000, 3145728 }, { 0x3000, 3145728 }, { 0x4000, 3145728 }, { 0x5000, 3145728 },
	{ 0x10000, 8000 }, { 0x11000, 400 }, { 0x13000, 5000 }, { 0x15000, 800 }, { 0x16000, 799 },
};

static uint64_t fake_bytes(void *arg, uint64_t addr)
{
	(void)arg;
	for (size_t i = 0; i < sizeof base_sizes / sizeof base_sizes[0]; i++)
		if (base_sizes[i].addr == addr)
			return base_sizes[i].bytes;
	return 0;
}

/* An array at ADDR of NBYTES that owns its data, or is a view of BASE
 * (neither when both are 0); its sys.getsizeof is NBYTES + 112.  */
static void add(struct hi_npviews *v, uint64_t addr, uint64_t nbytes, int owned, uint64_t base)
{
	struct hi_np_array a = { .addr = addr, .base = base, .owned = owned, .nbytes = nbytes };
	hi_npv_array(v, &a, nbytes + 112);
}

static void views_of_much_larger_bases(void)
{
	struct hi_npviews v;
	hi_npv_init(&v);
	/* 5 bases of 3 MiB that only 12 views of 80 bytes reach.  */
	for (uint64_t b = 1; b <= 5; b++) {
		add(&v, b * 0x1000, 3145728, 1, 0);
		hi_npv_hidden(&v, b * 0x1000);
	}
	for (uint64_t i = 0; i < 12; i++)
		add(&v, 0x100000 + i * 0x100, 80, 0, (i % 5 + 1) * 0x1000);
	add(&v, 0x10000, 8000, 1, 0);		/* a kept array, and a small view */
	add(&v, 0x200000, 80, 0, 0x10000);
	add(&v, 0x11000, 400, 1, 0);		/* a full view: not much larger */
	add(&v, 0x200100, 400, 0, 0x11000);
	add(&v, 0x12000, 100, 0, 0);		/* neither owner nor view */
	add(&v, 0x200200, 100, 0, 0x13000);	/* a view of a bytes of 5000 */
	add(&v, 0x200300, 80, 0, 0x14000);	/* of a base of unknown size */
	add(&v, 0x15000, 800, 1, 0);		/* exactly 10 times: counted */
	add(&v, 0x200400, 80, 0, 0x15000);
	add(&v, 0x16000, 799, 1, 0);		/* just under: not counted */
	add(&v, 0x200500, 80, 0, 0x16000);
	CU_ASSERT_EQUAL(hi_npv_finish(&v, fake_bytes, NULL), 0);

	CU_ASSERT_EQUAL(v.arrays, 28);
	CU_ASSERT_EQUAL(v.owned, 9);
	CU_ASSERT_EQUAL(v.owned_bytes, 5 * 3145728 + 8000 + 400 + 800 + 799);
	CU_ASSERT_EQUAL(v.views, 18);
	CU_ASSERT_EQUAL(v.view_bytes, 12 * 80 + 80 + 400 + 100 + 80 + 80 + 80);
	CU_ASSERT_EQUAL(v.other, 1);
	CU_ASSERT_EQUAL(v.size, v.owned_bytes + v.view_bytes + 100 + 28 * 112);
	CU_ASSERT_EQUAL(v.only.views, 12);
	CU_ASSERT_EQUAL(v.only.view_bytes, 960);
	CU_ASSERT_EQUAL(v.only.bases, 5);
	CU_ASSERT_EQUAL(v.only.base_bytes, 5 * 3145728);
	CU_ASSERT_EQUAL(v.otherwise.views, 3);
	CU_ASSERT_EQUAL(v.otherwise.view_bytes, 80 + 100 + 80);
	CU_ASSERT_EQUAL(v.otherwise.bases, 3);
	CU_ASSERT_EQUAL(v.otherwise.base_bytes, 8000 + 5000 + 800);
	/* Finishing again gives the same sums, not twice them.  */
	CU_ASSERT_EQUAL(hi_npv_finish(&v, fake_bytes, NULL), 0);
	CU_ASSERT_EQUAL(v.only.base_bytes, 5 * 3145728);
	CU_ASSERT_EQUAL(v.otherwise.views, 3);
	hi_npv_free(&v);
}

static void shapes_print_as_python_tuples(void)
{
	struct hi_np_array a = { .nd = 0 };
	char buf[64];
	hi_np_shape_str(&a, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "()");
	a.nd = 1;
	a.dims[0] = 393216;
	hi_np_shape_str(&a, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "(393216,)");
	a.nd = 3;
	a.dims[1] = 0;
	a.dims[2] = 7;
	hi_np_shape_str(&a, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "(393216, 0, 7)");
	char tiny[6];
	hi_np_shape_str(&a, tiny, sizeof tiny);	/* truncated, terminated */
	CU_ASSERT_EQUAL(strlen(tiny), 5);
}

/* Python's verdict on code points CP: ascii(str) or repr(bytes).  */
static int python_repr(const uint32_t *cp, size_t n, int bytes, char *out, size_t size)
{
	char cmd[8192];
	size_t k = (size_t)snprintf(cmd, sizeof cmd, "%s -c 'import sys; sys.stdout.write(%s[", PYTHON,
				    bytes ? "repr(bytes(" : "ascii(\"\".join(map(chr,");
	for (size_t i = 0; i < n && k < sizeof cmd - 64; i++)
		k += (size_t)snprintf(cmd + k, sizeof cmd - k, "%u,", cp[i]);
	snprintf(cmd + k, sizeof cmd - k, "%s'", bytes ? "])))" : "]))))");
	return run(cmd, out, size);
}

static void previews_escape_as_python_does(void)
{
	static const uint32_t cases[][12] = {
		{ 'a', 'b', 'c' },
		{ 'i', 't', '\'', 's' },			/* ' alone: "it's" */
		{ 'a', '"', 'b', '\'' },			/* both: escape ' */
		{ '"', 'q', '"' },
		{ '\\', '\n', '\t', '\r', 0x7f, 1, 0 },		/* controls and backslash */
		{ 'h', 0xe9, 'l', 0x100, 0x2603, 0x1f600 },	/* \xe9 \u0100 \u2603 \U0001f600 */
		{ 0xd800, 'x' },				/* a lone surrogate */
	};
	static const size_t lens[] = { 3, 4, 4, 3, 7, 6, 2 };
	if (access(PYTHON, X_OK) != 0) {
		hi_unit_skip("no %s", PYTHON);
		return;
	}
	for (size_t c = 0; c < sizeof lens / sizeof lens[0]; c++) {
		char want[512], got[512];
		CU_ASSERT_EQUAL_FATAL(python_repr(cases[c], lens[c], 0, want, sizeof want), 0);
		hi_repr_str(cases[c], lens[c], got);
		if (strcmp(got, want) != 0)
			printf("# str case %zu: got %s, Python says %s\n", c, got, want);
		CU_ASSERT_STRING_EQUAL(got, want);
		int byte_case = 1;
		unsigned char b[12];
		for (size_t i = 0; i < lens[c]; i++) {
			byte_case &= cases[c][i] < 0x100;
			b[i] = (unsigned char)cases[c][i];
		}
		if (!byte_case)
			continue;
		CU_ASSERT_EQUAL_FATAL(python_repr(cases[c], lens[c], 1, want, sizeof want), 0);
		hi_repr_bytes(b, lens[c], got);
		if (strcmp(got, want) != 0)
			printf("# bytes case %zu: got %s, Python says %s\n", c, got, want);
		CU_ASSERT_STRING_EQUAL(got, want);
	}
	/* The worst case fits the preview's buffer.  */
	uint32_t worst[HI_PREVIEW_CHARS];
	for (int i = 0; i < HI_PREVIEW_CHARS; i++)
		worst[i] = 0x10ffff;
	struct hi_preview p;
	hi_repr_str(worst, HI_PREVIEW_CHARS, p.text);
	CU_ASSERT_EQUAL(strlen(p.text), HI_PREVIEW_CHARS * 10 + 2);
}

int hi_suite_numpy(void)
{
	CU_pSuite s = CU_add_suite("numpy", suite_init, suite_clean);
	if (!s ||
	    !CU_add_test(s, "the fallback layout is numpy's header's", fallback_matches_numpys_header) ||
	    !CU_add_test(s, "DWARF without numpy's structs is refused", dwarf_without_numpy_is_refused) ||
	    !CU_add_test(s, "numpy's DWARF is never looked for while stopped", no_dwarf_lookup_while_stopped) ||
	    !CU_add_test(s, "views of much larger bases, summed", views_of_much_larger_bases) ||
	    !CU_add_test(s, "shapes print as Python tuples", shapes_print_as_python_tuples) ||
	    !CU_add_test(s, "previews escape as Python does", previews_escape_as_python_does))
		return -1;
	return 0;
}
