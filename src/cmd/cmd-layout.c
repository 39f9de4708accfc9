/* cmd-layout.c: `layout`, where the target's layouts come from; `layout
 * -save FILE`, a layout pack of them (dwarf/pack.h).  */
#include "config.h"
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "cmd/cmd.h"
#include "dwarf/pack.h"
#include "python/validate.h"
#include "mem/mem.h"
#include "report/emit.h"
#include "report/view.h"
#include "util/error.h"

static const char *const layout_formats[] = { "table", "json", "tcl", NULL };

static const struct hi_argspec layout_args[] = {
	{ "-save", HI_ARG_FILE, "FILE",
	  .help = "write a layout pack of this Python to FILE: every answer\n"
		  "its DWARF gave heapinspect, with the build's identity, so\n"
		  "that a stripped copy of the same version can be read\n"
		  "(install it where heapinspect looks: see HEAPINSPECT_LAYOUT_PATH)" },
	{ "-from", HI_ARG_FILE, "ELF",
	  .help = "describe (and with -save, save) the Python in ELF, a\n"
		  "libpython or a static python executable with its DWARF,\n"
		  "instead of the attached process's" },
	{ "-version", HI_ARG_STRING, "V",
	  .help = "with -from: the version, 3.10.13, when the file cannot\n"
		  "tell it (before 3.11 it holds no Py_Version)" },
	{ "-format", HI_ARG_CHOICE, "F", layout_formats,
	  .help = "table (the default), json, or tcl (a dict: python kind\n"
		  "pointer_size machine build_id from (dwarf, cache or pack)\n"
		  "file (the DWARF, cache or pack file) same_build checked\n"
		  "answers saved)" },
	{ NULL },
};
enum { O_SAVE, O_FROM, O_VERSION, O_FORMAT };

/* Put every question a session may ask that attaching did not:
 * pymalloc's (asked by `memory`), the validation's (some are asked only
 * when a read succeeds), the emulator's thread-local.  */
static void ask_the_rest(struct hi_dbg *dbg, const char *who)
{
	struct hi_obmalloc_layout ol;
	uint64_t off, lo, hi;
	hi_layout_obmalloc(&ol, dbg, who);
	hi_error_clear();
	hi_py_validate_ask(dbg);
	hi_dbg_tls_symbol(dbg, "_Py_tss_tstate", &off, &lo, &hi);
}

static void layout_table(FILE *o, Tcl_Obj *v, int all)
{
	(void)all;
	fprintf(o, "python:       CPython %s (%s, %d-bit %s)\n", hi_view_str(v, "python"), hi_view_str(v, "kind"),
		(int)hi_view_int(v, "pointer_size") * 8, hi_view_str(v, "machine"));
	fprintf(o, "build id:     %s\n", hi_view_str(v, "build_id"));
	const char *from = hi_view_str(v, "from");
	if (!strcmp(from, "dwarf"))
		fprintf(o, "layouts from: its DWARF, in %s\n", hi_view_str(v, "file"));
	else if (!strcmp(from, "cache"))
		fprintf(o, "layouts from: the answers its DWARF gave, kept in %s\n", hi_view_str(v, "file"));
	else
		fprintf(o, "layouts from: the layout pack %s, %s\n", hi_view_str(v, "file"),
			hi_view_int(v, "same_build") ? "saved from this very build"
						     : "saved from another build of this version");
	fprintf(o, "checked:      %s\n", hi_view_str(v, "checked"));
	fprintf(o, "answers:      %" PRId64 "\n", hi_view_int(v, "answers"));
	if (*hi_view_str(v, "saved"))
		fprintf(o, "saved to:     %s\n", hi_view_str(v, "saved"));
}

static const struct hi_view layout_view = { .before = layout_table };

/* The Python to describe: the attached one, or one opened from a file
 * (-from), read through an image that holds nothing: no process is
 * read, only the file and its DWARF.  */
struct subject {
	struct hi_dbg *dbg;
	struct hi_py *py;
	const char *who;
	struct hi_py own;
	struct hi_mem *nothing;
	int from_file;
};

static int open_subject(struct hi_app *app, const struct hi_args *a, struct subject *sj)
{
	memset(sj, 0, sizeof *sj);
	if (!a->v[O_FROM].set) {
		struct hi_session *s = &app->session;
		if (!s->attached) {
			hi_error("layout: not attached to a process or image; use: attach PID, or layout -from ELF");
			hi_error_class(HI_E_USAGE);
			return -1;
		}
		sj->dbg = s->dbg;
		sj->py = &s->py;
		sj->who = s->who;
		return 0;
	}
	sj->from_file = 1;
	sj->who = Tcl_GetString(a->v[O_FROM].obj);
	if (!(sj->dbg = hi_dbg_open_file(sj->who)))
		return -1;
	if (!(sj->nothing = hi_mem_open_image()) || hi_py_init(&sj->own, sj->dbg, sj->nothing, sj->who) < 0) {
		if (!sj->nothing)
			hi_error("%s: out of memory", sj->who);
		return -1;
	}
	sj->py = &sj->own;
	snprintf(sj->own.checked, sizeof sj->own.checked, "not checked: a file, no process");
	return 0;
}

