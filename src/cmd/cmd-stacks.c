/* cmd-stacks.c: `stacks`, every thread's Python stack.  */
#include "config.h"
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "cmd/cmd.h"
#include "report/emit.h"
#include "report/view.h"
#include "util/error.h"
#include "walk/stacks.h"

static const char *const stacks_formats[] = { "table", "json", "tcl", NULL };

static const struct hi_argspec stacks_args[] = {
	{ "-n", HI_ARG_INT, "N", NULL, 1, 1e6,
	  .help = "at most N frames of each thread, innermost first (default\n"
		  "10000)" },
	{ "-locals", HI_ARG_FLAG,
	  .help = "each frame's local, cell and free variables too: name, type\n"
		  "and top's preview (a str's start, a container's length)" },
	{ "-format", HI_ARG_CHOICE, "F", stacks_formats,
	  .help = "table (the default, as Python prints a traceback but\n"
		  "innermost first), json, or tcl (a dict: pid python threads,\n"
		  "a list of dicts: interpreter thread_id native_id name gil\n"
		  "(1 it holds the GIL, 0 not, -1 unknown) truncated frames,\n"
		  "a list of dicts: file line function\n"
		  "qualname, and with -locals locals, a list of dicts: name\n"
		  "address type preview)" },
	{ NULL },
};
enum { O_N, O_LOCALS, O_FORMAT };

static void stacks_table(FILE *o, Tcl_Obj *v, int all)
{
	(void)all;
	Tcl_Obj **t;
	int n = hi_view_list(v, "threads", &t);
	for (int i = 0; i < n; i++) {
		const char *name = hi_view_str(t[i], "name");
		int64_t native = hi_view_int(t[i], "native_id");
		fprintf(o, "%sThread %" PRIu64 "%s%s%s", i ? "\n" : "", (uint64_t)hi_view_int(t[i], "thread_id"),
			*name ? " \"" : "", name, *name ? "\"" : "");
		if (native)
			fprintf(o, " (native %" PRId64 ")", native);
		if (hi_view_int(t[i], "gil") == 1)
			fputs(" holding the GIL", o);
		fprintf(o, " in interpreter %" PRId64 ":\n", hi_view_int(t[i], "interpreter"));
		Tcl_Obj **f;
		int nf = hi_view_list(t[i], "frames", &f);
		if (!nf)
			fputs("  (no Python frame)\n", o);
		for (int k = 0; k < nf; k++) {
			int64_t line = hi_view_int(f[k], "line");
			fprintf(o, "  File \"%s\", ", hi_view_str(f[k], "file"));
			if (line >= 0)
				fprintf(o, "line %" PRId64 ", ", line);
			else
				fputs("line ?, ", o);
			fprintf(o, "in %s\n", hi_view_str(f[k], "function"));
			Tcl_Obj **lv;
			int nl = hi_view_list(f[k], "locals", &lv);
			for (int j = 0; j < nl; j++) {
				const char *pv = hi_view_str(lv[j], "preview");
				fprintf(o, "    %s = %s%s%s\n", hi_view_str(lv[j], "name"), hi_view_str(lv[j], "type"),
					*pv ? ", " : "", pv);
			}
		}
		if (hi_view_int(t[i], "truncated"))
			fputs("  ... (more frames: stacks -n N)\n", o);
	}
}

static const struct hi_view stacks_view = { .before = stacks_table };

static int stacks_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	struct hi_session *s = &app->session;
	size_t max = a->v[O_N].set ? (size_t)a->v[O_N].i : 10000;
	struct hi_stacks st;
	if (hi_cmd_stop(app) != TCL_OK)
		return TCL_ERROR;
	int rc = hi_stacks_read(&s->py, &st, max, a->v[O_LOCALS].set ? HI_STACKS_LOCALS : 0, s->who);
	if (hi_cmd_resume(app) != TCL_OK) {
		if (rc == 0)
			hi_stacks_free(&st);
		return TCL_ERROR;
	}
	if (rc < 0)
		return hi_cmd_fail(interp);
	static const int formats[] = { HI_F_TABLE, HI_F_JSON, HI_F_TCL };
	struct hi_result r;
	rc = hi_cmd_begin(app, &r, formats[a->v[O_FORMAT].set ? a->v[O_FORMAT].choice : 0], "stacks", &stacks_view, 0);
	if (rc == TCL_OK) {
		struct hi_emit *e = r.e;
		hi_emit_object(e, NULL);
		hi_emit_i64(e, "pid", s->pid);
		hi_emit_str(e, "python", s->py.version);
		hi_emit_list(e, "threads");
		for (size_t i = 0; i < st.n; i++) {
			const struct hi_thread_stack *t = &st.threads[i];
			hi_emit_object(e, NULL);
			hi_emit_i64(e, "interpreter", t->interp);
			hi_emit_u64(e, "thread_id", t->tid);
			hi_emit_u64(e, "native_id", t->native);
			hi_emit_str(e, "name", t->name);
			hi_emit_i64(e, "gil", t->gil);
			hi_emit_bool(e, "truncated", t->truncated);
			hi_emit_list(e, "frames");
			for (size_t k = 0; k < t->nframes; k++) {
				hi_emit_object(e, NULL);
				hi_emit_str(e, "file", t->frames[k].file);
				hi_emit_i64(e, "line", t->frames[k].line);
				hi_emit_str(e, "function", t->frames[k].func);
				hi_emit_str(e, "qualname", t->frames[k].qualname);
				if (a->v[O_LOCALS].set) {
					hi_emit_list(e, "locals");
					for (size_t j = 0; j < t->frames[k].nlocals; j++) {
						const struct hi_local *lv = &t->frames[k].locals[j];
						char addr[24];
						snprintf(addr, sizeof addr, "0x%llx", (unsigned long long)lv->addr);
						hi_emit_object(e, NULL);
						hi_emit_str(e, "name", lv->name);
						hi_emit_str(e, "address", addr);
						hi_emit_str(e, "type", lv->type);
						hi_emit_str(e, "preview", lv->preview);
						hi_emit_end(e);
					}
					hi_emit_end(e);
				}
				hi_emit_end(e);
			}
			hi_emit_end(e);
			hi_emit_end(e);
		}
		hi_emit_end(e);
		hi_emit_end(e);
		hi_cmd_end(app, &r);
	}
	hi_stacks_free(&st);
	return rc;
}

const struct hi_cmd hi_cmd_stacks = {
	"stacks", "every thread's Python stack, innermost frame first", stacks_args,
	"For each interpreter and each of its threads: the thread's id\n"
	"(threading.get_ident()), its kernel id (3.11+) and threading's name for\n"
	"it, then its running frames as a traceback shows them, innermost first,\n"
	"with lines from each code object's own line table.  The target is\n"
	"stopped while they are read.\n",
	stacks_run, HI_CMD_OUT,
};
