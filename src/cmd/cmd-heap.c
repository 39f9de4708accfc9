/* cmd-heap.c: `heap`, heapy's partition of the target's objects.  */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cmd/cmd.h"
#include "cmd/refs.h"
#include "walk/heap.h"
#include "util/error.h"
#include "report/censusfile.h"
#include "report/describe.h"


static const char *const bys[] = { "kind", "type", "rcs", NULL };

static const struct hi_argspec heap_args[] = {
	{ "-all", HI_ARG_FLAG, .help = "show every row (by default 10 rows when there are 12 or more;\n"
				       "'more' shows the next 10, 'all' the whole table)" },
	{ "-abs", HI_ARG_FLAG, .help = "after setrel, show the whole heap, not just what is new" },
	HI_ARGS_MODE("copy the target's resident writable memory while it is\n"
		     "stopped and walk the copy after it resumes, as by default when\n"
		     "the copy fits in HEAPINSPECT_COPY_MB; with -copy, a copy that\n"
		     "does not fit is refused instead of walking in place"),
	{ "-by", HI_ARG_CHOICE, "BY", bys, .help = "kind: heapy's kinds, classes and `dict of X` for __dict__s\n"
						   "(default); type: by type alone, like heapy's .bytype;\n"
						   "rcs: by the kinds of each object's referrers, like\n"
						   "heapy's .byrcs (\"function, tuple\"; <Nothing>: none)" },
	{ "-kind", HI_ARG_STRING, "KIND", .help = "only the objects of KIND, as heapy's h[i] selects a row\n"
						 "(after setrel: the new ones); with -by rcs, who holds them" },
	{ "-retained", HI_ARG_FLAG, .help = "add each row's retained size: what its objects alone keep\n"
					    "alive (see 'help top')" },
	{ "-format", HI_ARG_CHOICE, "F", hi_formats, .help = "table (heapy's, the default), json, csv, or tcl (a dict:\n"
							     "pid python objects size skipped unfollowed unsized by rows,\n"
							     "each row: index count count_percent size size_percent\n"
							     "cumulative cumulative_percent kind, and retained)" },
	{ "-save", HI_ARG_FILE, "FILE", .help = "also write the whole census to FILE, for 'diff -from FILE'" },
	{ "-interp", HI_ARG_INT, "ID", NULL, 0, 1e9,
	  .help = "only the objects of the interpreter whose id is ID (info lists\n"
		  "them; 0 is the main one): what its GC lists and its threads'\n"
		  "frames reach.  By default a census merges every interpreter's" },
	{ NULL },
};
enum { O_ALL, O_ABS, O_COPY, O_INPLACE, O_BY, O_KIND, O_RETAINED, O_FORMAT, O_SAVE, O_INTERP };

/* C again, from the census's reference graph: only the objects of KIND
 * (if not NULL), by BY (0 kind, 1 type, 2 rcs), with RETAINED sizes.  */
static int from_graph(struct hi_app *app, struct hi_census *c, int by, const char *kind, int retained)
{
	struct hi_heapgraph *g = hi_cmd_kept_graph(app);
	if (!g) {
		hi_error("%s: heap: the census kept no reference graph (out of memory, or HEAPINSPECT_GRAPH=0); free memory or unset HEAPINSPECT_GRAPH",
			 app->session.who);
		return hi_cmd_fail(app->interp);
	}
	uint32_t *sel = NULL;
	size_t n = 0;
	if (kind && hi_refs_select(app, g, "heap", kind, &sel, &n) != TCL_OK)
		return TCL_ERROR;
	struct hi_census p;
	hi_census_init(&p, by == 2 ? "rcs" : by == 1 ? "type" : "kind");
	if (hi_heapgraph_partition(g, sel, n, retained, &p) < 0) {
		free(sel);
		hi_census_free(&p);
		hi_error("%s: heap: out of memory for the partition of %u objects; free memory and retry",
			 app->session.who, g->n);
		return hi_cmd_fail(app->interp);
	}
	free(sel);
	p.skipped = c->skipped;
	p.unfollowed = c->unfollowed;
	p.unsized = c->unsized;
	hi_census_free(c);
	*c = p;
	return TCL_OK;
}

static int heap_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	int all = a->v[O_ALL].set, abs = a->v[O_ABS].set, mode = hi_cmd_mode(a, O_COPY);
	int by = a->v[O_BY].choice, format = a->v[O_FORMAT].choice;
	const char *save = a->v[O_SAVE].set ? Tcl_GetString(a->v[O_SAVE].obj) : NULL;
	/* Relative to the baseline unless -abs; -save keeps the whole heap. */
	const struct hi_baseline *base = NULL;
	if (!abs && !save && hi_cmd_baseline(app))
		base = &app->baseline;
	struct hi_census c;
	hi_census_init(&c, by == 1 ? "type" : "kind");
	struct hi_heap_opts opts = { by == 1 ? HI_BY_TYPE : HI_BY_KIND, base, NULL };
	if (a->v[O_INTERP].set) {
		opts.interp_set = 1;
		opts.interp_id = a->v[O_INTERP].i;
	}
	if (hi_cmd_walk(app, &opts, mode, &c, NULL, NULL) != TCL_OK) {
		hi_census_free(&c);
		return TCL_ERROR;
	}
	if ((by == 2 || a->v[O_KIND].set || a->v[O_RETAINED].set) &&
	    from_graph(app, &c, by, a->v[O_KIND].set ? Tcl_GetString(a->v[O_KIND].obj) : NULL,
		       a->v[O_RETAINED].set) != TCL_OK) {
		hi_census_free(&c);
		return TCL_ERROR;
	}
	if (save && hi_census_save(save, &c, app->session.pid, app->session.py.version) < 0) {
		hi_census_free(&c);
		return hi_cmd_fail(interp);
	}
	struct hi_result r;
	int rc = hi_cmd_begin(app, &r, format, "heap", hi_census_view_of(&c), all);
	if (rc == TCL_OK) {
		hi_census_describe(r.e, &c, app->session.pid, app->session.py.version);
		hi_cmd_end(app, &r);
	}
	hi_census_free(&c);
	return rc;
}

const struct hi_cmd hi_cmd_heap = {
	"heap", "partition the target's objects by kind, as heapy's hp.heap() does", heap_args,
	"Sizes are sys.getsizeof's.  After setrel, only objects that are new since\n"
	"the baseline are shown (see 'help setrel').  The target is stopped while\n"
	"it is read.  Every census keeps its reference graph for path,\n"
	"referrers, referents, show, objects, graph and top -retained; -by rcs,\n"
	"-kind and -retained read it too.\n",
	heap_run, HI_CMD_OUT,
};
