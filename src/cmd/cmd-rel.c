/* cmd-rel.c: `setrel` and `clearrel`, the relative baseline.  */
#include "config.h"
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include "cmd/cmd.h"
#include "util/error.h"

static int setrel_proc(ClientData cd, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	struct hi_app *app = cd;
	int copy = objc == 2 && strcmp(Tcl_GetString(objv[1]), "-copy") == 0;
	if (objc != 1 && !copy) {
		Tcl_WrongNumArgs(interp, 1, objv, "?-copy?");
		return TCL_ERROR;
	}
	struct hi_baseline b;
	hi_baseline_init(&b);
	if (hi_cmd_census(app, 0, copy, NULL, &b.keys, &b.census) != TCL_OK) {
		hi_baseline_clear(&b);
		return TCL_ERROR;
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

static int clearrel_proc(ClientData cd, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	struct hi_app *app = cd;
	if (objc != 1) {
		Tcl_WrongNumArgs(interp, 1, objv, "");
		return TCL_ERROR;
	}
	hi_baseline_clear(&app->baseline);
	return TCL_OK;
}

const struct hi_cmd hi_cmd_setrel = {
	"setrel", "?-copy?", "remember the heap now; later 'heap' shows only what is new",
	"Like heapy's setrelheap.  heapinspect keeps the baseline itself (nothing\n"
	"is written to the target) and keys each object on its address, its type\n"
	"and, for immutable kinds (str, bytes, int, float, complex, tuple, code), a\n"
	"digest of its contents, so an address reused by a different object counts\n"
	"as new.  Undetectable: a mutable object (list, dict, instance) replaced at\n"
	"the same address by another of the same type, an immutable one replaced by\n"
	"an equal one, and growth inside old containers.  The baseline survives\n"
	"detach and attach of the same pid.  'heap -abs' shows everything;\n"
	"'diff' compares the baseline with now; 'clearrel' forgets it.\n"
	"  -copy           as for heap: copy while stopped, read after resuming\n",
	setrel_proc,
};

const struct hi_cmd hi_cmd_clearrel = {
	"clearrel", "", "forget the baseline; 'heap' shows the whole heap again", "", clearrel_proc,
};
