/* cmd-path.c: `path ADDR|KIND`, who keeps objects alive: the shortest
 * reference paths from named roots, grouped by shape.  */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/refs.h"
#include "report/emit.h"
#include "report/view.h"
#include "util/error.h"

#define UNREACHED "(garbage: nothing holds it but other garbage; the cyclic collector has not freed it yet)"

static const char *const path_csv[] = { "index", "count", "percent", "path", "reached", "example", NULL };

static const struct hi_column path_columns[] = {
	{ "index", 6 }, { "count", 8 }, { "percent", 4 }, { "path", 0 }, { NULL },
};

static void path_before(FILE *out, Tcl_Obj *v, int all)
{
	(void)all;
	int64_t n = hi_view_int(v, "objects"), examined = hi_view_int(v, "examined");
	const char *what = hi_view_str(v, "target");
	fprintf(out, "Shortest paths from named roots to %s%s", what, hi_view_int(v, "relative") ? " (new since setrel)" : "");
	if (examined < n)
		fprintf(out, ", %" PRId64 " of its %" PRId64 " objects examined (-all: every one)", examined, n);
	fputs(":\n", out);
}

static const struct hi_view path_view = {
	"rows", path_csv, path_columns, " Index    Count    % Path", "more", path_before, NULL,
};

static const struct hi_argspec path_args[] = {
	{ "WHAT", HI_ARG_STRING, .required = 1,
	  .help = "an object's address (0x...), or a kind as heap names it\n"
		  "(\"__main__.Session\", \"dict of __main__.Cache\", \"str\")" },
	{ "-all", HI_ARG_FLAG, .help = "examine every object of the kind (by default at most 10000,\n"
				       "evenly spread), and show every row" },
	HI_ARGS_MODE("take a new census on a copy of the target's memory (see 'help heap')"),
	{ "-format", HI_ARG_CHOICE, "F", hi_formats,
	  .help = "table, json, csv, or tcl (a dict: pid python target objects\n"
		  "examined relative rows, a list of dicts: index count percent\n"
		  "path (with every subscript as [*]) reached (false: garbage,\n"
		  "nothing reaches them) example (one path in full) length\n"
		  "(references on it))" },
	{ NULL },
};
enum { O_WHAT, O_ALL, O_COPY, O_INPLACE, O_FORMAT };

static int path_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	int all = a->v[O_ALL].set, format = a->v[O_FORMAT].choice;
	struct hi_refs_query q;
	int mode = hi_cmd_mode(a, O_COPY);
	if (hi_refs_query(app, "path", Tcl_GetString(a->v[O_WHAT].obj), mode, all, &q) != TCL_OK) {
		hi_refs_query_free(&q);
		return TCL_ERROR;
	}
	struct hi_heapgraph *g = q.g;
	if (!hi_heapgraph_paths(g)) {
		hi_refs_query_free(&q);
		hi_error("%s: path: out of memory for the paths of %u objects; free memory and retry", app->session.who, g->n);
		return hi_cmd_fail(interp);
	}
	size_t examined = 0;
	struct hi_tally gs;
	hi_tally_init(&gs);
	struct hi_labeller *lb = NULL;
	char *text = malloc(HI_PATH_TEXT), *shape = malloc(HI_PATH_TEXT), **example = NULL;
	size_t *length = NULL;
	int rc = hi_cmd_stop(app), oom = !text || !shape;
	if (rc == TCL_OK) {
		struct hi_py *py = &app->session.py;
		lb = hi_labeller_new(py);
		oom |= !lb;
		for (size_t i = 0; !oom && i < q.n; i += q.step) {
			hi_refs_path_text(py, lb, g, q.sel[i], !q.one, shape, HI_PATH_TEXT);
			oom |= hi_tally_add(&gs, 0, shape, q.sel[i]) < 0;
			examined++;
		}
		/* Each shape's first path in full, while the memory is there.  */
		example = calloc(gs.n + 1, sizeof *example);
		length = calloc(gs.n + 1, sizeof *length);
		oom |= !example || !length;
		for (size_t i = 0; !oom && i < gs.n; i++) {
			length[i] = hi_refs_path_text(py, lb, g, gs.v[i].first, 0, text, HI_PATH_TEXT);
			oom |= !(example[i] = strdup(text));
		}
		if (hi_cmd_resume(app) != TCL_OK) {
			rc = TCL_ERROR;
		} else if (oom) {
			hi_error("%s: path: out of memory; free memory and retry", app->session.who);
			rc = hi_cmd_fail(interp);
		}
	}
	hi_labeller_free(lb);
	free(text);
	free(shape);
	struct hi_result r;
	if (rc == TCL_OK) {
		/* Sorted with their examples.  */
		for (size_t i = 0; i < gs.n; i++)
			gs.v[i].first = (uint32_t)i;
		hi_tally_sort(&gs);
		rc = hi_cmd_begin(app, &r, format, "path", &path_view, all);
	}
	if (rc == TCL_OK) {
		struct hi_emit *e = r.e;
		hi_refs_emit_head(e, app, &q, examined);
		hi_emit_list(e, "rows");
		for (size_t i = 0; i < gs.n; i++) {
			const struct hi_tally_row *gr = &gs.v[i];
			hi_emit_object(e, NULL);
			hi_emit_u64(e, "index", i);
			hi_emit_u64(e, "count", gr->count);
			hi_emit_u64(e, "percent", examined ? (gr->count * 100 + examined / 2) / examined : 0);
			hi_emit_str(e, "path", gr->text[0] ? gr->text : UNREACHED);
			hi_emit_bool(e, "reached", gr->text[0] != '\0');
			hi_emit_str(e, "example", example[gr->first]);
			hi_emit_u64(e, "length", length[gr->first]);
			hi_emit_end(e);
		}
		hi_emit_end(e);
		hi_emit_end(e);
		hi_cmd_end(app, &r);
	}
	for (size_t i = 0; example && i < gs.n; i++)
		free(example[i]);
	free(example);
	free(length);
	hi_tally_free(&gs);
	hi_refs_query_free(&q);
	return rc;
}

const struct hi_cmd hi_cmd_path = {
	"path", "who keeps objects alive: shortest reference paths from named roots", path_args,
	"Named roots are the modules in sys.modules, by name, and the locals of\n"
	"every running frame ('thread 140213 \"MainThread\" handle() local 'req'').\n"
	"What they do not reach but C code holds (its reference count exceeds\n"
	"the references heapinspect sees) is a root of its own, '<list at\n"
	"0x7f... held by C>'; what neither reaches is garbage the cyclic\n"
	"collector has not freed yet.  A path is written as Python would reach\n"
	"the object: __main__.SESSIONS['req-00000012'].items[3]; for a kind,\n"
	"paths that differ only in their subscripts are counted together as\n"
	"__main__.SESSIONS[*].items[*].  It reads the reference graph of the\n"
	"last census (heap, diff, top) or takes one, and stops the target\n"
	"briefly to name the references: one the target dropped since the\n"
	"census reads (changed since the census).\n",
	path_run, HI_CMD_OUT,
};
