/* cmd.h: the command layer.  Every heapinspect command is a Tcl command;
 * each lives in its own cmd-NAME.c and is described by a struct hi_cmd
 * listed in commands.c.  Commands print what they show to the app's
 * output stream and return data only with `-format tcl`, so scripts can
 * compute on results and loops print as they go.  */
#ifndef HI_CMD_H
#define HI_CMD_H
#include <stdio.h>
#include <tcl.h>
#include "session.h"

struct hi_app {
	Tcl_Interp *interp;
	struct hi_session session;
	int verbose;
	FILE *out;
	int terminate;		/* SIGTERM/SIGHUP arrived: leave after detaching */
	Tcl_AsyncHandler async;	/* turns a signal into a script error */
};

struct hi_cmd {
	const char *name;
	const char *usage;	/* arguments, for "wrong # args" and help */
	const char *summary;	/* one line */
	const char *help;	/* the rest of `help NAME` */
	Tcl_ObjCmdProc *proc;
};

extern const struct hi_cmd hi_cmd_attach, hi_cmd_detach, hi_cmd_heap, hi_cmd_help, hi_cmd_info;

/* Where Tcl's own `info` lives once ours takes its name.  */
#define HI_TCL_INFO "::tcl::builtin_info"

/* All commands, NULL-terminated.  */
extern const struct hi_cmd *const hi_commands[];

/* Create the commands in APP->interp.  */
void hi_commands_register(struct hi_app *app);

/* Set the interpreter result to the current hi_errmsg() and return
 * TCL_ERROR.  */
int hi_cmd_fail(Tcl_Interp *interp);

/* Stop the attached target for reading, or fail with a Tcl error.  */
int hi_cmd_stop(struct hi_app *app);

#endif
