/* cmd-refs.c: `referrers ADDR|KIND` and `referents ADDR`, one step along
 * the reference graph either way, each reference labelled.  */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/refs.h"
#include "report/emit.h"
#include "report/view.h"
#include "util/error.h"


/* ---- referrers ---- */

static const char *const referrers_csv[] = { "index", "count", "kind", "reference", "address", "size", NULL };

static const struct hi_column referrers_columns[] = {
	{ "index", 6 }, { "count", 8 }, { "address", -16 }, { "kind", -32 }, { "reference", 0 }, { NULL },
};

static void referrers_before(FILE *out, Tcl_Obj *v, int all)
{
	(void)all;
	int64_t n = hi_view_int(v, "objects"), examined = hi_view_int(v, "examined");
	fprintf(out, "Referrers of %s%s", hi_view_str(v, "target"),
		hi_view_int(v, "relative") ? " (new since setrel)" : "");
	if (examined < n)
		fprintf(out, ", of %" PRId64 " of its %" PRId64 " objects (-all: every one)", examined, n);
	fputs(":\n", out);
}

static const struct hi_view referrers_view = {
	"rows", referrers_csv, referrers_columns, " Index    Count Address          Kind                             Reference",
	"more", referrers_before, NULL,
};

static const struct hi_argspec referrers_args[] = {
	{ "WHAT", HI_ARG_STRING, .required = 1,
	  .help = "an object's address (0x...), or a kind as heap names it" },
	{ "-all", HI_ARG_FLAG, .help = "look at every object of the kind (by default at most 10000,\n"
				       "evenly spread), and show every row" },
	HI_ARGS_MODE("take a new census on a copy of the target's memory (see 'help heap')"),
	{ "-format", HI_ARG_CHOICE, "F", hi_formats,
	  .help = "table, json, csv, or tcl (a dict: pid python target objects\n"
		  "examined relative rows, a list of dicts: index count kind\n"
		  "reference address size; for a kind, references that differ\n"
		  "only in their subscripts are counted together, and address\n"
		  "and size are one referrer's)" },
	{ NULL },
};
enum { R_WHAT, R_ALL, R_COPY, R_INPLACE, R_FORMAT };

static int referrers_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	int all = a->v[R_ALL].set, format = a->v[R_FORMAT].choice;
	struct hi_refs_query q;
	int mode = hi_cmd_mode(a, R_COPY);
	if (hi_refs_query(app, "referrers", Tcl_GetString(a->v[R_WHAT].obj), mode, all, &q) != TCL_OK) {
		hi_refs_query_free(&q);
		return TCL_ERROR;
	}
	struct hi_heapgraph *g = q.g;
	int one = q.one;
	const struct hi_graph *rev = hi_heapgraph_referrers(g);
	if (!rev) {
		hi_refs_query_free(&q);
		hi_error("%s: referrers: out of memory for the referrers of %u objects; free memory and retry",
			 app->session.who, g->n);
		return hi_cmd_fail(interp);
	}
	size_t examined = 0;
	struct hi_tally rs;
	hi_tally_init(&rs);
	struct hi_labeller *lb = NULL;
	int rc = hi_cmd_stop(app), oom = 0;
	if (rc == TCL_OK) {
		lb = hi_labeller_new(&app->session.py);
		oom = !lb;
		for (size_t i = 0; !oom && i < q.n; i += q.step) {
			uint32_t v = q.sel[i];
			for (uint64_t k = rev->first[v]; !oom && k < rev->first[v + 1]; k++) {
				uint32_t u = rev->to[k];
				char label[HI_LABEL_MAX], shape[HI_LABEL_MAX];
				/* A referrer holding it twice is listed twice in the
				 * graph: counted once.  */
				if (k > rev->first[v] && rev->to[k - 1] == u)
					continue;
				if (one)
					hi_labeller_label(lb, g->addr[u], g->addr[v], label);
				else
					hi_labeller_shape(lb, g->addr[u], g->addr[v], shape);
				/* For an address every referrer is a row of its own. */
				oom = hi_tally_add(&rs, one ? u : g->kind[u], one ? label : shape, u) < 0;
			}
			examined++;
		}
		if (hi_cmd_resume(app) != TCL_OK) {
			rc = TCL_ERROR;
		} else if (oom) {
			hi_error("%s: referrers: out of memory; free memory and retry", app->session.who);
			rc = hi_cmd_fail(interp);
		}
	}
	hi_labeller_free(lb);
	struct hi_result r;
	if (rc == TCL_OK) {
		hi_tally_sort(&rs);
		rc = hi_cmd_begin(app, &r, format, "referrers", &referrers_view, all);
	}
	if (rc == TCL_OK) {
		hi_refs_emit_head(r.e, app, &q, examined);
		hi_emit_list(r.e, "rows");
		for (size_t i = 0; i < rs.n; i++) {
			char a16[32];
			uint32_t u = rs.v[i].first;
			snprintf(a16, sizeof a16, "0x%" PRIx64, g->addr[u]);
			hi_emit_object(r.e, NULL);
			hi_emit_u64(r.e, "index", i);
			hi_emit_u64(r.e, "count", rs.v[i].count);
			hi_emit_str(r.e, "kind", g->kinds.rows[g->kind[u]].kind);
			hi_emit_str(r.e, "reference", rs.v[i].text);
			hi_emit_str(r.e, "address", a16);
			hi_emit_u64(r.e, "size", g->size[u]);
			hi_emit_end(r.e);
		}
		hi_emit_end(r.e);
		hi_emit_end(r.e);
		hi_cmd_end(app, &r);
	}
	hi_tally_free(&rs);
	hi_refs_query_free(&q);
	return rc;
}

