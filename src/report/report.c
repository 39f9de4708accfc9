/* report.c: see report.h.  */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "census/baseline.h"
#include "report/report.h"

/* Percent of PART in WHOLE as heapy prints it: int('%.0f' % (a*100.0/b)),
 * so halves round to even, exactly as printf's %.0f does.  */
int hi_report_percent(uint64_t part, uint64_t whole)
{
	char buf[32];
	if (!whole)
		return 0;
	snprintf(buf, sizeof buf, "%.0f", (double)part * 100.0 / (double)whole);
	return atoi(buf);
}

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

static void put_wrapped(FILE *out, const char *prefix, const char *name)
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

static const char *column_header(const struct hi_census *c)
{
	return c->by[0] == 't' ? " Index  Count   %     Size   % Cumulative  % Type"
			       : " Index  Count   %     Size   % Cumulative  % Kind (class / dict of class)";
}

/* Rows [START, ...) of ROWS: 10 and a "more" line when 12 or more remain,
 * else all of them (heapy's Printer).  Cumulative sizes count from row 0.
 * Returns the index after the last row printed.  */
static size_t put_rows(FILE *out, const struct hi_census *c, const struct hi_row *rows, size_t n, size_t start,
		       int all)
{
	size_t end = (!all && n - start >= 12) ? start + 10 : n;
	uint64_t cum = 0;
	for (size_t i = 0; i < start; i++)
		cum += rows[i].size;
	for (size_t i = start; i < end; i++) {
		char prefix[96];
		cum += rows[i].size;
		snprintf(prefix, sizeof prefix, "%6zu %6" PRIu64 " %3d %8" PRIu64 " %3d %9" PRIu64 " %3d ", i,
			 rows[i].count, hi_report_percent(rows[i].count, c->objects), rows[i].size,
			 hi_report_percent(rows[i].size, c->size), cum, hi_report_percent(cum, c->size));
		put_wrapped(out, prefix, rows[i].kind);
	}
	if (end < n)
		fprintf(out, "<%zu more rows. Type e.g. 'more' to view.>\n", n - end);
	return end;
}

int hi_report_table(FILE *out, const struct hi_census *c, int all)
{
	size_t n;
	struct hi_row *rows = hi_census_sorted(c, &n);
	if (!rows)
		return -1;
	fprintf(out, "Partition of a set of %" PRIu64 " object%s. Total size = %" PRIu64 " bytes.\n",
		c->objects, c->objects == 1 ? "" : "s", c->size);
	if (n) {	/* heapy prints the column header only above rows */
		fprintf(out, "%s\n", column_header(c));
		put_rows(out, c, rows, n, 0, all);
	}
	if (c->skipped)
		fprintf(out, "Partial: %" PRIu64 " pointers, objects or fields were skipped as inconsistent memory; see heap -v.\n",
			c->skipped);
	free(rows);
	return 0;
}

long hi_report_more(FILE *out, const struct hi_census *c, size_t start)
{
	size_t n;
	struct hi_row *rows = hi_census_sorted(c, &n);
	if (!rows)
		return -1;
	if (start >= n) {
		free(rows);
		return (long)n;
	}
	fprintf(out, "%s\n", column_header(c));
	size_t next = put_rows(out, c, rows, n, start, 0);
	free(rows);
	return (long)next;
}

/* A CSV field: quoted when it holds a comma, quote or line break.  */
void hi_csv_field(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

void hi_report_diff_table(FILE *out, const struct hi_diff *d, const char *what, int all)
{
	int64_t dobj = (int64_t)d->objects_b - (int64_t)d->objects_a;
	int64_t dsize = (int64_t)d->size_b - (int64_t)d->size_a;
	fprintf(out, "Difference from %s (A) to now (B).\n", what);
	fprintf(out, "A: %" PRIu64 " objects, %" PRIu64 " bytes.  B: %" PRIu64 " objects, %" PRIu64
		" bytes.  B-A: %+" PRId64 " objects, %+" PRId64 " bytes.\n",
		d->objects_a, d->size_a, d->objects_b, d->size_b, dobj, dsize);
	if (!d->n) {
		fputs("No kind changed.\n", out);
		return;
	}
	fputs(" Index   Count  dCount      Size      dSize Kind (class / dict of class)\n", out);
	size_t end = (!all && d->n >= 12) ? 10 : d->n;
	for (size_t i = 0; i < end; i++) {
		const struct hi_diff_row *r = &d->rows[i];
		fprintf(out, "%6zu %7" PRIu64 " %+7" PRId64 " %9" PRIu64 " %+10" PRId64 " %s\n", i, r->count_b,
			hi_diff_dcount(r), r->size_b, hi_diff_dsize(r), r->kind);
	}
	if (end < d->n)
		fprintf(out, "<%zu more rows. Type e.g. 'all' to view.>\n", d->n - end);
}

void hi_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		case '\r': fputs("\\r", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

