/* report.c: see report.h.  */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"

/* Percent of PART in WHOLE as heapy prints it: int('%.0f' % (a*100.0/b)),
 * so halves round to even, exactly as printf's %.0f does.  */
static int percent(uint64_t part, uint64_t whole)
{
	char buf[32];
	if (!whole)
		return 0;
	snprintf(buf, sizeof buf, "%.0f", (double)part * 100.0 / (double)whole);
	return atoi(buf);
}

/* heapy passes each row through textwrap.wrap(width=100,
 * subsequent_indent=45 spaces): only kind names over 55 characters wrap.
 * Break after a space or hyphen where one fits, else hard at the width.  */
static void put_wrapped(FILE *out, const char *prefix, const char *name)
{
	const int width = 100, indent = 45;
	size_t plen = strlen(prefix), nlen = strlen(name);
	if (plen + nlen <= (size_t)width) {
		fprintf(out, "%s%s\n", prefix, name);
		return;
	}
	fputs(prefix, out);
	size_t room = width - plen, pos = 0;
	while (nlen - pos > room) {
		size_t cut = 0;
		for (size_t i = room; i > 0; i--)
			if (name[pos + i - 1] == '-' || name[pos + i - 1] == ' ') {
				cut = i;
				break;
			}
		if (!cut)
			cut = room;
		size_t keep = cut;
		while (keep > 0 && name[pos + keep - 1] == ' ')
			keep--;
		fprintf(out, "%.*s\n%*s", (int)keep, name + pos, indent, "");
		pos += cut;
		while (name[pos] == ' ')
			pos++;
		room = width - indent;
	}
	fprintf(out, "%s\n", name + pos);
}

int hi_report_table(FILE *out, const struct hi_census *c, int all)
{
	size_t n;
	struct hi_row *rows = hi_census_sorted(c, &n);
	if (!rows)
		return -1;
	int by_type = c->by[0] == 't';
	fprintf(out, "Partition of a set of %" PRIu64 " object%s. Total size = %" PRIu64 " bytes.\n",
		c->objects, c->objects == 1 ? "" : "s", c->size);
	fprintf(out, " Index  Count   %%     Size   %% Cumulative  %% %s\n",
		by_type ? "Type" : "Kind (class / dict of class)");
	size_t shown = (!all && n >= 12) ? 10 : n;
	uint64_t cum = 0;
	for (size_t i = 0; i < shown; i++) {
		char prefix[96];
		cum += rows[i].size;
		snprintf(prefix, sizeof prefix, "%6zu %6" PRIu64 " %3d %8" PRIu64 " %3d %9" PRIu64 " %3d ", i,
			 rows[i].count, percent(rows[i].count, c->objects), rows[i].size,
			 percent(rows[i].size, c->size), cum, percent(cum, c->size));
		put_wrapped(out, prefix, rows[i].kind);
	}
	if (shown < n)
		fprintf(out, "<%zu more rows. Type e.g. 'heap -all' to view.>\n", n - shown);
	free(rows);
	return 0;
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

int hi_report_json(FILE *out, const struct hi_census *c, pid_t pid, const char *python)
{
	size_t n;
	struct hi_row *rows = hi_census_sorted(c, &n);
	if (!rows)
		return -1;
	fprintf(out, "{\"pid\": %d, \"python\": ", (int)pid);
	hi_json_string(out, python ? python : "");
	fprintf(out, ", \"objects\": %" PRIu64 ", \"size\": %" PRIu64 ", \"by\": ", c->objects, c->size);
	hi_json_string(out, c->by);
	fputs(", \"rows\": [", out);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", {\"kind\": " : "{\"kind\": ", out);
		hi_json_string(out, rows[i].kind);
		fprintf(out, ", \"count\": %" PRIu64 ", \"size\": %" PRIu64 "}", rows[i].count, rows[i].size);
	}
	fputs("]}\n", out);
	free(rows);
	return 0;
}