const struct hi_cmd hi_cmd_referrers = {
	"referrers", "what refers to an object, or to the objects of a kind", referrers_args,
	"Each referrer with its kind and the reference, labelled as Python would\n"
	"write it (.attr, ['key'], [3], .__dict__, (member) of a set).  For a\n"
	"kind, references are counted by the referrer's kind and the label with\n"
	"its subscripts as [*]: heapy's byrcs, with the reference named.  It\n"
	"reads the reference graph of the last census or takes one (see 'help\n"
	"path').\n",
	referrers_run, HI_CMD_OUT,
};

/* ---- referents ---- */

static const char *const referents_csv[] = { "index", "reference", "address", "kind", "size", NULL };

static const struct hi_column referents_columns[] = {
	{ "index", 6 }, { "size", 10 }, { "address", -16 }, { "kind", -32 }, { "reference", 0 }, { NULL },
};

static void referents_before(FILE *out, Tcl_Obj *v, int all)
{
	(void)all;
	fprintf(out, "Referents of %s:\n", hi_view_str(v, "target"));
}

static const struct hi_view referents_view = {
	"rows", referents_csv, referents_columns, " Index       Size Address          Kind                             Reference",
	"more", referents_before, NULL,
};

static const struct hi_argspec referents_args[] = {
	{ "ADDR", HI_ARG_STRING, .required = 1, .help = "an object's address (0x...)" },
	{ "-all", HI_ARG_FLAG, .help = "show every row" },
	HI_ARGS_MODE("take a new census on a copy of the target's memory (see 'help heap')"),
	{ "-format", HI_ARG_CHOICE, "F", hi_formats,
	  .help = "table, json, csv, or tcl (a dict: pid python target objects\n"
		  "examined relative rows, a list of dicts: index reference\n"
		  "address kind size)" },
	{ NULL },
};
enum { F_ADDR, F_ALL, F_COPY, F_INPLACE, F_FORMAT };

static int referents_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	const char *what = Tcl_GetString(a->v[F_ADDR].obj);
	uint64_t addr;
	if (!hi_refs_is_addr(what, &addr)) {
		hi_error("%s: referents: '%s' is not an address; give one as 0x... (a kind has no referents of its own: try referrers)",
			 app->session.who, what);
		return hi_cmd_fail(interp);
	}
	struct hi_refs_query q;
	int mode = hi_cmd_mode(a, F_COPY);
	if (hi_refs_query(app, "referents", what, mode, 1, &q) != TCL_OK) {
		hi_refs_query_free(&q);
		return TCL_ERROR;
	}
	struct hi_refs_referents rs = { 0 };
	int rc = hi_cmd_stop(app);
	if (rc == TCL_OK) {
		int oom = hi_refs_referents(&app->session.py, q.g->addr[q.sel[0]], &rs) < 0;
		if (hi_cmd_resume(app) != TCL_OK) {
			rc = TCL_ERROR;
		} else if (oom) {
			hi_error("%s: referents: out of memory; free memory and retry", app->session.who);
			rc = hi_cmd_fail(interp);
		}
	}
	struct hi_result r;
	if (rc == TCL_OK)
		rc = hi_cmd_begin(app, &r, a->v[F_FORMAT].choice, "referents", &referents_view, a->v[F_ALL].set);
	if (rc == TCL_OK) {
		hi_refs_emit_head(r.e, app, &q, 1);
		hi_refs_emit_referents(r.e, q.g, &rs);
		hi_emit_end(r.e);
		hi_cmd_end(app, &r);
	}
	hi_refs_referents_free(&rs);
	hi_refs_query_free(&q);
	return rc;
}

const struct hi_cmd hi_cmd_referents = {
	"referents", "what an object refers to, each reference labelled", referents_args,
	"Each referent with its kind and size from the last census and the\n"
	"reference as Python would write it (see 'help referrers').  The object\n"
	"is read again, the target stopped briefly.\n",
	referents_run, HI_CMD_OUT,
};
