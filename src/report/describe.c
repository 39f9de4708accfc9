/* describe.c: see describe.h.  */
#include "config.h"
#include <stdlib.h>
#include "report/describe.h"
#include "report/report.h"

/* The CSV of each: the rows, in these columns.  */
const char *const hi_census_csv_columns[] = { "index", "count", "count_percent", "size", "size_percent",
					      "cumulative", "cumulative_percent", "kind", NULL };
const char *const hi_diff_csv_columns[] = { "kind", "count_a", "count_b", "dcount", "size_a", "size_b", "dsize", NULL };

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

void hi_diff_describe(struct hi_emit *e, const struct hi_diff *d, pid_t pid, const char *python, const char *by)
{
	hi_emit_object(e, NULL);
	hi_emit_i64(e, "pid", pid);
	hi_emit_str(e, "python", python ? python : "");
	hi_emit_str(e, "by", by ? by : "kind");
	totals(e, "a", d->objects_a, d->size_a);
	totals(e, "b", d->objects_b, d->size_b);
	hi_emit_list(e, "rows");
	for (size_t i = 0; i < d->n; i++) {
		const struct hi_diff_row *r = &d->rows[i];
		hi_emit_object(e, NULL);
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
