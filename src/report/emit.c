/* emit.c: JSON, Tcl or CSV from one description (see emit.h).  */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "report/emit.h"
#include "report/report.h"

#define MAX_DEPTH 16
#define MAX_COLUMNS 32

enum mode { JSON, TCL, CSV };

struct level {
	int is_list;
	int count;		/* JSON: members written so far */
	Tcl_Obj *obj;		/* Tcl: the dict or list being built */
	char key[64];		/* its key in the parent */
	int first_only;		/* CSV: a list of records in a column: the
				 * first field of each */
};

struct hi_emit {
	enum mode mode;
	FILE *out;		/* JSON and CSV */
	int depth;
	struct level lv[MAX_DEPTH];
	Tcl_Obj *result;
	/* CSV: the list whose records are the lines, their columns, and the
	 * values of the record being read (NULL: none yet).  */
	const char *list;
	const char *const *columns;
	int ncolumns;
	int list_depth;		/* depth inside that list, 0: not in it */
	char *values[MAX_COLUMNS];
};

struct hi_emit *hi_emit_json(FILE *out)
{
	struct hi_emit *e = calloc(1, sizeof *e);
	if (e) {
		e->mode = JSON;
		e->out = out;
	}
	return e;
}

struct hi_emit *hi_emit_tcl(void)
{
	struct hi_emit *e = calloc(1, sizeof *e);
	if (e)
		e->mode = TCL;
	return e;
}

struct hi_emit *hi_emit_csv(FILE *out, const char *list, const char *const *columns)
{
	struct hi_emit *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->mode = CSV;
	e->out = out;
	e->list = list;
	e->columns = columns;
	while (columns[e->ncolumns] && e->ncolumns < MAX_COLUMNS)
		e->ncolumns++;
	for (int i = 0; i < e->ncolumns; i++)
		fprintf(out, "%s%s", i ? "," : "", columns[i]);
	fputc('\n', out);
	return e;
}

/* ---- CSV: one line per record of the chosen list ---- */

static int column_of(const struct hi_emit *e, const char *key)
{
	for (int i = 0; key && i < e->ncolumns; i++)
		if (strcmp(e->columns[i], key) == 0)
			return i;
	return -1;
}

/* A value TEXT under KEY at the current depth.  A field of the record
 * is its column's value; a value inside a container of the record (a
 * list of numbers, of records: their first fields) is appended to the
 * container's column, space-separated.  */
static void csv_value(struct hi_emit *e, const char *key, const char *text)
{
	int rec = e->list_depth + 1;	/* the depth inside a record */
	if (!e->list_depth || e->depth < rec)
		return;
	int col;
	if (e->depth == rec) {
		col = column_of(e, key);
	} else {
		struct level *c = &e->lv[rec];	/* the record's container */
		if (e->depth > rec + 2 || (e->depth == rec + 2 && (!c->first_only || e->lv[rec + 1].count++)))
			return;
		col = column_of(e, c->key);
	}
	if (col < 0)
		return;
	char *old = e->values[col];
	size_t n = (old ? strlen(old) + 1 : 0) + strlen(text) + 1;
	char *v = malloc(n);
	if (!v)
		return;
	snprintf(v, n, "%s%s%s", old ? old : "", old ? " " : "", text);
	free(old);
	e->values[col] = v;
}

static void csv_line(struct hi_emit *e)
{
	for (int i = 0; i < e->ncolumns; i++) {
		if (i)
			fputc(',', e->out);
		if (e->values[i])
			hi_csv_field(e->out, e->values[i]);
		free(e->values[i]);
		e->values[i] = NULL;
	}
	fputc('\n', e->out);
}

/* ---- JSON and Tcl ---- */

/* JSON: the separator and key before a member.  */
static void json_key(struct hi_emit *e, const char *key)
{
	if (!e->depth)
		return;
	struct level *l = &e->lv[e->depth - 1];
	if (l->count++)
		fputs(", ", e->out);
	if (!l->is_list && key) {
		hi_json_string(e->out, key);
		fputs(": ", e->out);
	}
}

/* Tcl: put V into the innermost container under KEY.  */
static void tcl_put(struct hi_emit *e, const char *key, Tcl_Obj *v)
{
	if (!e->depth) {
		e->result = v;
		return;
	}
	struct level *l = &e->lv[e->depth - 1];
	if (l->is_list)
		Tcl_ListObjAppendElement(NULL, l->obj, v);
	else
		Tcl_DictObjPut(NULL, l->obj, Tcl_NewStringObj(key ? key : "", -1), v);
}

