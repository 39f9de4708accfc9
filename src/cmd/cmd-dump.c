/* cmd-dump.c: `dump FILE`, save the target's memory image.  */
#include "config.h"
#include <stdio.h>
#include "cmd/cmd.h"
#include "util/error.h"
#include "mem/image.h"
#include "mem/snapshot.h"

static const struct hi_argspec dump_args[] = {
	{ "FILE", HI_ARG_FILE, .required = 1, .help = "the image to write (replaced)" },
	{ NULL },
};

static int dump_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	const char *file = Tcl_GetString(a->v[0].obj);
	struct hi_session *s = &app->session;
	if (s->image) {
		Tcl_SetObjResult(interp, Tcl_NewStringObj("dump: this is already an image; copy its file instead", -1));
		return TCL_ERROR;
	}
	/* The target is stopped only for the copy; the file is written
	 * once it runs again, and only if it was alive throughout.  */
	if (hi_cmd_stop(app) != TCL_OK)
		return TCL_ERROR;
	struct hi_mem *snap = hi_mem_snapshot(s->target.reader, hi_cmd_copy_bound(), HI_SNAP_RODATA);
	if (hi_cmd_resume(app) != TCL_OK) {
		hi_mem_close(snap);
		return TCL_ERROR;
	}
	if (!snap)
		return hi_cmd_fail(interp);
	int64_t n = hi_image_save(snap, s->pid, s->dbg, s->py.version, file);
	struct hi_snap_stats st = *hi_mem_snapshot_stats(snap);
	hi_mem_close(snap);
	if (n < 0)
		return hi_cmd_fail(interp);
	if (app->verbose)
		fprintf(stderr,
			"heapinspect: %s: saved %.1f MiB to %s (the present pages of %.1f MiB of mappings; %.1f MiB swapped out left out); paused %.1f ms\n",
			s->who, n / 1048576.0, file, st.mapped / 1048576.0, st.swapped / 1048576.0,
			s->target.last_pause * 1e3);
	Tcl_SetObjResult(interp, Tcl_NewWideIntObj(n));
	return TCL_OK;
}

const struct hi_cmd hi_cmd_dump = {
	"dump", "save the target's memory image to FILE, to inspect later", dump_args,
	"Copies, while the target is stopped, what a census reads: its resident\n"
	"writable memory and the read-only data of its loaded code, with where its\n"
	"Python was loaded.  `heapinspect image FILE` (or `attach -image FILE`)\n"
	"then runs every command on the image as on the live process, on this\n"
	"machine or one with the same Python build.  Returns the bytes saved.\n"
	"An image holds everything in the process's memory: treat it as you would\n"
	"a core dump.\n",
	dump_run,
};
