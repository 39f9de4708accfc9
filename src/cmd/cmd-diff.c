/* cmd-diff.c: `diff`, what grew and what shrank, by kind.  */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cmd/cmd.h"
#include "walk/heap.h"
#include "util/error.h"
#include "report/censusfile.h"
#include "report/describe.h"


static const struct hi_argspec diff_args[] = {
	{ "-from", HI_ARG_FILE, "FILE", .help = "compare with a census saved by 'heap -save FILE' instead of\n"
					       "the baseline" },
	{ "-all", HI_ARG_FLAG, .help = "show every row" },
	HI_ARGS_MODE("as for heap: copy while stopped, read after resuming"),
	{ "-format", HI_ARG_CHOICE, "F", hi_formats, .help = "table, json, csv, or tcl (a dict)" },
	{ NULL },
};
enum { O_FROM, O_ALL, O_COPY, O_INPLACE, O_FORMAT };

static int diff_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *args)
{
	int all = args->v[O_ALL].set, mode = hi_cmd_mode(args, O_COPY), format = args->v[O_FORMAT].choice;
	const char *from = args->v[O_FROM].set ? Tcl_GetString(args->v[O_FROM].obj) : NULL;
	struct hi_census a, b;
	char what[256];
	if (from) {
		if (hi_census_load(from, &a, app->session.who[0] ? app->session.who : "diff") < 0)
			return hi_cmd_fail(interp);
		snprintf(what, sizeof what, "%s", from);
	} else if (app->baseline.set && app->baseline.pid == app->session.pid && !hi_cmd_baseline(app)) {
		hi_error("%s: the baseline was taken of an earlier process with this pid, not this one; run 'setrel' again",
			 app->session.who);
		return hi_cmd_fail(interp);
	} else if (hi_cmd_baseline(app)) {
		/* A copy: the baseline stays for later diffs.  */
		hi_census_init(&a, "kind");
		for (size_t i = 0; i < app->baseline.census.nrows; i++) {
			const struct hi_row *r = &app->baseline.census.rows[i];
			uint32_t k = hi_census_kind(&a, r->kind);
			if (k == UINT32_MAX) {
				hi_census_free(&a);
				hi_error("out of memory");
				return hi_cmd_fail(interp);
			}
			a.rows[k].count = r->count;
			a.rows[k].size = r->size;
		}
		a.objects = app->baseline.census.objects;
		a.size = app->baseline.census.size;
		char when[32];
		strftime(when, sizeof when, "%H:%M:%S", localtime(&app->baseline.taken));
		snprintf(what, sizeof what, "the baseline of %s taken at %s", app->session.who, when);
	} else {
		hi_error("no baseline to compare with: run 'setrel' first, or give 'diff -from FILE' a census saved by 'heap -save FILE'");
		return hi_cmd_fail(interp);
	}
	hi_census_init(&b, a.by);
	/* The whole heap, its graph knowing what the baseline had (a saved
	 * census has no objects to tell).  */
	struct hi_heap_opts o = { a.by[0] == 't' ? HI_BY_TYPE : HI_BY_KIND, .mark = hi_cmd_baseline(app) };
	if (from)
		o.mark = NULL;
	if (hi_cmd_walk(app, &o, mode, &b, NULL, NULL) != TCL_OK) {
		hi_census_free(&a);
		hi_census_free(&b);
		return TCL_ERROR;
	}
	struct hi_diff d;
	if (hi_diff_compute(&a, &b, &d) < 0) {
		hi_census_free(&a);
		hi_census_free(&b);
		hi_error("out of memory");
		return hi_cmd_fail(interp);
	}
	struct hi_result r;
	int rc = hi_cmd_begin(app, &r, format, "diff", &hi_diff_view, all);
	if (rc == TCL_OK) {
		hi_diff_describe(r.e, &d, app->session.pid, app->session.py.version, b.by, what);
		hi_cmd_end(app, &r);
	}
	hi_diff_free(&d);
	hi_census_free(&a);
	hi_census_free(&b);
	return rc;
}

const struct hi_cmd hi_cmd_diff = {
	"diff", "compare the baseline (or a saved census) with now, by kind", diff_args,
	"Shows A (the baseline from 'setrel', or a census saved by 'heap -save FILE'),\n"
	"B (now) and B-A, then every kind whose count or size changed, largest size\n"
	"change first.  Kinds that vanished appear with negative counts.\n",
	diff_run, HI_CMD_OUT,
};
