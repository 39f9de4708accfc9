/* cmd-more.c: `more` and `all`, heapy's _.more and .all on the last table. */
#include "config.h"
#include "cmd/cmd.h"
#include "report/view.h"

static int more_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	(void)a;
	if (!app->last) {
		Tcl_SetObjResult(interp, Tcl_NewStringObj("no table yet: run 'heap' first", -1));
		return TCL_ERROR;
	}
	app->last_next = hi_view_more(app->out, app->last, app->last_view, app->last_next);
	return TCL_OK;
}

static int all_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	(void)a;
	if (!app->last) {
		Tcl_SetObjResult(interp, Tcl_NewStringObj("no table yet: run 'heap' or 'diff' first", -1));
		return TCL_ERROR;
	}
	app->last_next = hi_view_render(app->out, app->last, app->last_view, 1);
	return TCL_OK;
}

const struct hi_cmd hi_cmd_more = {
	"more", "show the next 10 rows of the last heap or diff table (heapy's _.more)", NULL, "", more_run,
};

const struct hi_cmd hi_cmd_all = {
	"all", "show every row of the last heap or diff table (heapy's .all)", NULL, "", all_run,
};

/* `quit` is an alias of Tcl's exit (main.c); listed here for help. */
static const struct hi_argspec quit_args[] = {
	{ "STATUS", HI_ARG_INT, .min = 0, .max = 255, .help = "the exit status (default 0)" },
	{ NULL },
};

const struct hi_cmd hi_cmd_quit = {
	"quit", "detach and leave (Ctrl-D and 'exit' too)", quit_args, "", NULL,
};
