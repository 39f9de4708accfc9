/* watchfile.c: see watchfile.h.  */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "util/error.h"
#include "util/infile.h"
#include "report/report.h"
#include "report/watchfile.h"

/* ---- writing ---- */

void hi_watchfile_header(FILE *out)
{
	fputs(HI_WATCH_HEADER "\n", out);
}

void hi_watchfile_time(char *buf, size_t size, const struct timespec *wall)
{
	struct tm tm;
	char date[32], zone[8];
	time_t t = wall->tv_sec;
	localtime_r(&t, &tm);
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof zone, "%z", &tm);	/* "+0100" -> "+01:00" */
	snprintf(buf, size, "%s.%03ld%.3s:%.2s", date, wall->tv_nsec / 1000000, zone, zone + 3);
}

/* Where a row belongs: its sample's number, wall time and seconds.  */
struct stamp {
	unsigned long index;
	char when[64];
	double seconds;
};

static void stamp_of(struct stamp *t, unsigned long index, const struct timespec *wall, double seconds)
{
	t->index = index;
	hi_watchfile_time(t->when, sizeof t->when, wall);
	t->seconds = seconds;
}

static void row(FILE *out, const struct stamp *t, const char *series, const char *kind, const char *value)
{
	fprintf(out, "%lu,%s,%.3f,%s,", t->index, t->when, t->seconds, series);
	hi_csv_field(out, kind);
	fprintf(out, ",%s\n", value);
}

static void row_u64(FILE *out, const struct stamp *t, const char *series, const char *kind, uint64_t v)
{
	char value[32];
	snprintf(value, sizeof value, "%" PRIu64, v);
	row(out, t, series, kind, value);
}

/* Kind NAME's rows in every sample H keeps before INDEX: 0 where a
 * census lacked it.  */
static void history_rows(FILE *out, struct hi_watch_history *h, unsigned long index, const char *name)
{
	uint32_t id = hi_census_kind(&h->names, name);
	for (size_t i = h->first; i < h->n && h->s[i].index < index; i++) {
		const struct hi_watch_past *p = &h->s[i];
		uint64_t count = 0, bytes = 0;
		for (size_t k = 0; k < p->n; k++)
			if (p->kind[k] == id) {
				count = p->count[k];
				bytes = p->bytes[k];
				break;
			}
		struct stamp t;
		stamp_of(&t, p->index, &p->wall, p->seconds);
		row_u64(out, &t, HI_SERIES_KIND, name, bytes);
		row_u64(out, &t, HI_SERIES_KIND_COUNT, name, count);
	}
}

void hi_watchfile_sample(FILE *out, const struct hi_watch_sample *s, struct hi_watch_history *h)
{
	char value[32];
	struct stamp t;
	stamp_of(&t, s->index, &s->wall, s->seconds);
	row_u64(out, &t, HI_SERIES_RSS, "", s->mem.rss);
	row_u64(out, &t, HI_SERIES_PSS, "", s->mem.pss);
	row_u64(out, &t, HI_SERIES_SWAP, "", s->mem.swap);
	row_u64(out, &t, HI_SERIES_OBJECTS, "", s->objects);
	row_u64(out, &t, HI_SERIES_BYTES, "", s->bytes);
	snprintf(value, sizeof value, "%.3f", s->pause_ms);
	row(out, &t, HI_SERIES_PAUSE, "", value);
	for (size_t i = 0; i < s->nkinds; i++) {
		if (s->kinds[i].first && h)
			history_rows(out, h, s->index, s->kinds[i].name);
		row_u64(out, &t, HI_SERIES_KIND, s->kinds[i].name, s->kinds[i].bytes);
		row_u64(out, &t, HI_SERIES_KIND_COUNT, s->kinds[i].name, s->kinds[i].count);
	}
}

/* ---- the history of every kind ---- */

static void past_free(struct hi_watch_past *p)
{
	free(p->kind);
	free(p->count);
	free(p->bytes);
}

