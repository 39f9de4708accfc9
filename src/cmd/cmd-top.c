/* cmd-top.c: `top N`, the N largest objects of the target.  */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "cmd/refs.h"
#include "report/emit.h"
#include "util/error.h"
#include "walk/heap.h"
#include "python/preview.h"
#include "report/view.h"
#include "census/topn.h"

#define TOP_DEFAULT 10


struct top {
	struct hi_topn best;
	struct hi_preview *pv;	/* per kept item, read after the walk */
	const char *who;	/* the session's, for errors */
};

static void observe(void *arg, uint64_t obj, struct hi_type *t, uint64_t size, uint32_t kind, unsigned flags)
{
	struct top *top = arg;
	hi_topn_offer(&top->best, &(struct hi_topn_item){ .size = size, .addr = obj, .type = t, .kind = kind,
							  .flags = flags });
}

/* While the target is still stopped (or its copy still held): previews. */
static int after(struct hi_py *py, void *arg)
{
	struct top *top = arg;
	hi_topn_sort(&top->best);
	top->pv = calloc(top->best.n ? top->best.n : 1, sizeof *top->pv);
	if (!top->pv) {
		hi_error("%s: top: out of memory for %zu previews; free memory or ask for fewer (top N)", top->who,
			 top->best.n);
		return -1;
	}
	for (size_t i = 0; i < top->best.n; i++)
		hi_preview(py, top->best.v[i].addr, (struct hi_type *)top->best.v[i].type, &top->pv[i]);
	return 0;
}

/* The result, once, for every format.  */
static void emit_result(struct hi_emit *e, const struct top *top, const struct hi_census *c, pid_t pid,
			const char *python)
{
	hi_emit_object(e, NULL);
	hi_emit_i64(e, "pid", pid);
	hi_emit_str(e, "python", python ? python : "");
	hi_emit_u64(e, "objects", c->objects);	/* of the whole heap, as in heap */
	hi_emit_u64(e, "size", c->size);
	hi_emit_list(e, "rows");
	for (size_t i = 0; i < top->best.n; i++) {
		const struct hi_topn_item *it = &top->best.v[i];
		const struct hi_preview *p = &top->pv[i];
		char addr[32], words[HI_PREVIEW_CHARS * 10 + 64];
		snprintf(addr, sizeof addr, "0x%" PRIx64, it->addr);
		hi_preview_format(p, words, sizeof words);
		hi_emit_object(e, NULL);
		hi_emit_u64(e, "index", i);
		hi_emit_str(e, "address", addr);
		hi_emit_u64(e, "size", it->size);
		hi_emit_str(e, "kind", c->rows[it->kind].kind);
		if (p->what == HI_PV_STR || p->what == HI_PV_BYTES) {
			hi_emit_i64(e, "length", p->length);
			hi_emit_str(e, "text", p->text);
		} else if (p->what == HI_PV_ITEMS) {
			hi_emit_i64(e, "items", p->length);
		} else if (p->what == HI_PV_SHAPE) {
			hi_emit_str(e, "shape", p->text);
		}
		hi_emit_str(e, "preview", words);
		hi_emit_end(e);
	}
	hi_emit_end(e);
	hi_emit_end(e);
}

static const char *const top_csv[] = { "index", "address", "size", "kind", "preview", NULL };

static const struct hi_column top_columns[] = {
	{ "index", 6 }, { "size", 10 }, { "address", -16 }, { "kind", -24 }, { "preview", 0 }, { NULL },
};

static void top_before(FILE *out, Tcl_Obj *v, int all)
{
	(void)all;
	fprintf(out, "The %zu largest of %" PRId64 " objects (%" PRId64 " bytes).\n", hi_view_len(v, "rows"),
		hi_view_int(v, "objects"), hi_view_int(v, "size"));
}

static const struct hi_view top_view = {
	"rows", top_csv, top_columns, " Index       Size Address          Kind                     Preview", NULL,
	top_before, NULL,
};

static const struct hi_argspec top_args[] = {
	{ "N", HI_ARG_INT, .min = 1, .max = HI_TOPN_MAX, .help = "how many, 1 to 10000 (default 10)" },
	HI_ARGS_MODE("walk a copy of the target's memory (see 'help heap')"),
	{ "-retained", HI_ARG_FLAG,
	  .help = "rank by retained size: what freeing the object would free,\n"
		  "itself and all it alone keeps alive (the dominator tree of\n"
		  "the last census's reference graph), with its shortest path\n"
		  "from a named root" },
	{ "-format", HI_ARG_CHOICE, "F", hi_formats,
	  .help = "table, json, csv, or tcl (a dict: pid python objects size\n"
		  "(the whole heap's) rows, a list of dicts: index address\n"
		  "size kind preview, and\n"
		  "length and text for a str or bytes, items for a\n"
		  "container, shape for an array; json has the same; with\n"
		  "-retained, rows have index address retained size kind\n"
		  "path)" },
	{ "-interp", HI_ARG_INT, "ID", NULL, 0, 1e9,
	  .help = "only among the objects of the interpreter whose id is ID\n"
		  "(see 'help heap')",
	  .excludes = "-retained" },
	{ NULL },
};
enum { O_N, O_COPY, O_INPLACE, O_RETAINED, O_FORMAT, O_INTERP };

/* ---- -retained ---- */

static const char *const retained_csv[] = { "index", "address", "retained", "size", "kind", "path", NULL };

static const struct hi_column retained_columns[] = {
	{ "index", 6 }, { "retained", 10 }, { "size", 10 }, { "address", -16 }, { "kind", -24 }, { "path", 0 }, { NULL },
};

