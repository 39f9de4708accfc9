/* text.c: control characters out of everything heapinspect prints.  */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/text.h"

size_t hi_text_next(const unsigned char *p, size_t avail, int *bad)
{
	*bad = 0;
	if (!avail)
		return 0;
	unsigned char b = p[0];
	if (b < 0x80) {
		*bad = b < 0x20 || b == 0x7f;
		return 1;
	}
	/* The length the lead byte announces, and the range of the second
	 * byte that keeps the sequence shortest-form and below U+110000,
	 * outside the surrogates.  */
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;
	if (b >= 0xc2 && b <= 0xdf)
		len = 2;
	else if (b >= 0xe0 && b <= 0xef) {
		len = 3;
		if (b == 0xe0)
			lo = 0xa0;
		else if (b == 0xed)
			hi = 0x9f;
	} else if (b >= 0xf0 && b <= 0xf4) {
		len = 4;
		if (b == 0xf0)
			lo = 0x90;
		else if (b == 0xf4)
			hi = 0x8f;
	} else {
		*bad = 1;	/* a continuation byte or an invalid lead */
		return 1;
	}
	for (size_t i = 1; i < len; i++) {
		if (i >= avail)
			return 0;	/* cut: decided when more comes */
		unsigned char c = p[i];
		if (c < (i == 1 ? lo : 0x80) || c > (i == 1 ? hi : 0xbf)) {
			*bad = 1;
			return 1;
		}
	}
	*bad = b == 0xc2 && p[1] <= 0x9f;	/* C1 */
	return len;
}

char *hi_text_escape(char *dst, size_t size, const char *src, int keep_lines)
{
	if (!size)
		return dst;
	size_t o = 0, avail = strlen(src);
	const unsigned char *p = (const unsigned char *)src;
	while (avail) {
		int bad;
		size_t n = hi_text_next(p, avail, &bad);
		if (!n) {
			n = 1;	/* cut at the end of the string: invalid */
			bad = 1;
		}
		char esc[12];
		const char *from = esc;
		size_t elen;
		if (!bad || (keep_lines && (*p == '\n' || *p == '\t'))) {
			from = (const char *)p;
			elen = n;
		} else if (*p == '\n') {
			elen = (size_t)snprintf(esc, sizeof esc, "\\n");
		} else if (*p == '\t') {
			elen = (size_t)snprintf(esc, sizeof esc, "\\t");
		} else if (*p == 0x1b) {
			elen = (size_t)snprintf(esc, sizeof esc, "\\e");
		} else if (n == 2) {
			elen = (size_t)snprintf(esc, sizeof esc, "\\u%04x", p[1]);
		} else {
			elen = (size_t)snprintf(esc, sizeof esc, "\\x%02x", *p);
		}
		if (o + elen >= size)
			break;
		memcpy(dst + o, from, elen);
		o += elen;
		p += n;
		avail -= n;
	}
	dst[o] = '\0';
	return dst;
}

char *hi_text_escape_dup(const char *s)
{
	/* The longest escape, \u0085, is six bytes for two; \xNN four for one. */
	size_t size = strlen(s) * 4 + 1;
	char *e = malloc(size);
	if (e)
		hi_text_escape(e, size, s, 1);
	return e ? e : strdup("(out of memory)");
}

static void clean(unsigned char *p, size_t avail, int keep_lines)
{
	while (avail) {
		int bad;
		size_t n = hi_text_next(p, avail, &bad);
		if (!n) {
			n = 1;
			bad = 1;
		}
		if (bad && !(keep_lines && (*p == '\n' || *p == '\t' || *p == '\r')))
			memset(p, '?', n);
		p += n;
		avail -= n;
	}
}

void hi_text_sanitize(char *s)
{
	clean((unsigned char *)s, strlen(s), 0);
}

void hi_text_clean_lines(char *s, size_t len)
{
	clean((unsigned char *)s, len, 1);
}
