/* cmd-numpy.c: `numpy`, the target's numpy arrays by data size, and the
 * views that keep much larger bases alive.  */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "addrset.h"
#include "cmd.h"
#include "error.h"
#include "heap.h"
#include "numpy.h"
#include "pysize.h"
#include "report.h"
#include "topn.h"

#define LIST_DEFAULT 10
/* A base is "much larger" than its views when it holds at least this
 * many times the bytes all its views address: slicing a big array and
 * keeping only the slice.  */
#define WASTE_RATIO 10

static const char *const formats[] = { "table", "json", "csv", "tcl", NULL };
enum { F_TABLE, F_JSON, F_CSV, F_TCL };

struct base_rec {
	uint64_t addr, views, view_bytes;
};

/* Views of much larger bases: the bases only views reach, and those
 * something else reaches too.  */
struct group {
	uint64_t views, view_bytes, bases, base_bytes;
};

struct row {
	struct hi_np_array a;
	unsigned flags;		/* HI_OBSERVE_HIDDEN: only views reach it */
};

struct np {
	struct hi_topn best;	/* the largest arrays by nbytes */
	size_t want;		/* how many to list (0: none) */
	uint64_t arrays, size, owned, owned_bytes, views, view_bytes, other, undecoded;
	struct u64map base_index;	/* base address -> index + 1 into bases */
	struct base_rec *bases;
	size_t nbases, capbases;
	struct hi_addrset hidden;	/* objects only hidden references reach */
	int oom;
	/* Read after the walk, before the target resumes.  */
	struct hi_py *py;
	struct row *rows;
	size_t nrows;
	struct group only, otherwise;
	char version[32];
	int imported;
	const char *who;	/* the session's, for errors */
};

static struct base_rec *base_of(struct np *np, uint64_t addr)
{
	uint64_t *ix = u64map_get(&np->base_index, addr);
	if (ix)
		return &np->bases[*ix - 1];
	if (np->nbases == np->capbases) {
		size_t ncap = np->capbases ? np->capbases * 2 : 64;
		struct base_rec *nb = realloc(np->bases, ncap * sizeof *nb);
		if (!nb)
			return NULL;
		np->bases = nb;
		np->capbases = ncap;
	}
	if (u64map_put(&np->base_index, addr, np->nbases + 1) < 0)
		return NULL;
	np->bases[np->nbases] = (struct base_rec){ addr, 0, 0 };
	return &np->bases[np->nbases++];
}

static void observe(void *arg, uint64_t obj, struct hi_type *t, uint64_t size, uint32_t kind, unsigned flags)
{
	struct np *np = arg;
	(void)kind;
	if ((flags & HI_OBSERVE_HIDDEN) && hi_addrset_add(&np->hidden, obj) < 0)
		np->oom = 1;
	if (t->family != HI_B_NDARRAY)
		return;
	struct hi_np_array a;
	if (hi_np_array(np->py, obj, t, &a) < 0) {
		np->undecoded++;
		return;
	}
	np->arrays++;
	np->size += size;
	if (a.owned) {
		np->owned++;
		np->owned_bytes += a.nbytes;
	} else if (a.base) {
		struct base_rec *b = base_of(np, a.base);
		np->views++;
		np->view_bytes += a.nbytes;
		if (!b) {
			np->oom = 1;
			return;
		}
		b->views++;
		b->view_bytes += a.nbytes;
	} else {
		np->other++;
	}
	if (np->want)
		hi_topn_offer(&np->best, &(struct hi_topn_item){ .size = a.nbytes, .addr = obj, .type = t,
								 .flags = flags });
}

/* The bytes a base holds: an array's data, any other object's size.  */
static uint64_t base_bytes(struct hi_py *py, uint64_t addr)
{
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
	if (np->oom) {
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
	for (size_t i = 0; i < np->nbases; i++) {
		const struct base_rec *b = &np->bases[i];
		uint64_t bytes = base_bytes(py, b->addr);
		if (!bytes || bytes < WASTE_RATIO * b->view_bytes)
			continue;
		struct group *g = hi_addrset_has(&np->hidden, b->addr) ? &np->only : &np->otherwise;
		g->views += b->views;
		g->view_bytes += b->view_bytes;
		g->bases++;
		g->base_bytes += bytes;
	}
	return 0;
}

static void human(uint64_t n, char *buf, size_t size)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = -1;
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%" PRIu64 " bytes", n);
	else
		snprintf(buf, size, "%" PRIu64 " bytes, %.1f %s", n, v, unit[u]);
}

