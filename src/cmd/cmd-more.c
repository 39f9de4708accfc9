/* cmd-more.c: `more` and `all`, heapy's _.more and .all on the last table. */
#include "config.h"
#include "cmd/cmd.h"
#include "report/report.h"

static int more_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	if (app->last != HI_LAST_HEAP) {
		Tcl_SetObjResult(interp, Tcl_NewStringObj(app->last == HI_LAST_DIFF ? "'more' follows a heap table; use 'all' after diff" : "no table yet: run 'heap' first", -1));
		return TCL_ERROR;
	}
	long next = hi_report_more(app->out, &app->last_census, app->last_next);
	if (next >= 0)
		app->last_next = (size_t)next;
	return TCL_OK;
}

static int all_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	if (app->last == HI_LAST_HEAP) {
		hi_report_table(app->out, &app->last_census, 1);
	} else if (app->last == HI_LAST_DIFF) {
		struct hi_diff d;
		if (hi_diff_compute(&app->last_a, &app->last_b, &d) == 0) {
			hi_report_diff_table(app->out, &d, app->last_what, 1);
			hi_diff_free(&d);
		}
	} else {
		Tcl_SetObjResult(interp, Tcl_NewStringObj("no table yet: run 'heap' or 'diff' first", -1));
		return TCL_ERROR;
	}
	return TCL_OK;
}

const struct hi_cmd hi_cmd_more = {
	"more", "show the next 10 rows of the last heap table (heapy's _.more)", NULL, "", more_run,
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
