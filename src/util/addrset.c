/* addrset.c: see addrset.h.  */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "util/addrset.h"

#define WORDS ((1u << HI_ADDRSET_SHIFT) / 8 / 64)	/* 64-bit words per bitmap */

void hi_addrset_init(struct hi_addrset *s)
{
	memset(s, 0, sizeof *s);
	u64map_init(&s->index);
}

void hi_addrset_free(struct hi_addrset *s)
{
	for (size_t i = 0; i < s->nmaps; i++)
		free(s->maps[i]);
	free(s->maps);
	free(s->rank_base);
	free(s->rank_word);
	u64map_free(&s->index);
	hi_addrset_init(s);
}

static uint64_t *map_for(struct hi_addrset *s, uint64_t addr, int create)
{
	uint64_t chunk = (addr >> HI_ADDRSET_SHIFT) + 1;
	unsigned r = (unsigned)((chunk * 0x9E3779B97F4A7C15ull) >> 58);
	if (s->recent_chunk[r] == chunk)
		return s->recent_map[r];
	uint64_t *slot = u64map_get(&s->index, chunk);
	uint64_t *map;
	if (slot) {
		map = s->maps[*slot];
	} else {
		if (!create)
			return NULL;
		if (s->nmaps == s->capmaps) {
			size_t ncap = s->capmaps ? s->capmaps * 2 : 256;
			uint64_t **nm = realloc(s->maps, ncap * sizeof *nm);
			if (!nm)
				return NULL;
			s->maps = nm;
			s->capmaps = ncap;
		}
		map = calloc(WORDS, sizeof *map);
		if (!map || u64map_put(&s->index, chunk, s->nmaps) < 0) {
			free(map);
			return NULL;
		}
		s->maps[s->nmaps++] = map;
	}
	s->recent_chunk[r] = chunk;
	s->recent_map[r] = map;
	return map;
}

int hi_addrset_covers(struct hi_addrset *s, uint64_t addr)
{
	return map_for(s, addr, 0) != NULL;
}

int hi_addrset_add(struct hi_addrset *s, uint64_t addr)
{
	uint64_t *map = map_for(s, addr, 1);
	if (!map)
		return -1;
	unsigned bit = (unsigned)((addr & ((1u << HI_ADDRSET_SHIFT) - 1)) >> 3);
	uint64_t mask = 1ull << (bit & 63);
	if (map[bit >> 6] & mask)
		return 0;
	map[bit >> 6] |= mask;
	s->members++;
	return 1;
}

int hi_addrset_has(struct hi_addrset *s, uint64_t addr)
{
	uint64_t *map = map_for(s, addr, 0);
	if (!map)
		return 0;
	unsigned bit = (unsigned)((addr & ((1u << HI_ADDRSET_SHIFT) - 1)) >> 3);
	return (map[bit >> 6] >> (bit & 63)) & 1;
}

int hi_addrset_rank_build(struct hi_addrset *s)
{
	free(s->rank_base);
	free(s->rank_word);
	s->rank_base = malloc((s->nmaps ? s->nmaps : 1) * sizeof *s->rank_base);
	s->rank_word = malloc((s->nmaps ? s->nmaps : 1) * WORDS * sizeof *s->rank_word);
	if (!s->rank_base || !s->rank_word) {
		free(s->rank_base);
		free(s->rank_word);
		s->rank_base = NULL;
		s->rank_word = NULL;
		return -1;
	}
	uint64_t r = 0;
	for (size_t m = 0; m < s->nmaps; m++) {
		s->rank_base[m] = r;
		unsigned in = 0;	/* at most 8192 members per bitmap */
		for (unsigned k = 0; k < WORDS; k++) {
			s->rank_word[m * WORDS + k] = (uint16_t)in;
			in += (unsigned)__builtin_popcountll(s->maps[m][k]);
		}
		r += in;
	}
	return 0;
}

uint64_t hi_addrset_rank(struct hi_addrset *s, uint64_t addr)
{
	uint64_t chunk = (addr >> HI_ADDRSET_SHIFT) + 1;
	uint64_t *slot = u64map_get(&s->index, chunk);
	if (!slot || !s->rank_base)
		return UINT64_MAX;
	uint64_t m = *slot, *map = s->maps[m];
	unsigned bit = (unsigned)((addr & ((1u << HI_ADDRSET_SHIFT) - 1)) >> 3);
	uint64_t word = map[bit >> 6], below = word & ((1ull << (bit & 63)) - 1);
	if (!((word >> (bit & 63)) & 1))
		return UINT64_MAX;
	return s->rank_base[m] + s->rank_word[m * WORDS + (bit >> 6)] + (uint64_t)__builtin_popcountll(below);
}
