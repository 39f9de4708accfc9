/* commands.c: the command table and shared helpers (see cmd.h).  */
#include "config.h"
#include "cmd.h"
#include "error.h"

const struct hi_cmd *const hi_commands[] = {
	&hi_cmd_attach, &hi_cmd_detach, &hi_cmd_heap, &hi_cmd_help, &hi_cmd_info, NULL,
};

void hi_commands_register(struct hi_app *app)
{
	Tcl_Eval(app->interp, "rename ::info " HI_TCL_INFO);
	for (int i = 0; hi_commands[i]; i++)
		Tcl_CreateObjCommand(app->interp, hi_commands[i]->name, hi_commands[i]->proc, app, NULL);
}

int hi_cmd_fail(Tcl_Interp *interp)
{
	Tcl_SetObjResult(interp, Tcl_NewStringObj(hi_errmsg(), -1));
	Tcl_SetErrorCode(interp, "HEAPINSPECT", NULL);
	return TCL_ERROR;
}

int hi_cmd_stop(struct hi_app *app)
{
	if (hi_session_stop(&app->session) < 0)
		return hi_cmd_fail(app->interp);
	return TCL_OK;
}
