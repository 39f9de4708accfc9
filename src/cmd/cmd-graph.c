/* cmd-graph.c: `graph ADDR|KIND`, the back-references of objects as
 * Graphviz DOT, as objgraph's show_backrefs draws them.  */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "census/paths.h"
#include "cmd/refs.h"
#include "python/preview.h"
#include "util/error.h"

#define GRAPH_DEPTH 3		/* referrer levels drawn, by default */
#define GRAPH_OBJECTS 10	/* objects of a kind drawn from, by default */
#define GRAPH_NODES 200		/* objects drawn at most */
#define GRAPH_FANIN 10		/* referrers drawn of one object at most */

static const struct hi_argspec graph_args[] = {
	{ "WHAT", HI_ARG_STRING, .required = 1,
	  .help = "an object's address (0x...), or a kind as heap names it" },
	{ "-depth", HI_ARG_INT, "N", .min = 1, .max = 100, .help = "referrers of referrers, N levels up (default 3)" },
	{ "-n", HI_ARG_INT, "N", .min = 1, .max = 1000, .help = "for a kind: start from N of its objects (default 10)" },
	HI_ARGS_MODE("take a new census on a copy of the target's memory (see 'help heap')"),
	{ NULL },
};
enum { O_WHAT, O_DEPTH, O_N, O_COPY, O_INPLACE };

/* S into OUT as a DOT string's contents.  */
static void dot_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		if ((unsigned char)*s >= ' ')
			fputc(*s, out);
	}
}

/* The named root that V is, or NULL.  */
static const char *root_name(const struct hi_heapgraph *g, uint32_t v)
{
	for (size_t i = 0; i < g->nroots; i++)
		if (g->roots[i].node == v)
			return g->roots[i].name;
	return NULL;
}

static int is_held(const struct hi_heapgraph *g, uint32_t v)
{
	size_t lo = 0, hi = g->nheld;	/* held is in ascending order */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (g->held[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < g->nheld && g->held[lo] == v;
}

static void dot_node(FILE *out, struct hi_py *py, const struct hi_heapgraph *g, uint32_t v, int target)
{
	char repr[HI_LABEL_MAX];
	hi_short_repr(py, g->addr[v], repr);
	fprintf(out, "  o%" PRIx64 " [label=\"", g->addr[v]);
	dot_escaped(out, g->kinds.rows[g->kind[v]].kind);
	fprintf(out, "\\n%" PRIu64 " bytes\\n", g->size[v]);
	dot_escaped(out, repr);
	fputc('"', out);
	if (target)
		fputs(", style=filled, fillcolor=\"#ffd0d0\"", out);
	fputs("];\n", out);
	const char *root = root_name(g, v);
	if (root || is_held(g, v)) {
		fprintf(out, "  r%" PRIx64 " [shape=ellipse, style=filled, fillcolor=\"#d0ffd0\", label=\"", g->addr[v]);
		dot_escaped(out, root ? root : "held by C code");
		fprintf(out, "\"];\n  r%" PRIx64 " -> o%" PRIx64 ";\n", g->addr[v], g->addr[v]);
	}
}

static int graph_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	int depth = a->v[O_DEPTH].set ? (int)a->v[O_DEPTH].i : GRAPH_DEPTH;
	size_t start = a->v[O_N].set ? (size_t)a->v[O_N].i : GRAPH_OBJECTS;
	struct hi_refs_query q;
	int mode = hi_cmd_mode(a, O_COPY);
	if (hi_refs_query(app, "graph", Tcl_GetString(a->v[O_WHAT].obj), mode, 1, &q) != TCL_OK) {
		hi_refs_query_free(&q);
		return TCL_ERROR;
	}
	struct hi_heapgraph *g = q.g;
	const struct hi_graph *rev = hi_heapgraph_referrers(g);
	uint32_t *level = malloc(((size_t)g->n ? g->n : 1) * sizeof *level);
	uint32_t *queue = malloc(GRAPH_NODES * sizeof *queue);
	if (!rev || !hi_heapgraph_paths(g) || !level || !queue) {
		free(level);
		free(queue);
		hi_refs_query_free(&q);
		hi_error("%s: graph: out of memory; free memory and retry", app->session.who);
		return hi_cmd_fail(interp);
	}
	for (uint32_t v = 0; v < g->n; v++)
		level[v] = UINT32_MAX;
	size_t n = 0;
	for (size_t i = 0; i < q.n && n < start && n < GRAPH_NODES; i++) {
		level[q.sel[i]] = 0;
		queue[n++] = q.sel[i];
	}
	int rc = hi_cmd_stop(app);
	if (rc == TCL_OK) {
		struct hi_py *py = &app->session.py;
		struct hi_labeller *lb = hi_labeller_new(py);
		FILE *out = app->out;
		fputs("digraph heapinspect {\n  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n"
		      "  edge [fontname=\"Helvetica\", fontsize=9];\n", out);
		/* Breadth first up the referrers: each object once.  */
		for (size_t head = 0; head < n; head++) {
			uint32_t v = queue[head];
			dot_node(out, py, g, v, level[v] == 0);
			if (level[v] >= (uint32_t)depth)
				continue;
			uint64_t k = rev->first[v], end = rev->first[v + 1], drawn = 0;
			for (; k < end && drawn < GRAPH_FANIN; k++) {
				uint32_t u = rev->to[k];
				char label[HI_LABEL_MAX] = HI_LABEL_GONE;
				if (k > rev->first[v] && rev->to[k - 1] == u)
					continue;
				if (level[u] == UINT32_MAX) {
					if (n == GRAPH_NODES)
						break;
					level[u] = level[v] + 1;
					queue[n++] = u;
				}
				if (lb)
					hi_labeller_label(lb, g->addr[u], g->addr[v], label);
				fprintf(out, "  o%" PRIx64 " -> o%" PRIx64 " [label=\"", g->addr[u], g->addr[v]);
				dot_escaped(out, label);
				fputs("\"];\n", out);
				drawn++;
			}
			if (k < end)
				fprintf(out, "  m%" PRIx64 " [shape=plaintext, label=\"%" PRIu64 " more referrers\"];\n"
					     "  m%" PRIx64 " -> o%" PRIx64 " [style=dotted];\n",
					g->addr[v], end - k, g->addr[v], g->addr[v]);
		}
		fputs("}\n", out);
		hi_labeller_free(lb);
		rc = hi_cmd_resume(app);
	}
	free(level);
	free(queue);
	hi_refs_query_free(&q);
	return rc;
}

const struct hi_cmd hi_cmd_graph = {
	"graph", "the back-references of objects, as a Graphviz drawing", graph_args,
	"Objects (red) and their referrers, up to -depth levels, each reference\n"
	"labelled, named roots and what C code holds in green, as objgraph's\n"
	"show_backrefs draws them: at most 200 objects, 10 referrers each.  The\n"
	"result is Graphviz DOT text; write it with -out FILE.dot and draw it\n"
	"with `dot -Tsvg FILE.dot -o FILE.svg`.  It reads the reference graph of\n"
	"the last census or takes one.\n",
	graph_run, HI_CMD_OUT,
};
