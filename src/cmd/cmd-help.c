/* cmd-help.c: `help ?NAME?`.  */
#include "config.h"
#include <string.h>
#include "cmd/cmd.h"

static int help_proc(ClientData cd, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	struct hi_app *app = cd;
	if (objc > 2) {
		Tcl_WrongNumArgs(interp, 1, objv, hi_cmd_help.usage);
		return TCL_ERROR;
	}
	if (objc == 1) {
		fputs("heapinspect commands (Tcl's own commands work too):\n", app->out);
		for (int i = 0; hi_commands[i]; i++)
			fprintf(app->out, "  %-8s %s\n", hi_commands[i]->name, hi_commands[i]->summary);
		fputs("Type 'help NAME' for one command.\n", app->out);
		return TCL_OK;
	}
	const char *name = Tcl_GetString(objv[1]);
	if (strcmp(name, "exit") == 0)	/* quit's twin */
		name = "quit";
	for (int i = 0; hi_commands[i]; i++)
		if (strcmp(hi_commands[i]->name, name) == 0) {
			const struct hi_cmd *c = hi_commands[i];
			fprintf(app->out, "%s %s\n  %s\n%s", c->name, c->usage, c->summary, c->help);
			return TCL_OK;
		}
	Tcl_SetObjResult(interp, Tcl_ObjPrintf("no command \"%s\"; type 'help' for the list", name));
	return TCL_ERROR;
}

const struct hi_cmd hi_cmd_help = {
	"help", "?NAME?", "list the commands, or describe one", "", help_proc,
};
