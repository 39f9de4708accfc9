/* test-topn.c: the bounded top-N heap: it keeps exactly the N largest of
 * any stream, in order, ties by address; a naive sort of the whole stream
 * is the reference.  */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <CUnit/CUnit.h>
#include "census/topn.h"
#include "suites.h"

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static int cmp_items(const void *a, const void *b)
{
	const struct hi_topn_item *x = a, *y = b;
	return hi_topn_before(x, y) ? -1 : hi_topn_before(y, x) ? 1 : 0;
}

/* Offer NITEMS pseudo-random items with sizes in [0, RANGE) to a heap of
 * CAP, and compare with the first CAP of the whole stream sorted.  */
static int matches_full_sort(size_t cap, size_t nitems, uint64_t range, uint64_t seed)
{
	struct hi_topn h;
	struct hi_topn_item *all = malloc((nitems ? nitems : 1) * sizeof *all);
	if (!all || hi_topn_init(&h, cap) < 0) {
		free(all);
		return 0;
	}
	for (size_t i = 0; i < nitems; i++) {
		all[i] = (struct hi_topn_item){ .size = xorshift(&seed) % range,
						.addr = 0x7f0000000000ull + (xorshift(&seed) % 1000000) * 16,
						.kind = (uint32_t)i };
		hi_topn_offer(&h, &all[i]);
	}
	qsort(all, nitems, sizeof *all, cmp_items);
	hi_topn_sort(&h);
	size_t want = nitems < cap ? nitems : cap;
	int ok = h.n == want;
	for (size_t i = 0; ok && i < want; i++)
		ok = h.v[i].size == all[i].size && h.v[i].addr == all[i].addr;
	hi_topn_free(&h);
	free(all);
	return ok;
}

static void keeps_the_largest_in_order(void)
{
	CU_ASSERT_TRUE(matches_full_sort(10, 100000, UINT64_MAX, 1));
	CU_ASSERT_TRUE(matches_full_sort(1, 5000, 1000000, 2));
	CU_ASSERT_TRUE(matches_full_sort(HI_TOPN_MAX, 200000, UINT64_MAX, 3));
}

static void fewer_items_than_n(void)
{
	CU_ASSERT_TRUE(matches_full_sort(10, 0, 100, 4));
	CU_ASSERT_TRUE(matches_full_sort(10, 3, 100, 5));
	CU_ASSERT_TRUE(matches_full_sort(10, 10, 100, 6));
}

/* Many equal sizes: the order must come from the addresses alone, so it
 * is the same whatever order the walk met the objects in.  */
static void ties_go_to_the_lower_address(void)
{
	CU_ASSERT_TRUE(matches_full_sort(50, 20000, 3, 7));
	struct hi_topn h;
	CU_ASSERT_EQUAL_FATAL(hi_topn_init(&h, 2), 0);
	uint64_t addrs[] = { 0x3000, 0x1000, 0x4000, 0x2000 };
	for (int i = 0; i < 4; i++)
		hi_topn_offer(&h, &(struct hi_topn_item){ .size = 64, .addr = addrs[i] });
	hi_topn_sort(&h);
	CU_ASSERT_EQUAL(h.n, 2);
	CU_ASSERT_EQUAL(h.v[0].addr, 0x1000);
	CU_ASSERT_EQUAL(h.v[1].addr, 0x2000);
	hi_topn_free(&h);
}

static void payload_travels_with_its_item(void)
{
	struct hi_topn h;
	static const int type_a = 1, type_b = 2;
	CU_ASSERT_EQUAL_FATAL(hi_topn_init(&h, 3), 0);
	for (uint64_t i = 1; i <= 100; i++)
		hi_topn_offer(&h, &(struct hi_topn_item){ .size = i * 10, .addr = i * 16,
							  .type = i % 2 ? &type_a : &type_b,
							  .kind = (uint32_t)i, .flags = (uint32_t)(i * 3) });
	hi_topn_sort(&h);
	CU_ASSERT_EQUAL_FATAL(h.n, 3);
	for (size_t k = 0; k < 3; k++) {
		uint64_t i = 100 - k;
		CU_ASSERT_EQUAL(h.v[k].size, i * 10);
		CU_ASSERT_EQUAL(h.v[k].addr, i * 16);
		CU_ASSERT_PTR_EQUAL(h.v[k].type, i % 2 ? &type_a : &type_b);
		CU_ASSERT_EQUAL(h.v[k].kind, i);
		CU_ASSERT_EQUAL(h.v[k].flags, i * 3);
	}
	hi_topn_free(&h);
}

static void bounds_are_refused(void)
{
	struct hi_topn h;
	CU_ASSERT_EQUAL(hi_topn_init(&h, 0), -1);
	CU_ASSERT_EQUAL(hi_topn_init(&h, HI_TOPN_MAX + 1), -1);
	CU_ASSERT_EQUAL(hi_topn_init(&h, HI_TOPN_MAX), 0);
	hi_topn_free(&h);
}

int hi_suite_topn(void)
{
	CU_pSuite s = CU_add_suite("topn", NULL, NULL);
	if (!s ||
	    !CU_add_test(s, "keeps the largest, in order", keeps_the_largest_in_order) ||
	    !CU_add_test(s, "fewer items than N", fewer_items_than_n) ||
	    !CU_add_test(s, "ties go to the lower address", ties_go_to_the_lower_address) ||
	    !CU_add_test(s, "the payload travels with its item", payload_travels_with_its_item) ||
	    !CU_add_test(s, "N out of range is refused", bounds_are_refused))
		return -1;
	return 0;
}
