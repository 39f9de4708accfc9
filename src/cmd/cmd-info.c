/* cmd-info.c: `info`, what heapinspect knows about the target.  */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "util/error.h"
#include "report/emit.h"
#include "report/view.h"
#include "walk/gcwalk.h"
#include "mem/core.h"

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
		  "executable runtime debuginfo layout_from (dwarf,\n"
		  "cache or pack) dwarf_cache layout_pack\n"
		  "layout_pack_same_build layout_checked threads interpreters\n"
		  "gc_objects pause_ms last_census interpreter source file\n"
		  "core; source: process, image or core; core: writer signal\n"
		  "command from_core from_files missing not_read, a list\n"
		  "of dicts: file why; last_census:\n"
		  "mode (copy, inplace or none) copied pause_ms why;\n"
		  "interpreter, a list of dicts: id threads threads_broken gc)" },
	{ NULL },
};
enum { O_FORMAT };

/* The facts, once, for every format.  */
static void emit_info(struct hi_emit *e, const struct hi_session *s, const struct hi_gcinfo *gi, int os_threads,
		      const char *exe, const struct hi_walk_report *w)
{
	hi_emit_object(e, NULL);
	hi_emit_i64(e, "pid", s->pid);
	hi_emit_str(e, "python", s->py.version);
	hi_emit_str(e, "executable", exe);
	hi_emit_str(e, "runtime", hi_dbg_python_path(s->dbg));
	hi_emit_str(e, "debuginfo", hi_dbg_debug_path(s->dbg));
	/* Where the layouts came from: the DWARF read now, the answers it
	 * gave an earlier attach to this build, kept by its build id, or a
	 * layout pack.  */
	int same = 0;
	const char *pack = hi_dbg_pack_file(s->dbg, NULL, &same);
	hi_emit_str(e, "layout_from", hi_dbg_layout_source_name(s->dbg));
	hi_emit_str(e, "dwarf_cache", hi_dbg_cache_file(s->dbg) ? hi_dbg_cache_file(s->dbg) : "");
	/* A layout pack: which, whether of this very build, and what the
	 * checks against the target found (validate.h).  */
	hi_emit_str(e, "layout_pack", pack ? pack : "");
	hi_emit_bool(e, "layout_pack_same_build", pack && same);
	hi_emit_str(e, "layout_checked", s->py.checked);
	hi_emit_i64(e, "threads", os_threads);
	hi_emit_i64(e, "interpreters", gi->ninterps);
	hi_emit_u64(e, "gc_objects", gi->objects);
	hi_emit_double(e, "pause_ms", s->target.last_pause * 1e3);
	/* What was read: the process, an image, or a core file, and for a
	 * core what it held, what came from the mapped files instead, and
	 * which of those could not be read.  */
	const struct hi_core *c = s->image ? s->image->core : NULL;
	hi_emit_str(e, "source", !s->image ? "process" : c ? "core" : "image");
	hi_emit_str(e, "file", s->image ? s->image->path : "");
	if (c) {
		hi_emit_object(e, "core");
		hi_emit_str(e, "writer", c->writer);
		hi_emit_i64(e, "signal", c->signal);
		hi_emit_str(e, "command", c->args[0] ? c->args : c->command);
		hi_emit_u64(e, "from_core", c->from_core);
		hi_emit_u64(e, "from_files", c->from_files);
		hi_emit_u64(e, "missing", c->missing);
		hi_emit_list(e, "not_read");
		for (size_t i = 0; i < c->nfiles; i++) {
			const struct hi_core_file *f = &c->files[i];
			if (f->state != HI_CORE_FILE_MISSING && f->state != HI_CORE_FILE_OTHER)
				continue;
			hi_emit_object(e, NULL);
			hi_emit_str(e, "file", f->name);
			hi_emit_str(e, "why", f->state == HI_CORE_FILE_OTHER ? "another build" : "not found");
			hi_emit_end(e);
		}
		hi_emit_end(e);
		hi_emit_end(e);
	}
	/* How the last census read the target: on a copy or in place, how
	 * long it was stopped, and why in place when a copy was possible. */
	hi_emit_object(e, "last_census");
	hi_emit_str(e, "mode", !w->taken ? "none" : w->copied ? "copy" : "inplace");
	hi_emit_u64(e, "copied", w->bytes);
	hi_emit_double(e, "pause_ms", w->pause_ms);
	hi_emit_str(e, "why", w->why);
	hi_emit_end(e);
	hi_emit_list(e, "interpreter");
	uint64_t main_interp = hi_py_main_interp((struct hi_py *)&s->py);
	for (int i = 0; i < gi->ninterps; i++) {
		const struct hi_interp *in = &gi->interps[i];
		hi_emit_object(e, NULL);
		hi_emit_i64(e, "id", in->id);
		hi_emit_bool(e, "main", in->addr == main_interp);
		hi_emit_i64(e, "threads", in->nthreads);
		hi_emit_bool(e, "threads_broken", in->threads_broken);
		hi_emit_bool(e, "owns_gc", in->owns_gc);
		hi_emit_object(e, "gc");
		for (int k = 0; k < in->nlists; k++)
			hi_emit_u64(e, in->lists[k].name, in->lists[k].count);
		hi_emit_end(e);
		hi_emit_list(e, "gc_broken");	/* the lists that loop back */
		for (int k = 0; k < in->nlists; k++)
			if (in->lists[k].broken)
				hi_emit_str(e, NULL, in->lists[k].name);
		hi_emit_end(e);
		hi_emit_end(e);
	}
	hi_emit_end(e);
	hi_emit_end(e);
}

