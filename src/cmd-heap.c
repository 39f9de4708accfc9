/* cmd-heap.c: `heap`, heapy's partition of the target's objects.  */
#include "config.h"
#include <stdlib.h>
#include "cmd.h"
#include "error.h"
#include "heap.h"
#include "report.h"

static const char *const formats[] = { "table", "json", "tcl", NULL };
enum { F_TABLE, F_JSON, F_TCL };
static const char *const bys[] = { "kind", "type", NULL };

static Tcl_Obj *census_dict(const struct hi_census *c, struct hi_app *app)
{
	size_t n;
	struct hi_row *rows = hi_census_sorted(c, &n);
	Tcl_Obj *d = Tcl_NewDictObj(), *list = Tcl_NewListObj(0, NULL);
	Tcl_Interp *ip = app->interp;
	Tcl_DictObjPut(ip, d, Tcl_NewStringObj("pid", -1), Tcl_NewIntObj(app->session.pid));
	Tcl_DictObjPut(ip, d, Tcl_NewStringObj("python", -1), Tcl_NewStringObj(app->session.py.version, -1));
	Tcl_DictObjPut(ip, d, Tcl_NewStringObj("objects", -1), Tcl_NewWideIntObj((Tcl_WideInt)c->objects));
	Tcl_DictObjPut(ip, d, Tcl_NewStringObj("size", -1), Tcl_NewWideIntObj((Tcl_WideInt)c->size));
	Tcl_DictObjPut(ip, d, Tcl_NewStringObj("by", -1), Tcl_NewStringObj(c->by, -1));
	for (size_t i = 0; rows && i < n; i++) {
		Tcl_Obj *r = Tcl_NewDictObj();
		Tcl_DictObjPut(ip, r, Tcl_NewStringObj("kind", -1), Tcl_NewStringObj(rows[i].kind, -1));
		Tcl_DictObjPut(ip, r, Tcl_NewStringObj("count", -1), Tcl_NewWideIntObj((Tcl_WideInt)rows[i].count));
		Tcl_DictObjPut(ip, r, Tcl_NewStringObj("size", -1), Tcl_NewWideIntObj((Tcl_WideInt)rows[i].size));
		Tcl_ListObjAppendElement(ip, list, r);
	}
	Tcl_DictObjPut(ip, d, Tcl_NewStringObj("rows", -1), list);
	free(rows);
	return d;
}

static int heap_proc(ClientData cd, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	static const char *const opts[] = { "-all", "-by", "-format", NULL };
	enum { O_ALL, O_BY, O_FORMAT };
	struct hi_app *app = cd;
	int all = 0, format = F_TABLE, by = HI_BY_KIND;
	for (int i = 1; i < objc; i++) {
		int opt;
		if (Tcl_GetIndexFromObj(interp, objv[i], opts, "option", 0, &opt) != TCL_OK)
			return TCL_ERROR;
		if (opt == O_ALL) {
			all = 1;
			continue;
		}
		if (i + 1 >= objc) {
			Tcl_SetObjResult(interp, Tcl_ObjPrintf("%s needs a value; usage: heap %s",
							       Tcl_GetString(objv[i]), hi_cmd_heap.usage));
			return TCL_ERROR;
		}
		i++;
		if (opt == O_BY && Tcl_GetIndexFromObj(interp, objv[i], bys, "partition", 0, &by) != TCL_OK)
			return TCL_ERROR;
		if (opt == O_FORMAT && Tcl_GetIndexFromObj(interp, objv[i], formats, "format", 0, &format) != TCL_OK)
			return TCL_ERROR;
	}

	struct hi_census c;
	struct hi_gcinfo *info = malloc(sizeof *info);
	struct hi_heap_diag diag;
	if (!info) {
		hi_error("out of memory");
		return hi_cmd_fail(interp);
	}
	hi_census_init(&c, by == HI_BY_TYPE ? "type" : "kind");
	if (hi_cmd_stop(app) != TCL_OK) {
		free(info);
		return TCL_ERROR;
	}
	int rc = hi_heap_census(&app->session.py, (enum hi_partition)by, &c, info, &diag, app->session.who);
	hi_session_resume(&app->session);
	if (rc < 0) {
		free(info);
		hi_census_free(&c);
		return hi_cmd_fail(interp);
	}
	if (app->verbose)
		fprintf(stderr,
			"heapinspect: %s: %llu objects from %llu on GC lists and %llu running frames of %d interpreter(s); paused %.1f ms\n"
			"heapinspect: %s: skipped %llu referents with bad types and %llu bad pointers; %llu objects of undecoded C types; %llu inconsistent; %llu unreadable fields; %llu broken GC lists\n",
			app->session.who, (unsigned long long)c.objects, (unsigned long long)diag.gc_objects,
			(unsigned long long)diag.frames, info->ninterps, app->session.target.last_pause * 1e3,
			app->session.who, (unsigned long long)diag.bad_type, (unsigned long long)diag.bad_ptr,
			(unsigned long long)diag.undecoded, (unsigned long long)diag.inconsistent,
			(unsigned long long)diag.bad_reads, (unsigned long long)info->broken_lists);
	if (format == F_TABLE)
		hi_report_table(app->out, &c, all);
	else if (format == F_JSON)
		hi_report_json(app->out, &c, app->session.pid, app->session.py.version);
	else
		Tcl_SetObjResult(interp, census_dict(&c, app));
	fflush(app->out);
	hi_census_free(&c);
	free(info);
	return TCL_OK;
}

const struct hi_cmd hi_cmd_heap = {
	"heap", "?-all? ?-by kind|type? ?-format table|json|tcl?",
	"partition the target's objects by kind, as heapy's hp.heap() does",
	"  -all            print every row (by default 10 rows when there are 12 or more)\n"
	"  -by kind        heapy's kinds: classes, and `dict of X` for __dict__s (default)\n"
	"  -by type        by type alone, like heapy's .bytype\n"
	"  -format F       table (heapy's), json, or tcl (return a dict, print nothing)\n"
	"Sizes are sys.getsizeof's.  The target is stopped while it is read.\n",
	heap_proc,
};
