/* cmd-dump.c: `dump FILE`, save the target's memory image.  */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "cmd/cmd.h"
#include "util/error.h"
#include "mem/image.h"
#include "mem/snapshot.h"
#include "walk/heap.h"

static const struct hi_argspec dump_args[] = {
	{ "FILE", HI_ARG_FILE, .required = 1, .help = "the image to write (replaced)" },
	{ "-census", HI_ARG_FLAG,
	  .help = "save only what one census reads (and attaching needs): a\n"
		  "much smaller image on which heap, top, numpy and the\n"
		  "other census commands give what they gave live; made\n"
		  "for bug reports and tests" },
	{ NULL },
};
enum { O_FILE, O_CENSUS };

struct kept {
	struct hi_app *app;
	struct hi_mem *img;
};

/* Still stopped after the census: read again what attaching reads, then
 * keep every page the reader holds.  */
static int keep_what_was_read(struct hi_py *py, void *arg)
{
	struct kept *k = arg;
	struct hi_session *s = &k->app->session;
	struct hi_py probe;
	memset(&probe, 0, sizeof probe);
	int rc = hi_py_init(&probe, s->dbg, py->mem, s->who);
	hi_py_fini(&probe);
	if (rc < 0)
		return -1;
	k->img = hi_mem_cache_image(py->mem);
	if (!k->img) {
		hi_error("%s: dump: out of memory keeping what the census read; free some memory and retry", s->who);
		return -1;
	}
	return 0;
}

/* dump -census: a census in place, and what it read.  */
static int dump_census(struct hi_app *app, Tcl_Interp *interp, const char *file)
{
	struct hi_session *s = &app->session;
	struct hi_census c;
	struct kept k = { app, NULL };
	struct hi_heap_opts o = { HI_BY_KIND, NULL, NULL };
	unsigned long long evicted = hi_mem_stats(s->mem)->evictions;
	hi_census_init(&c, "kind");
	int rc = hi_cmd_walk(app, &o, HI_WALK_INPLACE, &c, keep_what_was_read, &k);
	hi_census_free(&c);
	if (rc != TCL_OK) {
		hi_mem_close(k.img);
		return TCL_ERROR;
	}
	if (hi_mem_stats(s->mem)->evictions != evicted) {
		hi_mem_close(k.img);
		hi_error("%s: dump -census: the census read more than heapinspect's cache holds, so what it read is not all "
			 "kept; use dump without -census",
			 s->who);
		return hi_cmd_fail(interp);
	}
	int64_t n = hi_image_save(k.img, s->pid, s->dbg, s->py.version, file);
	hi_mem_close(k.img);
	if (n < 0)
		return hi_cmd_fail(interp);
	Tcl_SetObjResult(interp, Tcl_NewWideIntObj(n));
	return TCL_OK;
}

static int dump_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	const char *file = Tcl_GetString(a->v[O_FILE].obj);
	struct hi_session *s = &app->session;
	if (s->image && !s->image->core) {
		Tcl_SetObjResult(interp, Tcl_NewStringObj("dump: this is already an image; copy its file instead", -1));
		return TCL_ERROR;
	}
	if (s->image) {
		Tcl_SetObjResult(interp, Tcl_NewStringObj("dump: this is a core file; copy its file instead", -1));
		return TCL_ERROR;
	}
	if (a->v[O_CENSUS].set)
		return dump_census(app, interp, file);
	/* The target is stopped only for the copy; the file is written
	 * once it runs again, and only if it was alive throughout.  */
	int over;
	struct hi_snap *prep = hi_snap_prepare(s->target.reader, hi_cmd_copy_bound(), HI_SNAP_RODATA, &over);
	if (!prep)
		return hi_cmd_fail(interp);
	if (hi_cmd_stop(app) != TCL_OK) {
		hi_snap_free(prep);
		return TCL_ERROR;
	}
	struct hi_mem *snap = hi_snap_take(prep);
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
