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

#endif
