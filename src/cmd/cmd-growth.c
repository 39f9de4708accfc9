/* cmd-growth.c: `growth`, the kinds that grew, as objgraph's show_growth
 * reports them, over a watch file or since the previous call.
 *
 * Over a watch file, each kind's bytes and counts are fitted (growth.h),
 * and the rows are ranked by what the change looks like, suspects first
 * (steady growth, a leak's shape; then other growth; then what levelled
 * off, a cache's), then by how fast the kind grew in the second half of
 * the window: a steady leak comes above a cache that filled early, or a
 * table that jumped once.  Live,
 * a census is compared with the one the previous call took (objgraph's
 * show_growth: the first call's growth is from nothing).  */
#include "config.h"
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cmd/cmd.h"
#include "report/emit.h"
#include "report/growth.h"
#include "report/view.h"
#include "report/watchfile.h"
#include "util/error.h"

static const char *const growth_by[] = { "size", "count", NULL };

static const struct hi_argspec growth_args[] = {
	{ "-from", HI_ARG_FILE, "FILE", .help = "a file written by 'watch': the growth over its samples,\n"
					       "with each kind's trend; without it, the growth of the\n"
					       "attached target since the previous call" },
	{ "-by", HI_ARG_CHOICE, "size|count", growth_by, .help = "rank by the growth of bytes (the default) or of\n"
								  "objects" },
	{ "-n", HI_ARG_INT, "N", .min = 1, .max = 1e9, .help = "the first N rows (default 10)" },
	{ "-all", HI_ARG_FLAG, .help = "every kind, also those that did not grow", .excludes = "-n" },
	HI_ARGS_MODE("as for heap: copy while stopped, read after resuming"),
	{ "-format", HI_ARG_CHOICE, "F", hi_formats, .help = "table, json, csv, or tcl (a dict)" },
	{ NULL },
};
enum { O_FROM, O_BY, O_N, O_ALL, O_COPY, O_INPLACE, O_FORMAT };

struct grow_row {
	const char *kind;
	struct hi_fit count, size;
	int has_count;
	enum hi_trend trend;
	int by_count;		/* ranked by its count's fit, not its size's */
};

static int rank_cmp(const void *a, const void *b)
{
	const struct grow_row *x = a, *y = b;
	int c = hi_fit_rank_cmp(x->by_count ? &x->count : &x->size, y->by_count ? &y->count : &y->size);
	if (c)
		return c;
	double dx = x->size.last - x->size.first, dy = y->size.last - y->size.first;
	if (dx != dy)
		return dx > dy ? -1 : 1;
	return strcmp(x->kind, y->kind);
}

static int64_t per_minute(double per_second)
{
	return (int64_t)llround(per_second * 60);
}

/* The rows, ranked, as a description.  FROM says over what; SECONDS the
 * window; POINTS how many samples each fit had (2 live).  */
static void describe(struct hi_emit *e, const struct hi_app *app, struct grow_row *rows, size_t n, int by_count,
		     int all, int64_t limit, const char *from, unsigned long samples, double seconds, int has_counts)
{
	qsort(rows, n, sizeof *rows, rank_cmp);
	hi_emit_object(e, NULL);
	hi_emit_i64(e, "pid", app->session.pid);
	hi_emit_str(e, "from", from);
	hi_emit_u64(e, "samples", samples);
	hi_emit_double(e, "seconds", seconds);
	hi_emit_str(e, "by", by_count ? "count" : "size");
	hi_emit_bool(e, "counts", has_counts);
	hi_emit_list(e, "rows");
	int64_t shown = 0;
	for (size_t i = 0; i < n; i++) {
		const struct grow_row *r = &rows[i];
		const struct hi_fit *f = by_count && r->has_count ? &r->count : &r->size;
		int grew = r->size.last > r->size.first || (r->has_count && r->count.last > r->count.first) ||
			   (f->n > 2 ? f->late : f->slope) > 0;
		if (!all && (!grew || shown >= limit))
			continue;
		char fit[16] = "";
		if (f->n >= 3)
			snprintf(fit, sizeof fit, "%.2f", f->r2);
		hi_emit_object(e, NULL);
		hi_emit_i64(e, "index", shown++);
		hi_emit_str(e, "kind", r->kind);
		if (r->has_count) {
			hi_emit_i64(e, "count", (int64_t)r->count.last);
			hi_emit_i64(e, "dcount", (int64_t)(r->count.last - r->count.first));
			hi_emit_i64(e, "count_per_min", per_minute(samples > 2 ? r->count.late : r->count.slope));
		}
		hi_emit_i64(e, "size", (int64_t)r->size.last);
		hi_emit_i64(e, "dsize", (int64_t)(r->size.last - r->size.first));
		hi_emit_i64(e, "size_per_min", per_minute(samples > 2 ? r->size.late : r->size.slope));
		hi_emit_str(e, "fit", fit);
		hi_emit_double(e, "r2", f->r2);
		hi_emit_str(e, "trend", hi_trend_name(r->trend));
		hi_emit_end(e);
	}
	hi_emit_end(e);
	hi_emit_end(e);
}

