/* test-baseline.c: diff of two censuses, and the baseline's identity set,
 * on synthetic data.  */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "census/baseline.h"
#include "report/describe.h"
#include "report/view.h"
#include "suites.h"

static void add(struct hi_census *c, const char *kind, int count, uint64_t size_each)
{
	uint32_t k = hi_census_kind(c, kind);
	for (int i = 0; i < count; i++)
		hi_census_add(c, k, size_each);
}

static const struct hi_diff_row *row(const struct hi_diff *d, const char *kind)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->rows[i].kind, kind) == 0)
			return &d->rows[i];
	return NULL;
}

static void diff_growth_shrinkage_and_vanished_kinds(void)
{
	struct hi_census a, b;
	struct hi_diff d;
	hi_census_init(&a, "kind");
	hi_census_init(&b, "kind");
	add(&a, "str", 100, 50);
	add(&a, "__main__.Gone", 30, 56);
	add(&a, "list", 10, 72);
	add(&b, "str", 150, 50);
	add(&b, "list", 10, 72);	/* unchanged: no row */
	add(&b, "__main__.New", 5, 1000);
	CU_ASSERT_EQUAL_FATAL(hi_diff_compute(&a, &b, &d), 0);
	CU_ASSERT_EQUAL(d.n, 3);
	CU_ASSERT_EQUAL(d.objects_a, 140);
	CU_ASSERT_EQUAL(d.objects_b, 165);
	CU_ASSERT_EQUAL(d.size_a, 100 * 50 + 30 * 56 + 10 * 72);
	const struct hi_diff_row *s = row(&d, "str"), *g = row(&d, "__main__.Gone"), *n = row(&d, "__main__.New");
	CU_ASSERT_PTR_NULL(row(&d, "list"));
	CU_ASSERT_FATAL(s && g && n);
	CU_ASSERT_EQUAL(hi_diff_dcount(s), 50);
	CU_ASSERT_EQUAL(hi_diff_dsize(s), 2500);
	CU_ASSERT_EQUAL(hi_diff_dcount(g), -30);
	CU_ASSERT_EQUAL(g->count_b, 0);
	CU_ASSERT_EQUAL(hi_diff_dsize(g), -1680);
	CU_ASSERT_EQUAL(n->count_a, 0);
	CU_ASSERT_EQUAL(hi_diff_dcount(n), 5);
	/* Sorted by absolute size change: New 5000, str 2500, Gone 1680. */
	CU_ASSERT_STRING_EQUAL(d.rows[0].kind, "__main__.New");
	CU_ASSERT_STRING_EQUAL(d.rows[1].kind, "str");
	CU_ASSERT_STRING_EQUAL(d.rows[2].kind, "__main__.Gone");
	hi_diff_free(&d);
	hi_census_free(&a);
	hi_census_free(&b);
}

static void diff_ties_break_on_count_then_name(void)
{
	struct hi_census a, b;
	struct hi_diff d;
	hi_census_init(&a, "kind");
	hi_census_init(&b, "kind");
	add(&b, "zeta", 1, 100);
	add(&b, "alpha", 1, 100);
	add(&b, "many", 4, 25);
	CU_ASSERT_EQUAL_FATAL(hi_diff_compute(&a, &b, &d), 0);
	CU_ASSERT_EQUAL_FATAL(d.n, 3);
	CU_ASSERT_STRING_EQUAL(d.rows[0].kind, "many");	/* |dcount| 4 beats 1 */
	CU_ASSERT_STRING_EQUAL(d.rows[1].kind, "alpha");
	CU_ASSERT_STRING_EQUAL(d.rows[2].kind, "zeta");
	hi_diff_free(&d);
	hi_census_free(&a);
	hi_census_free(&b);
}

/* The diff's table, drawn from its description as the diff command
 * draws it.  */
static char *diff_table(const struct hi_diff *d, const char *what, int all)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct hi_emit *e = out ? hi_emit_tcl() : NULL;
	if (!e) {
		if (out)
			fclose(out);
		free(buf);
		return NULL;
	}
	hi_diff_describe(e, d, 1, "3.12", "kind", what);
	Tcl_Obj *v = hi_emit_finish(e);
	Tcl_IncrRefCount(v);
	hi_view_render(out, v, &hi_diff_view, all);
	Tcl_DecrRefCount(v);
	fclose(out);
	return buf;
}

static void diff_of_equal_censuses_is_empty(void)
{
	struct hi_census a, b;
	struct hi_diff d;
	hi_census_init(&a, "kind");
	hi_census_init(&b, "kind");
	add(&a, "x", 3, 10);
	add(&b, "x", 3, 10);
	CU_ASSERT_EQUAL_FATAL(hi_diff_compute(&a, &b, &d), 0);
	CU_ASSERT_EQUAL(d.n, 0);
	char *buf = diff_table(&d, "the baseline", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "B-A: +0 objects, +0 bytes."));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "No kind changed."));
	free(buf);
	hi_diff_free(&d);
	hi_census_free(&a);
	hi_census_free(&b);
}