int hi_watch_history_add(struct hi_watch_history *h, const struct hi_watch_sample *s, const struct hi_census *c)
{
	size_t n = hi_census_nonempty(c);
	/* Over the bound: the oldest samples go.  */
	while (h->first < h->n && h->entries + n > HI_WATCH_HISTORY_ENTRIES) {
		h->entries -= h->s[h->first].n;
		past_free(&h->s[h->first++]);
	}
	if (h->first && h->first == h->n)
		h->first = h->n = 0;
	if (h->n == h->cap) {
		if (h->first) {	/* room at the front: move down */
			memmove(h->s, h->s + h->first, (h->n - h->first) * sizeof *h->s);
			h->n -= h->first;
			h->first = 0;
		} else {
			size_t cap = h->cap ? 2 * h->cap : 64;
			struct hi_watch_past *np = realloc(h->s, cap * sizeof *np);
			if (!np)
				return -1;
			h->s = np;
			h->cap = cap;
		}
	}
	struct hi_watch_past *p = &h->s[h->n];
	*p = (struct hi_watch_past){ s->index, s->wall, s->seconds, 0, NULL, NULL, NULL };
	p->kind = malloc((n ? n : 1) * sizeof *p->kind);
	p->count = malloc((n ? n : 1) * sizeof *p->count);
	p->bytes = malloc((n ? n : 1) * sizeof *p->bytes);
	if (!p->kind || !p->count || !p->bytes) {
		past_free(p);
		return -1;
	}
	for (size_t i = 0; i < c->nrows; i++) {
		if (!c->rows[i].count)
			continue;
		uint32_t id = hi_census_kind(&h->names, c->rows[i].kind);
		if (id == UINT32_MAX) {
			past_free(p);
			return -1;
		}
		p->kind[p->n] = id;
		p->count[p->n] = c->rows[i].count;
		p->bytes[p->n] = c->rows[i].size;
		p->n++;
	}
	h->entries += p->n;
	h->n++;
	return 0;
}

void hi_watch_history_free(struct hi_watch_history *h)
{
	for (size_t i = h->first; i < h->n; i++)
		past_free(&h->s[i]);
	free(h->s);
	hi_census_free(&h->names);
	memset(h, 0, sizeof *h);
}

/* ---- which kinds a sample writes ---- */

static int sticky_has(const struct hi_watch_sticky *k, const char *name)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->name[i], name) == 0)
			return 1;
	return 0;
}

void hi_watch_sticky_free(struct hi_watch_sticky *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->name[i]);
	free(k->name);
	hi_census_free(&k->written);
	memset(k, 0, sizeof *k);
}

void hi_watch_kinds_free(struct hi_watch_kind *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)k[i].name);
	free(k);
}

/* Add kind NAME to W: said to be first if no sample wrote it before.  */
static int add_kind(struct hi_watch_kind *w, size_t *n, struct hi_watch_sticky *sticky, const char *name,
		    uint64_t bytes, uint64_t count)
{
	size_t known = sticky->written.nrows;
	char *copy = strdup(name);
	if (!copy || hi_census_kind(&sticky->written, name) == UINT32_MAX) {
		free(copy);
		return -1;
	}
	w[(*n)++] = (struct hi_watch_kind){ copy, bytes, count, sticky->written.nrows > known };
	return 0;
}

static int add_sticky(struct hi_watch_sticky *k, const char *name)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 16;
		char **p = realloc(k->name, cap * sizeof *p);
		if (!p)
			return -1;
		k->name = p;
		k->cap = cap;
	}
	if (!(k->name[k->n] = strdup(name)))
		return -1;
	k->n++;
	return 0;
}

int hi_watch_pick_kinds(struct hi_census *c, size_t top, struct hi_watch_sticky *sticky, struct hi_watch_kind **out,
			size_t *nout)
{
	size_t nrows, n = 0;
	struct hi_row *rows = hi_census_sorted(c, &nrows);
	size_t ntop = nrows < top ? nrows : top;
	struct hi_watch_kind *w = malloc((ntop + sticky->n + 1) * sizeof *w);
	if (!rows || !w)
		goto oom;
	for (size_t i = 0; i < ntop; i++) {
		if (add_kind(w, &n, sticky, rows[i].kind, rows[i].size, rows[i].count) < 0)
			goto oom;
		if (!sticky_has(sticky, rows[i].kind) && sticky->n < HI_WATCH_STICKY_PER_TOP * top &&
		    add_sticky(sticky, rows[i].kind) < 0)
			goto oom;
	}
	for (size_t i = 0; i < sticky->n; i++) {
		int listed = 0;
		for (size_t j = 0; j < ntop && !listed; j++)
			listed = strcmp(rows[j].kind, sticky->name[i]) == 0;
		if (listed)
			continue;
		/* A kind this census lacks is added to it, with no objects. */
		uint32_t id = hi_census_kind(c, sticky->name[i]);
		if (id == UINT32_MAX || add_kind(w, &n, sticky, sticky->name[i], c->rows[id].size, c->rows[id].count) < 0)
			goto oom;
	}
	free(rows);
	*out = w;
	*nout = n;
	return 0;
oom:
	free(rows);
	if (w)
		hi_watch_kinds_free(w, n);
	return -1;
}

/* ---- reading ---- */

#define NFIELDS 6

