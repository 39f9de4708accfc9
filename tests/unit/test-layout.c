/* test-layout.c: layouts read offline from each pyenv libpython 3.8-3.13,
 * checked against what that same interpreter says about itself
 * (__basicsize__, __dictoffset__, sys.getsizeof), plus which variant
 * members each version has and the debuginfo lookups that must miss.
 *
 * Versions that are not installed are reported as skipped, so the suite
 * runs anywhere; each libpython is opened once and shared by its tests.  */
#include "config.h"
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "dwarf/debuginfo.h"
#include "util/error.h"
#include "dwarf/layout.h"
#include "suites.h"

#define MINOR_FIRST 8
#define MINOR_LAST 13

/* What the interpreter reports, in the order the script prints it. */
enum {
	T_MINOR,
	T_OBJECT_BASIC,		/* object.__basicsize__ = sizeof(PyObject) */
	T_TYPE_BASIC,		/* type.__basicsize__ = sizeof(PyHeapTypeObject) */
	T_STATIC_TYPE_SIZE,	/* type.__sizeof__(int) = sizeof(PyTypeObject) */
	T_TUPLE_BASIC,		/* offsetof(PyTupleObject, ob_item) */
	T_TUPLE_ITEM,
	T_LIST_BASIC,		/* sizeof(PyListObject) */
	T_GC_HEAD,		/* what getsizeof adds to a GC object */
	T_DICT_BASIC,
	T_SET_BASIC,
	T_INT_BASIC,		/* offset of the digits */
	T_INT_ITEM,		/* sizeof(digit) */
	T_BYTEARRAY_BASIC,
	T_STR_BASIC,		/* sizeof(PyUnicodeObject) */
	T_ASCII_HEAD,		/* sizeof(PyASCIIObject) */
	T_COMPACT_HEAD,		/* sizeof(PyCompactUnicodeObject) */
	T_MODULE_DICTOFF,
	T_FUNCTION_DICTOFF,
	T_POINTER,
	T_COUNT
};

/* getsizeof of a compact str is its header plus (length + 1) * kind; a
 * fresh string has no cached UTF-8 or wchar copy to add to that.  */
static const char truth_script[] =
	"import struct, sys, types\n"
	"print(sys.version_info[1], object.__basicsize__, type.__basicsize__,"
	" type.__sizeof__(int), tuple.__basicsize__, tuple.__itemsize__,"
	" list.__basicsize__, sys.getsizeof([]) - list.__basicsize__,"
	" dict.__basicsize__, set.__basicsize__, int.__basicsize__, int.__itemsize__,"
	" bytearray.__basicsize__, str.__basicsize__,"
	" sys.getsizeof(str(12345)) - 6, sys.getsizeof(chr(0x100)) - 4,"
	" types.ModuleType.__dictoffset__, types.FunctionType.__dictoffset__,"
	" struct.calcsize('P'))\n";

struct pyver {
	int tried;
	char lib[512];		/* "" when not installed */
	char python[512];
	struct hi_dbg *d;
	struct hi_layout l;
	int layout_ok;
	long t[T_COUNT];
	int truth_ok;
};

static struct pyver vers[MINOR_LAST + 1];

/* Run the interpreter next to the library; -I keeps the environment and
 * user site out.  */
static int get_truth(struct pyver *v)
{
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "'%s' -I -c \"$HI_TRUTH\"", v->python);
	if (setenv("HI_TRUTH", truth_script, 1) != 0)
		return -1;
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	int n = 0;
	while (n < T_COUNT && fscanf(p, "%ld", &v->t[n]) == 1)
		n++;
	int st = pclose(p);
	unsetenv("HI_TRUTH");
	return n == T_COUNT && st == 0 ? 0 : -1;
}

/* Find, open and load 3.MINOR once; NULL (the test marked skipped) when
 * it is not installed.  */