static const char *data_word(const struct hi_np_array *a)
{
	return a->owned ? "owned" : a->base ? "view" : "other";
}

static void dtype_str(const struct hi_np_array *a, char *buf, size_t size)
{
	snprintf(buf, size, "%c/%" PRIu64, a->type >= 0x20 && a->type < 0x7f ? a->type : '?', a->itemsize);
}

static void print_group(FILE *out, const struct group *g, int only)
{
	char vb[64], bb[64];
	if (!g->bases)
		return;
	human(g->view_bytes, vb, sizeof vb);
	human(g->base_bytes, bb, sizeof bb);
	if (only)
		fprintf(out, "%" PRIu64 " view%s (%s) keep%s %" PRIu64 " base%s (%s) alive that only views reach\n",
			g->views, g->views == 1 ? "" : "s", vb, g->views == 1 ? "s" : "", g->bases,
			g->bases == 1 ? "" : "s", bb);
	else
		fprintf(out, "%" PRIu64 " view%s (%s) of %" PRIu64 " much larger base%s (%s) that something else reaches too\n",
			g->views, g->views == 1 ? "" : "s", vb, g->bases, g->bases == 1 ? "" : "s", bb);
}

static void print_table(FILE *out, const struct np *np, const struct hi_py *py)
{
	if (!np->arrays) {
		fprintf(out, "No numpy arrays%s.\n", np->imported ? "" : " (numpy is not imported)");
		return;
	}
	fprintf(out, "numpy %s (layout: %s)\n", np->version[0] ? np->version : "?", py->numpy ? py->numpy->source : "?");
	fprintf(out, "%" PRIu64 " arrays, %" PRIu64 " bytes by sys.getsizeof: %" PRIu64 " own %" PRIu64 " bytes of data, %" PRIu64
		     " views, %" PRIu64 " other\n",
		np->arrays, np->size, np->owned, np->owned_bytes, np->views, np->other);
	if (np->nrows) {
		fprintf(out, " Index Address                Nbytes Dtype   Shape                Data  Base\n");
		for (size_t i = 0; i < np->nrows; i++) {
			const struct hi_np_array *a = &np->rows[i].a;
			char shape[64], dt[32], base[32];
			hi_np_shape_str(a, shape, sizeof shape);
			dtype_str(a, dt, sizeof dt);
			if (a->base)
				snprintf(base, sizeof base, "0x%" PRIx64, a->base);
			else
				snprintf(base, sizeof base, "-");
			if (np->rows[i].flags & HI_OBSERVE_HIDDEN)
				fprintf(out, "%6zu 0x%-14" PRIx64 " %12" PRIu64 " %-7s %-20s %-5s %-14s only views reach it\n",
					i, a->addr, a->nbytes, dt, shape, data_word(a), base);
			else
				fprintf(out, "%6zu 0x%-14" PRIx64 " %12" PRIu64 " %-7s %-20s %-5s %s\n", i, a->addr, a->nbytes,
					dt, shape, data_word(a), base);
		}
		if (np->arrays > np->nrows)
			fprintf(out, "<%" PRIu64 " more arrays; 'numpy -n N' lists N>\n", np->arrays - np->nrows);
	}
	if (!np->only.bases && !np->otherwise.bases)
		fprintf(out, "No view keeps a much larger base alive.\n");
	print_group(out, &np->only, 1);
	print_group(out, &np->otherwise, 0);
}

