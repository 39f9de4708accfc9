/* cmd-info.c: `info`, what heapinspect knows about the target.  */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "util/error.h"
#include "walk/gcwalk.h"

static int count_only(uint64_t obj, int interp, void *arg)
{
	(void)obj;
	(void)interp;
	(void)arg;
	return 0;
}

static int info_proc(ClientData cd, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	struct hi_app *app = cd;
	int as_tcl = 0;
	/* `info exists x` and friends belong to Tcl's own info, kept under
	 * another name by hi_commands_register.  */
	if (objc > 1 && Tcl_GetString(objv[1])[0] != '-') {
		Tcl_Obj **v = (Tcl_Obj **)ckalloc(objc * sizeof *v);
		v[0] = Tcl_NewStringObj(HI_TCL_INFO, -1);
		Tcl_IncrRefCount(v[0]);
		for (int i = 1; i < objc; i++)
			v[i] = objv[i];
		int rc = Tcl_EvalObjv(interp, objc, v, 0);
		Tcl_DecrRefCount(v[0]);
		ckfree((char *)v);
		return rc;
	}
	if (objc == 3 && strcmp(Tcl_GetString(objv[1]), "-format") == 0 &&
	    strcmp(Tcl_GetString(objv[2]), "tcl") == 0)
		as_tcl = 1;
	else if (objc != 1) {
		Tcl_WrongNumArgs(interp, 1, objv, hi_cmd_info.usage);
		return TCL_ERROR;
	}
	struct hi_gcinfo *gi = malloc(sizeof *gi);
	if (!gi) {
		hi_error("out of memory");
		return hi_cmd_fail(interp);
	}
	if (hi_cmd_stop(app) != TCL_OK) {
		free(gi);
		return TCL_ERROR;
	}
	struct hi_session *s = &app->session;
	int os_threads = s->target.nthreads;
	int rc = hi_gc_walk(&s->py, gi, count_only, NULL, s->who);
	if (hi_session_resume(s) < 0)
		rc = -1;
	if (rc < 0) {
		free(gi);
		return hi_cmd_fail(interp);
	}
	const char *exe = hi_dbg_exe_path(s->dbg) ? hi_dbg_exe_path(s->dbg) : "?";
	Tcl_Obj *d = Tcl_NewDictObj();
#define PUT(k, v) Tcl_DictObjPut(interp, d, Tcl_NewStringObj(k, -1), v)
	PUT("pid", Tcl_NewIntObj(s->pid));
	PUT("python", Tcl_NewStringObj(s->py.version, -1));
	PUT("executable", Tcl_NewStringObj(exe, -1));
	PUT("runtime", Tcl_NewStringObj(hi_dbg_python_path(s->dbg), -1));
	PUT("debuginfo", Tcl_NewStringObj(hi_dbg_debug_path(s->dbg), -1));
	PUT("threads", Tcl_NewIntObj(os_threads));
	PUT("interpreters", Tcl_NewIntObj(gi->ninterps));
	PUT("gc_objects", Tcl_NewWideIntObj((Tcl_WideInt)gi->objects));
	PUT("pause_ms", Tcl_NewDoubleObj(s->target.last_pause * 1e3));
	Tcl_Obj *interps = Tcl_NewListObj(0, NULL);
	for (int i = 0; i < gi->ninterps; i++) {
		Tcl_Obj *e = Tcl_NewDictObj(), *lists = Tcl_NewDictObj();
		struct hi_interp *in = &gi->interps[i];
		Tcl_DictObjPut(interp, e, Tcl_NewStringObj("id", -1), Tcl_NewWideIntObj(in->id));
		Tcl_DictObjPut(interp, e, Tcl_NewStringObj("threads", -1), Tcl_NewIntObj(in->nthreads));
		Tcl_DictObjPut(interp, e, Tcl_NewStringObj("threads_broken", -1), Tcl_NewBooleanObj(in->threads_broken));
		for (int k = 0; k < in->nlists; k++)
			Tcl_DictObjPut(interp, lists, Tcl_NewStringObj(in->lists[k].name, -1),
				       Tcl_NewWideIntObj((Tcl_WideInt)in->lists[k].count));
		Tcl_DictObjPut(interp, e, Tcl_NewStringObj("gc", -1), lists);
		Tcl_ListObjAppendElement(interp, interps, e);
	}
	PUT("interpreter", interps);
#undef PUT
	if (as_tcl) {
		Tcl_SetObjResult(interp, d);
		free(gi);
		return TCL_OK;
	}
	FILE *o = app->out;
	fprintf(o, "pid:          %d\n", (int)s->pid);
	fprintf(o, "python:       CPython %s\n", s->py.version);
	fprintf(o, "executable:   %s\n", exe);
	fprintf(o, "runtime in:   %s\n", hi_dbg_python_path(s->dbg));
	fprintf(o, "debug info:   %s\n", hi_dbg_debug_path(s->dbg));
	fprintf(o, "threads:      %d\n", os_threads);
	fprintf(o, "interpreters: %d\n", gi->ninterps);
	for (int i = 0; i < gi->ninterps; i++) {
		struct hi_interp *in = &gi->interps[i];
		fprintf(o, "  interpreter %d (id %" PRId64 "): %d Python thread state%s%s", i, in->id, in->nthreads,
			in->nthreads == 1 ? "" : "s",
			in->threads_broken ? " (their list loops back: corrupt memory; counted to the repeat)" : "");
		if (!in->owns_gc)
			fputs("; GC lists shared with the main interpreter", o);
		for (int k = 0; k < in->nlists; k++)
			fprintf(o, "%s %s %" PRIu64 "%s", k ? "," : ";", in->lists[k].name, in->lists[k].count,
				in->lists[k].broken ? " (broken list)" : "");
		fputc('\n', o);
	}
	fprintf(o, "gc objects:   %" PRIu64 "\n", gi->objects);
	fprintf(o, "pause:        %.1f ms\n", s->target.last_pause * 1e3);
	Tcl_DecrRefCount(d);
	free(gi);
	return TCL_OK;
}

const struct hi_cmd hi_cmd_info = {
	"info", "?-format tcl?", "describe the target: Python, files, threads, interpreters, GC lists",
	"  -format tcl     return the facts as a dict instead of printing them\n"
	"With a subcommand (info exists, info procs, ...) it is Tcl's own info.\n",
	info_proc,
};
