/* cmd.h: the command layer.  Every heapinspect command is a Tcl command;
 * each lives in its own cmd-NAME.c and is described by a struct hi_cmd
 * listed in commands.c.  A command's result is its Tcl result: the text
 * it writes to APP->out (a table, JSON or CSV), which commands.c collects
 * into the result, or the value it sets (a dict for -format tcl).  It
 * prints nothing itself: the shell, -e and -f print the results of the
 * commands they run, and `set j [heap -format json]` captures one.  */
#ifndef HI_CMD_H
#define HI_CMD_H
#include <stdio.h>
#include <time.h>
#include <tcl.h>
#include "census/baseline.h"
#include "census/census.h"
#include "session/session.h"

/* How the last census of this session read the target, for `info`.  */
struct hi_walk_report {
	int taken;		/* 0 before the first census */
	unsigned serial;	/* of the session it was taken in */
	int copied;		/* 1 walked a copy, 0 in place */
	uint64_t bytes;		/* copied */
	double pause_ms;	/* the target was stopped */
	char why[200];		/* why in place, when a copy was not forced out */
};

struct hi_app {
	Tcl_Interp *interp;
	struct hi_session session;
	int verbose;
	FILE *out;		/* the running command's result text */
	FILE *print;		/* stdout, cleaned (output.h): where results are
				 * printed, and watch's lines as it samples */
	int terminate;		/* SIGTERM/SIGHUP arrived: leave after detaching */
	Tcl_AsyncHandler async;	/* turns a signal into a script error */
	struct hi_baseline baseline;	/* setrel's, for baseline.pid */
	/* The last folding table drawn (heap, diff), for `more` and `all`:
	 * its description and view.  */
	Tcl_Obj *last;
	const struct hi_view *last_view;
	size_t last_next;	/* the next row for `more` */
	/* The reference graph of the last census, and the session it was
	 * taken in (hi_session.serial).  */
	struct hi_heapgraph *graph;
	unsigned graph_serial;
	/* The last graph's objects and references in this session: the next
	 * census reserves as much before the target stops.  */
	uint64_t graph_nodes, graph_refs;
	struct hi_walk_report walked;	/* how the last census read the target */
	/* growth's last census, when, and of which session (serial).  */
	struct {
		int set;
		unsigned serial;
		struct timespec when;
		struct hi_census census;
	} growth;
};

/* What a command takes, declared once (as tmux's cmd_entry and
 * tclsqlite's option tables do): parsing, usage, `help NAME`, Tab
 * completion and "did you mean" suggestions all come from it.  */
enum hi_argtype {
	HI_ARG_FLAG,		/* an option without a value: -copy */
	HI_ARG_INT,		/* an integer from MIN to MAX */
	HI_ARG_NUMBER,		/* a real number from MIN to MAX */
	HI_ARG_STRING,		/* any text */
	HI_ARG_FILE,		/* a file name (Tab completes file names) */
	HI_ARG_SCRIPT,		/* a Tcl script */
	HI_ARG_CHOICE,		/* one of CHOICES (a unique prefix will do) */
	HI_ARG_COMMAND,		/* the name of a heapinspect command */
};

struct hi_argspec {
	const char *name;	/* "-format"; without the dash, a positional
				 * argument, by its placeholder ("N", "FILE") */
	enum hi_argtype type;
	const char *value;	/* an option's value, for usage: "FILE" */
	const char *const *choices;	/* HI_ARG_CHOICE: NULL-terminated */
	double min, max;	/* HI_ARG_INT and HI_ARG_NUMBER */
	int required;
	const char *help;	/* for `help NAME`; may run over lines */
	const char *excludes;	/* an option that cannot be given with this one */
};

#define HI_MAX_ARGS 12

