/* describe.c: see describe.h.  */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include "report/describe.h"
#include "report/report.h"
#include "report/view.h"

/* ---- a census: heapy's partition table ---- */

static const char *const census_csv[] = { "index", "count", "count_percent", "size", "size_percent",
					  "cumulative", "cumulative_percent", "kind", NULL };

static const struct hi_column census_columns[] = {
	{ "index", 6 }, { "count", 6 }, { "count_percent", 3 }, { "size", 8 }, { "size_percent", 3 },
	{ "cumulative", 9 }, { "cumulative_percent", 3 }, { "kind", 0, HI_COL_WRAP }, { NULL },
};

static void census_before(FILE *out, Tcl_Obj *v, int all)
{
	(void)all;
	int64_t n = hi_view_int(v, "objects");
	fprintf(out, "Partition of a set of %" PRId64 " object%s. Total size = %" PRId64 " bytes.\n", n,
		n == 1 ? "" : "s", hi_view_int(v, "size"));
}

static void census_after(FILE *out, Tcl_Obj *v, int all)
{
	(void)all;
	int64_t skipped = hi_view_int(v, "skipped");
	int64_t unfollowed = hi_view_int(v, "unfollowed"), unsized = hi_view_int(v, "unsized");
	if (skipped)
		fprintf(out, "Partial: %" PRId64 " pointers, objects or fields were skipped as inconsistent memory; see heap -v.\n",
			skipped);
	if (unfollowed)
		fprintf(out, "Partial: %" PRId64 " objects of C types whose references were not all followed; see heap -v.\n",
			unfollowed);
	if (unsized)
		fprintf(out, "Partial: %" PRId64 " objects whose C __sizeof__ failed, sized as basicsize + itemsize x length; see heap -v.\n",
			unsized);
	/* A process with subinterpreters: whose objects these are.  */
	int64_t interps = hi_view_int(v, "interpreters"), interp = hi_view_int(v, "interpreter");
	if (interp >= 0 && hi_view_get(v, "interpreter"))
		fprintf(out, "Interpreter %" PRId64 " only.\n", interp);
	else if (interps > 1)
		fprintf(out, "The objects of %" PRId64 " interpreters, merged; heap -interp ID for one (ids: see info).\n",
			interps);
}

const struct hi_view hi_census_view = {
	"rows", census_csv, census_columns,
	" Index  Count   %     Size   % Cumulative  % Kind (class / dict of class)",
	"more", census_before, census_after,
};

const struct hi_view hi_census_view_by_type = {
	"rows", census_csv, census_columns,
	" Index  Count   %     Size   % Cumulative  % Type",
	"more", census_before, census_after,
};

const struct hi_view hi_census_view_by_rcs = {
	"rows", census_csv, census_columns,
	" Index  Count   %     Size   % Cumulative  % Referrers by Kind (class / dict of class)",
	"more", census_before, census_after,
};

/* With each row's retained size, after heapy's columns.  */
static const char *const retained_csv[] = { "index", "count", "count_percent", "size", "size_percent",
					    "cumulative", "cumulative_percent", "retained", "kind", NULL };

static const struct hi_column retained_columns[] = {
	{ "index", 6 }, { "count", 6 }, { "count_percent", 3 }, { "size", 8 }, { "size_percent", 3 },
	{ "cumulative", 9 }, { "cumulative_percent", 3 }, { "retained", 10 }, { "kind", 0, HI_COL_WRAP }, { NULL },
};

static void retained_after(FILE *out, Tcl_Obj *v, int all)
{
	census_after(out, v, all);
	fputs("Retained: what the row's objects alone keep alive, at least (the retained sizes of those no other\n"
	      "object of the row dominates).\n", out);
}

#define RETAINED_VIEW(name, what)                                                                              \
	static const struct hi_view name = {                                                                   \
		"rows", retained_csv, retained_columns,                                                        \
		" Index  Count   %     Size   % Cumulative  %   Retained " what, "more", census_before,         \
		retained_after,                                                                                \
	}
RETAINED_VIEW(retained_by_kind, "Kind (class / dict of class)");
RETAINED_VIEW(retained_by_type, "Type");
RETAINED_VIEW(retained_by_rcs, "Referrers by Kind (class / dict of class)");

const struct hi_view *hi_census_view_of(const struct hi_census *c)
{
	switch (c->by[0]) {
	case 't': return c->has_retained ? &retained_by_type : &hi_census_view_by_type;
	case 'r': return c->has_retained ? &retained_by_rcs : &hi_census_view_by_rcs;
	default: return c->has_retained ? &retained_by_kind : &hi_census_view;
	}
}

/* ---- a diff ---- */

static const char *const diff_csv[] = { "kind", "count_a", "count_b", "dcount", "size_a", "size_b", "dsize", NULL };

