/* member.h: the one way to read a struct member of a target object, by
 * its DWARF layout (struct hi_mbr, layout.h).
 *
 * Each reader returns 0, or -1 when the target's version has no such
 * member or its memory cannot be read.  They count nothing: what a
 * failure means is the caller's to say, and each layer counts it once,
 * in one place (pysize: py->bad_reads per field, "unreadable fields";
 * referents: the object, "inconsistent"; pyobj: the candidate is not a
 * type or a str, "bad types").  */
#ifndef HI_MEMBER_H
#define HI_MEMBER_H
#include <stdint.h>
#include "dwarf/layout.h"
#include "mem/mem.h"

/* A pointer (8 bytes).  */
static inline int hi_member_ptr(struct hi_mem *mem, uint64_t addr, struct hi_mbr m, uint64_t *out)
{
	return hi_has(m) ? hi_mem_u64(mem, addr + m.off, out) : -1;
}

/* An unsigned integer of the member's size (8 when DWARF gave none).  */
static inline int hi_member_uint(struct hi_mem *mem, uint64_t addr, struct hi_mbr m, uint64_t *out)
{
	return hi_has(m) ? hi_mem_uint(mem, addr + m.off, m.size ? m.size : 8, out) : -1;
}

/* A signed integer of the member's size, sign-extended.  */
static inline int hi_member_int(struct hi_mem *mem, uint64_t addr, struct hi_mbr m, int64_t *out)
{
	uint64_t v;
	if (hi_member_uint(mem, addr, m, &v) < 0)
		return -1;
	if (m.size && m.size < 8 && (v >> (m.size * 8 - 1)) & 1)
		v |= ~0ull << (m.size * 8);
	*out = (int64_t)v;
	return 0;
}

/* A bitfield: M.bits bits from bit M.bit of the byte at its offset (it
 * may run into the next byte).  */
static inline int hi_member_bits(struct hi_mem *mem, uint64_t addr, struct hi_mbr m, unsigned *out)
{
	unsigned char b[2] = { 0, 0 };
	if (!hi_has(m) || hi_mem_read(mem, addr + m.off, b, m.size > 2 ? 2 : (m.size ? m.size : 1)) < 0)
		return -1;
	unsigned v = b[0] | (unsigned)b[1] << 8;
	*out = (v >> m.bit) & ((1u << m.bits) - 1);
	return 0;
}

#endif