static const char *const growth_csv[] = { "kind",	  "count", "dcount", "count_per_min", "size", "dsize",
					  "size_per_min", "r2",	   "trend",  NULL };

static const struct hi_column growth_columns[] = {
	{ "index", 6 },	   { "count", 8, 0, NULL, "-" },  { "dcount", 8, HI_COL_SIGNED, NULL, "-" },
	{ "count_per_min", 10, HI_COL_SIGNED, NULL, "-" }, { "size", 10 }, { "dsize", 10, HI_COL_SIGNED },
	{ "size_per_min", 10, HI_COL_SIGNED }, { "fit", 5, 0, NULL, "" }, { "trend", -16 }, { "kind", 0 },
	{ NULL },
};

static void growth_before(FILE *out, Tcl_Obj *v, int all)
{
	(void)all;
	Tcl_Obj *s = hi_view_get(v, "seconds");
	double secs = 0;
	if (s)
		Tcl_GetDoubleFromObj(NULL, s, &secs);
	if (hi_view_int(v, "samples") > 2)
		fprintf(out, "Growth %s: %" PRId64 " samples over %.1f s; steady growth first, then by %s per minute in the second half.\n",
			hi_view_str(v, "from"), hi_view_int(v, "samples"), secs, hi_view_str(v, "by"));
	else
		fprintf(out, "Growth %s, over %.1f s, by %s.\n", hi_view_str(v, "from"), secs, hi_view_str(v, "by"));
}

static void growth_after(FILE *out, Tcl_Obj *v, int all)
{
	(void)all;
	if (!hi_view_len(v, "rows"))
		fputs("No kind grew.\n", out);
	if (!hi_view_int(v, "counts"))
		fputs("The file has no counts (a watch of an older heapinspect): bytes only.\n", out);
}

static const struct hi_view growth_view = {
	"rows", growth_csv, growth_columns,
	" Index    Count   dCount  Count/min       Size      dSize   Size/min   Fit Trend            Kind", NULL,
	growth_before, growth_after,
};

/* Over a watch file.  */
static int from_file(struct hi_app *app, Tcl_Interp *interp, const char *path, int by_count, int all, int64_t limit,
		     int format)
{
	struct hi_watch_data d;
	if (hi_watchfile_read(path, &d) < 0)
		return hi_cmd_fail(interp);
	struct grow_row *rows = calloc(d.n ? d.n : 1, sizeof *rows);
	size_t n = 0;
	if (!rows) {
		hi_watchfile_free(&d);
		hi_error("out of memory");
		return hi_cmd_fail(interp);
	}
	for (size_t i = 0; i < d.n; i++) {
		const struct hi_watch_series *s = &d.s[i];
		if (strcmp(s->series, HI_SERIES_KIND))
			continue;
		struct grow_row *r = &rows[n++];
		r->kind = s->kind;
		hi_fit_line(s->x, s->y, s->n, &r->size);
		const struct hi_watch_series *c = hi_watchfile_find(&d, HI_SERIES_KIND_COUNT, s->kind);
		if (c) {
			r->has_count = 1;
			hi_fit_line(c->x, c->y, c->n, &r->count);
		}
		const struct hi_fit *f = by_count && r->has_count ? &r->count : &r->size;
		r->trend = hi_fit_trend(f);
		r->by_count = f == &r->count;
	}
	char from[4200];
	snprintf(from, sizeof from, "in %s", path);
	struct hi_result res;
	int rc = hi_cmd_begin(app, &res, format, "growth", &growth_view, all);
	if (rc == TCL_OK) {
		describe(res.e, app, rows, n, by_count, all, limit, from, d.samples, d.seconds, d.has_counts);
		hi_cmd_end(app, &res);
	}
	free(rows);
	hi_watchfile_free(&d);
	return rc;
}

/* Row R: kind KIND, A (NULL: none) then B (NULL: gone) SECS apart (0:
 * the first call, from nothing, with no rate).  */
