/* cmd-diff.c: `diff`, what grew and what shrank, by kind.  */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cmd/cmd.h"
#include "util/error.h"
#include "util/infile.h"
#include "report/report.h"


static Tcl_Obj *diff_dict(Tcl_Interp *ip, const struct hi_diff *d)
{
	Tcl_Obj *r = Tcl_NewDictObj(), *rows = Tcl_NewListObj(0, NULL);
#define W(o, k, v) Tcl_DictObjPut(ip, o, Tcl_NewStringObj(k, -1), Tcl_NewWideIntObj((Tcl_WideInt)(v)))
	W(r, "objects_a", d->objects_a);
	W(r, "size_a", d->size_a);
	W(r, "objects_b", d->objects_b);
	W(r, "size_b", d->size_b);
	for (size_t i = 0; i < d->n; i++) {
		const struct hi_diff_row *x = &d->rows[i];
		Tcl_Obj *o = Tcl_NewDictObj();
		Tcl_DictObjPut(ip, o, Tcl_NewStringObj("kind", -1), Tcl_NewStringObj(x->kind, -1));
		W(o, "count_a", x->count_a);
		W(o, "count_b", x->count_b);
		W(o, "dcount", hi_diff_dcount(x));
		W(o, "size_a", x->size_a);
		W(o, "size_b", x->size_b);
		W(o, "dsize", hi_diff_dsize(x));
		Tcl_ListObjAppendElement(ip, rows, o);
	}
#undef W
	Tcl_DictObjPut(ip, r, Tcl_NewStringObj("rows", -1), rows);
	return r;
}

static int load_census(struct hi_app *app, const char *file, struct hi_census *c)
{
	size_t len;
	char *buf = hi_infile_read(file, HI_INFILE_CENSUS_MAX, app->session.who[0] ? app->session.who : "diff",
				   "saved census", &len);
	if (!buf)
		return hi_cmd_fail(app->interp);
	Tcl_Obj *text = Tcl_NewStringObj(buf, (int)len);
	free(buf);
	Tcl_IncrRefCount(text);
	int rc = hi_census_from_tcl(app->interp, text, c);
	Tcl_DecrRefCount(text);
	if (rc != TCL_OK)
		Tcl_SetObjResult(app->interp, Tcl_ObjPrintf("%s: %s", file, Tcl_GetStringResult(app->interp)));
	return rc;
}

static const struct hi_argspec diff_args[] = {
	{ "-from", HI_ARG_FILE, "FILE", .help = "compare with a census saved by 'heap -save FILE' instead of\n"
					       "the baseline" },
	{ "-all", HI_ARG_FLAG, .help = "show every row" },
	{ "-copy", HI_ARG_FLAG, .help = "as for heap: copy while stopped, read after resuming" },
	{ "-format", HI_ARG_CHOICE, "F", hi_formats, .help = "table, json, csv, or tcl (a dict)" },
	{ NULL },
};
enum { O_FROM, O_ALL, O_COPY, O_FORMAT };

static int diff_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *args)
{
	int all = args->v[O_ALL].set, copy = args->v[O_COPY].set, format = args->v[O_FORMAT].choice;
	const char *from = args->v[O_FROM].set ? Tcl_GetString(args->v[O_FROM].obj) : NULL;
	struct hi_census a, b;
	char what[256];
	if (from) {
		if (load_census(app, from, &a) != TCL_OK)
			return TCL_ERROR;
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
	if (hi_cmd_census(app, a.by[0] == 't', copy, NULL, NULL, &b) != TCL_OK) {
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
	if (format == HI_F_TABLE)
		hi_report_diff_table(app->out, &d, what, all);
	else if (format == HI_F_JSON)
		hi_report_diff_json(app->out, &d, app->session.pid, app->session.py.version);
	else if (format == HI_F_CSV)
		hi_report_diff_csv(app->out, &d);
	else
		Tcl_SetObjResult(interp, diff_dict(interp, &d));
	hi_diff_free(&d);
	/* Keep A and B for `all`.  */
	hi_census_free(&app->last_a);
	hi_census_free(&app->last_b);
	app->last_a = a;
	app->last_b = b;
	snprintf(app->last_what, sizeof app->last_what, "%s", what);
	app->last = HI_LAST_DIFF;
	return TCL_OK;
}

const struct hi_cmd hi_cmd_diff = {
	"diff", "compare the baseline (or a saved census) with now, by kind", diff_args,
	"Shows A (the baseline from 'setrel', or a census saved by 'heap -save FILE'),\n"
	"B (now) and B-A, then every kind whose count or size changed, largest size\n"
	"change first.  Kinds that vanished appear with negative counts.\n",
	diff_run, HI_CMD_OUT,
};
