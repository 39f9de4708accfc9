/* view.c: tables drawn from described results (see view.h).  */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "report/view.h"

/* ---- heapy's line wrapping ----
 * heapy passes each row through Python's textwrap.wrap(row, width=100,
 * subsequent_indent=' ' * len(prefix)).  Only kind names that do not fit
 * wrap.  What follows is that algorithm: split into whitespace runs and
 * words (a word breaks after a hyphen between letters, as textwrap's
 * break_on_hyphens does), fill lines greedily, cut a word longer than a
 * line, drop whitespace at line ends and at the start of later lines.
 * Widths count code points, as Python's len() does.  */

struct chunk {
	size_t start, len;	/* bytes into the text */
};

static int is_letter(const char *t, size_t len, size_t i)
{
	unsigned char c = (unsigned char)t[i];
	if (i >= len)
		return 0;
	return c >= 0x80 || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* textwrap's hyphenated-word rule: break after the '-' at I when it is
 * preceded by two letters or by letter-hyphen-letter, and followed by a
 * letter, an optional hyphen and a letter.  */
static int hyphen_break(const char *t, size_t len, size_t i)
{
	if (t[i] != '-')
		return 0;
	int before = (i >= 2 && is_letter(t, len, i - 2) && is_letter(t, len, i - 1)) ||
		     (i >= 3 && is_letter(t, len, i - 3) && t[i - 2] == '-' && is_letter(t, len, i - 1));
	size_t j = i + 1;
	if (!is_letter(t, len, j))
		return 0;
	j++;
	if (j < len && t[j] == '-')
		j++;
	return before && is_letter(t, len, j);
}

static size_t cp_len(const char *t, size_t start, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)t[start + i] & 0xc0) != 0x80)
			k++;
	return k;
}

/* Bytes of the first N code points of T[start..start+len).  */
static size_t cp_bytes(const char *t, size_t start, size_t len, size_t n)
{
	size_t i = 0, k = 0;
	while (i < len) {
		if (((unsigned char)t[start + i] & 0xc0) != 0x80) {
			if (k == n)
				break;
			k++;
		}
		i++;
	}
	return i;
}

static int is_space_chunk(const char *t, struct chunk c)
{
	return c.len && t[c.start] == ' ';
}

void hi_view_wrapped(FILE *out, const char *prefix, const char *name)
{
	const size_t width_total = 100;
	size_t plen = strlen(prefix), nlen = strlen(name), len = plen + nlen;
	char *t = malloc(len + 1);
	struct chunk *ch = malloc((len + 1) * sizeof *ch);
	if (!t || !ch) {
		fprintf(out, "%s%s\n", prefix, name);
		free(t);
		free(ch);
		return;
	}
	memcpy(t, prefix, plen);
	memcpy(t + plen, name, nlen + 1);
	for (size_t i = 0; i < len; i++)
		if (t[i] == '\t' || t[i] == '\n' || t[i] == '\r' || t[i] == '\v' || t[i] == '\f')
			t[i] = ' ';
	size_t n = 0;
	for (size_t i = 0; i < len;) {
		size_t j = i;
		if (t[i] == ' ') {
			while (j < len && t[j] == ' ')
				j++;
		} else {
			while (j < len && t[j] != ' ') {
				if (hyphen_break(t, len, j)) {
					j++;
					break;
				}
				j++;
			}
		}
		ch[n++] = (struct chunk){ i, j - i };
		i = j;
	}
	size_t indent = cp_len(prefix, 0, plen), k = 0;
	int lines = 0;
	while (k < n) {
		size_t ind = lines ? indent : 0;
		size_t width = width_total > ind ? width_total - ind : 0;
		if (lines && is_space_chunk(t, ch[k]))
			k++;
		size_t first = k, cur = 0;
		struct chunk part = { 0, 0 };
		while (k < n && cur + cp_len(t, ch[k].start, ch[k].len) <= width) {
			cur += cp_len(t, ch[k].start, ch[k].len);
			k++;
		}
		if (k < n && cp_len(t, ch[k].start, ch[k].len) > width) {
			/* A word longer than a line: take what fits, preferring to
			 * cut after a hyphen.  */
			size_t space_left = width < 1 ? 1 : width - cur;
			size_t end = cp_bytes(t, ch[k].start, ch[k].len, space_left);
			for (size_t h = end; h-- > 1;)
				if (t[ch[k].start + h] == '-') {
					size_t x;
					for (x = 0; x < h && t[ch[k].start + x] == '-'; x++)
						;
					if (x < h)
						end = h + 1;
					break;
				}
			part = (struct chunk){ ch[k].start, end };
			ch[k].start += end;
			ch[k].len -= end;
		}
		size_t last = k;	/* whole chunks [first, last) then PART */
		if (!part.len && last > first && is_space_chunk(t, ch[last - 1]))
			last--;
		if (last > first || part.len) {
			fprintf(out, "%*s", (int)ind, "");
			for (size_t i = first; i < last; i++)
				fwrite(t + ch[i].start, 1, ch[i].len, out);
			fwrite(t + part.start, 1, part.len, out);
			fputc('\n', out);
			lines++;
		}
		if (k < n && ch[k].len == 0)
			k++;
	}
	free(t);
	free(ch);
}

