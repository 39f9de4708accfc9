/* cmd-attach.c: `attach PID` and `detach`.  */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "cmd/cmd.h"
#include "util/error.h"

static int attach_proc(ClientData cd, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	struct hi_app *app = cd;
	int pid;
	if (objc == 3 && strcmp(Tcl_GetString(objv[1]), "-image") == 0) {
		hi_session_detach(&app->session);
		if (hi_session_open_image(&app->session, Tcl_GetString(objv[2])) < 0)
			return hi_cmd_fail(interp);
		return TCL_OK;
	}
	if (objc != 2) {
		Tcl_WrongNumArgs(interp, 1, objv, hi_cmd_attach.usage);
		return TCL_ERROR;
	}
	if (Tcl_GetIntFromObj(interp, objv[1], &pid) != TCL_OK)
		return TCL_ERROR;
	hi_session_detach(&app->session);
	if (hi_session_attach(&app->session, pid) < 0)
		return hi_cmd_fail(interp);
	if (app->verbose)
		fprintf(stderr, "heapinspect: attached to pid %d (CPython %s, %s)\n", pid,
			app->session.py.version, hi_dbg_python_path(app->session.dbg));
	return TCL_OK;
}

static int detach_proc(ClientData cd, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	struct hi_app *app = cd;
	if (objc != 1) {
		Tcl_WrongNumArgs(interp, 1, objv, "");
		return TCL_ERROR;
	}
	hi_session_detach(&app->session);
	return TCL_OK;
}

const struct hi_cmd hi_cmd_attach = {
	"attach", "PID | -image FILE", "attach to a running CPython process, or a saved image",
	"Checks that the process can be traced, reads its debug information and\n"
	"lets it run.  Later commands stop it only while they read it.\n"
	"With -image, reads a memory image written by `dump` instead.\n",
	attach_proc,
};

const struct hi_cmd hi_cmd_detach = {
	"detach", "", "forget the attached process (it keeps running)", "", detach_proc,
};
