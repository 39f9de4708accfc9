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

/* Classes of failure; each is heapinspect's exit status, so scripts can
 * tell them apart.  */
enum hi_errclass {
	HI_E_RUNTIME = 1,	/* anything else that went wrong at run time */
	HI_E_USAGE = 2,		/* the user's words were wrong */
	HI_E_NOPROC = 3,	/* no such process */
	HI_E_PERM = 4,		/* not allowed to trace it */
	HI_E_NOTPY = 5,		/* not CPython, or a CPython heapinspect cannot read */
	HI_E_NODEBUG = 6,	/* no debug information for its Python */
	HI_E_GONE = 7,		/* the target exited (or was replaced) while being read */
	HI_E_BUSY = 8,		/* it could not be stopped now (a thread blocked in the
				 * kernel): retry */
	HI_E_LAST = HI_E_BUSY
};

/* Set the class of the error just recorded (hi_error resets it to
 * HI_E_RUNTIME), and read it.  */
void hi_error_class(enum hi_errclass c);
enum hi_errclass hi_errclass(void);

/* The class's short name ("NOPROC"), for Tcl error codes, and back.  */
const char *hi_errclass_name(enum hi_errclass c);
enum hi_errclass hi_errclass_from_name(const char *name);

/* Record an error (printf format).  Overwrites any earlier one.  */
void hi_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prefix the current error with more context: "CONTEXT: old message".  */
void hi_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last error, or "unknown error" if none was recorded.  Owned by this
 * module; valid until the next hi_error call.  */
const char *hi_errmsg(void);

void hi_error_clear(void);

#endif
