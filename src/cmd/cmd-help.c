/* cmd-help.c: `help ?NAME?`, from the command table.  */
#include "config.h"
#include <string.h>
#include "cmd/cmd.h"

static const struct hi_argspec help_args[] = {
	{ "NAME", HI_ARG_COMMAND, .help = "a command" },
	{ NULL },
};

static int help_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	if (!a->v[0].set) {
		fputs("heapinspect commands (Tcl's own commands work too):\n", app->out);
		for (int i = 0; hi_commands[i]; i++)
			fprintf(app->out, "  %-8s %s\n", hi_commands[i]->name, hi_commands[i]->summary);
		fputs("Type 'help NAME' for one command.\n", app->out);
		return TCL_OK;
	}
	const char *name = Tcl_GetString(a->v[0].obj);
	if (strcmp(name, "exit") == 0)	/* quit's twin */
		name = "quit";
	hi_cmd_describe(hi_cmd_find(name, strlen(name)), app->out);
	return TCL_OK;
}

const struct hi_cmd hi_cmd_help = {
	"help", "list the commands, or describe one", help_args, "", help_run,
};