/* The table, from the description.  */
static void info_table(FILE *o, Tcl_Obj *v, int all)
{
	(void)all;
	const char *source = hi_view_str(v, "source");
	if (!strcmp(source, "image"))
		fprintf(o, "image:        %s\n", hi_view_str(v, "file"));
	Tcl_Obj *core = hi_view_get(v, "core");
	if (core) {
		int sig = (int)hi_view_int(core, "signal");
		const char *w = hi_view_str(core, "writer");
		fprintf(o, "core:         %s (written by %s", hi_view_str(v, "file"), !strcmp(w, "kernel") ? "the kernel" : w);
		if (sig)
			fprintf(o, "; the process was ended by signal %d, %s", sig, strsignal(sig));
		fprintf(o, ")\n");
		fprintf(o, "command:      %s\n", hi_view_str(core, "command"));
		fprintf(o, "memory:       %.1f MiB from the core, %.1f MiB from mapped files, %.1f MiB in neither\n",
			hi_view_int(core, "from_core") / 1048576.0, hi_view_int(core, "from_files") / 1048576.0,
			hi_view_int(core, "missing") / 1048576.0);
		Tcl_Obj **nr;
		int n = hi_view_list(core, "not_read", &nr);
		for (int i = 0; i < n; i++)
			fprintf(o, "not read:     %s (%s)\n", hi_view_str(nr[i], "file"), hi_view_str(nr[i], "why"));
	}
	fprintf(o, "pid:          %d\n", (int)hi_view_int(v, "pid"));
	fprintf(o, "python:       CPython %s\n", hi_view_str(v, "python"));
	fprintf(o, "executable:   %s\n", hi_view_str(v, "executable"));
	fprintf(o, "runtime in:   %s\n", hi_view_str(v, "runtime"));
	fprintf(o, "debug info:   %s\n", hi_view_str(v, "debuginfo"));
	if (!strcmp(hi_view_str(v, "layout_from"), "cache"))
		fprintf(o, "layouts from: its answers kept in %s\n", hi_view_str(v, "dwarf_cache"));
	else if (!strcmp(hi_view_str(v, "layout_from"), "pack"))
		fprintf(o, "layouts from: the layout pack %s (%s)\n", hi_view_str(v, "layout_pack"),
			hi_view_int(v, "layout_pack_same_build") ? "saved from this very build"
								 : "saved from another build of this version");
	fprintf(o, "layouts:      checked against the target, %s\n", hi_view_str(v, "layout_checked"));
	fprintf(o, "threads:      %d\n", (int)hi_view_int(v, "threads"));
	fprintf(o, "interpreters: %d\n", (int)hi_view_int(v, "interpreters"));
	Tcl_Obj **in;
	int n = hi_view_list(v, "interpreter", &in);
	/* By id: the main interpreter's is 0, subinterpreters' count up.  */
	int order[HI_MAX_INTERPS];
	for (int i = 0; i < n && i < HI_MAX_INTERPS; i++) {
		int k = i;
		for (; k > 0 && hi_view_int(in[order[k - 1]], "id") > hi_view_int(in[i], "id"); k--)
			order[k] = order[k - 1];
		order[k] = i;
	}
	for (int j = 0; j < n && j < HI_MAX_INTERPS; j++) {
		int i = order[j];
		int64_t threads = hi_view_int(in[i], "threads");
		fprintf(o, "  interpreter %" PRId64 "%s: %" PRId64 " Python thread state%s%s", hi_view_int(in[i], "id"),
			hi_view_int(in[i], "main") ? " (main)" : "", threads, threads == 1 ? "" : "s",
			hi_view_int(in[i], "threads_broken") ? " (their list loops back: corrupt memory; counted to the repeat)"
							     : "");
		if (!hi_view_int(in[i], "owns_gc"))
			fputs("; GC lists shared with the main interpreter", o);
		Tcl_Obj *gc = hi_view_get(in[i], "gc"), **broken, *key, *val;
		int nb = hi_view_list(in[i], "gc_broken", &broken);
		Tcl_DictSearch search;
		int done = 1, k = 0;
		if (gc && Tcl_DictObjFirst(NULL, gc, &search, &key, &val, &done) != TCL_OK)
			done = 1;
		for (; !done; Tcl_DictObjNext(&search, &key, &val, &done), k++) {
			Tcl_WideInt count = 0;
			Tcl_GetWideIntFromObj(NULL, val, &count);
			const char *name = Tcl_GetString(key);
			int is_broken = 0;
			for (int j = 0; j < nb; j++)
				is_broken |= !strcmp(Tcl_GetString(broken[j]), name);
			fprintf(o, "%s %s %" PRId64 "%s", k ? "," : ";", name, (int64_t)count, is_broken ? " (broken list)" : "");
		}
		if (gc)
			Tcl_DictObjDone(&search);
		fputc('\n', o);
	}
	fprintf(o, "gc objects:   %" PRId64 "\n", hi_view_int(v, "gc_objects"));
	Tcl_Obj *pause = hi_view_get(v, "pause_ms");
	double ms = 0;
	if (pause)
		Tcl_GetDoubleFromObj(NULL, pause, &ms);
	if (!strcmp(source, "process"))
		fprintf(o, "pause:        %.1f ms\n", ms);
	Tcl_Obj *last = hi_view_get(v, "last_census");
	const char *mode = last ? hi_view_str(last, "mode") : "none";
	double lms = 0;
	Tcl_Obj *lp = last ? hi_view_get(last, "pause_ms") : NULL;
	if (lp)
		Tcl_GetDoubleFromObj(NULL, lp, &lms);
	if (!strcmp(mode, "copy"))
		fprintf(o, "last census:  on a copy of %.1f MiB; the target was stopped %.1f ms\n",
			hi_view_int(last, "copied") / 1048576.0, lms);
	else if (!strcmp(mode, "inplace"))
		fprintf(o, "last census:  in place; the target was stopped %.1f ms%s%s%s\n", lms,
			*hi_view_str(last, "why") ? " (not on a copy: " : "", hi_view_str(last, "why"),
			*hi_view_str(last, "why") ? ")" : "");
	else
		fprintf(o, "last census:  none yet\n");
}