static void retained_before(FILE *out, Tcl_Obj *v, int all)
{
	(void)all;
	fprintf(out, "The %zu of %" PRId64 " objects (%" PRId64 " bytes) that keep the most alive.\n",
		hi_view_len(v, "rows"), hi_view_int(v, "objects"), hi_view_int(v, "size"));
}

static const struct hi_view retained_view = {
	"rows", retained_csv, retained_columns,
	" Index   Retained       Size Address          Kind                     Path", NULL, retained_before, NULL,
};

static int top_retained(struct hi_app *app, Tcl_Interp *interp, size_t n, enum hi_walk_mode mode, int format)
{
	struct hi_heapgraph *g = hi_refs_graph(app, mode, "top");
	if (!g)
		return TCL_ERROR;
	const uint64_t *ret = hi_heapgraph_retained(g);
	struct hi_topn best;
	if (!ret || hi_topn_init(&best, n) < 0) {
		hi_error("%s: top: out of memory for the dominator tree of %u objects; free memory and retry",
			 app->session.who, g->n);
		return hi_cmd_fail(interp);
	}
	for (uint32_t v = 0; v < g->n; v++)
		hi_topn_offer(&best, &(struct hi_topn_item){ .size = ret[v], .addr = g->addr[v], .kind = v });
	hi_topn_sort(&best);
	/* Each one's name, read while the target is stopped.  */
	char **path = calloc(best.n + 1, sizeof *path);
	int rc = path ? hi_cmd_stop(app) : TCL_ERROR;
	if (rc == TCL_OK) {
		struct hi_labeller *lb = hi_labeller_new(&app->session.py);
		char text[HI_PATH_TEXT];
		for (size_t i = 0; lb && i < best.n; i++) {
			hi_refs_path_text(&app->session.py, lb, g, best.v[i].kind, 0, text, sizeof text);
			path[i] = strdup(text);
		}
		hi_labeller_free(lb);
		rc = hi_cmd_resume(app);
	} else if (!path) {
		hi_error("%s: top: out of memory; free memory and retry", app->session.who);
		hi_cmd_fail(interp);
	}
	struct hi_result r;
	if (rc == TCL_OK)
		rc = hi_cmd_begin(app, &r, format, "top", &retained_view, 0);
	if (rc == TCL_OK) {
		struct hi_emit *e = r.e;
		hi_emit_object(e, NULL);
		hi_emit_i64(e, "pid", app->session.pid);
		hi_emit_str(e, "python", app->session.py.version);
		hi_emit_u64(e, "objects", g->kinds.objects);	/* of the whole heap */
		hi_emit_u64(e, "size", g->kinds.size);
		hi_emit_list(e, "rows");
		for (size_t i = 0; i < best.n; i++) {
			uint32_t v = best.v[i].kind;
			char addr[32];
			snprintf(addr, sizeof addr, "0x%" PRIx64, g->addr[v]);
			hi_emit_object(e, NULL);
			hi_emit_u64(e, "index", i);
			hi_emit_str(e, "address", addr);
			hi_emit_u64(e, "retained", ret[v]);
			hi_emit_u64(e, "size", g->size[v]);
			hi_emit_str(e, "kind", g->kinds.rows[g->kind[v]].kind);
			hi_emit_str(e, "path", path[i] && path[i][0] ? path[i] : "(garbage)");
			hi_emit_end(e);
		}
		hi_emit_end(e);
		hi_emit_end(e);
		hi_cmd_end(app, &r);
	}
	for (size_t i = 0; path && i < best.n; i++)
		free(path[i]);
	free(path);
	hi_topn_free(&best);
	return rc;
}

static int top_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	int format = a->v[O_FORMAT].choice, mode = hi_cmd_mode(a, O_COPY);
	Tcl_WideInt n = a->v[O_N].set ? a->v[O_N].i : TOP_DEFAULT;
	if (a->v[O_RETAINED].set)
		return top_retained(app, interp, (size_t)n, (enum hi_walk_mode)mode, format);
	struct top top = { .who = app->session.who };
	if (hi_topn_init(&top.best, (size_t)n) < 0) {
		hi_error("%s: top: out of memory for %lld objects; free memory or ask for fewer (top N)",
			 app->session.who, (long long)n);
		return hi_cmd_fail(interp);
	}
	struct hi_heap_opts o = { .by = HI_BY_KIND, .observe = observe, .observe_arg = &top,
				  .interp_set = a->v[O_INTERP].set, .interp_id = a->v[O_INTERP].i };
	struct hi_census c;
	hi_census_init(&c, "kind");
	int rc = hi_cmd_walk(app, &o, mode, &c, after, &top);
	if (rc == TCL_OK) {
		struct hi_result r;
		rc = hi_cmd_begin(app, &r, format, "top", &top_view, 0);
		if (rc == TCL_OK) {
			emit_result(r.e, &top, &c, app->session.pid, app->session.py.version);
			hi_cmd_end(app, &r);
		}
	}
	hi_census_free(&c);
	hi_topn_free(&top.best);
	free(top.pv);
	return rc;
}

const struct hi_cmd hi_cmd_top = {
	"top", "the N largest objects (default 10), with a preview of each", top_args,
	"Sizes are sys.getsizeof's; ties go to the lower address.  The preview\n"
	"shows a str's or bytes' length and first 32 characters as Python's\n"
	"ascii() and repr() write them, a list's, tuple's, dict's or set's number\n"
	"of items, and a numpy array's shape.  It is read before the target\n"
	"resumes.  top looks at the whole heap: a baseline (setrel) does not apply.\n"
	"top -retained reads the reference graph of the last census (or takes\n"
	"one) and ranks objects by what they alone keep alive, as Eclipse MAT's\n"
	"dominator tree and heapy's domisize do.\n",
	top_run, HI_CMD_OUT,
};
