/* u64map.h: an open-addressing hash map from nonzero 64-bit keys (target
 * addresses) to 64-bit values.  Used for the visited set, the type cache
 * index and dict owners: no allocation per entry, linear probing, grows by
 * doubling at 50% load.  Key 0 is reserved as "empty".  */
#ifndef HI_U64MAP_H
#define HI_U64MAP_H
#include <stddef.h>
#include <stdint.h>

struct u64map {
	uint64_t *keys;
	uint64_t *vals;
	size_t cap;		/* power of two, or 0 before first insert */
	size_t len;
	unsigned shift;		/* 64 - log2(cap) */
};

void u64map_init(struct u64map *m);
void u64map_free(struct u64map *m);
void u64map_clear(struct u64map *m);
/* Insert or overwrite.  Returns 0, or -1 when out of memory.  */
int u64map_put(struct u64map *m, uint64_t key, uint64_t val);
/* Insert only if absent.  Returns 1 if inserted, 0 if present, -1 on ENOMEM. */
int u64map_add(struct u64map *m, uint64_t key, uint64_t val);
/* Remove KEY if present (backward-shift deletion: no tombstones).  */
void u64map_del(struct u64map *m, uint64_t key);

/* Returns a pointer to the value, or NULL if absent.  Invalidated by put.  */
uint64_t *u64map_get(const struct u64map *m, uint64_t key);

#endif
