/* cmd-show.c: `show ADDR`, one object in detail: what it is, what it
 * holds and what holds it, its shortest path from a named root and what
 * it alone keeps alive.  */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/refs.h"
#include "python/preview.h"
#include "report/emit.h"
#include "report/view.h"
#include "util/error.h"

#define SHOW_REFERRERS 1000	/* referrers listed at most */

static const char *const show_csv[] = { "index", "reference", "address", "kind", "size", NULL };

static const struct hi_column show_columns[] = {
	{ "index", 6 }, { "size", 10 }, { "address", -16 }, { "kind", -32 }, { "reference", 0 }, { NULL },
};

static void show_before(FILE *out, Tcl_Obj *v, int all)
{
	(void)all;
	fprintf(out, "%s %s: %" PRId64 " bytes (sys.getsizeof), refcount %" PRId64 "\n", hi_view_str(v, "address"),
		hi_view_str(v, "kind"), hi_view_int(v, "size"), hi_view_int(v, "refcount"));
	const char *preview = hi_view_str(v, "preview");
	if (*preview)
		fprintf(out, "  %s\n", preview);
	fprintf(out, "  keeps alive %" PRId64 " bytes (itself and what only it holds)\n", hi_view_int(v, "retained"));
	const char *path = hi_view_str(v, "path");
	fprintf(out, "  %s\n", *path ? path : "garbage: nothing holds it but other garbage");
	Tcl_Obj **items;
	int n = hi_view_list(v, "referrers", &items);
	fprintf(out, "Referrers (%d):\n", n);
	for (int i = 0; i < n; i++)
		fprintf(out, "  %-16s %-32s %s\n", hi_view_str(items[i], "address"), hi_view_str(items[i], "kind"),
			hi_view_str(items[i], "reference"));
	fprintf(out, "Referents (%zu):\n", hi_view_len(v, "rows"));
}

static const struct hi_view show_view = {
	"rows", show_csv, show_columns, " Index       Size Address          Kind                             Reference",
	"more", show_before, NULL,
};

static const struct hi_argspec show_args[] = {
	{ "ADDR", HI_ARG_STRING, .required = 1, .help = "an object's address (0x...), as top, path and referrers give them" },
	{ "-all", HI_ARG_FLAG, .help = "show every referent" },
	HI_ARGS_MODE("take a new census on a copy of the target's memory (see 'help heap')"),
	{ "-format", HI_ARG_CHOICE, "F", hi_formats,
	  .help = "table, json, csv (the referents), or tcl (a dict: pid python\n"
		  "address kind size refcount retained preview path reached\n"
		  "referrers (a list of dicts: address kind reference) rows\n"
		  "(the referents: index reference address kind size))" },
	{ NULL },
};
enum { O_ADDR, O_ALL, O_COPY, O_INPLACE, O_FORMAT };