static const struct hi_view info_view = { .before = info_table };

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
	int os_threads = s->image && s->image->core ? s->image->core->nthreads : s->target.nthreads;
	int rc = hi_gc_walk(&s->py, gi, -1, count_only, NULL, s->who);
	if (hi_session_resume(s) < 0)
		rc = -1;
	if (rc < 0) {
		free(gi);
		return hi_cmd_fail(interp);
	}
	const char *exe = hi_dbg_exe_path(s->dbg) ? hi_dbg_exe_path(s->dbg) : "?";
	static const int formats[] = { HI_F_TABLE, HI_F_JSON, HI_F_TCL };
	struct hi_result r;
	rc = hi_cmd_begin(app, &r, formats[format], "info", &info_view, 0);
	if (rc == TCL_OK) {
		static const struct hi_walk_report none;
		emit_info(r.e, s, gi, os_threads, exe, app->walked.serial == s->serial ? &app->walked : &none);
		hi_cmd_end(app, &r);
	}
	free(gi);
	return rc;
}

const struct hi_cmd hi_cmd_info = {
	"info", "describe the target: Python, files, threads, interpreters, GC lists", info_args,
	"With a subcommand (info exists, info procs, ...) it is Tcl's own info.\n",
	info_run, HI_CMD_OUT | HI_CMD_TCL_INFO,
};
