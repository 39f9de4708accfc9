/* test-census.c: kind interning and heapy's row order.  */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "census/census.h"
#include "suites.h"

static void interning_returns_one_id_per_name(void)
{
	struct hi_census c;
	hi_census_init(&c, "kind");
	uint32_t a = hi_census_kind(&c, "str");
	uint32_t b = hi_census_kind(&c, "dict of module");
	CU_ASSERT_NOT_EQUAL(a, b);
	CU_ASSERT_EQUAL(hi_census_kind(&c, "str"), a);
	/* Many names force rehashing; earlier ids stay valid. */
	char name[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof name, "mod.K%d", i);
		hi_census_kind(&c, name);
	}
	CU_ASSERT_EQUAL(hi_census_kind(&c, "dict of module"), b);
	CU_ASSERT_EQUAL(c.nrows, 5002);
	hi_census_free(&c);
}

static void sorted_by_size_then_name(void)
{
	struct hi_census c;
	hi_census_init(&c, "kind");
	uint32_t s = hi_census_kind(&c, "str"), t = hi_census_kind(&c, "tuple"), d = hi_census_kind(&c, "dict"),
		 e = hi_census_kind(&c, "empty");
	(void)e;
	hi_census_add(&c, t, 100);	/* tuple: 1 object, 100 bytes */
	hi_census_add(&c, s, 50);	/* str: 2 objects, 100 bytes */
	hi_census_add(&c, s, 50);
	hi_census_add(&c, d, 300);
	size_t n;
	struct hi_row *rows = hi_census_sorted(&c, &n);
	CU_ASSERT_EQUAL_FATAL(n, 3);	/* a kind with no objects is not a row */
	CU_ASSERT_STRING_EQUAL(rows[0].kind, "dict");
	/* Equal sizes: heapy orders by name, count is no tiebreak. */
	CU_ASSERT_STRING_EQUAL(rows[1].kind, "str");
	CU_ASSERT_STRING_EQUAL(rows[2].kind, "tuple");
	CU_ASSERT_EQUAL(c.objects, 4);
	CU_ASSERT_EQUAL(c.size, 500);
	free(rows);
	hi_census_free(&c);
}

static void nonempty_counts_only_kinds_with_objects(void)
{
	struct hi_census c;
	hi_census_init(&c, "kind");
	hi_census_kind(&c, "dict (no owner)");	/* interned, never counted */
	for (int i = 0; i < 11; i++) {
		char name[16];
		snprintf(name, sizeof name, "k%d", i);
		hi_census_add(&c, hi_census_kind(&c, name), 8);
	}
	CU_ASSERT_EQUAL(c.nrows, 12);
	CU_ASSERT_EQUAL(hi_census_nonempty(&c), 11);
	hi_census_free(&c);
}

int hi_suite_census(void)
{
	CU_pSuite s = CU_add_suite("census", NULL, NULL);
	if (!s || !CU_add_test(s, "interning returns one id per name", interning_returns_one_id_per_name) ||
	    !CU_add_test(s, "rows sorted by size then name", sorted_by_size_then_name) ||
	    !CU_add_test(s, "nonempty counts only kinds with objects", nonempty_counts_only_kinds_with_objects))
		return -1;
	return 0;
}
