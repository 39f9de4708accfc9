/* lines.c: source lines from code objects' line tables (lines.h).  */
#include "config.h"
#include <stdlib.h>
#include "python/lines.h"
#include "python/member.h"

/* Bound on a line table read from the target: garbage beyond.  */
#define MAX_TABLE (1u << 20)

/* 3.8, 3.9: PyCode_Addr2Line over co_lnotab.  */
static int64_t lnotab(const unsigned char *p, size_t len, int64_t line, int64_t lasti)
{
	int64_t addr = 0;
	for (size_t i = 0; i + 1 < len; i += 2) {
		addr += p[i];
		if (addr > lasti)
			break;
		line += (signed char)p[i + 1];
	}
	return line;
}

/* 3.10: the address range holding LASTI; -128 as a line delta: no line. */
static int64_t linetable(const unsigned char *p, size_t len, int64_t line, int64_t lasti)
{
	int64_t start = 0;
	for (size_t i = 0; i + 1 < len; i += 2) {
		int64_t end = start + p[i];
		int ld = (signed char)p[i + 1];
		int64_t here = -1;
		if (ld != -128) {
			line += ld;
			here = line;
		}
		if (start <= lasti && lasti < end)
			return here;
		start = end;
	}
	return -1;
}

/* 3.11+: a location table's 6-bit varints.  */
static int varint(const unsigned char *p, size_t len, size_t *i, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;
	for (;;) {
		if (*i >= len || shift > 60)
			return -1;
		unsigned b = p[(*i)++];
		v |= (uint64_t)(b & 63) << shift;
		shift += 6;
		if (!(b & 64))
			break;
	}
	*out = v;
	return 0;
}

static int svarint(const unsigned char *p, size_t len, size_t *i, int64_t *out)
{
	uint64_t u;
	if (varint(p, len, i, &u) < 0)
		return -1;
	*out = u & 1 ? -(int64_t)(u >> 1) : (int64_t)(u >> 1);
	return 0;
}

/* 3.11+: each entry's first byte: 1, a 4-bit code, length - 1 in code
 * units.  Code 15: no location; 14: long form (line delta, end line,
 * columns as varints); 13: line delta only; 10-12: line delta code - 10
 * and two column bytes; 0-9: same line, one column byte.  */
static int64_t locations(const unsigned char *p, size_t len, int64_t line, int64_t lasti)
{
	int64_t start = 0;
	size_t i = 0;
	while (i < len) {
		unsigned first = p[i++];
		if (!(first & 128))
			return -1;	/* not an entry's first byte: garbage */
		unsigned code = (first >> 3) & 15;
		int64_t end = start + 2 * ((first & 7) + 1), delta = 0, here;
		uint64_t skip;
		switch (code) {
		case 15:
			delta = 0;
			break;
		case 14:
			if (svarint(p, len, &i, &delta) < 0 || varint(p, len, &i, &skip) < 0 ||
			    varint(p, len, &i, &skip) < 0 || varint(p, len, &i, &skip) < 0)
				return -1;
			break;
		case 13:
			if (svarint(p, len, &i, &delta) < 0)
				return -1;
			break;
		case 10:
		case 11:
		case 12:
			delta = code - 10;
			i += 2;
			break;
		default:
			i += 1;
			break;
		}
		line += delta;
		here = code == 15 ? -1 : line;
		if (start <= lasti && lasti < end)
			return here;
		start = end;
	}
	return -1;
}

int64_t hi_line_of(const unsigned char *table, size_t len, int format, int64_t firstlineno, int64_t lasti)
{
	if (lasti < 0)
		return firstlineno;
	switch (format) {
	case 0: return lnotab(table, len, firstlineno, lasti);
	case 1: return linetable(table, len, firstlineno, lasti);
	default: return locations(table, len, firstlineno, lasti);
	}
}

int64_t hi_py_code_line(struct hi_py *py, uint64_t code, int64_t lasti)
{
	const struct hi_layout *l = &py->l;
	int64_t first, len;
	uint64_t table;
	int format = hi_has(l->co_lnotab) ? 0 : hi_has(l->co_code_adaptive) ? 2 : 1;
	struct hi_mbr m = format == 0 ? l->co_lnotab : l->co_linetable;
	if (!hi_has(m) || hi_member_int(py->mem, code, l->co_firstlineno, &first) < 0)
		return -1;
	if (lasti < 0)
		return first;
	if (hi_member_ptr(py->mem, code, m, &table) < 0 || !table || !hi_py_is(py, table, HI_B_BYTES) ||
	    hi_member_int(py->mem, table, l->ob_size, &len) < 0 || len < 0 || len > MAX_TABLE)
		return -1;
	unsigned char *buf = malloc(len ? (size_t)len : 1);
	if (!buf)
		return -1;
	int64_t line = -1;
	if (hi_mem_read(py->mem, table + l->bytes_sval.off, buf, (size_t)len) == 0)
		line = hi_line_of(buf, (size_t)len, format, first, lasti);
	free(buf);
	return line;
}
