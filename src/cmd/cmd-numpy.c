/* cmd-numpy.c: `numpy`, the target's numpy arrays by data size, and the
 * views that keep much larger bases alive.  */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "report/emit.h"
#include "util/error.h"
#include "walk/heap.h"
#include "census/npviews.h"
#include "python/numpy.h"
#include "python/pysize.h"
#include "report/view.h"
#include "census/topn.h"

#define LIST_DEFAULT 10


struct row {
	struct hi_np_array a;
	unsigned flags;		/* HI_OBSERVE_HIDDEN: only views reach it */
};

struct np {
	struct hi_topn best;	/* the largest arrays by nbytes */
	size_t want;		/* how many to list (0: none) */
	struct hi_npviews v;	/* counts, and views by base */
	uint64_t undecoded;
	/* Read after the walk, before the target resumes.  */
	struct hi_py *py;
	struct row *rows;
	size_t nrows;
	char version[32];
	int imported;
	const char *who;	/* the session's, for errors */
};

static void observe(void *arg, uint64_t obj, struct hi_type *t, uint64_t size, uint32_t kind, unsigned flags)
{
	struct np *np = arg;
	(void)kind;
	if (flags & HI_OBSERVE_HIDDEN)
		hi_npv_hidden(&np->v, obj);
	if (t->family != HI_B_NDARRAY)
		return;
	struct hi_np_array a;
	if (hi_np_array(np->py, obj, t, &a) < 0) {
		np->undecoded++;
		return;
	}
	hi_npv_array(&np->v, &a, size);
	if (np->want)
		hi_topn_offer(&np->best, &(struct hi_topn_item){ .size = a.nbytes, .addr = obj, .type = t,
								 .flags = flags });
}

/* The bytes a base holds: an array's data, any other object's size.  */
static uint64_t base_bytes(void *arg, uint64_t addr)
{
	struct hi_py *py = arg;
	struct hi_type *t = hi_py_type(py, hi_py_type_of(py, addr));
	struct hi_np_array a;
	if (!t)
		return 0;
	if (t->family == HI_B_NDARRAY)
		return hi_np_array(py, addr, t, &a) == 0 ? a.nbytes : 0;
	return hi_py_sizeof(py, addr, t);
}

static int after(struct hi_py *py, void *arg)
{
	struct np *np = arg;
	if (hi_npv_finish(&np->v, base_bytes, py) < 0) {
		hi_error("%s: numpy: out of memory recording arrays' bases; free memory", np->who);
		return -1;
	}
	np->imported = hi_np_version(py, np->version, sizeof np->version) == 0;
	hi_topn_sort(&np->best);
	np->rows = calloc(np->best.n ? np->best.n : 1, sizeof *np->rows);
	if (!np->rows) {
		hi_error("%s: numpy: out of memory for %zu rows; free memory or list fewer (-n)", np->who, np->best.n);
		return -1;
	}
	for (size_t i = 0; i < np->best.n; i++) {
		const struct hi_topn_item *it = &np->best.v[i];
		if (hi_np_array(py, it->addr, it->type, &np->rows[np->nrows].a) == 0)
			np->rows[np->nrows++].flags = it->flags;
	}
	return 0;
}

static const char *data_word(const struct hi_np_array *a)
{
	return a->owned ? "owned" : a->base ? "view" : "other";
}

static void dtype_str(const struct hi_np_array *a, char *buf, size_t size)
{
	snprintf(buf, size, "%c/%" PRIu64, a->type >= 0x20 && a->type < 0x7f ? a->type : '?', a->itemsize);
}

/* ---- the table, from the description ---- */

/* "960 bytes", or "15728640 bytes, 15.0 MiB" (hi_fmt_bytes) from 1 KiB. */
static void human(uint64_t n, char *buf, size_t size)
{
	char unit[24];
	if (n < 1024)
		snprintf(buf, size, "%" PRIu64 " bytes", n);
	else
		snprintf(buf, size, "%" PRIu64 " bytes, %s", n, hi_fmt_bytes(n, unit));
}

static void group_line(FILE *out, Tcl_Obj *v, const char *key, int only)
{
	char path[64], vb[64], bb[64];
	snprintf(path, sizeof path, "%s.views", key);
	uint64_t views = (uint64_t)hi_view_int(v, path);
	snprintf(path, sizeof path, "%s.bases", key);
	uint64_t bases = (uint64_t)hi_view_int(v, path);
	snprintf(path, sizeof path, "%s.view_bytes", key);
	human((uint64_t)hi_view_int(v, path), vb, sizeof vb);
	snprintf(path, sizeof path, "%s.base_bytes", key);
	human((uint64_t)hi_view_int(v, path), bb, sizeof bb);
	if (!bases)
		return;
	if (only)
		fprintf(out, "%" PRIu64 " view%s (%s) keep%s %" PRIu64 " base%s (%s) alive that only views reach\n",
			views, views == 1 ? "" : "s", vb, views == 1 ? "s" : "", bases, bases == 1 ? "" : "s", bb);
	else
		fprintf(out, "%" PRIu64 " view%s (%s) of %" PRIu64 " much larger base%s (%s) that something else reaches too\n",
			views, views == 1 ? "" : "s", vb, bases, bases == 1 ? "" : "s", bb);
}