static void close_subject(struct subject *sj)
{
	if (!sj->from_file)
		return;
	hi_py_fini(&sj->own);	/* safe on one that failed or never began */
	hi_mem_close(sj->nothing);
	hi_dbg_close(sj->dbg);
}

static int has_micro(const char *v)
{
	return strchr(v, '.') != strrchr(v, '.');
}

static int layout_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	struct subject sj;
	if (a->v[O_VERSION].set && !a->v[O_FROM].set) {
		hi_error("layout: -version is for -from ELF (a process tells its own)");
		hi_error_class(HI_E_USAGE);
		return hi_cmd_fail(interp);
	}
	if (open_subject(app, a, &sj) < 0) {
		close_subject(&sj);
		return hi_cmd_fail(interp);
	}
	struct hi_pack_id id;
	hi_dbg_identify(sj.dbg, &id);
	/* A process knows its own version better than its file does.  */
	if (!sj.from_file && has_micro(sj.py->version))
		snprintf(id.version, sizeof id.version, "%s", sj.py->version);
	if (a->v[O_VERSION].set)
		snprintf(id.version, sizeof id.version, "%s", Tcl_GetString(a->v[O_VERSION].obj));
	int src = hi_dbg_layout_source(sj.dbg), same = 0;
	const char *pv = NULL, *pack = hi_dbg_pack_file(sj.dbg, &pv, &same);
	const char *saved = "";
	int rc = TCL_OK;
	if (a->v[O_SAVE].set) {
		const char *file = Tcl_GetString(a->v[O_SAVE].obj);
		char from[600];
		snprintf(from, sizeof from, "%s (DWARF: %s)", hi_dbg_python_path(sj.dbg), hi_dbg_debug_path(sj.dbg));
		if (src == HI_LAYOUT_PACK) {
			hi_error("%s: layout -save: its layouts came from the pack %s, not from DWARF; save the pack from a build that has its debug information",
				 sj.who, pack);
			hi_error_class(HI_E_NODEBUG);
			rc = TCL_ERROR;
		} else if (!has_micro(id.version)) {
			hi_error("%s: layout -save: cannot tell its micro version (only \"%s\"); give -version, or save from a running process",
				 sj.who, id.version);
			hi_error_class(HI_E_USAGE);
			rc = TCL_ERROR;
		} else {
			ask_the_rest(sj.dbg, sj.who);
			if (hi_dbg_refuse_missed(sj.dbg, sj.who) < 0 ||
			    hi_pack_write(file, &id, from, hi_dbg_answers(sj.dbg), sj.who) < 0)
				rc = TCL_ERROR;
			else
				saved = file;
		}
	}
	if (rc != TCL_OK) {
		close_subject(&sj);
		return hi_cmd_fail(interp);
	}
	size_t answers = hi_dbg_answer_count(sj.dbg);
	struct hi_result r;
	int format = a->v[O_FORMAT].set ? a->v[O_FORMAT].choice : 0;
	static const int formats[] = { HI_F_TABLE, HI_F_JSON, HI_F_TCL };
	rc = hi_cmd_begin(app, &r, formats[format], "layout", &layout_view, 0);
	if (rc == TCL_OK) {
		char kind[64], mbuf[32];
		hi_pack_kind(id.flags, kind, sizeof kind);
		struct hi_emit *e = r.e;
		hi_emit_object(e, NULL);
		hi_emit_str(e, "python", id.version);
		hi_emit_str(e, "kind", kind);
		hi_emit_i64(e, "pointer_size", id.ptr_size);
		hi_emit_str(e, "machine", hi_pack_machine(id.machine, mbuf, sizeof mbuf));
		hi_emit_str(e, "build_id", id.build_id);
		hi_emit_str(e, "from", hi_dbg_layout_source_name(sj.dbg));
		hi_emit_str(e, "file", src == HI_LAYOUT_DWARF ? hi_dbg_debug_path(sj.dbg)
				       : src == HI_LAYOUT_CACHE ? hi_dbg_cache_file(sj.dbg)
								: pack);
		hi_emit_bool(e, "same_build", src == HI_LAYOUT_PACK ? same : 1);
		hi_emit_str(e, "checked", sj.py->checked);
		hi_emit_u64(e, "answers", answers);
		hi_emit_str(e, "saved", saved);
		hi_emit_end(e);
		hi_cmd_end(app, &r);
	}
	close_subject(&sj);
	return rc;
}

const struct hi_cmd hi_cmd_layout = {
	"layout", "where the target's struct layouts come from; -save FILE writes a layout pack", layout_args,
	"heapinspect learns every struct layout from the target Python's DWARF\n"
	"(or from the answers that DWARF gave an earlier attach to the same build,\n"
	"kept by build id).  A Python without debug information (stripped\n"
	"container images, standalone builds, distro Pythons without -dbg) is\n"
	"read with a layout pack instead: the answers saved by `layout -save`\n"
	"from a build of the same version that had them.  Either way the layouts\n"
	"are checked against the target before any census.\n",
	layout_run, HI_CMD_OUT,
};
