/* preview.h: a short look at one object, for `top`.
 *
 * A str or bytes: its length and its first characters, escaped exactly as
 * Python's ascii() and repr() escape them, so the text is printable and
 * safe for any terminal whatever the target holds; a container (list,
 * tuple, dict, set, frozenset, deque): its number of items; a numpy
 * array: its shape.  Everything is read from the target and bounded.  */
#ifndef HI_PREVIEW_H
#define HI_PREVIEW_H
#include <stddef.h>
#include <stdint.h>
#include "python/pyobj.h"

/* Characters (or bytes) of a str (or bytes) shown.  */
#define HI_PREVIEW_CHARS 32

enum hi_preview_what {
	HI_PV_NONE,	/* nothing to show */
	HI_PV_STR,	/* length in code points, text = ascii(s[:32]) */
	HI_PV_BYTES,	/* length in bytes, text = repr(b[:32]) */
	HI_PV_ITEMS,	/* length = len(container) */
	HI_PV_SHAPE,	/* text = repr(a.shape) */
};

struct hi_preview {
	enum hi_preview_what what;
	int64_t length;
	/* \U0010ffff is the longest escape: 10 bytes per character.  */
	char text[HI_PREVIEW_CHARS * 10 + 16];
};

/* Look at OBJ of type T.  Returns 0 (P->what may be HI_PV_NONE), or -1
 * when its memory did not add up (P->what is HI_PV_NONE).  */
int hi_preview(struct hi_py *py, uint64_t obj, struct hi_type *t, struct hi_preview *p);

/* P in words, for a table: "len 3000000 'abc'", "200000 items",
 * "shape (3, 4)", or "".  */
void hi_preview_format(const struct hi_preview *p, char *buf, size_t size);

/* Python's ascii() of the N code points CP (quotes included) into OUT,
 * and repr() of the N bytes B.  OUT must hold 10 * N + 4 bytes.  */
void hi_repr_str(const uint32_t *cp, size_t n, char *out);
void hi_repr_bytes(const unsigned char *b, size_t n, char *out);

#endif
