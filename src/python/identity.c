/* identity.c: see identity.h.  */
#include "config.h"
#include <string.h>
#include "python/identity.h"
#include "util/hash.h"

/* How many bytes of contents the digest looks at: enough to tell objects
 * apart in practice, bounded so a huge str costs no more than a small one. */
#define DIGEST_MAX 256

static uint64_t mix_mem(struct hi_py *py, uint64_t h, uint64_t addr, size_t len)
{
	unsigned char buf[DIGEST_MAX];
	if (len > sizeof buf)
		len = sizeof buf;
	if (hi_mem_read(py->mem, addr, buf, len) < 0)
		return hi_hash_mix(h, "?", 1);
	return hi_hash_mix(h, buf, len);
}

uint64_t hi_identity_key(struct hi_py *py, uint64_t obj, struct hi_type *t)
{
	const struct hi_layout *l = &py->l;
	uint64_t h = hi_hash_mix(HI_HASH64_INIT, &t->addr, sizeof t->addr);
	int64_t n = 0;
	switch (t->family) {
	case HI_B_STR: {
		char buf[DIGEST_MAX];
		ssize_t len = hi_py_str(py, obj, buf, sizeof buf);
		hi_mem_i64(py->mem, obj + l->str_length.off, &n);
		h = hi_hash_mix(h, &n, sizeof n);
		if (len > 0)
			h = hi_hash_mix(h, buf, (size_t)len);
		break;
	}
	case HI_B_BYTES:
		/* Not ob_shash: it is filled in lazily and would change.  */
		if (hi_mem_i64(py->mem, obj + l->ob_size.off, &n) == 0 && n >= 0) {
			h = hi_hash_mix(h, &n, sizeof n);
			h = mix_mem(py, h, obj + l->bytes_sval.off, (size_t)n);
		}
		break;
	case HI_B_INT:
	case HI_B_BOOL: {
		/* The size or tag word, then the digits it says there are (no
		 * further: past them lies the next object).  */
		uint64_t word, ndig, digit = l->long_digit.elem ? l->long_digit.elem : 4;
		uint64_t at = hi_has(l->long_lv_tag) ? obj + l->long_lv_tag.off : obj + l->ob_size.off;
		if (hi_mem_u64(py->mem, at, &word) < 0)
			break;
		h = hi_hash_mix(h, &word, sizeof word);
		if (hi_has(l->long_lv_tag))
			ndig = word >> 3;
		else
			ndig = (int64_t)word < 0 ? -(word) : word;
		if (ndig == 0)
			ndig = 1;	/* zero still has its digit slot */
		h = mix_mem(py, h, obj + l->long_digit.off, (size_t)(ndig < 8 ? ndig : 8) * digit);
		break;
	}
	case HI_B_FLOAT:
		h = mix_mem(py, h, obj + l->float_val.off, 8);
		break;
	case HI_B_COMPLEX:
		h = mix_mem(py, h, obj + l->complex_val.off, 16);
		break;
	case HI_B_TUPLE:
		if (hi_mem_i64(py->mem, obj + l->ob_size.off, &n) == 0 && n >= 0) {
			h = hi_hash_mix(h, &n, sizeof n);
			h = mix_mem(py, h, obj + l->tuple_items.off, (size_t)n * 8);
		}
		break;
	case HI_B_CODE:
		/* Its name and file (as object addresses) and first line.  */
		if (hi_has(l->co_name))
			h = mix_mem(py, h, obj + l->co_name.off, 8);
		if (hi_has(l->co_filename))
			h = mix_mem(py, h, obj + l->co_filename.off, 8);
		if (hi_has(l->co_firstlineno))
			h = mix_mem(py, h, obj + l->co_firstlineno.off, 4);
		break;
	default:
		break;
	}
	return h ? h : 1;
}