static void numpy_before(FILE *out, Tcl_Obj *v, int all)
{
	(void)all;
	if (!hi_view_int(v, "arrays")) {
		fprintf(out, "No numpy arrays%s.\n", hi_view_int(v, "imported") ? "" : " (numpy is not imported)");
		return;
	}
	const char *version = hi_view_str(v, "numpy"), *layout = hi_view_str(v, "layout");
	fprintf(out, "numpy %s (layout: %s)\n", *version ? version : "?", *layout ? layout : "?");
	fprintf(out, "%" PRId64 " arrays, %" PRId64 " bytes by sys.getsizeof: %" PRId64 " own %" PRId64
		" bytes of data, %" PRId64 " views, %" PRId64 " other\n",
		hi_view_int(v, "arrays"), hi_view_int(v, "size"), hi_view_int(v, "owned"), hi_view_int(v, "owned_bytes"),
		hi_view_int(v, "views"), hi_view_int(v, "other"));
}

static void numpy_after(FILE *out, Tcl_Obj *v, int all)
{
	(void)all;
	int64_t arrays = hi_view_int(v, "arrays"), listed = (int64_t)hi_view_len(v, "rows");
	if (!arrays)
		return;
	if (listed && arrays > listed)
		fprintf(out, "<%" PRId64 " more arrays; 'numpy -n N' lists N>\n", arrays - listed);
	if (!hi_view_int(v, "kept_alive.bases") && !hi_view_int(v, "shared.bases"))
		fprintf(out, "No view keeps a much larger base alive.\n");
	group_line(out, v, "kept_alive", 1);
	group_line(out, v, "shared", 0);
}

static const char *const numpy_csv[] = { "index", "address", "nbytes", "type", "itemsize", "shape",
					 "data", "base", "only_through_views", NULL };

static const struct hi_column numpy_columns[] = {
	{ "index", 6 }, { "address", -16 }, { "nbytes", 12 }, { "dtype", -7 }, { "shape", -20 }, { "data", -5 },
	{ "base", -14, 0, NULL, "-" }, { "only_through_views", 0, 0, "only views reach it", "" }, { NULL },
};

static const struct hi_view numpy_view = {
	"rows", numpy_csv, numpy_columns,
	" Index Address                Nbytes Dtype   Shape                Data  Base", NULL,
	numpy_before, numpy_after,
};

/* ---- the description ---- */

static void emit_group(struct hi_emit *e, const char *key, const struct hi_npv_group *g)
{
	hi_emit_object(e, key);
	hi_emit_u64(e, "views", g->views);
	hi_emit_u64(e, "view_bytes", g->view_bytes);
	hi_emit_u64(e, "bases", g->bases);
	hi_emit_u64(e, "base_bytes", g->base_bytes);
	hi_emit_end(e);
}

/* The result, once, for every format.  A row has a "base" only when its
 * array has one.  */