static struct pyver *version(int minor)
{
	struct pyver *v = &vers[minor];
	if (v->tried) {
		if (!v->lib[0])
			hi_unit_skip("pyenv's 3.%d is not installed", minor);
		return v->lib[0] ? v : NULL;
	}
	v->tried = 1;
	/* pyenv's builds, wherever pyenv keeps them: $PYENV_ROOT, else
	 * ~/.pyenv.  */
	char root[512], pat[700];
	const char *env = getenv("PYENV_ROOT"), *home = getenv("HOME");
	if (env && *env)
		snprintf(root, sizeof root, "%s", env);
	else
		snprintf(root, sizeof root, "%s/.pyenv", home && *home ? home : "/root");
	snprintf(pat, sizeof pat, "%s/versions/3.%d.*/lib/libpython3.%d.so.1.0", root, minor, minor);
	glob_t g;
	if (glob(pat, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		hi_unit_skip("no %s", pat);
		return NULL;
	}
	snprintf(v->lib, sizeof v->lib, "%s", g.gl_pathv[0]);
	globfree(&g);
	/* .../3.X.Y/lib/libpython... -> .../3.X.Y/bin/python3 */
	memcpy(v->python, v->lib, sizeof v->python);
	char *slash = strstr(v->python, "/lib/libpython");
	if (slash)
		strcpy(slash, "/bin/python3");
	v->d = hi_dbg_open_file(v->lib);
	if (!v->d)
		printf("# %s: %s\n", v->lib, hi_errmsg());
	else if (hi_layout_load(&v->l, v->d, v->lib) == 0)
		v->layout_ok = 1;
	else
		printf("# %s\n", hi_errmsg());
	v->truth_ok = get_truth(v) == 0;
	if (!v->truth_ok)
		printf("# %s: cannot get sizes from the interpreter\n", v->python);
	return v;
}

static int cleanup(void)
{
	for (int i = 0; i <= MINOR_LAST; i++) {
		hi_dbg_close(vers[i].d);
		vers[i].d = NULL;
	}
	return 0;
}

/* Compare, naming the version and quantity on a mismatch. */
#define SAME(minor, what, got, want)                                                        \
	do {                                                                                \
		long long g_ = (long long)(got), w_ = (long long)(want);                    \
		if (g_ != w_)                                                               \
			printf("# 3.%d %s: layout says %lld, python says %lld\n", minor, what, \
			       g_, w_);                                                      \
		CU_ASSERT_EQUAL(g_, w_);                                                    \
	} while (0)

#define PRESENT(minor, l, m, want)                                                     \
	do {                                                                           \
		int h_ = hi_has((l)->m), w_ = !!(want);                                \
		if (h_ != w_)                                                          \
			printf("# 3.%d: %s is %s\n", minor, #m, h_ ? "present" : "absent"); \
		CU_ASSERT_EQUAL(h_, w_);                                               \
	} while (0)

static void check_sizes(int minor)
{
	struct pyver *v = version(minor);
	if (!v) {
		CU_PASS("not installed");
		return;
	}
	CU_ASSERT_FATAL(v->layout_ok && v->truth_ok);
	const struct hi_layout *l = &v->l;
	const long *t = v->t;
	struct hi_dbg *d = v->d;
	SAME(minor, "version", t[T_MINOR], minor);
	SAME(minor, "sizeof PyObject", l->sizeof_object, t[T_OBJECT_BASIC]);
	SAME(minor, "sizeof PyHeapTypeObject", l->sizeof_heaptype, t[T_TYPE_BASIC]);
	SAME(minor, "sizeof PyTypeObject", l->sizeof_type, t[T_STATIC_TYPE_SIZE]);
	/* A tuple's items follow the PyVarObject header. */
	SAME(minor, "tuple ob_item", l->tuple_items.off, t[T_TUPLE_BASIC]);
	SAME(minor, "tuple ob_item", l->tuple_items.off, 24);
	SAME(minor, "tuple item size", l->tuple_items.elem, t[T_TUPLE_ITEM]);
	SAME(minor, "sizeof PyVarObject", l->sizeof_varobject, t[T_TUPLE_BASIC]);
	/* PyListObject: header, ob_item, allocated, nothing after. */
	CU_ASSERT(hi_has(l->list_items) && hi_has(l->list_allocated));
	SAME(minor, "sizeof PyListObject", hi_dbg_sizeof(d, "PyListObject"), t[T_LIST_BASIC]);
	SAME(minor, "list ob_item", l->list_items.off, l->sizeof_varobject);
	SAME(minor, "end of list allocated", l->list_allocated.off + l->list_allocated.size,
	     t[T_LIST_BASIC]);
	SAME(minor, "sizeof PyGC_Head", l->sizeof_gc_head, t[T_GC_HEAD]);
	SAME(minor, "sizeof PyGC_Head", l->sizeof_gc_head, 2 * t[T_POINTER]);
	SAME(minor, "sizeof PyDictObject", hi_dbg_sizeof(d, "PyDictObject"), t[T_DICT_BASIC]);
	SAME(minor, "sizeof PyDictKeyEntry", l->sizeof_entry, 3 * t[T_POINTER]);
	SAME(minor, "sizeof PySetObject", hi_dbg_sizeof(d, "PySetObject"), t[T_SET_BASIC]);
	SAME(minor, "set smalltable count", l->set_smalltable.count, 8);
	SAME(minor, "set smalltable entry", l->set_smalltable.elem, l->sizeof_setentry);
	SAME(minor, "sizeof setentry", l->sizeof_setentry, 2 * t[T_POINTER]);
	SAME(minor, "int digits", l->long_digit.off, t[T_INT_BASIC]);
	SAME(minor, "int digit size", l->long_digit.elem, t[T_INT_ITEM]);
	SAME(minor, "sizeof PyByteArrayObject", hi_dbg_sizeof(d, "PyByteArrayObject"),
	     t[T_BYTEARRAY_BASIC]);
	SAME(minor, "sizeof PyUnicodeObject", l->sizeof_unicode, t[T_STR_BASIC]);
	SAME(minor, "sizeof PyASCIIObject", l->sizeof_ascii, t[T_ASCII_HEAD]);
	SAME(minor, "sizeof PyCompactUnicodeObject", l->sizeof_compact_unicode, t[T_COMPACT_HEAD]);
	SAME(minor, "module md_dict", l->md_dict.off, t[T_MODULE_DICTOFF]);
	SAME(minor, "function func_dict", l->func_dict.off, t[T_FUNCTION_DICTOFF]);
}

static void check_variants(int minor)
{
	struct pyver *v = version(minor);
	if (!v) {
		CU_PASS("not installed");
		return;
	}
	CU_ASSERT_FATAL(v->layout_ok);
	const struct hi_layout *l = &v->l;
	/* GC state moved from the runtime into each interpreter in 3.9. */
	PRESENT(minor, l, rt_gc, minor == 8);
	PRESENT(minor, l, is_gc, minor >= 9);
	/* Dict keys store log2 of their size from 3.11. */
	PRESENT(minor, l, dk_size, minor <= 10);
	PRESENT(minor, l, dk_log2_size, minor >= 11);
	PRESENT(minor, l, ue_key, minor >= 11);
	SAME(minor, "sizeof PyDictUnicodeEntry", l->sizeof_unicode_entry, minor >= 11 ? 16 : 0);
	PRESENT(minor, l, dv_embedded, minor >= 13);
	/* PEP 623 removed wstr and ready in 3.12. */
	PRESENT(minor, l, str_wstr, minor <= 11);
	PRESENT(minor, l, str_ready, minor <= 11);
	PRESENT(minor, l, long_lv_tag, minor >= 12);
	PRESENT(minor, l, ht_module, minor >= 9);
	/* Frames became PyFrameObject + _PyInterpreterFrame in 3.11. */
	PRESENT(minor, l, f_code, minor <= 10);
	PRESENT(minor, l, f_frame, minor >= 11);
	/* Found under either name in every version. */
	PRESENT(minor, l, rt_interp_head, 1);
	PRESENT(minor, l, rt_interp_main, 1);
	PRESENT(minor, l, is_threads_head, 1);
	PRESENT(minor, l, is_modules, 1);
	/* state follows ob_base, length and hash; interned:2 comes first. */
	SAME(minor, "str length", l->str_length.off, 16);
	SAME(minor, "str kind offset", l->str_kind.off, 32);
	SAME(minor, "str kind bit", l->str_kind.bit, 2);
	SAME(minor, "str kind bits", l->str_kind.bits, 3);
	SAME(minor, "str compact offset", l->str_compact.off, 32);
	SAME(minor, "str compact bit", l->str_compact.bit, 5);
	SAME(minor, "str compact bits", l->str_compact.bits, 1);
	SAME(minor, "str ascii bit", l->str_ascii.bit, 6);
	SAME(minor, "str ascii bits", l->str_ascii.bits, 1);
	/* Not a bitfield: no bit position. */
	SAME(minor, "ob_type bits", l->ob_type.bits, 0);
	SAME(minor, "ob_type offset", l->ob_type.off, 8);
}

static void check_lookups(int minor)
{
	struct pyver *v = version(minor);
	if (!v) {
		CU_PASS("not installed");
		return;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(v->d);
	struct hi_dbg *d = v->d;
	char want[8];
	snprintf(want, sizeof want, "3.%d", minor);
	CU_ASSERT_STRING_EQUAL(hi_dbg_name_version(d), want);
	CU_ASSERT_PTR_NULL(hi_dbg_exe_path(d));
	CU_ASSERT_PTR_NOT_NULL(hi_dbg_python_path(d));

	uint64_t addr = 0, size = 0;
	CU_ASSERT_EQUAL(hi_dbg_symbol(d, "_PyRuntime", &addr, &size), 0);
	CU_ASSERT(addr != 0);
	SAME(minor, "sizeof _PyRuntime", size, hi_dbg_sizeof(d, "struct pyruntimestate"));
	CU_ASSERT_EQUAL(hi_dbg_symbol(d, "PyList_Type", &addr, &size), 0);
	CU_ASSERT(addr != 0);
	SAME(minor, "sizeof PyList_Type", size, v->l.sizeof_type);
	CU_ASSERT_EQUAL(hi_dbg_symbol(d, "hi_no_such_symbol", &addr, &size), -1);

	struct hi_field f;
	CU_ASSERT_EQUAL(hi_dbg_field(d, "PyObject", "ob_type", &f), 0);
	CU_ASSERT_EQUAL(f.offset, 8);
	CU_ASSERT_EQUAL(f.size, 8);
	CU_ASSERT_EQUAL(f.count, 1);
	CU_ASSERT_EQUAL(f.elem_size, 0);
	CU_ASSERT_EQUAL(f.bit_size, 0);
	CU_ASSERT_EQUAL(hi_dbg_field(d, "PyObject", "hi_no_such_member", &f), -1);
	CU_ASSERT_EQUAL(hi_dbg_field(d, "struct pyruntimestate", "interpreters.hi_no_such", &f), -1);
	CU_ASSERT_EQUAL(hi_dbg_field(d, "hi_NoSuchType", "ob_refcnt", &f), -1);
	/* A member must match whole, not by prefix. */
	CU_ASSERT_EQUAL(hi_dbg_field(d, "PyObject", "ob_ty", &f), -1);
	CU_ASSERT_EQUAL(hi_dbg_sizeof(d, "hi_NoSuchType"), -1);
	CU_ASSERT_EQUAL(hi_dbg_sizeof(d, "struct hi_no_such_struct"), -1);
	/* By typedef and by tag alike. */
	CU_ASSERT_EQUAL(hi_dbg_sizeof(d, "PyObject"), hi_dbg_sizeof(d, "struct _object"));
}

#define VERSION_TESTS(n)                                  \
	static void sizes_3##n(void) { check_sizes(n); }       \
	static void variants_3##n(void) { check_variants(n); } \
	static void lookups_3##n(void) { check_lookups(n); }
VERSION_TESTS(8)
VERSION_TESTS(9)
VERSION_TESTS(10)
VERSION_TESTS(11)
VERSION_TESTS(12)
VERSION_TESTS(13)

#define ADD_VERSION(s, n)                                                                        \
	(CU_add_test(s, "3." #n " sizes match the interpreter", sizes_3##n) &&                  \
	 CU_add_test(s, "3." #n " has its variant members", variants_3##n) &&                   \
	 CU_add_test(s, "3." #n " symbols and missing lookups", lookups_3##n))

int hi_suite_layout(void)
{
	CU_pSuite s = CU_add_suite("layout", NULL, cleanup);
	if (!s || !ADD_VERSION(s, 8) || !ADD_VERSION(s, 9) || !ADD_VERSION(s, 10) ||
	    !ADD_VERSION(s, 11) || !ADD_VERSION(s, 12) || !ADD_VERSION(s, 13))
		return -1;
	return 0;
}