/* The parsed arguments, one slot per hi_argspec in table order.  */
struct hi_args {
	struct hi_argval {
		int set;	/* given (a flag: present) */
		Tcl_Obj *obj;	/* the value as given */
		Tcl_WideInt i;	/* HI_ARG_INT */
		double d;	/* HI_ARG_NUMBER */
		int choice;	/* HI_ARG_CHOICE: its index */
	} v[HI_MAX_ARGS];
	const char *out;	/* -out FILE of a HI_CMD_OUT command */
};

enum {
	HI_CMD_OUT = 1,		/* takes -out FILE: the result goes there */
	HI_CMD_TCL_INFO = 2,	/* with a subcommand, it is Tcl's own info */
};

struct hi_cmd {
	const char *name;
	const char *summary;	/* one line */
	const struct hi_argspec *args;	/* ended by {NULL}; NULL: none */
	const char *help;	/* the rest of `help NAME` */
	int (*run)(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a);
	unsigned flags;
};

/* `-format table|json|csv|tcl`, as most commands take it.  */
extern const char *const hi_formats[];
enum { HI_F_TABLE, HI_F_JSON, HI_F_CSV, HI_F_TCL };

/* Parse OBJV by CMD's table into A.  TCL_OK, or TCL_ERROR with a
 * one-line message naming the command, the word at fault, a suggestion
 * when one is close, and the usage.  */
int hi_cmd_parse(Tcl_Interp *interp, const struct hi_cmd *cmd, int objc, Tcl_Obj *const objv[], struct hi_args *a);

/* CMD's usage ("?-all? ?-format table|json|csv|tcl? ?-out FILE?") into
 * BUF; returns BUF.  */
char *hi_cmd_usage(const struct hi_cmd *cmd, char *buf, size_t size);

/* `help NAME`'s text for CMD.  */
void hi_cmd_describe(const struct hi_cmd *cmd, FILE *out);

/* The command named NAME (LEN bytes), or NULL.  */
const struct hi_cmd *hi_cmd_find(const char *name, size_t len);

extern const struct hi_cmd hi_cmd_all, hi_cmd_attach, hi_cmd_clearrel, hi_cmd_detach, hi_cmd_diff, hi_cmd_dump, hi_cmd_heap,
	hi_cmd_help, hi_cmd_info, hi_cmd_more, hi_cmd_quit, hi_cmd_setrel;
extern const struct hi_cmd hi_cmd_watch, hi_cmd_plot, hi_cmd_growth, hi_cmd_live;
extern const struct hi_cmd hi_cmd_top, hi_cmd_numpy;
extern const struct hi_cmd hi_cmd_memory, hi_cmd_shm;
extern const struct hi_cmd hi_cmd_layout, hi_cmd_stacks;
extern const struct hi_cmd hi_cmd_path, hi_cmd_referrers, hi_cmd_referents, hi_cmd_show, hi_cmd_objects,
	hi_cmd_graph;

/* Where Tcl's own `info` lives once ours takes its name.  */
#define HI_TCL_INFO "::tcl::builtin_info"

/* All commands, NULL-terminated.  */
extern const struct hi_cmd *const hi_commands[];

/* Is NAME (LEN bytes) one of the commands above?  */
int hi_cmd_is_ours(const char *name, int len);

/* Create the commands in APP->interp.  */
void hi_commands_register(struct hi_app *app);

/* Set the interpreter result to the current hi_errmsg() and return
 * TCL_ERROR.  */
int hi_cmd_fail(Tcl_Interp *interp);

/* Seconds from A to B, and T plus SECONDS (>= 0): the schedules of watch
 * and live, on CLOCK_MONOTONIC.  */
double hi_cmd_since(const struct timespec *a, const struct timespec *b);
struct timespec hi_cmd_later(const struct timespec *t, double seconds);

/* The baseline, if it was taken of the attached process, else NULL.  */
const struct hi_baseline *hi_cmd_baseline(const struct hi_app *app);

