/* commands.c: the command table and shared helpers (see cmd.h).  */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "report/emit.h"
#include "report/view.h"
#include "util/error.h"
#include "util/output.h"
#include "util/text.h"
#include "util/interrupt.h"

const struct hi_cmd *const hi_commands[] = {
	&hi_cmd_all,	&hi_cmd_attach, &hi_cmd_clearrel, &hi_cmd_detach, &hi_cmd_diff, &hi_cmd_dump, &hi_cmd_graph,
	&hi_cmd_growth, &hi_cmd_heap,	&hi_cmd_help,	&hi_cmd_live,	&hi_cmd_info,	&hi_cmd_layout, &hi_cmd_stacks, &hi_cmd_memory, &hi_cmd_more,	  &hi_cmd_numpy,
	&hi_cmd_objects, &hi_cmd_path,
	&hi_cmd_plot,	&hi_cmd_quit,	&hi_cmd_referents, &hi_cmd_referrers, &hi_cmd_setrel, &hi_cmd_shm,
	&hi_cmd_show,	&hi_cmd_top,	&hi_cmd_watch,	NULL,
};

/* Each command runs through run_cmd, which collects what the command
 * writes to APP->out into its result (commands nest: watch -command runs
 * others), and notices when stdout is a pipe whose reader has gone
 * (heapinspect ... | head) while a command wrote to it as it went:
 * SIGPIPE is ignored so that a walk is never cut short with the target
 * stopped, so the closed pipe is turned into the same unwinding a signal
 * causes, and the script ends, detaching, instead of taking census after
 * census for nobody.  */
struct binding {
	struct hi_app *app;
	const struct hi_cmd *cmd;
};

/* `info exists x` and friends: Tcl's own info, kept under another name
 * by hi_commands_register.  */
static int tcl_info(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	Tcl_Obj **v = (Tcl_Obj **)ckalloc(objc * sizeof *v);
	v[0] = Tcl_NewStringObj(HI_TCL_INFO, -1);
	Tcl_IncrRefCount(v[0]);
	for (int i = 1; i < objc; i++)
		v[i] = objv[i];
	int rc = Tcl_EvalObjv(interp, objc, v, 0);
	Tcl_DecrRefCount(v[0]);
	ckfree((char *)v);
	return rc;
}

/* -out FILE: the result goes to FILE, and the command returns nothing. */
static int result_to_file(struct hi_app *app, Tcl_Interp *interp, const char *cmd, const char *file)
{
	int len;
	const char *r = Tcl_GetStringFromObj(Tcl_GetObjResult(interp), &len);
	FILE *f = fopen(file, "w");
	int ok = f && fwrite(r, 1, (size_t)len, f) == (size_t)len && fputc('\n', f) != EOF;
	int err = errno;
	if (f && fclose(f) != 0 && ok) {
		ok = 0;
		err = errno;
	}
	if (!ok) {
		hi_error("%s: %s: cannot write %s: %s; check the path or choose another -out", app->session.who, cmd, file,
			 strerror(err));
		return hi_cmd_fail(interp);
	}
	Tcl_ResetResult(interp);
	return TCL_OK;
}

static int run_cmd(ClientData cd, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	struct binding *b = cd;
	struct hi_app *app = b->app;
	if ((b->cmd->flags & HI_CMD_TCL_INFO) && objc > 1 && Tcl_GetString(objv[1])[0] != '-')
		return tcl_info(interp, objc, objv);
	struct hi_args args;
	if (hi_cmd_parse(interp, b->cmd, objc, objv, &args) != TCL_OK)
		return TCL_ERROR;
	char *text = NULL;
	size_t len = 0;
	FILE *outer = app->out, *collect = open_memstream(&text, &len);
	if (!collect) {
		hi_error("%s: out of memory for its result; free some memory and retry", Tcl_GetString(objv[0]));
		return hi_cmd_fail(interp);
	}
	app->out = collect;
	hi_target_poll();	/* let go threads held since an earlier stop */
	int rc = b->cmd->run(app, interp, &args);
	hi_target_poll();
	app->out = outer;
	if (fclose(collect) != 0 && rc == TCL_OK) {
		hi_error("%s: out of memory for its result; free some memory and retry", Tcl_GetString(objv[0]));
		rc = hi_cmd_fail(interp);
	}
	if (rc == TCL_OK && text && len) {
		/* Text from the target is kept off terminals however the
		 * result is printed; the last line break is the printer's.  */
		if (text[len - 1] == '\n')
			len--;
		hi_text_clean_lines(text, len);
		Tcl_SetObjResult(interp, Tcl_NewStringObj(text, (int)len));
	}
	free(text);
	if (rc == TCL_OK && args.out)
		rc = result_to_file(app, interp, b->cmd->name, args.out);
	/* A write that failed mid-command left the error flag, not errno:
	 * a reader that left ends the script quietly (141), any other
	 * failure is this command's error.  */
	switch (hi_output_check(app->print)) {
	case HI_OUT_OK:
		break;
	case HI_OUT_GONE:
		if (!hi_interrupted()) {
			hi_interrupt_signal = SIGPIPE;
			if (app->async)
				Tcl_AsyncMark(app->async);
		}
		break;
	case HI_OUT_FAILED:
		if (rc == TCL_OK)
			rc = hi_cmd_fail(interp);
		break;
	}
	return rc;
}

