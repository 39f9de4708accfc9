/* cmd-attach.c: `attach PID` and `detach`.  */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "cmd/cmd.h"
#include "util/error.h"

static const struct hi_argspec attach_args[] = {
	{ "PID", HI_ARG_INT, .min = 1, .max = 2147483647, .help = "the process to inspect" },
	{ "-image", HI_ARG_FILE, "FILE", .help = "read a memory image written by 'dump', or an ELF core file, instead" },
	{ "-exe", HI_ARG_FILE, "EXECUTABLE", .help = "with a core file: read EXECUTABLE in place of the one it names" },
	{ NULL },
};
enum { O_PID, O_IMAGE, O_EXE };

static int attach_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	if (a->v[O_PID].set == a->v[O_IMAGE].set) {
		Tcl_SetObjResult(interp, Tcl_NewStringObj("attach: give a PID or -image FILE; usage: attach ?PID? ?-image FILE?", -1));
		Tcl_SetErrorCode(interp, "TCL", "WRONGARGS", NULL);
		return TCL_ERROR;
	}
	if (a->v[O_EXE].set && !a->v[O_IMAGE].set) {
		Tcl_SetObjResult(interp, Tcl_NewStringObj("attach: -exe goes with -image FILE, a core file; usage: attach ?PID? ?-image FILE? ?-exe EXECUTABLE?", -1));
		Tcl_SetErrorCode(interp, "TCL", "WRONGARGS", NULL);
		return TCL_ERROR;
	}
	hi_cmd_forget_graph(app);
	app->graph_nodes = app->graph_refs = 0;	/* another target's sizes */
	hi_session_detach(&app->session);
	if (a->v[O_IMAGE].set) {
		if (hi_session_open_image(&app->session, Tcl_GetString(a->v[O_IMAGE].obj),
					  a->v[O_EXE].set ? Tcl_GetString(a->v[O_EXE].obj) : NULL) < 0)
			return hi_cmd_fail(interp);
	} else if (hi_session_attach(&app->session, (pid_t)a->v[O_PID].i) < 0) {
		return hi_cmd_fail(interp);
	}
	/* Say what it attached to, as gdb does: a wrong pid shows at once. */
	struct hi_session *s = &app->session;
	Tcl_SetObjResult(interp, Tcl_ObjPrintf("attached to %s: CPython %s (%s)", s->who, s->py.version,
					       hi_dbg_python_path(s->dbg)));
	return TCL_OK;
}

static int detach_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	hi_cmd_forget_graph(app);
	app->graph_nodes = app->graph_refs = 0;	/* another target's sizes */
	hi_session_detach(&app->session);
	return TCL_OK;
}

const struct hi_cmd hi_cmd_attach = {
	"attach", "attach to a running CPython process, a saved image or a core file", attach_args,
	"Checks that the process can be traced, reads its debug information and\n"
	"lets it run.  Later commands stop it only while they read it.  Returns\n"
	"what it attached to.\n",
	attach_run,
};

const struct hi_cmd hi_cmd_detach = {
	"detach", "forget the attached process (it keeps running)", NULL, "", detach_run,
};