static Tcl_Obj *group_to_tcl(Tcl_Interp *ip, const struct group *g)
{
	Tcl_Obj *d = Tcl_NewDictObj();
	Tcl_DictObjPut(ip, d, Tcl_NewStringObj("views", -1), Tcl_NewWideIntObj((Tcl_WideInt)g->views));
	Tcl_DictObjPut(ip, d, Tcl_NewStringObj("view_bytes", -1), Tcl_NewWideIntObj((Tcl_WideInt)g->view_bytes));
	Tcl_DictObjPut(ip, d, Tcl_NewStringObj("bases", -1), Tcl_NewWideIntObj((Tcl_WideInt)g->bases));
	Tcl_DictObjPut(ip, d, Tcl_NewStringObj("base_bytes", -1), Tcl_NewWideIntObj((Tcl_WideInt)g->base_bytes));
	return d;
}

static Tcl_Obj *to_tcl(Tcl_Interp *ip, const struct np *np, const struct hi_py *py, pid_t pid)
{
	Tcl_Obj *d = Tcl_NewDictObj(), *rows = Tcl_NewListObj(0, NULL);
#define PUT(k, v) Tcl_DictObjPut(ip, d, Tcl_NewStringObj(k, -1), v)
#define WIDE(v) Tcl_NewWideIntObj((Tcl_WideInt)(v))
	PUT("pid", Tcl_NewIntObj(pid));
	PUT("python", Tcl_NewStringObj(py->version, -1));
	PUT("numpy", Tcl_NewStringObj(np->version, -1));
	PUT("layout", Tcl_NewStringObj(py->numpy ? py->numpy->source : "", -1));
	PUT("no_dwarf", Tcl_NewStringObj(py->numpy && !py->numpy->from_dwarf ? py->numpy->no_dwarf : "", -1));
	PUT("arrays", WIDE(np->arrays));
	PUT("size", WIDE(np->size));
	PUT("owned", WIDE(np->owned));
	PUT("owned_bytes", WIDE(np->owned_bytes));
	PUT("views", WIDE(np->views));
	PUT("view_bytes", WIDE(np->view_bytes));
	PUT("other", WIDE(np->other));
	PUT("undecoded", WIDE(np->undecoded));
	for (size_t i = 0; i < np->nrows; i++) {
		const struct hi_np_array *a = &np->rows[i].a;
		char addr[32], base[32], shape[HI_NP_MAXDIMS * 24], ch[2] = { a->type, 0 }, kind[2] = { a->kind, 0 },
			order[2] = { a->byteorder, 0 };
		Tcl_Obj *r = Tcl_NewDictObj(), *dims = Tcl_NewListObj(0, NULL);
		snprintf(addr, sizeof addr, "0x%" PRIx64, a->addr);
		snprintf(base, sizeof base, a->base ? "0x%" PRIx64 : "", a->base);
		hi_np_shape_str(a, shape, sizeof shape);
		for (int k = 0; k < a->nd; k++)
			Tcl_ListObjAppendElement(ip, dims, WIDE(a->dims[k]));
#define RPUT(k, v) Tcl_DictObjPut(ip, r, Tcl_NewStringObj(k, -1), v)
		RPUT("address", Tcl_NewStringObj(addr, -1));
		RPUT("nbytes", WIDE(a->nbytes));
		RPUT("type", Tcl_NewStringObj(ch, -1));
		RPUT("kind", Tcl_NewStringObj(kind, -1));
		RPUT("byteorder", Tcl_NewStringObj(order, -1));
		RPUT("itemsize", WIDE(a->itemsize));
		RPUT("shape", Tcl_NewStringObj(shape, -1));
		RPUT("dims", dims);
		RPUT("data", Tcl_NewStringObj(data_word(a), -1));
		RPUT("base", Tcl_NewStringObj(base, -1));
		RPUT("only_through_views", Tcl_NewIntObj((np->rows[i].flags & HI_OBSERVE_HIDDEN) != 0));
#undef RPUT
		Tcl_ListObjAppendElement(ip, rows, r);
	}
	PUT("rows", rows);
	PUT("kept_alive", group_to_tcl(ip, &np->only));
	PUT("shared", group_to_tcl(ip, &np->otherwise));
#undef PUT
#undef WIDE
	return d;
}

