/* cmd-info.c: `info`, what heapinspect knows about the target.  */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "util/error.h"
#include "report/emit.h"
#include "walk/gcwalk.h"

static int count_only(uint64_t obj, int interp, void *arg)
{
	(void)obj;
	(void)interp;
	(void)arg;
	return 0;
}

static const char *const info_formats[] = { "table", "json", "tcl", NULL };

static const struct hi_argspec info_args[] = {
	{ "-format", HI_ARG_CHOICE, "F", info_formats,
	  .help = "table (the default), json, or tcl (a dict: pid python\n"
		  "executable runtime debuginfo threads interpreters\n"
		  "gc_objects pause_ms interpreter, a list of dicts: id\n"
		  "threads threads_broken gc)" },
	{ NULL },
};
enum { O_FORMAT };

/* The facts, once, for json and tcl.  */
static void emit_info(struct hi_emit *e, const struct hi_session *s, const struct hi_gcinfo *gi, int os_threads,
		      const char *exe)
{
	hi_emit_object(e, NULL);
	hi_emit_i64(e, "pid", s->pid);
	hi_emit_str(e, "python", s->py.version);
	hi_emit_str(e, "executable", exe);
	hi_emit_str(e, "runtime", hi_dbg_python_path(s->dbg));
	hi_emit_str(e, "debuginfo", hi_dbg_debug_path(s->dbg));
	hi_emit_i64(e, "threads", os_threads);
	hi_emit_i64(e, "interpreters", gi->ninterps);
	hi_emit_u64(e, "gc_objects", gi->objects);
	hi_emit_double(e, "pause_ms", s->target.last_pause * 1e3);
	hi_emit_list(e, "interpreter");
	for (int i = 0; i < gi->ninterps; i++) {
		const struct hi_interp *in = &gi->interps[i];
		hi_emit_object(e, NULL);
		hi_emit_i64(e, "id", in->id);
		hi_emit_i64(e, "threads", in->nthreads);
		hi_emit_bool(e, "threads_broken", in->threads_broken);
		hi_emit_object(e, "gc");
		for (int k = 0; k < in->nlists; k++)
			hi_emit_u64(e, in->lists[k].name, in->lists[k].count);
		hi_emit_end(e);
		hi_emit_end(e);
	}
	hi_emit_end(e);
	hi_emit_end(e);
}

static int info_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	int format = a->v[O_FORMAT].choice;
	struct hi_gcinfo *gi = malloc(sizeof *gi);
	if (!gi) {
		hi_error("out of memory");
		return hi_cmd_fail(interp);
	}
	if (hi_cmd_stop(app) != TCL_OK) {
		free(gi);
		return TCL_ERROR;
	}
	struct hi_session *s = &app->session;
	int os_threads = s->target.nthreads;
	int rc = hi_gc_walk(&s->py, gi, count_only, NULL, s->who);
	if (hi_session_resume(s) < 0)
		rc = -1;
	if (rc < 0) {
		free(gi);
		return hi_cmd_fail(interp);
	}
	const char *exe = hi_dbg_exe_path(s->dbg) ? hi_dbg_exe_path(s->dbg) : "?";
	if (format != 0) {
		struct hi_emit *e = hi_cmd_emitter(app, format == 1 ? HI_F_JSON : HI_F_TCL, "info", NULL, NULL);
		if (e) {
			emit_info(e, s, gi, os_threads, exe);
			hi_cmd_emitted(app, e);
		}
		free(gi);
		return e ? TCL_OK : hi_cmd_fail(interp);
	}
	FILE *o = app->out;
	fprintf(o, "pid:          %d\n", (int)s->pid);
	fprintf(o, "python:       CPython %s\n", s->py.version);
	fprintf(o, "executable:   %s\n", exe);
	fprintf(o, "runtime in:   %s\n", hi_dbg_python_path(s->dbg));
	fprintf(o, "debug info:   %s\n", hi_dbg_debug_path(s->dbg));
	fprintf(o, "threads:      %d\n", os_threads);
	fprintf(o, "interpreters: %d\n", gi->ninterps);
	for (int i = 0; i < gi->ninterps; i++) {
		struct hi_interp *in = &gi->interps[i];
		fprintf(o, "  interpreter %d (id %" PRId64 "): %d Python thread state%s%s", i, in->id, in->nthreads,
			in->nthreads == 1 ? "" : "s",
			in->threads_broken ? " (their list loops back: corrupt memory; counted to the repeat)" : "");
		if (!in->owns_gc)
			fputs("; GC lists shared with the main interpreter", o);
		for (int k = 0; k < in->nlists; k++)
			fprintf(o, "%s %s %" PRIu64 "%s", k ? "," : ";", in->lists[k].name, in->lists[k].count,
				in->lists[k].broken ? " (broken list)" : "");
		fputc('\n', o);
	}
	fprintf(o, "gc objects:   %" PRIu64 "\n", gi->objects);
	fprintf(o, "pause:        %.1f ms\n", s->target.last_pause * 1e3);
	free(gi);
	return TCL_OK;
}

const struct hi_cmd hi_cmd_info = {
	"info", "describe the target: Python, files, threads, interpreters, GC lists", info_args,
	"With a subcommand (info exists, info procs, ...) it is Tcl's own info.\n",
	info_run, HI_CMD_OUT | HI_CMD_TCL_INFO,
};