static int show_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	const char *what = Tcl_GetString(a->v[O_ADDR].obj);
	uint64_t addr;
	if (!hi_refs_is_addr(what, &addr)) {
		hi_error("%s: show: '%s' is not an address; give one as 0x... (top, path and referrers give them)",
			 app->session.who, what);
		return hi_cmd_fail(interp);
	}
	struct hi_refs_query q;
	int mode = hi_cmd_mode(a, O_COPY);
	if (hi_refs_query(app, "show", what, mode, 1, &q) != TCL_OK) {
		hi_refs_query_free(&q);
		return TCL_ERROR;
	}
	struct hi_heapgraph *g = q.g;
	uint32_t v = q.sel[0];
	const uint64_t *ret = hi_heapgraph_retained(g);
	const struct hi_graph *rev = hi_heapgraph_referrers(g);
	if (!ret || !rev) {
		hi_refs_query_free(&q);
		hi_error("%s: show: out of memory for the dominator tree of %u objects; free memory and retry",
			 app->session.who, g->n);
		return hi_cmd_fail(interp);
	}
	struct hi_refs_referents rs = { 0 };
	char path[HI_PATH_TEXT], preview[HI_PREVIEW_CHARS * 10 + 64] = "";
	size_t nref = rev->first[v + 1] - rev->first[v];
	if (nref > SHOW_REFERRERS)
		nref = SHOW_REFERRERS;
	char (*labels)[HI_LABEL_MAX] = malloc((nref + 1) * sizeof *labels);
	int rc = labels ? hi_cmd_stop(app) : TCL_ERROR, oom = 0;
	if (rc == TCL_OK) {
		struct hi_py *py = &app->session.py;
		struct hi_type *t = hi_py_type(py, hi_py_type_of(py, addr));
		struct hi_labeller *lb = hi_labeller_new(py);
		if (t) {
			struct hi_preview p;
			if (hi_preview(py, addr, t, &p) == 0)
				hi_preview_format(&p, preview, sizeof preview);
			oom = hi_refs_referents(py, addr, &rs) < 0;
		}
		path[0] = '\0';
		if (lb)
			hi_refs_path_text(py, lb, g, v, 0, path, sizeof path);
		for (size_t i = 0; lb && i < nref; i++)
			hi_labeller_label(lb, g->addr[rev->to[rev->first[v] + i]], addr, labels[i]);
		hi_labeller_free(lb);
		if (hi_cmd_resume(app) != TCL_OK) {
			rc = TCL_ERROR;
		} else if (oom || !lb) {
			hi_error("%s: show: out of memory; free memory and retry", app->session.who);
			rc = hi_cmd_fail(interp);
		}
	} else if (!labels) {
		hi_error("%s: show: out of memory; free memory and retry", app->session.who);
		hi_cmd_fail(interp);
	}
	struct hi_result r;
	if (rc == TCL_OK)
		rc = hi_cmd_begin(app, &r, a->v[O_FORMAT].choice, "show", &show_view, a->v[O_ALL].set);
	if (rc == TCL_OK) {
		struct hi_emit *e = r.e;
		char a16[32];
		snprintf(a16, sizeof a16, "0x%" PRIx64, addr);
		hi_emit_object(e, NULL);
		hi_emit_i64(e, "pid", app->session.pid);
		hi_emit_str(e, "python", app->session.py.version);
		hi_emit_str(e, "address", a16);
		hi_emit_str(e, "kind", g->kinds.rows[g->kind[v]].kind);
		hi_emit_u64(e, "size", g->size[v]);
		hi_emit_u64(e, "refcount", g->refcnt[v]);
		hi_emit_u64(e, "retained", ret[v]);
		hi_emit_str(e, "preview", preview);
		hi_emit_str(e, "path", path);
		hi_emit_bool(e, "reached", path[0] != '\0');
		hi_emit_list(e, "referrers");
		for (size_t i = 0; i < nref; i++) {
			uint32_t u = rev->to[rev->first[v] + i];
			if (i && rev->to[rev->first[v] + i - 1] == u)
				continue;	/* held twice: once */
			snprintf(a16, sizeof a16, "0x%" PRIx64, g->addr[u]);
			hi_emit_object(e, NULL);
			hi_emit_str(e, "address", a16);
			hi_emit_str(e, "kind", g->kinds.rows[g->kind[u]].kind);
			hi_emit_str(e, "reference", labels[i]);
			hi_emit_end(e);
		}
		hi_emit_end(e);
		hi_refs_emit_referents(e, g, &rs);
		hi_emit_end(e);
		hi_cmd_end(app, &r);
	}
	free(labels);
	hi_refs_referents_free(&rs);
	hi_refs_query_free(&q);
	return rc;
}

const struct hi_cmd hi_cmd_show = {
	"show", "one object in detail: what it holds, what holds it, what it keeps alive", show_args,
	"Its kind, sys.getsizeof size and reference count; a preview (a str's\n"
	"text, a container's length); the bytes it alone keeps alive (itself\n"
	"and every object all of whose paths from the roots pass through it,\n"
	"see 'help top'); its shortest path from a named root (see 'help\n"
	"path'); its referrers and its referents, each reference labelled.  It\n"
	"reads the reference graph of the last census or takes one.\n",
	show_run, HI_CMD_OUT,
};
