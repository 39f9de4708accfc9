/* error.h: how heapinspect's layers report failure.
 *
 * Library-like layers (target, mem, debuginfo, layout, walk, ...) never print
 * and never exit.  They return -1 (or NULL) and leave one sentence here,
 * the way libdwfl keeps dwfl_errmsg().  Only the front end (main.c and the
 * Tcl command layer) prints it, prefixed with the program name.
 *
 * A message says what failed, on which pid, and, where one exists, the
 * remedy, all on one line: "pid 42: cannot attach: ...; run as root".  */
#ifndef HI_ERROR_H
#define HI_ERROR_H

/* Classes of failure; main() maps them to exit statuses.  */
enum hi_errclass {
	HI_E_RUNTIME = 1,	/* anything that went wrong at run time */
	HI_E_USAGE = 2,		/* the user's words were wrong */
};

/* Record an error (printf format).  Overwrites any earlier one.  */
void hi_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prefix the current error with more context: "CONTEXT: old message".  */
void hi_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last error, or "unknown error" if none was recorded.  Owned by this
 * module; valid until the next hi_error call.  */
const char *hi_errmsg(void);

void hi_error_clear(void);

#endif