static void json_group(FILE *out, const char *name, const struct group *g)
{
	fprintf(out, ", \"%s\": {\"views\": %" PRIu64 ", \"view_bytes\": %" PRIu64 ", \"bases\": %" PRIu64
		     ", \"base_bytes\": %" PRIu64 "}",
		name, g->views, g->view_bytes, g->bases, g->base_bytes);
}

static void print_json(FILE *out, const struct np *np, const struct hi_py *py, pid_t pid)
{
	fprintf(out, "{\"pid\": %d, \"python\": ", (int)pid);
	hi_json_string(out, py->version);
	fputs(", \"numpy\": ", out);
	hi_json_string(out, np->version);
	fputs(", \"layout\": ", out);
	hi_json_string(out, py->numpy ? py->numpy->source : "");
	fputs(", \"no_dwarf\": ", out);
	hi_json_string(out, py->numpy && !py->numpy->from_dwarf ? py->numpy->no_dwarf : "");
	fprintf(out, ", \"arrays\": %" PRIu64 ", \"size\": %" PRIu64 ", \"owned\": %" PRIu64 ", \"owned_bytes\": %" PRIu64
		     ", \"views\": %" PRIu64 ", \"view_bytes\": %" PRIu64 ", \"other\": %" PRIu64 ", \"undecoded\": %" PRIu64,
		np->arrays, np->size, np->owned, np->owned_bytes, np->views, np->view_bytes, np->other, np->undecoded);
	json_group(out, "kept_alive", &np->only);
	json_group(out, "shared", &np->otherwise);
	fputs(", \"rows\": [", out);
	for (size_t i = 0; i < np->nrows; i++) {
		const struct hi_np_array *a = &np->rows[i].a;
		char shape[HI_NP_MAXDIMS * 24], ch[2] = { a->type, 0 }, kind[2] = { a->kind, 0 }, order[2] = { a->byteorder, 0 };
		hi_np_shape_str(a, shape, sizeof shape);
		fprintf(out, "%s\n  {\"index\": %zu, \"address\": \"0x%" PRIx64 "\", \"nbytes\": %" PRIu64 ", \"type\": ",
			i ? "," : "", i, a->addr, a->nbytes);
		hi_json_string(out, ch);
		fputs(", \"kind\": ", out);
		hi_json_string(out, kind);
		fputs(", \"byteorder\": ", out);
		hi_json_string(out, order);
		fprintf(out, ", \"itemsize\": %" PRIu64 ", \"shape\": \"%s\", \"dims\": [", a->itemsize, shape);
		for (int k = 0; k < a->nd; k++)
			fprintf(out, "%s%lld", k ? ", " : "", (long long)a->dims[k]);
		fprintf(out, "], \"data\": \"%s\", \"base\": ", data_word(a));
		if (a->base)
			fprintf(out, "\"0x%" PRIx64 "\"", a->base);
		else
			fputs("null", out);
		fprintf(out, ", \"only_through_views\": %s}", np->rows[i].flags & HI_OBSERVE_HIDDEN ? "true" : "false");
	}
	fputs("\n]}\n", out);
}

static void print_csv(FILE *out, const struct np *np)
{
	fputs("index,address,nbytes,type,itemsize,shape,data,base,only_through_views\n", out);
	for (size_t i = 0; i < np->nrows; i++) {
		const struct hi_np_array *a = &np->rows[i].a;
		char shape[HI_NP_MAXDIMS * 24];
		hi_np_shape_str(a, shape, sizeof shape);
		fprintf(out, "%zu,0x%" PRIx64 ",%" PRIu64 ",%c,%" PRIu64 ",\"%s\",%s,", i, a->addr, a->nbytes,
			a->type >= 0x20 && a->type < 0x7f && a->type != '"' && a->type != ',' ? a->type : '?', a->itemsize,
			shape, data_word(a));
		if (a->base)
			fprintf(out, "0x%" PRIx64, a->base);
		fprintf(out, ",%d\n", (np->rows[i].flags & HI_OBSERVE_HIDDEN) != 0);
	}
}

