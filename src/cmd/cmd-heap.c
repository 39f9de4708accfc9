/* cmd-heap.c: `heap`, heapy's partition of the target's objects.  */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cmd/cmd.h"
#include "util/error.h"
#include "report/report.h"

static const char *const formats[] = { "table", "json", "csv", "tcl", NULL };
enum { F_TABLE, F_JSON, F_CSV, F_TCL };
static const char *const bys[] = { "kind", "type", NULL };

/* Write C to FILE as a Tcl dict that `diff -from` reads back.  */
static int save_census(struct hi_app *app, const char *file, const struct hi_census *c)
{
	Tcl_Obj *d = hi_census_to_tcl(app->interp, c, app->session.pid, app->session.py.version);
	Tcl_IncrRefCount(d);
	char when[64];
	time_t now = time(NULL);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S%z", localtime(&now));
	Tcl_DictObjPut(app->interp, d, Tcl_NewStringObj("format", -1), Tcl_NewStringObj("heapinspect-census-1", -1));
	Tcl_DictObjPut(app->interp, d, Tcl_NewStringObj("taken", -1), Tcl_NewStringObj(when, -1));
	FILE *f = fopen(file, "w");
	int ok = f && fprintf(f, "%s\n", Tcl_GetString(d)) > 0;
	if (f && fclose(f) != 0)
		ok = 0;
	Tcl_DecrRefCount(d);
	if (!ok) {
		hi_error("cannot write %s: %s", file, strerror(errno));
		return hi_cmd_fail(app->interp);
	}
	return TCL_OK;
}

static int heap_proc(ClientData cd, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	static const char *const opts[] = { "-all", "-abs", "-copy", "-by", "-format", "-save", NULL };
	enum { O_ALL, O_ABS, O_COPY, O_BY, O_FORMAT, O_SAVE };
	struct hi_app *app = cd;
	int all = 0, abs = 0, copy = 0, format = F_TABLE, by = 0;
	const char *save = NULL;
	for (int i = 1; i < objc; i++) {
		int opt;
		if (Tcl_GetIndexFromObj(interp, objv[i], opts, "option", 0, &opt) != TCL_OK)
			return TCL_ERROR;
		if (opt == O_ALL || opt == O_ABS || opt == O_COPY) {
			*(opt == O_ALL ? &all : opt == O_ABS ? &abs : &copy) = 1;
			continue;
		}
		if (i + 1 >= objc) {
			Tcl_SetObjResult(interp, Tcl_ObjPrintf("%s needs a value; usage: heap %s",
							       Tcl_GetString(objv[i]), hi_cmd_heap.usage));
			return TCL_ERROR;
		}
		i++;
		if (opt == O_BY && (by = hi_cmd_choice(interp, objv[i], bys, "partition")) < 0)
			return TCL_ERROR;
		if (opt == O_FORMAT && (format = hi_cmd_choice(interp, objv[i], formats, "format")) < 0)
			return TCL_ERROR;
		if (opt == O_SAVE)
			save = Tcl_GetString(objv[i]);
	}
	/* Relative to the baseline unless -abs; -save keeps the whole heap. */
	const struct hi_baseline *base = NULL;
	if (!abs && !save && hi_cmd_baseline(app))
		base = &app->baseline;
	struct hi_census c;
	hi_census_init(&c, by ? "type" : "kind");
	if (hi_cmd_census(app, by, copy, base, NULL, &c) != TCL_OK) {
		hi_census_free(&c);
		return TCL_ERROR;
	}
	if (save && save_census(app, save, &c) != TCL_OK) {
		hi_census_free(&c);
		return TCL_ERROR;
	}
	size_t shown = 0;
	if (format == F_TABLE) {
		hi_report_table(app->out, &c, all);
		/* What the table printed: all of it, or 10 rows of 12 or more. */
		size_t n = hi_census_nonempty(&c);
		shown = (all || n < 12) ? n : 10;
	} else if (format == F_JSON) {
		hi_report_json(app->out, &c, app->session.pid, app->session.py.version);
	} else if (format == F_CSV) {
		hi_report_csv(app->out, &c);
	} else {
		Tcl_SetObjResult(interp, hi_census_to_tcl(interp, &c, app->session.pid, app->session.py.version));
	}
	hi_cmd_set_last_census(app, &c, shown);
	return TCL_OK;
}

const struct hi_cmd hi_cmd_heap = {
	"heap", "?-all? ?-abs? ?-copy? ?-by kind|type? ?-format table|json|csv|tcl? ?-save FILE?",
	"partition the target's objects by kind, as heapy's hp.heap() does",
	"  -all            print every row (by default 10 rows when there are 12 or more;\n"
	"                  'more' shows the next 10, 'all' the whole table)\n"
	"  -abs            after setrel, show the whole heap, not just what is new\n"
	"  -copy           copy the target's writable memory while it is stopped and\n"
	"                  read the copy after it resumes: a much shorter pause, for\n"
	"                  as much memory as the target has written (bound it with\n"
	"                  HEAPINSPECT_COPY_MB)\n"
	"  -by kind        heapy's kinds: classes, and `dict of X` for __dict__s (default)\n"
	"  -by type        by type alone, like heapy's .bytype\n"
	"  -format F       table (heapy's), json, csv, or tcl (return a dict, print nothing)\n"
	"  -save FILE      also write the whole census to FILE, for 'diff -from FILE'\n"
	"Sizes are sys.getsizeof's.  After setrel, only objects that are new since\n"
	"the baseline are shown (see 'help setrel').  The target is stopped while\n"
	"it is read.\n",
	heap_proc,
};
