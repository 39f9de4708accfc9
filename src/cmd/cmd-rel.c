/* cmd-rel.c: `setrel` and `clearrel`, the relative baseline.  */
#include "config.h"
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include "cmd/cmd.h"
#include "util/error.h"

static const struct hi_argspec setrel_args[] = {
	HI_ARGS_MODE("as for heap: copy while stopped, read after resuming"),
	{ NULL },
};

static int setrel_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	int mode = hi_cmd_mode(a, 0);
	struct hi_baseline b;
	hi_baseline_init(&b);
	if (hi_cmd_census(app, 0, mode, NULL, &b.keys, &b.census) != TCL_OK) {
		hi_baseline_clear(&b);
		return TCL_ERROR;
	}
	/* Sorted after the target runs again.  */
	if (hi_keyset_seal(&b.keys) < 0) {
		hi_baseline_clear(&b);
		hi_error("%s: setrel: out of memory for the baseline of %zu objects; free memory and retry",
			 app->session.who, b.keys.n);
		return hi_cmd_fail(interp);
	}
	b.set = 1;
	b.pid = app->session.pid;
	b.id = app->session.target.id;
	b.id.pid = b.pid;
	b.taken = time(NULL);
	hi_baseline_clear(&app->baseline);
	app->baseline = b;
	char when[32];
	strftime(when, sizeof when, "%H:%M:%S", localtime(&b.taken));
	Tcl_SetObjResult(interp, Tcl_ObjPrintf("baseline of pid %d at %s: %" PRIu64 " objects, %" PRIu64 " bytes",
					       (int)b.pid, when, b.census.objects, b.census.size));
	return TCL_OK;
}

static int clearrel_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	hi_baseline_clear(&app->baseline);
	return TCL_OK;
}

const struct hi_cmd hi_cmd_setrel = {
	"setrel", "remember the heap now; later 'heap' shows only what is new", setrel_args,
	"Like heapy's setrelheap.  heapinspect keeps the baseline itself (nothing\n"
	"is written to the target) and keys each object on its address, its type\n"
	"and, for immutable kinds (str, bytes, int, float, complex, tuple, code), a\n"
	"digest of its contents, so an address reused by a different object counts\n"
	"as new.  Undetectable: a mutable object (list, dict, instance) replaced at\n"
	"the same address by another of the same type, an immutable one replaced by\n"
	"an equal one, and growth inside old containers.  The baseline survives\n"
	"detach and attach of the same pid.  'heap -abs' shows everything;\n"
	"'diff' compares the baseline with now; 'clearrel' forgets it.\n",
	setrel_run,
};

const struct hi_cmd hi_cmd_clearrel = {
	"clearrel", "forget the baseline; 'heap' shows the whole heap again", NULL, "", clearrel_run,
};