static void diff_table_rows(void)
{
	struct hi_census a, b;
	struct hi_diff d;
	hi_census_init(&a, "kind");
	hi_census_init(&b, "kind");
	add(&a, "__main__.Gone", 300, 56);
	add(&b, "__main__.Grown", 1000, 56);
	CU_ASSERT_EQUAL_FATAL(hi_diff_compute(&a, &b, &d), 0);
	char *buf = diff_table(&d, "x", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Difference from x (A) to now (B).\n"
					   "A: 300 objects, 16800 bytes.  B: 1000 objects, 56000 bytes.  "
					   "B-A: +700 objects, +39200 bytes.\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "     0    1000   +1000     56000     +56000 __main__.Grown\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "     1       0    -300         0     -16800 __main__.Gone\n"));
	free(buf);
	buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct hi_emit *e = hi_emit_csv(out, hi_diff_view.list, hi_diff_view.csv);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	hi_diff_describe(e, &d, 1, "3.12", "kind", "x");
	hi_emit_finish(e);
	fclose(out);
	CU_ASSERT_STRING_EQUAL(buf, "kind,count_a,count_b,dcount,size_a,size_b,dsize\n"
				    "__main__.Grown,0,1000,1000,0,56000,56000\n"
				    "__main__.Gone,300,0,-300,16800,0,-16800\n");
	free(buf);
	hi_diff_free(&d);
	hi_census_free(&a);
	hi_census_free(&b);
}

static void baseline_matches_address_and_key(void)
{
	struct hi_baseline b;
	hi_baseline_init(&b);
	hi_keyset_add(&b.keys, 0x7f0000002000, 0xdef);
	hi_keyset_add(&b.keys, 0x7f0000001000, 0xabc);
	CU_ASSERT_FALSE(hi_baseline_has(&b, 0x7f0000001000, 0xabc));	/* not sealed yet */
	CU_ASSERT_EQUAL_FATAL(hi_keyset_seal(&b.keys), 0);
	CU_ASSERT_TRUE(hi_baseline_has(&b, 0x7f0000001000, 0xabc));
	/* The same address holding something else (reuse) is new. */
	CU_ASSERT_FALSE(hi_baseline_has(&b, 0x7f0000001000, 0xabd));
	CU_ASSERT_FALSE(hi_baseline_has(&b, 0x7f0000003000, 0xabc));
	hi_baseline_clear(&b);
	CU_ASSERT_FALSE(hi_baseline_has(&b, 0x7f0000002000, 0xdef));
	CU_ASSERT_FALSE(b.set);
}

/* 300,000 objects over many chunks and mappings, added in a walk's
 * order: each found with its key after sealing, 16 bytes each, nothing
 * between them found.  */
static void keyset_finds_every_object(void)
{
	struct hi_keyset k;
	hi_keyset_init(&k);
	srand(5);
	enum { N = 300000 };
	static uint64_t addr[N];
	for (int i = 0; i < N; i++) {
		/* Three regions far apart, 16-aligned, distinct.  */
		uint64_t region = (uint64_t)(i % 3) << 40;
		addr[i] = 0x550000000000ull + region + (uint64_t)i * 48 + (uint64_t)(rand() % 2) * 16;
		CU_ASSERT_EQUAL_FATAL(hi_keyset_add(&k, addr[i], addr[i] * 7 + 1), 0);
	}
	/* Shuffled, as a walk meets objects.  */
	for (int i = N - 1; i > 0; i--) {
		int j = rand() % (i + 1);
		struct hi_keyed t = k.v[i];
		k.v[i] = k.v[j];
		k.v[j] = t;
	}
	CU_ASSERT_EQUAL_FATAL(hi_keyset_seal(&k), 0);
	CU_ASSERT_EQUAL(k.n, N);
	CU_ASSERT_EQUAL(k.cap * sizeof *k.v, (size_t)N * 16);
	int bad = 0;
	for (int i = 0; i < N; i++) {
		uint64_t key;
		if (!hi_keyset_get(&k, addr[i], &key) || key != addr[i] * 7 + 1)
			bad++;
		if (hi_keyset_get(&k, addr[i] + 8, &key))
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	hi_keyset_free(&k);
}

int hi_suite_baseline(void)
{
	CU_pSuite s = CU_add_suite("baseline", NULL, NULL);
	if (!s || !CU_add_test(s, "diff shows growth, shrinkage and vanished kinds", diff_growth_shrinkage_and_vanished_kinds) ||
	    !CU_add_test(s, "diff ties break on count, then name", diff_ties_break_on_count_then_name) ||
	    !CU_add_test(s, "diff of equal censuses is empty", diff_of_equal_censuses_is_empty) ||
	    !CU_add_test(s, "diff table and csv rows", diff_table_rows) ||
	    !CU_add_test(s, "baseline matches address and key", baseline_matches_address_and_key) ||
	    !CU_add_test(s, "the baseline's key set finds every object, 16 bytes each", keyset_finds_every_object))
		return -1;
	return 0;
}
