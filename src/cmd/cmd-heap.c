/* cmd-heap.c: `heap`, heapy's partition of the target's objects.  */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cmd/cmd.h"
#include "util/error.h"
#include "report/censusfile.h"
#include "report/describe.h"


static const char *const bys[] = { "kind", "type", NULL };

static const struct hi_argspec heap_args[] = {
	{ "-all", HI_ARG_FLAG, .help = "show every row (by default 10 rows when there are 12 or more;\n"
				       "'more' shows the next 10, 'all' the whole table)" },
	{ "-abs", HI_ARG_FLAG, .help = "after setrel, show the whole heap, not just what is new" },
	{ "-copy", HI_ARG_FLAG, .help = "copy the target's writable memory while it is stopped and\n"
					"read the copy after it resumes: a much shorter pause, for\n"
					"as much memory as the target has written (bound it with\n"
					"HEAPINSPECT_COPY_MB)" },
	{ "-by", HI_ARG_CHOICE, "BY", bys, .help = "kind: heapy's kinds, classes and `dict of X` for __dict__s\n"
						   "(default); type: by type alone, like heapy's .bytype" },
	{ "-format", HI_ARG_CHOICE, "F", hi_formats, .help = "table (heapy's, the default), json, csv, or tcl (a dict:\n"
							     "pid python objects size skipped unfollowed unsized by rows)" },
	{ "-save", HI_ARG_FILE, "FILE", .help = "also write the whole census to FILE, for 'diff -from FILE'" },
	{ NULL },
};
enum { O_ALL, O_ABS, O_COPY, O_BY, O_FORMAT, O_SAVE };

static int heap_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	int all = a->v[O_ALL].set, abs = a->v[O_ABS].set, copy = a->v[O_COPY].set;
	int by = a->v[O_BY].choice, format = a->v[O_FORMAT].choice;
	const char *save = a->v[O_SAVE].set ? Tcl_GetString(a->v[O_SAVE].obj) : NULL;
	/* Relative to the baseline unless -abs; -save keeps the whole heap. */
	const struct hi_baseline *base = NULL;
	if (!abs && !save && hi_cmd_baseline(app))
		base = &app->baseline;
	struct hi_census c;
	hi_census_init(&c, by ? "type" : "kind");
	if (hi_cmd_census(app, by, copy, base, NULL, &c) != TCL_OK) {
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
	"it is read.\n",
	heap_run, HI_CMD_OUT,
};