static int numpy_proc(ClientData cd, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	static const char *const opts[] = { "-n", "-format", "-copy", NULL };
	enum { O_N, O_FORMAT, O_COPY };
	struct hi_app *app = cd;
	int format = F_TABLE, copy = 0;
	Tcl_WideInt n = LIST_DEFAULT;
	for (int i = 1; i < objc; i++) {
		int opt;
		if (Tcl_GetIndexFromObj(interp, objv[i], opts, "option", 0, &opt) != TCL_OK)
			return TCL_ERROR;
		if (opt == O_COPY) {
			copy = 1;
			continue;
		}
		if (i + 1 >= objc) {
			Tcl_SetObjResult(interp, Tcl_ObjPrintf("%s needs a value; usage: numpy %s",
							       Tcl_GetString(objv[i]), hi_cmd_numpy.usage));
			return TCL_ERROR;
		}
		i++;
		if (opt == O_N && (Tcl_GetWideIntFromObj(interp, objv[i], &n) != TCL_OK || n < 0 || n > HI_TOPN_MAX)) {
			Tcl_SetObjResult(interp, Tcl_ObjPrintf("-n must be an integer from 0 to %d, not \"%s\"",
							       HI_TOPN_MAX, Tcl_GetString(objv[i])));
			return TCL_ERROR;
		}
		if (opt == O_FORMAT && (format = hi_cmd_choice(interp, objv[i], formats, "format")) < 0)
			return TCL_ERROR;
	}
	struct np np = { .want = (size_t)n, .py = &app->session.py, .who = app->session.who };
	u64map_init(&np.base_index);
	hi_addrset_init(&np.hidden);
	if (n > 0 && hi_topn_init(&np.best, (size_t)n) < 0) {
		hi_error("%s: numpy: out of memory for %lld rows; free memory or list fewer (-n)", app->session.who,
			 (long long)n);
		return hi_cmd_fail(interp);
	}
	struct hi_heap_opts o = { .by = HI_BY_KIND, .observe = observe, .observe_arg = &np };
	struct hi_census c;
	hi_census_init(&c, "kind");
	int rc = hi_cmd_walk(app, &o, copy, &c, after, &np);
	if (rc == TCL_OK) {
		const struct hi_py *py = &app->session.py;
		if (format == F_TABLE)
			print_table(app->out, &np, py);
		else if (format == F_JSON)
			print_json(app->out, &np, py, app->session.pid);
		else if (format == F_CSV)
			print_csv(app->out, &np);
		else
			Tcl_SetObjResult(interp, to_tcl(interp, &np, py, app->session.pid));
		fflush(app->out);
	}
	hi_census_free(&c);
	hi_topn_free(&np.best);
	u64map_free(&np.base_index);
	hi_addrset_free(&np.hidden);
	free(np.bases);
	free(np.rows);
	return rc;
}

const struct hi_cmd hi_cmd_numpy = {
	"numpy", "?-n N? ?-copy? ?-format table|json|csv|tcl?",
	"numpy arrays by data size, and views that keep much larger bases alive",
	"  -n N            list the N arrays with the most data (default 10, 0: none)\n"
	"  -copy           walk a copy of the target's memory (see 'help heap')\n"
	"  -format F       table, json, csv (the listed arrays), or tcl (return a dict:\n"
	"                  arrays size owned owned_bytes views view_bytes other rows\n"
	"                  kept_alive shared numpy layout ...)\n"
	"Each array: its address, data size (nbytes = itemsize * product of its shape),\n"
	"dtype (type character/itemsize), shape, whether it owns its data or is a view,\n"
	"and its base.  Then the views whose bases hold at least 10 times the data\n"
	"the views address, the leak of slicing a big array and keeping the slice:\n"
	"first the bases only views keep alive (gc.get_referents does not see an\n"
	"array's base, so gc-based tools miss them; heapinspect follows it), then\n"
	"those something else reaches too.  In 'heap', an array that owns its data\n"
	"counts it, as sys.getsizeof does.  Layouts come from numpy's DWARF, or from\n"
	"its public ABI when it has none.  numpy looks at the whole heap.\n",
	numpy_proc,
};