static void open_level(struct hi_emit *e, const char *key, int is_list)
{
	if (e->depth >= MAX_DEPTH)
		return;
	struct level *l = &e->lv[e->depth];
	if (e->mode == JSON) {
		json_key(e, key);
		fputc(is_list ? '[' : '{', e->out);
	} else if (e->mode == TCL) {
		l->obj = is_list ? Tcl_NewListObj(0, NULL) : Tcl_NewDictObj();
	} else if (e->mode == CSV) {
		if (is_list && e->depth == 1 && key && strcmp(key, e->list) == 0)
			e->list_depth = e->depth + 1;
		/* A record's object in a list of its: only its first field. */
		if (e->list_depth && e->depth == e->list_depth + 2 && !is_list)
			e->lv[e->depth - 1].first_only = 1;
	}
	snprintf(l->key, sizeof l->key, "%s", key ? key : "");
	l->is_list = is_list;
	l->count = 0;
	l->first_only = 0;
	e->depth++;
}

void hi_emit_object(struct hi_emit *e, const char *key) { open_level(e, key, 0); }
void hi_emit_list(struct hi_emit *e, const char *key) { open_level(e, key, 1); }

void hi_emit_end(struct hi_emit *e)
{
	if (!e->depth)
		return;
	struct level *l = &e->lv[--e->depth];
	if (e->mode == JSON) {
		fputc(l->is_list ? ']' : '}', e->out);
	} else if (e->mode == TCL) {
		tcl_put(e, l->key, l->obj);
	} else if (e->list_depth) {
		if (e->depth == e->list_depth)	/* a record ends */
			csv_line(e);
		else if (e->depth == e->list_depth - 1)	/* the list ends */
			e->list_depth = 0;
	}
}

/* A number or string as JSON or CSV text; Tcl values are made directly
 * by the callers.  */
static void text(struct hi_emit *e, const char *key, const char *t, int quote)
{
	if (e->mode == CSV) {
		csv_value(e, key, t);
		return;
	}
	json_key(e, key);
	if (quote)
		hi_json_string(e->out, t);
	else
		fputs(t, e->out);
}

void hi_emit_u64(struct hi_emit *e, const char *key, uint64_t v)
{
	char buf[32];
	if (e->mode == TCL) {
		tcl_put(e, key, Tcl_NewWideIntObj((Tcl_WideInt)v));
		return;
	}
	snprintf(buf, sizeof buf, "%" PRIu64, v);
	text(e, key, buf, 0);
}

void hi_emit_i64(struct hi_emit *e, const char *key, int64_t v)
{
	char buf[32];
	if (e->mode == TCL) {
		tcl_put(e, key, Tcl_NewWideIntObj((Tcl_WideInt)v));
		return;
	}
	snprintf(buf, sizeof buf, "%" PRId64, v);
	text(e, key, buf, 0);
}

void hi_emit_double(struct hi_emit *e, const char *key, double v)
{
	char buf[64];
	if (e->mode == TCL) {
		tcl_put(e, key, Tcl_NewDoubleObj(v));
		return;
	}
	snprintf(buf, sizeof buf, "%.6g", v);
	text(e, key, buf, 0);
}

void hi_emit_str(struct hi_emit *e, const char *key, const char *s)
{
	if (e->mode == TCL)
		tcl_put(e, key, Tcl_NewStringObj(s, -1));
	else
		text(e, key, s, 1);
}

void hi_emit_bool(struct hi_emit *e, const char *key, int v)
{
	if (e->mode == TCL)
		tcl_put(e, key, Tcl_NewBooleanObj(v));
	else	/* 1 and 0 in a spreadsheet */
		text(e, key, e->mode == CSV ? (v ? "1" : "0") : (v ? "true" : "false"), 0);
}

Tcl_Obj *hi_emit_finish(struct hi_emit *e)
{
	while (e->depth)
		hi_emit_end(e);
	Tcl_Obj *r = e->result;
	if (e->mode == JSON)
		fputc('\n', e->out);
	for (int i = 0; i < e->ncolumns; i++)
		free(e->values[i]);
	free(e);
	return r;
}

const char *hi_fmt_bytes(uint64_t v, char buf[24])
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	if (v < 1024) {
		snprintf(buf, 24, "%u B", (unsigned)v);
		return buf;
	}
	double x = (double)v / 1024;
	int u = 0;
	while (x >= 1024 && u < 4) {
		x /= 1024;
		u++;
	}
	snprintf(buf, 24, "%.1f %s", x, units[u]);
	return buf;
}
