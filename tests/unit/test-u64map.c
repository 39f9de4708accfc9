/* test-u64map.c: the address hash map: put/add/get, growth, clear, and
 * the reserved key 0.  */
#include "config.h"
#include <stdint.h>
#include <CUnit/CUnit.h>
#include "util/u64map.h"
#include "suites.h"

/* Deterministic pseudo-random keys (xorshift64), never 0. */
static uint64_t next_key(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

static void empty_map_finds_nothing(void)
{
	struct u64map m;
	u64map_init(&m);
	CU_ASSERT_EQUAL(m.len, 0);
	CU_ASSERT_PTR_NULL(u64map_get(&m, 1));
	CU_ASSERT_PTR_NULL(u64map_get(&m, 0x7f0012345678ull));
	u64map_free(&m);
}

static void put_get_and_overwrite(void)
{
	struct u64map m;
	u64map_init(&m);
	CU_ASSERT_EQUAL(u64map_put(&m, 0x1000, 11), 0);
	CU_ASSERT_EQUAL(u64map_put(&m, 0x2000, 22), 0);
	CU_ASSERT_EQUAL(m.len, 2);
	uint64_t *v = u64map_get(&m, 0x1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(*v, 11);
	/* put overwrites without adding an entry. */
	CU_ASSERT_EQUAL(u64map_put(&m, 0x1000, 99), 0);
	CU_ASSERT_EQUAL(m.len, 2);
	v = u64map_get(&m, 0x1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(*v, 99);
	v = u64map_get(&m, 0x2000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(*v, 22);
	/* Values live in the map: writing through the pointer sticks. */
	*v += 1;
	CU_ASSERT_EQUAL(*u64map_get(&m, 0x2000), 23);
	/* Neighbouring addresses are different keys. */
	CU_ASSERT_PTR_NULL(u64map_get(&m, 0x1001));
	CU_ASSERT_PTR_NULL(u64map_get(&m, 0x1008));
	/* The largest key works like any other. */
	CU_ASSERT_EQUAL(u64map_put(&m, UINT64_MAX, 5), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u64map_get(&m, UINT64_MAX));
	CU_ASSERT_EQUAL(*u64map_get(&m, UINT64_MAX), 5);
	u64map_free(&m);
}

static void add_inserts_only_when_absent(void)
{
	struct u64map m;
	u64map_init(&m);
	CU_ASSERT_EQUAL(u64map_add(&m, 0x7f00, 1), 1);
	CU_ASSERT_EQUAL(u64map_add(&m, 0x7f00, 2), 0);
	CU_ASSERT_EQUAL(m.len, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u64map_get(&m, 0x7f00));
	CU_ASSERT_EQUAL(*u64map_get(&m, 0x7f00), 1);	/* kept the first */
	CU_ASSERT_EQUAL(u64map_add(&m, 0x7f08, 3), 1);
	CU_ASSERT_EQUAL(m.len, 2);
	/* add after put: present. */
	CU_ASSERT_EQUAL(u64map_put(&m, 0x8000, 4), 0);
	CU_ASSERT_EQUAL(u64map_add(&m, 0x8000, 5), 0);
	CU_ASSERT_EQUAL(*u64map_get(&m, 0x8000), 4);
	u64map_free(&m);
}

/* Object-like addresses: 16-byte aligned, far beyond the first table. */
static void grows_past_many_thousands(void)
{
	const uint64_t base = 0x7f3a12340000ull, n = 200000;
	struct u64map m;
	u64map_init(&m);
	int ok = 1, overfull = 0;
	for (uint64_t i = 0; i < n; i++) {
		ok &= u64map_put(&m, base + i * 16, i * 3 + 1) == 0;
		/* Never more than half full: it doubles at 50% load. */
		overfull += m.len * 2 > m.cap;
	}
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL(overfull, 0);
	CU_ASSERT_EQUAL(m.len, n);
	CU_ASSERT_EQUAL(m.cap & (m.cap - 1), 0);	/* a power of two */
	uint64_t found = 0, right = 0, stray = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t *v = u64map_get(&m, base + i * 16);
		found += v != NULL;
		right += v && *v == i * 3 + 1;
		/* Addresses in between were never inserted. */
		stray += u64map_get(&m, base + i * 16 + 8) != NULL;
	}
	CU_ASSERT_EQUAL(found, n);
	CU_ASSERT_EQUAL(right, n);
	CU_ASSERT_EQUAL(stray, 0);
	CU_ASSERT_PTR_NULL(u64map_get(&m, base + n * 16));
	u64map_free(&m);
}

/* Random keys (clusters wrap around the table's end) and keys differing
 * only in high bits (many collide) must all be found.  */
static void colliding_and_random_keys(void)
{
	struct u64map m;
	u64map_init(&m);
	uint64_t st = 0x9e3779b97f4a7c15ull;
	const int n = 50000;
	for (int i = 0; i < n; i++)
		u64map_put(&m, next_key(&st), (uint64_t)i);
	st = 0x9e3779b97f4a7c15ull;
	int right = 0;
	for (int i = 0; i < n; i++) {
		uint64_t *v = u64map_get(&m, next_key(&st));
		right += v && *v == (uint64_t)i;
	}
	CU_ASSERT_EQUAL(right, n);
	CU_ASSERT_EQUAL(m.len, (size_t)n);
	u64map_free(&m);

	u64map_init(&m);
	const int nh = 3000;
	for (int i = 1; i <= nh; i++)
		CU_ASSERT_EQUAL(u64map_add(&m, (uint64_t)i << 40, (uint64_t)i), 1);
	right = 0;
	for (int i = 1; i <= nh; i++) {
		uint64_t *v = u64map_get(&m, (uint64_t)i << 40);
		right += v && *v == (uint64_t)i;
	}
	CU_ASSERT_EQUAL(right, nh);
	CU_ASSERT_PTR_NULL(u64map_get(&m, (uint64_t)(nh + 1) << 40));
	u64map_free(&m);
}

static void clear_empties_and_stays_usable(void)
{
	struct u64map m;
	u64map_init(&m);
	for (uint64_t k = 1; k <= 1000; k++)
		u64map_put(&m, k * 64, k);
	u64map_clear(&m);
	CU_ASSERT_EQUAL(m.len, 0);
	int left = 0;
	for (uint64_t k = 1; k <= 1000; k++)
		left += u64map_get(&m, k * 64) != NULL;
	CU_ASSERT_EQUAL(left, 0);
	/* Reinserting after clear: add sees the keys as absent. */
	CU_ASSERT_EQUAL(u64map_add(&m, 64, 7), 1);
	CU_ASSERT_EQUAL(m.len, 1);
	CU_ASSERT_EQUAL(*u64map_get(&m, 64), 7);
	CU_ASSERT_PTR_NULL(u64map_get(&m, 128));
	/* Clearing a map that never had a table is harmless. */
	struct u64map e;
	u64map_init(&e);
	u64map_clear(&e);
	CU_ASSERT_EQUAL(e.len, 0);
	CU_ASSERT_PTR_NULL(u64map_get(&e, 64));
	u64map_free(&e);
	u64map_free(&m);
}

static void key_zero_is_never_found(void)
{
	struct u64map m;
	u64map_init(&m);
	CU_ASSERT_PTR_NULL(u64map_get(&m, 0));
	u64map_put(&m, 8, 1);
	u64map_put(&m, 16, 2);
	CU_ASSERT_PTR_NULL(u64map_get(&m, 0));
	/* 0 is "empty": storing it must not make it findable or disturb
	 * real keys.  */
	u64map_put(&m, 0, 3);
	CU_ASSERT_PTR_NULL(u64map_get(&m, 0));
	CU_ASSERT_PTR_NOT_NULL_FATAL(u64map_get(&m, 8));
	CU_ASSERT_EQUAL(*u64map_get(&m, 8), 1);
	CU_ASSERT_EQUAL(*u64map_get(&m, 16), 2);
	u64map_free(&m);
}

/* Deleting keeps every other key findable (backward shift leaves no hole
 * in a probe run) and the deleted ones absent, through wrap-around.  */
static void delete_keeps_the_rest_findable(void)
{
	struct u64map m;
	u64map_init(&m);
	for (uint64_t k = 1; k <= 20000; k++)
		CU_ASSERT_EQUAL_FATAL(u64map_put(&m, k * 0x10000, k), 0);
	for (uint64_t k = 1; k <= 20000; k += 2)
		u64map_del(&m, k * 0x10000);
	u64map_del(&m, 0xdead0000);	/* absent: no effect */
	CU_ASSERT_EQUAL(m.len, 10000);
	int ok = 1;
	for (uint64_t k = 1; k <= 20000; k++) {
		uint64_t *v = u64map_get(&m, k * 0x10000);
		if (k % 2 ? v != NULL : (!v || *v != k))
			ok = 0;
	}
	CU_ASSERT_TRUE(ok);
	/* Re-adding a deleted key works. */
	CU_ASSERT_EQUAL(u64map_add(&m, 0x10000, 7), 1);
	CU_ASSERT_EQUAL(*u64map_get(&m, 0x10000), 7);
	u64map_free(&m);
}

int hi_suite_u64map(void)
{
	CU_pSuite s = CU_add_suite("u64map", NULL, NULL);
	if (s && !CU_add_test(s, "delete keeps the rest findable", delete_keeps_the_rest_findable))
		return -1;
	if (!s ||
	    !CU_add_test(s, "an empty map finds nothing", empty_map_finds_nothing) ||
	    !CU_add_test(s, "put, get and overwrite", put_get_and_overwrite) ||
	    !CU_add_test(s, "add inserts only when absent", add_inserts_only_when_absent) ||
	    !CU_add_test(s, "grows past many thousands of keys", grows_past_many_thousands) ||
	    !CU_add_test(s, "colliding and random keys", colliding_and_random_keys) ||
	    !CU_add_test(s, "clear empties and stays usable", clear_empties_and_stays_usable) ||
	    !CU_add_test(s, "key 0 is never found", key_zero_is_never_found))
		return -1;
	return 0;
}