/* The most a copy of the target's memory (heap -copy, dump) may take,
 * in bytes: HEAPINSPECT_COPY_MB (0: no bound), by default half of the
 * machine's MemAvailable.  */
uint64_t hi_cmd_copy_bound(void);

/* Stop the attached target for reading, or fail with a Tcl error.  */
int hi_cmd_stop(struct hi_app *app);

/* Let it run again; a Tcl error (HI_E_GONE) if it exited meanwhile, when
 * what was read must not be reported.  */
int hi_cmd_resume(struct hi_app *app);

/* How a census reads a live target.  HI_WALK_COPY: copy its memory while
 * stopped (into memory made ready before the stop) and walk the copy
 * after it resumes, a short pause for more memory; HI_WALK_INPLACE: walk
 * it while stopped; HI_WALK_AUTO, the default: a copy when it fits in
 * hi_cmd_copy_bound(), else in place.  */
enum hi_walk_mode { HI_WALK_AUTO, HI_WALK_COPY, HI_WALK_INPLACE };

/* The options that choose it, -copy then -inplace, for a command's table
 * (COPY_HELP: what -copy means there).  */
#define HI_ARGS_MODE(copy_help)                                                                       \
	{ "-copy", HI_ARG_FLAG, .help = copy_help },                                                  \
	{ "-inplace", HI_ARG_FLAG,                                                                    \
	  .help = "walk the target in place while it is stopped: no copy of its\n"                    \
		  "memory, a longer pause (see 'help heap')",                                         \
	  .excludes = "-copy" }

/* The mode -copy (at A->v[O_COPY]) and -inplace (the slot after it) ask
 * for.  */
enum hi_walk_mode hi_cmd_mode(const struct hi_args *a, int o_copy);


/* Take a census of the attached target (stop, walk, resume), reading it
 * as MODE says.  BASELINE and RECORD as in struct hi_heap_opts.  Returns
 * TCL_OK or TCL_ERROR.  */
struct hi_baseline;
int hi_cmd_census(struct hi_app *app, int by_type, enum hi_walk_mode mode, const struct hi_baseline *baseline,
		  struct hi_keyset *record, struct hi_census *out);

/* The same with every option of the walk (heap.h: an observer, ...).
 * AFTER, when not NULL, runs once the walk has succeeded, while PY still
 * reads the target as the walk saw it (stopped, or the -copy image): to
 * read more of what the observer kept.  It returns 0, or -1 with
 * hi_errmsg() set.  */
struct hi_heap_opts;
struct hi_py;
typedef int (*hi_cmd_after_fn)(struct hi_py *py, void *arg);
int hi_cmd_walk(struct hi_app *app, const struct hi_heap_opts *opts, enum hi_walk_mode mode, struct hi_census *out,
		hi_cmd_after_fn after, void *after_arg);

/* A command's result, described once into E (emit.h) and given in
 * FORMAT: JSON text, CSV of VIEW's list and columns, a Tcl value, or a
 * table drawn by VIEW (view.h), folded unless ALL.  */
struct hi_emit;
struct hi_view;
struct hi_result {
	struct hi_emit *e;
	int format;
	const struct hi_view *view;
	int all;
};

/* Begin R.  TCL_OK, or TCL_ERROR naming the pid and CMD when out of
 * memory.  */
int hi_cmd_begin(struct hi_app *app, struct hi_result *r, int format, const char *cmd, const struct hi_view *view,
		 int all);

/* End R: the text or value becomes the command's result.  A table whose
 * view folds is kept for `more` and `all`.  */
void hi_cmd_end(struct hi_app *app, struct hi_result *r);

/* The reference graph of the last census of the attached target, or
 * NULL.  */
struct hi_heapgraph *hi_cmd_kept_graph(struct hi_app *app);

/* Drop it.  */
void hi_cmd_forget_graph(struct hi_app *app);

/* Drop the table kept for `more` and `all`.  */
void hi_cmd_forget_table(struct hi_app *app);


#endif
