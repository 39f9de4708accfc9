/* hash.h: FNV-1a, the one string and byte hash (hash tables of names,
 * the digests that tell objects apart across a baseline).  */
#ifndef HI_HASH_H
#define HI_HASH_H
#include <stddef.h>
#include <stdint.h>

/* 32 bits of a NUL-terminated string, for hash tables.  */
static inline unsigned hi_hash_str(const char *s)
{
	unsigned h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* 64 bits: H (start with HI_HASH64_INIT) with LEN bytes at DATA mixed in. */
#define HI_HASH64_INIT 0xcbf29ce484222325ull
static inline uint64_t hi_hash_mix(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

#endif
