/* test-kind.c: heapy's name for a type from its parts.  */
#include "config.h"
#include <string.h>
#include <CUnit/CUnit.h>
#include "python/kind.h"
#include "suites.h"

static void static_dotted_name_kept(void)
{
	char out[128];
	hi_kind_compose(out, sizeof out, 1, "_io.TextIOWrapper", NULL, NULL);
	CU_ASSERT_STRING_EQUAL(out, "_io.TextIOWrapper");
	/* __module__ is everything up to the last dot: the name is whole. */
	hi_kind_compose(out, sizeof out, 1, "xml.etree.ElementTree.Element", NULL, NULL);
	CU_ASSERT_STRING_EQUAL(out, "xml.etree.ElementTree.Element");
}

static void static_undotted_is_builtins(void)
{
	char out[128];
	hi_kind_compose(out, sizeof out, 1, "int", NULL, NULL);
	CU_ASSERT_STRING_EQUAL(out, "builtins.int");
	hi_kind_compose(out, sizeof out, 1, "method-wrapper", NULL, NULL);
	CU_ASSERT_STRING_EQUAL(out, "builtins.method-wrapper");
}

static void heap_type_is_module_dot_name(void)
{
	char out[128];
	/* tp_name plays no part for heap types: the dict and ht_name do. */
	hi_kind_compose(out, sizeof out, 0, "ignored.Other", "mymod", "Point");
	CU_ASSERT_STRING_EQUAL(out, "mymod.Point");
	hi_kind_compose(out, sizeof out, 0, NULL, "__main__", "Node");
	CU_ASSERT_STRING_EQUAL(out, "__main__.Node");
	hi_kind_compose(out, sizeof out, 0, NULL, "a.b.c", "D");
	CU_ASSERT_STRING_EQUAL(out, "a.b.c.D");
}

static void heap_type_without_module(void)
{
	char out[128];
	hi_kind_compose(out, sizeof out, 0, NULL, NULL, "Point");
	CU_ASSERT_STRING_EQUAL(out, "<unknown module>.Point");
}

static void truncates_to_size(void)
{
	char out[8];
	memset(out, 'X', sizeof out);
	hi_kind_compose(out, sizeof out, 1, "int", NULL, NULL);
	CU_ASSERT_STRING_EQUAL(out, "builtin");
	memset(out, 'X', sizeof out);
	hi_kind_compose(out, sizeof out, 0, NULL, "mymod", "Point");
	CU_ASSERT_STRING_EQUAL(out, "mymod.P");
}

int hi_suite_kind(void)
{
	CU_pSuite s = CU_add_suite("kind", NULL, NULL);
	if (!s ||
	    !CU_add_test(s, "a static dotted tp_name is kept", static_dotted_name_kept) ||
	    !CU_add_test(s, "a static undotted tp_name is builtins.X", static_undotted_is_builtins) ||
	    !CU_add_test(s, "a heap type is module.Name", heap_type_is_module_dot_name) ||
	    !CU_add_test(s, "a heap type without module", heap_type_without_module) ||
	    !CU_add_test(s, "output is truncated to its size", truncates_to_size))
		return -1;
	return 0;
}