static void emit_result(struct hi_emit *e, const struct np *np, const struct hi_py *py, pid_t pid)
{
	hi_emit_object(e, NULL);
	hi_emit_i64(e, "pid", pid);
	hi_emit_str(e, "python", py->version);
	hi_emit_str(e, "numpy", np->version);
	hi_emit_str(e, "layout", py->numpy ? py->numpy->source : "");
	hi_emit_str(e, "no_dwarf", py->numpy && !py->numpy->from_dwarf ? py->numpy->no_dwarf : "");
	hi_emit_bool(e, "imported", np->imported);
	hi_emit_u64(e, "arrays", np->v.arrays);
	hi_emit_u64(e, "size", np->v.size);
	hi_emit_u64(e, "owned", np->v.owned);
	hi_emit_u64(e, "owned_bytes", np->v.owned_bytes);
	hi_emit_u64(e, "views", np->v.views);
	hi_emit_u64(e, "view_bytes", np->v.view_bytes);
	hi_emit_u64(e, "other", np->v.other);
	hi_emit_u64(e, "undecoded", np->undecoded);
	emit_group(e, "kept_alive", &np->v.only);
	emit_group(e, "shared", &np->v.otherwise);
	hi_emit_list(e, "rows");
	for (size_t i = 0; i < np->nrows; i++) {
		const struct hi_np_array *a = &np->rows[i].a;
		char addr[32], base[32], shape[HI_NP_MAXDIMS * 24], ch[2] = { a->type, 0 }, kind[2] = { a->kind, 0 },
			order[2] = { a->byteorder, 0 }, dtype[32];
		snprintf(addr, sizeof addr, "0x%" PRIx64, a->addr);
		hi_np_shape_str(a, shape, sizeof shape);
		hi_emit_object(e, NULL);
		hi_emit_u64(e, "index", i);
		hi_emit_str(e, "address", addr);
		hi_emit_u64(e, "nbytes", a->nbytes);
		hi_emit_str(e, "type", ch);
		hi_emit_str(e, "kind", kind);
		hi_emit_str(e, "byteorder", order);
		hi_emit_u64(e, "itemsize", a->itemsize);
		dtype_str(a, dtype, sizeof dtype);
		hi_emit_str(e, "dtype", dtype);
		hi_emit_str(e, "shape", shape);
		hi_emit_list(e, "dims");
		for (int k = 0; k < a->nd; k++)
			hi_emit_i64(e, NULL, a->dims[k]);
		hi_emit_end(e);
		hi_emit_str(e, "data", data_word(a));
		if (a->base) {
			snprintf(base, sizeof base, "0x%" PRIx64, a->base);
			hi_emit_str(e, "base", base);
		}
		hi_emit_bool(e, "only_through_views", (np->rows[i].flags & HI_OBSERVE_HIDDEN) != 0);
		hi_emit_end(e);
	}
	hi_emit_end(e);
	hi_emit_end(e);
}

static const struct hi_argspec numpy_args[] = {
	{ "-n", HI_ARG_INT, "N", .min = 0, .max = HI_TOPN_MAX,
	  .help = "list the N arrays with the most data (default 10, 0: none)" },
	HI_ARGS_MODE("walk a copy of the target's memory (see 'help heap')"),
	{ "-format", HI_ARG_CHOICE, "F", hi_formats,
	  .help = "table, json, csv (the listed arrays), or tcl (a dict:\n"
		  "arrays size owned owned_bytes views view_bytes other rows\n"
		  "kept_alive shared numpy layout ...; json has the same;\n"
		  "a row has a base only when its array has one)" },
	{ NULL },
};
enum { O_N, O_COPY, O_INPLACE, O_FORMAT };

static int numpy_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	int format = a->v[O_FORMAT].choice, mode = hi_cmd_mode(a, O_COPY);
	Tcl_WideInt n = a->v[O_N].set ? a->v[O_N].i : LIST_DEFAULT;
	struct np np = { .want = (size_t)n, .py = &app->session.py, .who = app->session.who };
	hi_npv_init(&np.v);
	if (n > 0 && hi_topn_init(&np.best, (size_t)n) < 0) {
		hi_error("%s: numpy: out of memory for %lld rows; free memory or list fewer (-n)", app->session.who,
			 (long long)n);
		return hi_cmd_fail(interp);
	}
	struct hi_heap_opts o = { .by = HI_BY_KIND, .observe = observe, .observe_arg = &np };
	struct hi_census c;
	hi_census_init(&c, "kind");
	int rc = hi_cmd_walk(app, &o, mode, &c, after, &np);
	if (rc == TCL_OK) {
		struct hi_result r;
		rc = hi_cmd_begin(app, &r, format, "numpy", &numpy_view, 0);
		if (rc == TCL_OK) {
			emit_result(r.e, &np, &app->session.py, app->session.pid);
			hi_cmd_end(app, &r);
		}
	}
	hi_census_free(&c);
	hi_topn_free(&np.best);
	hi_npv_free(&np.v);
	free(np.rows);
	return rc;
}

const struct hi_cmd hi_cmd_numpy = {
	"numpy", "numpy arrays by data size, and views that keep much larger bases alive", numpy_args,
	"Each array: its address, data size (nbytes = itemsize * product of its shape),\n"
	"dtype (type character/itemsize), shape, whether it owns its data or is a view,\n"
	"and its base.  Then the views whose bases hold at least 10 times the data\n"
	"the views address, the leak of slicing a big array and keeping the slice:\n"
	"first the bases only views keep alive (gc.get_referents does not see an\n"
	"array's base, so gc-based tools miss them; heapinspect follows it), then\n"
	"those something else reaches too.  In 'heap', an array that owns its data\n"
	"counts it, as sys.getsizeof does.  Layouts come from numpy's DWARF, or from\n"
	"its public ABI when it has none.  numpy looks at the whole heap.\n",
	numpy_run, HI_CMD_OUT,
};