static const struct hi_column diff_columns[] = {
	{ "index", 6 }, { "count_b", 7 }, { "dcount", 7, HI_COL_SIGNED }, { "size_b", 9 },
	{ "dsize", 10, HI_COL_SIGNED }, { "kind", 0 }, { NULL },
};

static void diff_before(FILE *out, Tcl_Obj *v, int all)
{
	(void)all;
	int64_t oa = hi_view_int(v, "a.objects"), sa = hi_view_int(v, "a.size");
	int64_t ob = hi_view_int(v, "b.objects"), sb = hi_view_int(v, "b.size");
	fprintf(out, "Difference from %s (A) to now (B).\n", hi_view_str(v, "from"));
	fprintf(out, "A: %" PRId64 " objects, %" PRId64 " bytes.  B: %" PRId64 " objects, %" PRId64
		" bytes.  B-A: %+" PRId64 " objects, %+" PRId64 " bytes.\n", oa, sa, ob, sb, ob - oa, sb - sa);
}

static void diff_after(FILE *out, Tcl_Obj *v, int all)
{
	(void)all;
	if (!hi_view_len(v, "rows"))
		fputs("No kind changed.\n", out);
}

const struct hi_view hi_diff_view = {
	"rows", diff_csv, diff_columns,
	" Index   Count  dCount      Size      dSize Kind (class / dict of class)",
	"all", diff_before, diff_after,
};

void hi_census_describe(struct hi_emit *e, const struct hi_census *c, pid_t pid, const char *python)
{
	size_t n = 0;
	struct hi_row *rows = hi_census_sorted(c, &n);
	hi_emit_object(e, NULL);
	hi_emit_i64(e, "pid", pid);
	hi_emit_str(e, "python", python ? python : "");
	hi_emit_u64(e, "objects", c->objects);
	hi_emit_u64(e, "size", c->size);
	hi_emit_u64(e, "skipped", c->skipped);
	hi_emit_u64(e, "unfollowed", c->unfollowed);
	hi_emit_u64(e, "unsized", c->unsized);
	if (c->interps) {
		hi_emit_i64(e, "interpreters", c->interps);
		hi_emit_i64(e, "interpreter", c->interp);
	}
	hi_emit_str(e, "by", c->by);
	hi_emit_list(e, "rows");
	uint64_t cumulative = 0;
	for (size_t i = 0; rows && i < n; i++) {
		cumulative += rows[i].size;
		hi_emit_object(e, NULL);
		hi_emit_str(e, "kind", rows[i].kind);
		hi_emit_u64(e, "count", rows[i].count);
		hi_emit_u64(e, "size", rows[i].size);
		/* The rest of heapy's table row.  */
		hi_emit_u64(e, "index", i);
		hi_emit_i64(e, "count_percent", hi_report_percent(rows[i].count, c->objects));
		hi_emit_i64(e, "size_percent", hi_report_percent(rows[i].size, c->size));
		hi_emit_u64(e, "cumulative", cumulative);
		hi_emit_i64(e, "cumulative_percent", hi_report_percent(cumulative, c->size));
		if (c->has_retained)
			hi_emit_u64(e, "retained", rows[i].retained);
		hi_emit_end(e);
	}
	hi_emit_end(e);
	hi_emit_end(e);
	free(rows);
}

static void totals(struct hi_emit *e, const char *key, uint64_t objects, uint64_t size)
{
	hi_emit_object(e, key);
	hi_emit_u64(e, "objects", objects);
	hi_emit_u64(e, "size", size);
	hi_emit_end(e);
}

void hi_diff_describe(struct hi_emit *e, const struct hi_diff *d, pid_t pid, const char *python, const char *by,
		      const char *from)
{
	hi_emit_object(e, NULL);
	hi_emit_i64(e, "pid", pid);
	hi_emit_str(e, "python", python ? python : "");
	hi_emit_str(e, "by", by ? by : "kind");
	hi_emit_str(e, "from", from ? from : "");
	totals(e, "a", d->objects_a, d->size_a);
	totals(e, "b", d->objects_b, d->size_b);
	hi_emit_list(e, "rows");
	for (size_t i = 0; i < d->n; i++) {
		const struct hi_diff_row *r = &d->rows[i];
		hi_emit_object(e, NULL);
		hi_emit_u64(e, "index", i);
		hi_emit_str(e, "kind", r->kind);
		hi_emit_u64(e, "count_a", r->count_a);
		hi_emit_u64(e, "count_b", r->count_b);
		hi_emit_i64(e, "dcount", hi_diff_dcount(r));
		hi_emit_u64(e, "size_a", r->size_a);
		hi_emit_u64(e, "size_b", r->size_b);
		hi_emit_i64(e, "dsize", hi_diff_dsize(r));
		hi_emit_end(e);
	}
	hi_emit_end(e);
	hi_emit_end(e);
}