struct reader {
	FILE *f;
	const char *path;
	unsigned long line;	/* of the character read last */
	char *field[NFIELDS];	/* this record's fields */
	size_t len[NFIELDS], cap[NFIELDS];
	int nfields;
};

/* "FILE:LINE: what" (printf format), and -1.  */
static int bad(struct reader *r, unsigned long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int bad(struct reader *r, unsigned long line, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	hi_error("%s:%lu: %s", r->path, line, what);
	return -1;
}

static int put(struct reader *r, int c)
{
	if (r->nfields > NFIELDS)
		return 0;	/* too many fields: counted, not kept */
	int k = r->nfields - 1;
	if (r->len[k] + 2 > r->cap[k]) {
		size_t cap = r->cap[k] ? 2 * r->cap[k] : 64;
		char *p = realloc(r->field[k], cap);
		if (!p) {
			hi_error("out of memory");
			return -1;
		}
		r->field[k] = p;
		r->cap[k] = cap;
	}
	r->field[k][r->len[k]++] = (char)c;
	r->field[k][r->len[k]] = '\0';
	return 0;
}

static void new_field(struct reader *r)
{
	r->nfields++;
	if (r->nfields <= NFIELDS) {
		r->len[r->nfields - 1] = 0;
		if (r->field[r->nfields - 1])
			r->field[r->nfields - 1][0] = '\0';
	}
}

/* Read one record (RFC 4180: quoted fields may hold commas, quotes
 * doubled, and line breaks; records end with LF or CRLF).  Returns 1 with
 * a record, 0 at the end of the file, -1 on an error.  *START gets the
 * line the record starts on.  */
static int next_record(struct reader *r, unsigned long *start)
{
	int c = getc(r->f);
	if (c == EOF)
		return ferror(r->f) ? bad(r, r->line + 1, "cannot read: %s", strerror(errno)) : 0;
	*start = ++r->line;
	r->nfields = 0;
	new_field(r);
	int quoted = 0, after_quote = 0;
	for (;; c = getc(r->f)) {
		if (c == EOF) {
			if (ferror(r->f))
				return bad(r, r->line, "cannot read: %s", strerror(errno));
			if (quoted)
				return bad(r, *start, "%s", "a quoted field is never closed");
			return 1;
		}
		if (c == '\0')
			return bad(r, r->line, "%s", "a NUL byte: not a text file");
		if (quoted) {
			if (c == '"') {
				int d = getc(r->f);
				if (d == '"') {
					if (put(r, '"') < 0)
						return -1;
					continue;
				}
				ungetc(d, r->f);
				quoted = 0;
				after_quote = 1;
				continue;
			}
			if (c == '\n')
				r->line++;
			if (put(r, c) < 0)
				return -1;
			continue;
		}
		if (c == '\r') {
			int d = getc(r->f);
			if (d == '\n')
				return 1;
			ungetc(d, r->f);
			return bad(r, r->line, "%s", "a carriage return inside a record");
		}
		if (c == '\n')
			return 1;
		if (c == ',') {
			new_field(r);
			after_quote = 0;
			continue;
		}
		if (after_quote)
			return bad(r, r->line, "%s", "text after the closing quote of a field");
		if (c == '"') {
			if (r->nfields <= NFIELDS && r->len[r->nfields - 1] != 0)
				return bad(r, r->line, "%s", "a quote inside an unquoted field");
			quoted = 1;
			continue;
		}
		if (put(r, c) < 0)
			return -1;
	}
}

static const char *field(struct reader *r, int k)
{
	return r->field[k] ? r->field[k] : "";
}

static int parse_number(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (!*s || end == s || *end || errno || !isfinite(v) || v < 0)
		return -1;
	*out = v;
	return 0;
}

struct hi_watch_series *hi_watchfile_find(const struct hi_watch_data *d, const char *series, const char *kind)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->s[i].series, series) == 0 && strcmp(d->s[i].kind, kind ? kind : "") == 0)
			return &d->s[i];
	return NULL;
}

static struct hi_watch_series *series_of(struct hi_watch_data *d, const char *series, const char *kind)
{
	struct hi_watch_series *s = hi_watchfile_find(d, series, kind);
	if (s)
		return s;
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;
		struct hi_watch_series *p = realloc(d->s, cap * sizeof *p);
		if (!p)
			return NULL;
		d->s = p;
		d->cap = cap;
	}
	s = &d->s[d->n];
	memset(s, 0, sizeof *s);
	s->series = strdup(series);
	s->kind = strdup(kind);
	if (!s->series || !s->kind) {
		free(s->series);
		free(s->kind);
		return NULL;
	}
	d->n++;
	return s;
}

