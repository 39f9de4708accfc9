/* addrset.h: a set of 8-byte-aligned addresses, as bitmaps per 64 KiB.
 *
 * The visited set of a heap walk: one bit per 8 bytes of the target's
 * address space, allocated per 64 KiB chunk that holds at least one
 * member (1 KiB each), found through a small hash of chunk numbers with a
 * memo of the last chunk used (walks touch neighbours: objects allocated
 * together sit together).  Far smaller and faster than a hash of every
 * address for millions of objects.  */
#ifndef HI_ADDRSET_H
#define HI_ADDRSET_H
#include <stddef.h>
#include <stdint.h>
#include "util/u64map.h"

#define HI_ADDRSET_SHIFT 16	/* 64 KiB per bitmap */

struct hi_addrset {
	struct u64map index;	/* chunk number + 1 -> bitmap number */
	uint64_t **maps;
	size_t nmaps, capmaps;
	/* memo: a small direct-mapped table of chunk number + 1 -> bitmap */
	uint64_t recent_chunk[64];
	uint64_t *recent_map[64];
	size_t members;
	/* hi_addrset_rank's tables, once hi_addrset_rank_build ran: each
	 * bitmap's first rank, and the members before each of its words. */
	uint64_t *rank_base;
	uint16_t *rank_word;
};

void hi_addrset_init(struct hi_addrset *s);
void hi_addrset_free(struct hi_addrset *s);

/* Add ADDR (8-byte aligned).  Returns 1 if it was new, 0 if already a
 * member, -1 when out of memory.  */
int hi_addrset_add(struct hi_addrset *s, uint64_t addr);

/* Does the set hold a bitmap for ADDR's 64 KiB already (so adding it
 * costs no memory)?  */
int hi_addrset_covers(struct hi_addrset *s, uint64_t addr);

/* Is ADDR a member?  */
int hi_addrset_has(struct hi_addrset *s, uint64_t addr);

/* Number the members 0..members-1 (in no useful order), so that side
 * tables can be arrays: 0, or -1 when out of memory.  Adding a member
 * afterwards invalidates the numbering (build it again).  */
int hi_addrset_rank_build(struct hi_addrset *s);

/* ADDR's number, or UINT64_MAX when it is not a member.  */
uint64_t hi_addrset_rank(struct hi_addrset *s, uint64_t addr);

#endif
