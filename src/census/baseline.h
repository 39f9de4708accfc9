/* baseline.h: a remembered heap (setrel) and the difference of two
 * censuses (diff).  Pure data: testable on synthetic censuses.
 *
 * A baseline is held by heapinspect, never in the target: for each object
 * address its identity key (identity.h), and the census by kind at that
 * moment.  It belongs to one process (a pid, with its start time and
 * program, see target.h) and survives detach/attach of that process,
 * but never applies to another that got the same pid.  */
#ifndef HI_BASELINE_H
#define HI_BASELINE_H
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "census/census.h"
#include "proc/target.h"
#include "util/u64map.h"

/* The baseline's objects: each address with its identity key, 16 bytes
 * an object, sorted by address once the census is taken, and found
 * through a directory of the 64 KiB chunks they fall in (a few thousand
 * entries, not one per object as a hash map of 18M objects would be).  */
struct hi_keyset {
	struct hi_keyed {
		uint64_t addr, key;
	} *v;
	size_t n, cap;
	struct u64map dir;	/* chunk number + 1 -> first << 14 | count */
	int sealed;
};

void hi_keyset_init(struct hi_keyset *s);
void hi_keyset_free(struct hi_keyset *s);

/* Add ADDR with KEY, in any order (a walk's).  0, or -1 when out of
 * memory.  */
int hi_keyset_add(struct hi_keyset *s, uint64_t addr, uint64_t key);

/* Sort by address (a radix sort, 16 bytes an object more while it runs)
 * and index; nothing is added after.  0, or -1 when out of memory.  */
int hi_keyset_seal(struct hi_keyset *s);

/* ADDR's key into *KEY: 1, or 0 when ADDR is not in S.  */
int hi_keyset_get(const struct hi_keyset *s, uint64_t addr, uint64_t *key);

struct hi_baseline {
	int set;
	pid_t pid;
	struct hi_proc_id id;	/* of the process it was taken of */
	time_t taken;
	struct hi_keyset keys;		/* object address -> identity key */
	struct hi_census census;	/* by kind, everything at setrel */
};

void hi_baseline_init(struct hi_baseline *b);

/* Was B taken of the process ID names (same pid, start and program)?  */
int hi_baseline_of(const struct hi_baseline *b, const struct hi_proc_id *id);
void hi_baseline_clear(struct hi_baseline *b);

/* Is OBJ with KEY one the baseline already had?  */
static inline int hi_baseline_has(const struct hi_baseline *b, uint64_t obj, uint64_t key)
{
	uint64_t k;
	return hi_keyset_get(&b->keys, obj, &k) && k == key;
}

struct hi_diff_row {
	const char *kind;	/* owned by one of the two censuses */
	uint64_t count_a, count_b, size_a, size_b;
};

struct hi_diff {
	struct hi_diff_row *rows;
	size_t n;
	uint64_t objects_a, size_a, objects_b, size_b;
};

/* B - A by kind: a row for every kind whose count or size changed (kinds
 * that vanished have count_b 0), sorted by the absolute size change, then
 * the absolute count change, then kind name.  Returns 0 or -1 (memory).  */
int hi_diff_compute(const struct hi_census *a, const struct hi_census *b, struct hi_diff *d);
void hi_diff_free(struct hi_diff *d);

static inline int64_t hi_diff_dcount(const struct hi_diff_row *r)
{
	return (int64_t)r->count_b - (int64_t)r->count_a;
}

static inline int64_t hi_diff_dsize(const struct hi_diff_row *r)
{
	return (int64_t)r->size_b - (int64_t)r->size_a;
}

#endif