int hi_cmd_is_ours(const char *name, int len)
{
	return len >= 0 && hi_cmd_find(name, (size_t)len) != NULL;
}

static void free_binding(ClientData cd)
{
	free(cd);
}

void hi_commands_register(struct hi_app *app)
{
	Tcl_Eval(app->interp, "rename ::info " HI_TCL_INFO);
	hi_baseline_init(&app->baseline);
	for (int i = 0; hi_commands[i]; i++) {
		struct binding *b = hi_commands[i]->run ? malloc(sizeof *b) : NULL;
		if (!b)
			continue;
		*b = (struct binding){ app, hi_commands[i] };
		Tcl_CreateObjCommand(app->interp, hi_commands[i]->name, run_cmd, b, free_binding);
	}
}

double hi_cmd_since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

struct timespec hi_cmd_later(const struct timespec *t, double seconds)
{
	double whole = floor(seconds);
	struct timespec r = { t->tv_sec + (time_t)whole, t->tv_nsec + (long)((seconds - whole) * 1e9) };
	while (r.tv_nsec >= 1000000000L) {
		r.tv_nsec -= 1000000000L;
		r.tv_sec++;
	}
	return r;
}

int hi_cmd_fail(Tcl_Interp *interp)
{
	Tcl_SetObjResult(interp, Tcl_NewStringObj(hi_errmsg(), -1));
	Tcl_SetErrorCode(interp, "HEAPINSPECT", hi_errclass_name(hi_errclass()), NULL);
	return TCL_ERROR;
}

const struct hi_baseline *hi_cmd_baseline(const struct hi_app *app)
{
	struct hi_proc_id id = app->session.target.id;
	id.pid = app->session.pid;
	return hi_baseline_of(&app->baseline, &id) ? &app->baseline : NULL;
}

int hi_cmd_stop(struct hi_app *app)
{
	if (hi_session_stop(&app->session) < 0)
		return hi_cmd_fail(app->interp);
	return TCL_OK;
}

int hi_cmd_resume(struct hi_app *app)
{
	if (hi_session_resume(&app->session) < 0)
		return hi_cmd_fail(app->interp);
	return TCL_OK;
}

int hi_cmd_begin(struct hi_app *app, struct hi_result *r, int format, const char *cmd, const struct hi_view *view,
		 int all)
{
	*r = (struct hi_result){ NULL, format, view, all };
	if (format == HI_F_JSON)
		r->e = hi_emit_json(app->out);
	else if (format == HI_F_CSV && view && view->csv && !view->csv_draw)
		r->e = hi_emit_csv(app->out, view->list, view->csv);
	else	/* Tcl, and the value a table or drawn CSV comes from */
		r->e = hi_emit_tcl();
	if (!r->e) {
		hi_error("%s: %s: out of memory for the %s result; free some memory and retry", app->session.who, cmd,
			 hi_formats[format]);
		return hi_cmd_fail(app->interp);
	}
	return TCL_OK;
}

void hi_cmd_end(struct hi_app *app, struct hi_result *r)
{
	Tcl_Obj *v = hi_emit_finish(r->e);
	r->e = NULL;
	if (!v)
		return;
	if (r->format == HI_F_CSV && r->view && r->view->csv_draw) {
		Tcl_IncrRefCount(v);
		r->view->csv_draw(app->out, v, r->all);
		Tcl_DecrRefCount(v);
		return;
	}
	if (r->format != HI_F_TABLE || !r->view) {
		Tcl_SetObjResult(app->interp, v);
		return;
	}
	Tcl_IncrRefCount(v);
	size_t next = hi_view_render(app->out, v, r->view, r->all);
	if (r->view->more) {
		hi_cmd_forget_table(app);
		app->last = v;
		app->last_view = r->view;
		app->last_next = next;
	} else {
		Tcl_DecrRefCount(v);
	}
}

void hi_cmd_forget_table(struct hi_app *app)
{
	if (app->last)
		Tcl_DecrRefCount(app->last);
	app->last = NULL;
	app->last_view = NULL;
	app->last_next = 0;
}