static void add_row(struct grow_row *r, const char *kind, const struct hi_row *a, const struct hi_row *b, double secs,
		    int by_count)
{
	double x[2] = { 0, secs > 0 ? secs : 1 };
	double yc[2] = { a ? (double)a->count : 0, b ? (double)b->count : 0 };
	double ys[2] = { a ? (double)a->size : 0, b ? (double)b->size : 0 };
	r->kind = kind;
	r->has_count = 1;
	hi_fit_line(x, yc, 2, &r->count);
	hi_fit_line(x, ys, 2, &r->size);
	if (secs <= 0)
		r->count.slope = r->size.slope = 0;
	r->by_count = by_count;
	r->trend = hi_fit_trend(by_count ? &r->count : &r->size);
}

/* Since the previous call, on the attached target.  */
static int since_last(struct hi_app *app, Tcl_Interp *interp, int mode, int by_count, int all, int64_t limit,
		      int format)
{
	struct hi_session *s = &app->session;
	if (!s->attached) {
		hi_error("growth: not attached to a process; use: attach PID, or growth -from FILE");
		return hi_cmd_fail(interp);
	}
	struct hi_census now;
	hi_census_init(&now, "kind");
	struct timespec when;
	clock_gettime(CLOCK_MONOTONIC, &when);
	if (hi_cmd_census(app, 0, (enum hi_walk_mode)mode, NULL, NULL, &now) != TCL_OK) {
		hi_census_free(&now);
		return TCL_ERROR;
	}
	int have_last = app->growth.set && app->growth.serial == s->serial;
	struct hi_census *last = &app->growth.census;
	double secs = have_last ? hi_cmd_since(&app->growth.when, &when) : 0;
	size_t cap = now.nrows + (have_last ? last->nrows : 0) + 1;
	struct grow_row *rows = calloc(cap, sizeof *rows);
	size_t n = 0;
	if (!rows) {
		hi_census_free(&now);
		hi_error("out of memory");
		return hi_cmd_fail(interp);
	}
	/* Every kind now, then those only the last census had (gone).  */
	for (size_t i = 0; i < now.nrows; i++) {
		const struct hi_row *b = &now.rows[i];
		uint32_t j = have_last && b->count ? hi_census_kind(last, b->kind) : UINT32_MAX;
		const struct hi_row *a = j < last->nrows ? &last->rows[j] : NULL;
		if (b->count)
			add_row(&rows[n++], b->kind, a, b, secs, by_count);
	}
	for (size_t i = 0; have_last && i < last->nrows; i++) {
		const struct hi_row *a = &last->rows[i];
		uint32_t j = a->count ? hi_census_kind(&now, a->kind) : UINT32_MAX;
		if (a->count && (j >= now.nrows || !now.rows[j].count))
			add_row(&rows[n++], a->kind, a, NULL, secs, by_count);
	}
	char from[256];
	if (have_last)
		snprintf(from, sizeof from, "of %s since the previous call", s->who);
	else
		snprintf(from, sizeof from, "of %s from nothing (the first call; the next shows what grew since)", s->who);
	struct hi_result res;
	int rc = hi_cmd_begin(app, &res, format, "growth", &growth_view, all);
	if (rc == TCL_OK) {
		describe(res.e, app, rows, n, by_count, all, limit, from, 2, secs, 1);
		hi_cmd_end(app, &res);
	}
	free(rows);
	/* This census is the next call's start.  */
	hi_census_free(&app->growth.census);
	app->growth.census = now;
	app->growth.when = when;
	app->growth.serial = s->serial;
	app->growth.set = 1;
	return rc;
}

static int growth_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	int by_count = a->v[O_BY].set && a->v[O_BY].choice == 1, all = a->v[O_ALL].set;
	int64_t limit = a->v[O_N].set ? a->v[O_N].i : 10;
	int format = a->v[O_FORMAT].choice;
	if (a->v[O_FROM].set)
		return from_file(app, interp, Tcl_GetString(a->v[O_FROM].obj), by_count, all, limit, format);
	return since_last(app, interp, hi_cmd_mode(a, O_COPY), by_count, all, limit, format);
}

const struct hi_cmd hi_cmd_growth = {
	"growth", "the kinds that grew: since the previous call, or over a watch file", growth_args,
	"objgraph's show_growth: counts and bytes by kind, what they grew by and\n"
	"how fast (per minute).  Over a watch file each kind's bytes and counts\n"
	"are fitted, and each row says whether the kind grows steadily (a leak's\n"
	"shape), levels off (a cache's), grows unsteadily, or shrinks; steady\n"
	"growth comes first, then other growth, then the rest, each by its rate\n"
	"in the file's second half.  Fit is how much of the change a straight\n"
	"line explains (1.00: all of it).\n",
	growth_run, HI_CMD_OUT,
};
