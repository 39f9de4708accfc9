/* emit.c: JSON or Tcl from one description (see emit.h).  */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "report/emit.h"
#include "report/report.h"

#define MAX_DEPTH 16

struct level {
	int is_list;
	int count;		/* JSON: members written so far */
	Tcl_Obj *obj;		/* Tcl: the dict or list being built */
	char key[64];		/* Tcl: its key in the parent */
};

struct hi_emit {
	FILE *out;		/* NULL: Tcl */
	int depth;
	struct level lv[MAX_DEPTH];
	Tcl_Obj *result;
};

struct hi_emit *hi_emit_json(FILE *out)
{
	struct hi_emit *e = calloc(1, sizeof *e);
	if (e)
		e->out = out;
	return e;
}

struct hi_emit *hi_emit_tcl(void)
{
	return calloc(1, sizeof(struct hi_emit));
}

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
	if (e->out) {
		json_key(e, key);
		fputc(is_list ? '[' : '{', e->out);
	} else {
		l->obj = is_list ? Tcl_NewListObj(0, NULL) : Tcl_NewDictObj();
		snprintf(l->key, sizeof l->key, "%s", key ? key : "");
	}
	l->is_list = is_list;
	l->count = 0;
	e->depth++;
}

void hi_emit_object(struct hi_emit *e, const char *key) { open_level(e, key, 0); }
void hi_emit_list(struct hi_emit *e, const char *key) { open_level(e, key, 1); }

void hi_emit_end(struct hi_emit *e)
{
	if (!e->depth)
		return;
	struct level *l = &e->lv[--e->depth];
	if (e->out)
		fputc(l->is_list ? ']' : '}', e->out);
	else
		tcl_put(e, l->key, l->obj);
}

void hi_emit_u64(struct hi_emit *e, const char *key, uint64_t v)
{
	if (e->out) {
		json_key(e, key);
		fprintf(e->out, "%" PRIu64, v);
	} else {
		tcl_put(e, key, Tcl_NewWideIntObj((Tcl_WideInt)v));
	}
}

void hi_emit_i64(struct hi_emit *e, const char *key, int64_t v)
{
	if (e->out) {
		json_key(e, key);
		fprintf(e->out, "%" PRId64, v);
	} else {
		tcl_put(e, key, Tcl_NewWideIntObj((Tcl_WideInt)v));
	}
}

void hi_emit_double(struct hi_emit *e, const char *key, double v)
{
	if (e->out) {
		json_key(e, key);
		fprintf(e->out, "%.6g", v);
	} else {
		tcl_put(e, key, Tcl_NewDoubleObj(v));
	}
}

void hi_emit_str(struct hi_emit *e, const char *key, const char *s)
{
	if (e->out) {
		json_key(e, key);
		hi_json_string(e->out, s);
	} else {
		tcl_put(e, key, Tcl_NewStringObj(s, -1));
	}
}

void hi_emit_bool(struct hi_emit *e, const char *key, int v)
{
	if (e->out) {
		json_key(e, key);
		fputs(v ? "true" : "false", e->out);
	} else {
		tcl_put(e, key, Tcl_NewBooleanObj(v));
	}
}

Tcl_Obj *hi_emit_finish(struct hi_emit *e)
{
	while (e->depth)
		hi_emit_end(e);
	Tcl_Obj *r = e->result;
	if (e->out)
		fputc('\n', e->out);
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
