/* preview.c: see preview.h.  */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "python/numpy.h"
#include "python/preview.h"

/* Python's quote choice (unicode_repr, bytes_repr): single quotes, unless
 * the text has a single quote and no double quote.  */
static char pick_quote(int squote, int dquote)
{
	return squote && !dquote ? '"' : '\'';
}

/* One character as repr escapes it, after the quote was chosen.  */
static char *put_escaped(char *o, uint32_t c, char quote)
{
	static const char hex[] = "0123456789abcdef";
	if (c == (uint32_t)quote || c == '\\') {
		*o++ = '\\';
		*o++ = (char)c;
	} else if (c == '\t' || c == '\n' || c == '\r') {
		*o++ = '\\';
		*o++ = c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
	} else if (c >= 0x20 && c < 0x7f) {
		*o++ = (char)c;
	} else if (c < 0x100) {
		o += sprintf(o, "\\x%c%c", hex[c >> 4], hex[c & 15]);
	} else if (c < 0x10000) {
		o += sprintf(o, "\\u%04x", c);
	} else {
		o += sprintf(o, "\\U%08x", c);
	}
	return o;
}

void hi_repr_str(const uint32_t *cp, size_t n, char *out)
{
	int sq = 0, dq = 0;
	for (size_t i = 0; i < n; i++) {
		sq |= cp[i] == '\'';
		dq |= cp[i] == '"';
	}
	char quote = pick_quote(sq, dq), *o = out;
	*o++ = quote;
	for (size_t i = 0; i < n; i++)
		o = put_escaped(o, cp[i] > 0x10ffff ? 0xfffd : cp[i], quote);
	*o++ = quote;
	*o = '\0';
}

void hi_repr_bytes(const unsigned char *b, size_t n, char *out)
{
	int sq = memchr(b, '\'', n) != NULL, dq = memchr(b, '"', n) != NULL;
	char quote = pick_quote(sq, dq), *o = out;
	*o++ = 'b';
	*o++ = quote;
	for (size_t i = 0; i < n; i++)
		o = put_escaped(o, b[i], quote);	/* 0x7f..0xff: \xhh */
	*o++ = quote;
	*o = '\0';
}

static int read_count(struct hi_py *py, uint64_t obj, struct hi_mbr m, int64_t *out)
{
	if (!hi_has(m) || hi_mem_i64(py->mem, obj + m.off, out) < 0 || *out < 0 || *out > (1ll << 40))
		return -1;
	return 0;
}

int hi_preview(struct hi_py *py, uint64_t obj, struct hi_type *t, struct hi_preview *p)
{
	const struct hi_layout *l = &py->l;
	p->what = HI_PV_NONE;
	p->length = 0;
	p->text[0] = '\0';
	switch (t->family) {
	case HI_B_STR: {
		uint32_t cp[HI_PREVIEW_CHARS];
		size_t got;
		int64_t len = hi_py_str_chars(py, obj, cp, HI_PREVIEW_CHARS, &got);
		if (len < 0)
			return -1;
		p->length = len;
		hi_repr_str(cp, got, p->text);
		p->what = HI_PV_STR;
		return 0;
	}
	case HI_B_BYTES: {
		unsigned char b[HI_PREVIEW_CHARS];
		int64_t len;
		if (read_count(py, obj, l->ob_size, &len) < 0)
			return -1;
		size_t n = len < HI_PREVIEW_CHARS ? (size_t)len : HI_PREVIEW_CHARS;
		if (n && hi_mem_read(py->mem, obj + l->bytes_sval.off, b, n) < 0)
			return -1;
		p->length = len;
		hi_repr_bytes(b, n, p->text);
		p->what = HI_PV_BYTES;
		return 0;
	}
	case HI_B_LIST: case HI_B_TUPLE: case HI_B_DEQUE:
		if (read_count(py, obj, l->ob_size, &p->length) < 0)
			return -1;
		p->what = HI_PV_ITEMS;
		return 0;
	case HI_B_DICT: case HI_B_ODICT:
		if (read_count(py, obj, l->ma_used, &p->length) < 0)
			return -1;
		p->what = HI_PV_ITEMS;
		return 0;
	case HI_B_SET: case HI_B_FROZENSET:
		if (read_count(py, obj, l->set_used, &p->length) < 0)
			return -1;
		p->what = HI_PV_ITEMS;
		return 0;
	case HI_B_NDARRAY: {
		struct hi_np_array a;
		if (hi_np_array(py, obj, t, &a) < 0)
			return -1;
		hi_np_shape_str(&a, p->text, sizeof p->text);
		p->length = a.nd;
		p->what = HI_PV_SHAPE;
		return 0;
	}
	default:
		return 0;
	}
}

void hi_preview_format(const struct hi_preview *p, char *buf, size_t size)
{
	switch (p->what) {
	case HI_PV_STR:
	case HI_PV_BYTES:
		snprintf(buf, size, "len %lld %s", (long long)p->length, p->text);
		break;
	case HI_PV_ITEMS:
		snprintf(buf, size, "%lld item%s", (long long)p->length, p->length == 1 ? "" : "s");
		break;
	case HI_PV_SHAPE:
		snprintf(buf, size, "shape %s", p->text);
		break;
	default:
		if (size)
			buf[0] = '\0';
	}
}