/* ---- reading the description ---- */

Tcl_Obj *hi_view_get(Tcl_Obj *v, const char *path)
{
	char key[64];
	while (v && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof key)
			return NULL;
		memcpy(key, path, n);
		key[n] = 0;
		Tcl_Obj *k = Tcl_NewStringObj(key, (int)n), *x = NULL;
		Tcl_IncrRefCount(k);
		if (Tcl_DictObjGet(NULL, v, k, &x) != TCL_OK)
			x = NULL;
		Tcl_DecrRefCount(k);
		v = x;
		path += n;
		if (*path == '.')
			path++;
	}
	return v;
}

int64_t hi_view_int(Tcl_Obj *v, const char *path)
{
	Tcl_Obj *x = hi_view_get(v, path);
	Tcl_WideInt w;
	return x && Tcl_GetWideIntFromObj(NULL, x, &w) == TCL_OK ? (int64_t)w : 0;
}

const char *hi_view_str(Tcl_Obj *v, const char *path)
{
	Tcl_Obj *x = hi_view_get(v, path);
	return x ? Tcl_GetString(x) : "";
}

size_t hi_view_len(Tcl_Obj *v, const char *path)
{
	Tcl_Obj *x = hi_view_get(v, path);
	int n;
	return x && Tcl_ListObjLength(NULL, x, &n) == TCL_OK ? (size_t)n : 0;
}

int hi_view_list(Tcl_Obj *v, const char *path, Tcl_Obj ***items)
{
	Tcl_Obj *x = hi_view_get(v, path);
	int n = 0;
	*items = NULL;
	if (!x || Tcl_ListObjGetElements(NULL, x, &n, items) != TCL_OK)
		n = 0;
	return n;
}

/* ---- drawing ---- */

/* Column C of record R as text, at its width, into OUT.  */
static void cell(FILE *out, Tcl_Obj *r, const struct hi_column *c)
{
	Tcl_Obj *x = hi_view_get(r, c->key);
	const char *text;
	char num[32];
	if (c->when_true) {
		int b = 0;
		if (x && Tcl_GetBooleanFromObj(NULL, x, &b) != TCL_OK)
			b = 0;
		text = b ? c->when_true : (c->when_false ? c->when_false : "");
	} else if (!x) {
		text = c->when_false ? c->when_false : "";
	} else if (c->flags & HI_COL_SIGNED) {
		Tcl_WideInt w = 0;
		Tcl_GetWideIntFromObj(NULL, x, &w);
		snprintf(num, sizeof num, "%+" PRId64, (int64_t)w);
		text = num;
	} else {
		text = Tcl_GetString(x);
	}
	fprintf(out, "%*s", c->width, text);
}

/* One row: its columns separated by a space, the last one wrapped as
 * heapy wraps or the line's trailing blanks dropped.  */
static void row(FILE *out, Tcl_Obj *r, const struct hi_column *cols)
{
	char *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);
	if (!f)
		return;
	const struct hi_column *c;
	for (c = cols; c->key; c++) {
		if ((c->flags & HI_COL_WRAP) && !c[1].key)
			break;
		cell(f, r, c);
		if (c[1].key)
			fputc(' ', f);
	}
	if (fclose(f) != 0) {
		free(line);
		return;
	}
	if (c->key) {
		hi_view_wrapped(out, line, hi_view_str(r, c->key));
	} else {
		while (len && line[len - 1] == ' ')
			len--;
		fwrite(line, 1, len, out);
		fputc('\n', out);
	}
	free(line);
}

/* Rows from START on, with BEFORE and AFTER when WHOLE.  */
static size_t draw(FILE *out, Tcl_Obj *v, const struct hi_view *view, size_t start, int all, int whole)
{
	Tcl_Obj **recs = NULL;
	int n = view->list ? hi_view_list(v, view->list, &recs) : 0;
	if (whole && view->before)
		view->before(out, v, all);
	size_t end = view->columns ? (size_t)n : 0;
	if (start < end) {
		if (view->more && !all && end - start >= 12)
			end = start + 10;
		if (view->heading)
			fprintf(out, "%s\n", view->heading);
		for (size_t i = start; i < end; i++)
			row(out, recs[i], view->columns);
		if (end < (size_t)n)
			fprintf(out, "<%zu more rows. Type e.g. '%s' to view.>\n", (size_t)n - end, view->more);
	}
	if (whole && view->after)
		view->after(out, v, all);
	return end > start ? end : start;
}

size_t hi_view_render(FILE *out, Tcl_Obj *v, const struct hi_view *view, int all)
{
	return draw(out, v, view, 0, all, 1);
}

size_t hi_view_more(FILE *out, Tcl_Obj *v, const struct hi_view *view, size_t start)
{
	return draw(out, v, view, start, 0, 0);
}