static int add_point(struct hi_watch_series *s, double x, double y)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		double *nx = realloc(s->x, cap * sizeof *nx);
		if (!nx)
			return -1;
		s->x = nx;
		double *ny = realloc(s->y, cap * sizeof *ny);
		if (!ny)
			return -1;
		s->y = ny;
		s->cap = cap;
	}
	s->x[s->n] = x;
	s->y[s->n] = y;
	s->n++;
	if (y > s->peak)
		s->peak = y;
	return 0;
}

/* Put S's points in the order of time (an insertion sort: only the rows
 * a late kind brought with it are out of place, all before the rest).  */
static void sort_points(struct hi_watch_series *s)
{
	for (size_t i = 1; i < s->n; i++) {
		double x = s->x[i], y = s->y[i];
		size_t j = i;
		for (; j > 0 && s->x[j - 1] > x; j--) {
			s->x[j] = s->x[j - 1];
			s->y[j] = s->y[j - 1];
		}
		s->x[j] = x;
		s->y[j] = y;
	}
}

static int read_records(struct reader *r, struct hi_watch_data *d)
{
	unsigned long start = 0, last_sample = 0;
	int rc = next_record(r, &start);
	if (rc <= 0)
		return rc < 0 ? -1 : bad(r, 1, "%s", "empty: not a heapinspect watch file");
	if (r->nfields != NFIELDS || strcmp(field(r, 0), "sample") || strcmp(field(r, 1), "time") ||
	    strcmp(field(r, 2), "seconds") || strcmp(field(r, 3), "series") || strcmp(field(r, 4), "kind") ||
	    strcmp(field(r, 5), "value"))
		return bad(r, start, "not a heapinspect watch file: the first line should be %s", HI_WATCH_HEADER);
	while ((rc = next_record(r, &start)) > 0) {
		if (r->nfields != NFIELDS)
			return bad(r, start, "%d field%s, expected 6 (" HI_WATCH_HEADER ")", r->nfields,
				   r->nfields == 1 ? "" : "s");
		char *end;
		const char *f0 = field(r, 0);
		errno = 0;
		unsigned long sample = strtoul(f0, &end, 10);
		if (!*f0 || *end || errno || *f0 == '-' || *f0 == '+')
			return bad(r, start, "sample \"%.40s\" is not a number", f0);
		/* A kind's rows of earlier samples come when it is first
		 * written; nothing else may go back.  */
		int kind_series = !strcmp(field(r, 3), HI_SERIES_KIND) || !strcmp(field(r, 3), HI_SERIES_KIND_COUNT);
		if (d->samples && sample < last_sample && !kind_series)
			return bad(r, start, "sample %.40s comes after a later one", f0);
		if (!*field(r, 1))
			return bad(r, start, "%s", "no time");
		double seconds, value;
		if (parse_number(field(r, 2), &seconds) < 0)
			return bad(r, start, "seconds \"%.40s\" is not a number of seconds", field(r, 2));
		if (!*field(r, 3))
			return bad(r, start, "%s", "no series name");
		if (parse_number(field(r, 5), &value) < 0)
			return bad(r, start, "value \"%.40s\" is not a number", field(r, 5));
		if (kind_series != !!*field(r, 4))
			return bad(r, start, "%s",
				   "a kind belongs with the series " HI_SERIES_KIND " and " HI_SERIES_KIND_COUNT " and only there");
		d->has_counts |= !strcmp(field(r, 3), HI_SERIES_KIND_COUNT);
		struct hi_watch_series *s = series_of(d, field(r, 3), field(r, 4));
		if (!s || add_point(s, seconds, value) < 0) {
			hi_error("out of memory");
			return -1;
		}
		if (!d->samples || sample > last_sample) {
			d->samples++;
			last_sample = sample;
			d->seconds = seconds;
		}
	}
	if (rc < 0)
		return -1;
	if (!d->samples)
		return bad(r, start + 1, "%s", "no samples");
	return 0;
}

int hi_watchfile_read(const char *path, struct hi_watch_data *d)
{
	memset(d, 0, sizeof *d);
	struct reader r = { .path = path };
	if (!(r.f = hi_infile_open(path, HI_INFILE_WATCH_MAX, "plot", "watch file")))
		return -1;
	int rc = read_records(&r, d);
	fclose(r.f);
	for (size_t i = 0; rc == 0 && i < d->n; i++)
		sort_points(&d->s[i]);
	for (int k = 0; k < NFIELDS; k++)
		free(r.field[k]);
	if (rc < 0)
		hi_watchfile_free(d);
	return rc;
}

void hi_watchfile_free(struct hi_watch_data *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->s[i].series);
		free(d->s[i].kind);
		free(d->s[i].x);
		free(d->s[i].y);
	}
	free(d->s);
	memset(d, 0, sizeof *d);
}
