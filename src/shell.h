/* shell.h: the interactive shell.  A readline loop whose lines are Tcl
 * commands: input accumulates until Tcl_CommandComplete says it is whole
 * (prompt "(heapinspect) ", then "...> "), history persists in
 * ~/.heapinspect_history (HEAPINSPECT_HISTORY overrides; capped at 1000
 * lines), Tab completes command names and options, Ctrl-C clears the line
 * or cancels the running command (the target is resumed), Ctrl-D leaves.  */
#ifndef HI_SHELL_H
#define HI_SHELL_H
#include "cmd/cmd.h"

/* Run the shell until Ctrl-D, `quit` or `exit`.  Returns the exit status. */
int hi_shell_run(struct hi_app *app);

/* Print the interpreter's result, if not empty, and a newline to
 * APP->print, after what the script wrote with puts.  TCL_OK, or
 * TCL_ERROR with the result set: the output failed, or its reader left
 * (then the pending signal is SIGPIPE).  */
int hi_shell_print(struct hi_app *app);

/* Evaluate SCRIPT (a shell line, an -e argument) one top-level command
 * at a time, printing the result of each heapinspect command and that
 * of the last command whatever it is, as tclsh's prompt does.  */
int hi_shell_eval(struct hi_app *app, const char *script);

/* Evaluate the Tcl file PATH one top-level command at a time, printing
 * the result of each that is a heapinspect command (`heap`, not `set j
 * [heap]`), as a batch script's output.  `return` ends it.  On
 * TCL_ERROR, *LINE is the line of PATH where the failing command
 * starts (Tcl's -errorline counts from there).  */
int hi_shell_eval_file(struct hi_app *app, const char *path, int *line);

#endif
