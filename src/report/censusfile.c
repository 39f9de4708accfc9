/* censusfile.c: see censusfile.h.  */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tcl.h>
#include "report/censusfile.h"
#include "report/describe.h"
#include "util/error.h"
#include "util/infile.h"
#include "util/text.h"

int hi_census_save(const char *path, const struct hi_census *c, pid_t pid, const char *python)
{
	struct hi_emit *e = hi_emit_tcl();
	if (!e) {
		hi_error("cannot write %s: out of memory", path);
		return -1;
	}
	hi_census_describe(e, c, pid, python);
	Tcl_Obj *d = hi_emit_finish(e);
	Tcl_IncrRefCount(d);
	char when[64];
	time_t now = time(NULL);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S%z", localtime(&now));
	Tcl_DictObjPut(NULL, d, Tcl_NewStringObj("format", -1), Tcl_NewStringObj(HI_CENSUS_FORMAT, -1));
	Tcl_DictObjPut(NULL, d, Tcl_NewStringObj("taken", -1), Tcl_NewStringObj(when, -1));
	FILE *f = fopen(path, "w");
	int ok = f && fprintf(f, "%s\n", Tcl_GetString(d)) > 0;
	int err = errno;
	if (f && fclose(f) != 0 && ok) {
		ok = 0;
		err = errno;
	}
	Tcl_DecrRefCount(d);
	if (!ok) {
		hi_error("cannot write %s: %s; check the path or choose another file", path, strerror(err));
		return -1;
	}
	return 0;
}

/* The value under KEY in the dict D, or NULL.  */
static Tcl_Obj *get(Tcl_Obj *d, const char *key)
{
	Tcl_Obj *k = Tcl_NewStringObj(key, -1), *v = NULL;
	Tcl_IncrRefCount(k);
	if (Tcl_DictObjGet(NULL, d, k, &v) != TCL_OK)
		v = NULL;
	Tcl_DecrRefCount(k);
	return v;
}

static int get_count(Tcl_Obj *d, const char *key, uint64_t *out)
{
	Tcl_Obj *v = get(d, key);
	Tcl_WideInt w;
	if (!v || Tcl_GetWideIntFromObj(NULL, v, &w) != TCL_OK || w < 0)
		return -1;
	*out = (uint64_t)w;
	return 0;
}

static int parse(Tcl_Obj *d, struct hi_census *c, const char *path, const char *who)
{
	int size;
	if (Tcl_DictObjSize(NULL, d, &size) != TCL_OK) {
		hi_error("%s: %s is not a heapinspect census (not a Tcl dict); give a file written by 'heap -save FILE'",
			 who, path);
		return -1;
	}
	Tcl_Obj *format = get(d, "format");
	if (!format || strcmp(Tcl_GetString(format), HI_CENSUS_FORMAT) != 0) {
		char *found = hi_text_escape_dup(format ? Tcl_GetString(format) : "");
		hi_error("%s: %s is not a census this heapinspect reads (format \"%s\", not \"%s\"); "
			 "save it again with 'heap -save FILE'",
			 who, path, found, HI_CENSUS_FORMAT);
		free(found);
		return -1;
	}
	Tcl_Obj *by = get(d, "by"), *rows = get(d, "rows");
	hi_census_init(c, by && strcmp(Tcl_GetString(by), "type") == 0 ? "type" : "kind");
	int n;
	Tcl_Obj **v;
	if (!rows || Tcl_ListObjGetElements(NULL, rows, &n, &v) != TCL_OK) {
		hi_error("%s: %s: no list of rows; the file is damaged", who, path);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		Tcl_Obj *kind = get(v[i], "kind");
		uint64_t count, bytes;
		if (!kind || get_count(v[i], "count", &count) < 0 || get_count(v[i], "size", &bytes) < 0) {
			hi_error("%s: %s: row %d lacks a kind, a count or a size; the file is damaged", who, path, i);
			return -1;
		}
		uint32_t k = hi_census_kind(c, Tcl_GetString(kind));
		if (k == UINT32_MAX) {
			hi_error("%s: %s: out of memory", who, path);
			return -1;
		}
		c->rows[k].count += count;
		c->rows[k].size += bytes;
		c->objects += count;
		c->size += bytes;
	}
	return 0;
}

int hi_census_load(const char *path, struct hi_census *c, const char *who)
{
	size_t len;
	hi_census_init(c, "kind");
	char *buf = hi_infile_read(path, HI_INFILE_CENSUS_MAX, who, "saved census", &len);
	if (!buf)
		return -1;
	Tcl_Obj *text = Tcl_NewStringObj(buf, (int)len);
	free(buf);
	Tcl_IncrRefCount(text);
	hi_census_free(c);
	int rc = parse(text, c, path, who);
	Tcl_DecrRefCount(text);
	if (rc < 0)
		hi_census_free(c);
	return rc;
}
