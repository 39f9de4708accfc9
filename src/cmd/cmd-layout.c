/* cmd-layout.c: `layout`, where the target's layouts come from; `layout
 * -save FILE`, a layout pack of them (dwarf/pack.h).  */
#include "config.h"
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "cmd/cmd.h"
#include "dwarf/pack.h"
#include "python/emucall.h"
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
	{ "-format", HI_ARG_CHOICE, "F", layout_formats,
	  .help = "table (the default), json, or tcl (a dict: python kind\n"
		  "pointer_size machine build_id from (dwarf, cache or pack)\n"
		  "file (the DWARF, cache or pack file) same_build checked\n"
		  "answers saved)" },
	{ NULL },
};
enum { O_SAVE, O_FORMAT };

/* Put every question a session may ask: attaching asked most; pymalloc's
 * (asked by `memory`) and the emulator's thread-local (asked by the
 * first emulated call) are asked now.  */
static void ask_the_rest(struct hi_session *s)
{
	struct hi_obmalloc_layout ol;
	hi_layout_obmalloc(&ol, s->dbg, s->who);
	hi_error_clear();
	hi_py_emu(&s->py);
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

static int layout_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	struct hi_session *s = &app->session;
	if (!s->attached) {
		hi_error("layout: not attached to a process or image; use: attach PID");
		hi_error_class(HI_E_USAGE);
		return hi_cmd_fail(interp);
	}
	struct hi_pack_id id;
	hi_dbg_identify(s->dbg, &id);
	/* The process knows its own version better than its file does.  */
	if (strchr(s->py.version, '.') != strrchr(s->py.version, '.'))
		snprintf(id.version, sizeof id.version, "%s", s->py.version);
	int src = hi_dbg_layout_source(s->dbg), same = 0;
	const char *pv = NULL, *pack = hi_dbg_pack_file(s->dbg, &pv, &same);
	const char *saved = "";
	if (a->v[O_SAVE].set) {
		const char *file = Tcl_GetString(a->v[O_SAVE].obj);
		if (src == HI_LAYOUT_PACK) {
			hi_error("%s: layout -save: its layouts came from the pack %s, not from DWARF; save the pack from a build that has its debug information",
				 s->who, pack);
			hi_error_class(HI_E_NODEBUG);
			return hi_cmd_fail(interp);
		}
		if (strchr(id.version, '.') == strrchr(id.version, '.')) {
			hi_error("%s: layout -save: cannot tell its micro version (only \"%s\"); a pack is for one version",
				 s->who, id.version);
			return hi_cmd_fail(interp);
		}
		ask_the_rest(s);
		if (hi_dbg_refuse_missed(s->dbg, s->who) < 0)
			return hi_cmd_fail(interp);
		char from[600];
		snprintf(from, sizeof from, "%s (DWARF: %s)", hi_dbg_python_path(s->dbg), hi_dbg_debug_path(s->dbg));
		if (hi_pack_write(file, &id, from, hi_dbg_answers(s->dbg), s->who) < 0)
			return hi_cmd_fail(interp);
		saved = file;
	}
	size_t answers = hi_dbg_answer_count(s->dbg);
	struct hi_result r;
	int format = a->v[O_FORMAT].set ? a->v[O_FORMAT].choice : 0;
	static const int formats[] = { HI_F_TABLE, HI_F_JSON, HI_F_TCL };
	int rc = hi_cmd_begin(app, &r, formats[format], "layout", &layout_view, 0);
	if (rc != TCL_OK)
		return rc;
	char kind[64], mbuf[32];
	hi_pack_kind(id.flags, kind, sizeof kind);
	struct hi_emit *e = r.e;
	hi_emit_object(e, NULL);
	hi_emit_str(e, "python", id.version);
	hi_emit_str(e, "kind", kind);
	hi_emit_i64(e, "pointer_size", id.ptr_size);
	hi_emit_str(e, "machine", hi_pack_machine(id.machine, mbuf, sizeof mbuf));
	hi_emit_str(e, "build_id", id.build_id);
	hi_emit_str(e, "from", src == HI_LAYOUT_DWARF ? "dwarf" : src == HI_LAYOUT_CACHE ? "cache" : "pack");
	hi_emit_str(e, "file", src == HI_LAYOUT_DWARF ? hi_dbg_debug_path(s->dbg)
			       : src == HI_LAYOUT_CACHE ? hi_dbg_cache_file(s->dbg)
							: pack);
	hi_emit_bool(e, "same_build", src == HI_LAYOUT_PACK ? same : 1);
	hi_emit_str(e, "checked", s->py.checked);
	hi_emit_u64(e, "answers", answers);
	hi_emit_str(e, "saved", saved);
	hi_emit_end(e);
	hi_cmd_end(app, &r);
	return TCL_OK;
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
