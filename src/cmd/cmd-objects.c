/* cmd-objects.c: `objects KIND`, the objects of one kind, each with its
 * address, size, retained size and a look at what it holds.  */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "census/topn.h"
#include "cmd/refs.h"
#include "python/preview.h"
#include "report/emit.h"
#include "report/view.h"
#include "util/error.h"

#define OBJECTS_DEFAULT 10
#define PREVIEW_REFS 4		/* referents shown for what has no preview of its own */

static const char *const objects_csv[] = { "index", "address", "size", "retained", "preview", NULL };

static const struct hi_column objects_columns[] = {
	{ "index", 6 }, { "size", 10 }, { "retained", 10 }, { "address", -16 }, { "preview", 0 }, { NULL },
};

static void objects_before(FILE *out, Tcl_Obj *v, int all)
{
	(void)all;
	fprintf(out, "The %zu largest of %s%s:\n", hi_view_len(v, "rows"), hi_view_str(v, "target"),
		hi_view_int(v, "relative") ? " (new since setrel)" : "");
}

static const struct hi_view objects_view = {
	"rows", objects_csv, objects_columns, " Index       Size   Retained Address          Preview", NULL,
	objects_before, NULL,
};

static const struct hi_argspec objects_args[] = {
	{ "KIND", HI_ARG_STRING, .required = 1, .help = "a kind as heap names it (\"__main__.Session\", \"str\")" },
	{ "-n", HI_ARG_INT, "N", .min = 1, .max = HI_TOPN_MAX, .help = "how many, 1 to 10000 (default 10), largest first" },
	HI_ARGS_MODE("take a new census on a copy of the target's memory (see 'help heap')"),
	{ "-format", HI_ARG_CHOICE, "F", hi_formats,
	  .help = "table, json, csv, or tcl (a dict: pid python target objects\n"
		  "examined relative rows, a list of dicts: index address size\n"
		  "retained preview)" },
	{ NULL },
};
enum { O_KIND, O_N, O_COPY, O_INPLACE, O_FORMAT };

/* What OBJ holds, when it has no preview of its own: its first named
 * references with a short repr of each (".name='entry-1' .tags=<list
 * object at 0x...>"), its __dict__'s entries as attributes.  */
static void describe_members(struct hi_py *py, uint64_t obj, char *buf, size_t len, size_t *at, size_t *shown,
			     int in_dict)
{
	struct hi_refs_referents rs;
	if (hi_refs_referents(py, obj, &rs) < 0)
		return;
	for (size_t i = 0; i < rs.n && *shown < PREVIEW_REFS && *at + 1 < len; i++) {
		const char *label = rs.v[i].label;
		if (label[0] == '(')	/* unnamed: (referent), (key) */
			continue;
		if (!in_dict && !strcmp(label, ".__dict__")) {
			describe_members(py, rs.v[i].addr, buf, len, at, shown, 1);
			continue;
		}
		char repr[HI_LABEL_MAX], name[HI_LABEL_MAX];
		size_t n = strlen(label);
		/* ['name'] of a __dict__ is .name */
		if (in_dict && n > 4 && label[1] == '\'' && label[n - 2] == '\'')
			snprintf(name, sizeof name, ".%.*s", (int)(n - 4), label + 2);
		else
			snprintf(name, sizeof name, "%s", label);
		hi_short_repr(py, rs.v[i].addr, repr);
		int w = snprintf(buf + *at, len - *at, "%s%s=%s", *shown ? " " : "", name, repr);
		if (w < 0)
			break;
		*at = *at + (size_t)w < len ? *at + (size_t)w : len - 1;
		(*shown)++;
	}
	hi_refs_referents_free(&rs);
}

static int objects_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	const char *what = Tcl_GetString(a->v[O_KIND].obj);
	size_t want = a->v[O_N].set ? (size_t)a->v[O_N].i : OBJECTS_DEFAULT;
	struct hi_refs_query q;
	int mode = hi_cmd_mode(a, O_COPY);
	if (hi_refs_query(app, "objects", what, mode, 1, &q) != TCL_OK) {
		hi_refs_query_free(&q);
		return TCL_ERROR;
	}
	struct hi_heapgraph *g = q.g;
	const uint64_t *ret = hi_heapgraph_retained(g);
	struct hi_topn best;
	if (!ret || hi_topn_init(&best, want) < 0) {
		hi_refs_query_free(&q);
		hi_error("%s: objects: out of memory; free memory and retry", app->session.who);
		return hi_cmd_fail(interp);
	}
	for (size_t i = 0; i < q.n; i++)
		hi_topn_offer(&best, &(struct hi_topn_item){ .size = g->size[q.sel[i]], .addr = g->addr[q.sel[i]],
							     .kind = q.sel[i] });
	hi_topn_sort(&best);
	char (*preview)[512] = calloc(best.n + 1, sizeof *preview);
	int rc = preview ? hi_cmd_stop(app) : TCL_ERROR;
	if (rc == TCL_OK) {
		struct hi_py *py = &app->session.py;
		for (size_t i = 0; i < best.n; i++) {
			uint64_t obj = best.v[i].addr;
			struct hi_type *t = hi_py_type(py, hi_py_type_of(py, obj));
			struct hi_preview p;
			if (t && hi_preview(py, obj, t, &p) == 0 && p.what != HI_PV_NONE)
				hi_preview_format(&p, preview[i], sizeof preview[i]);
			else if (t) {
				size_t at = 0, shown = 0;
				describe_members(py, obj, preview[i], sizeof preview[i], &at, &shown, 0);
			}
		}
		rc = hi_cmd_resume(app);
	} else if (!preview) {
		hi_error("%s: objects: out of memory; free memory and retry", app->session.who);
		hi_cmd_fail(interp);
	}
	struct hi_result r;
	if (rc == TCL_OK)
		rc = hi_cmd_begin(app, &r, a->v[O_FORMAT].choice, "objects", &objects_view, 0);
	if (rc == TCL_OK) {
		hi_refs_emit_head(r.e, app, &q, q.n);
		hi_emit_list(r.e, "rows");
		for (size_t i = 0; i < best.n; i++) {
			uint32_t v = best.v[i].kind;
			char a16[32];
			snprintf(a16, sizeof a16, "0x%" PRIx64, g->addr[v]);
			hi_emit_object(r.e, NULL);
			hi_emit_u64(r.e, "index", i);
			hi_emit_str(r.e, "address", a16);
			hi_emit_u64(r.e, "size", g->size[v]);
			hi_emit_u64(r.e, "retained", ret[v]);
			hi_emit_str(r.e, "preview", preview[i]);
			hi_emit_end(r.e);
		}
		hi_emit_end(r.e);
		hi_emit_end(r.e);
		hi_cmd_end(app, &r);
	}
	free(preview);
	hi_topn_free(&best);
	hi_refs_query_free(&q);
	return rc;
}

const struct hi_cmd hi_cmd_objects = {
	"objects", "the objects of a kind, largest first, with a look at each", objects_args,
	"Each with its address (for show, path, referrers and graph), its size,\n"
	"what it alone keeps alive, and a preview: a str's text, a container's\n"
	"length, else its first attributes with a short repr of each.  After\n"
	"setrel, only the new objects of the kind.  It reads the reference graph\n"
	"of the last census or takes one.\n",
	objects_run, HI_CMD_OUT,
};
