/* commands.c: the command table and shared helpers (see cmd.h).  */
#include "config.h"
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "mem/snapshot.h"
#include "report/emit.h"
#include "util/error.h"
#include "util/output.h"
#include "util/text.h"
#include "walk/heap.h"
#include "util/interrupt.h"
#include "python/numpy.h"

const struct hi_cmd *const hi_commands[] = {
	&hi_cmd_all,	&hi_cmd_attach, &hi_cmd_clearrel, &hi_cmd_detach, &hi_cmd_diff, &hi_cmd_dump, &hi_cmd_heap,
	&hi_cmd_help,	&hi_cmd_info,	&hi_cmd_memory, &hi_cmd_more,	  &hi_cmd_numpy,  &hi_cmd_plot,
	&hi_cmd_quit,	&hi_cmd_setrel, &hi_cmd_shm,	  &hi_cmd_top,	  &hi_cmd_watch,  NULL,
};

/* Each command runs through run_cmd, which collects what the command
 * writes to APP->out into its result (commands nest: watch -command runs
 * others), and notices when stdout is a pipe whose reader has gone
 * (heapinspect ... | head) while a command wrote to it as it went:
 * SIGPIPE is ignored so that a walk is never cut short with the target
 * stopped, so the closed pipe is turned into the same unwinding a signal
 * causes, and the script ends, detaching, instead of taking census after
 * census for nobody.  */
struct binding {
	struct hi_app *app;
	const struct hi_cmd *cmd;
};

/* `info exists x` and friends: Tcl's own info, kept under another name
 * by hi_commands_register.  */
static int tcl_info(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	Tcl_Obj **v = (Tcl_Obj **)ckalloc(objc * sizeof *v);
	v[0] = Tcl_NewStringObj(HI_TCL_INFO, -1);
	Tcl_IncrRefCount(v[0]);
	for (int i = 1; i < objc; i++)
		v[i] = objv[i];
	int rc = Tcl_EvalObjv(interp, objc, v, 0);
	Tcl_DecrRefCount(v[0]);
	ckfree((char *)v);
	return rc;
}

/* -out FILE: the result goes to FILE, and the command returns nothing. */
static int result_to_file(struct hi_app *app, Tcl_Interp *interp, const char *cmd, const char *file)
{
	int len;
	const char *r = Tcl_GetStringFromObj(Tcl_GetObjResult(interp), &len);
	FILE *f = fopen(file, "w");
	int ok = f && fwrite(r, 1, (size_t)len, f) == (size_t)len && fputc('\n', f) != EOF;
	int err = errno;
	if (f && fclose(f) != 0 && ok) {
		ok = 0;
		err = errno;
	}
	if (!ok) {
		hi_error("%s: %s: cannot write %s: %s; check the path or choose another -out", app->session.who, cmd, file,
			 strerror(err));
		return hi_cmd_fail(interp);
	}
	Tcl_ResetResult(interp);
	return TCL_OK;
}

static int run_cmd(ClientData cd, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	struct binding *b = cd;
	struct hi_app *app = b->app;
	if ((b->cmd->flags & HI_CMD_TCL_INFO) && objc > 1 && Tcl_GetString(objv[1])[0] != '-')
		return tcl_info(interp, objc, objv);
	struct hi_args args;
	if (hi_cmd_parse(interp, b->cmd, objc, objv, &args) != TCL_OK)
		return TCL_ERROR;
	char *text = NULL;
	size_t len = 0;
	FILE *outer = app->out, *collect = open_memstream(&text, &len);
	if (!collect) {
		hi_error("%s: out of memory for its result; free some memory and retry", Tcl_GetString(objv[0]));
		return hi_cmd_fail(interp);
	}
	app->out = collect;
	hi_target_poll();	/* let go threads held since an earlier stop */
	int rc = b->cmd->run(app, interp, &args);
	hi_target_poll();
	app->out = outer;
	if (fclose(collect) != 0 && rc == TCL_OK) {
		hi_error("%s: out of memory for its result; free some memory and retry", Tcl_GetString(objv[0]));
		rc = hi_cmd_fail(interp);
	}
	if (rc == TCL_OK && text && len) {
		/* Text from the target is kept off terminals however the
		 * result is printed; the last line break is the printer's.  */
		if (text[len - 1] == '\n')
			len--;
		hi_text_clean_lines(text, len);
		Tcl_SetObjResult(interp, Tcl_NewStringObj(text, (int)len));
	}
	free(text);
	if (rc == TCL_OK && args.out)
		rc = result_to_file(app, interp, b->cmd->name, args.out);
	/* A write that failed mid-command left the error flag, not errno:
	 * a reader that left ends the script quietly (141), any other
	 * failure is this command's error.  */
	switch (hi_output_check(app->print)) {
	case HI_OUT_OK:
		break;
	case HI_OUT_GONE:
		if (!hi_interrupted()) {
			hi_interrupt_signal = SIGPIPE;
			if (app->async)
				Tcl_AsyncMark(app->async);
		}
		break;
	case HI_OUT_FAILED:
		if (rc == TCL_OK)
			rc = hi_cmd_fail(interp);
		break;
	}
	return rc;
}

int hi_cmd_is_ours(const char *name, int len)
{
	return len >= 0 && hi_cmd_find(name, (size_t)len) != NULL;
}

static void free_binding(ClientData cd)
{
	free(cd);
}

void hi_commands_register(struct hi_app *app)
{
	Tcl_Eval(app->interp, "rename ::info " HI_TCL_INFO);
	hi_baseline_init(&app->baseline);
	hi_census_init(&app->last_census, "kind");
	hi_census_init(&app->last_a, "kind");
	hi_census_init(&app->last_b, "kind");
	for (int i = 0; hi_commands[i]; i++) {
		struct binding *b = hi_commands[i]->run ? malloc(sizeof *b) : NULL;
		if (!b)
			continue;
		*b = (struct binding){ app, hi_commands[i] };
		Tcl_CreateObjCommand(app->interp, hi_commands[i]->name, run_cmd, b, free_binding);
	}
}

int hi_cmd_fail(Tcl_Interp *interp)
{
	Tcl_SetObjResult(interp, Tcl_NewStringObj(hi_errmsg(), -1));
	Tcl_SetErrorCode(interp, "HEAPINSPECT", hi_errclass_name(hi_errclass()), NULL);
	return TCL_ERROR;
}

const struct hi_baseline *hi_cmd_baseline(const struct hi_app *app)
{
	struct hi_proc_id id = app->session.target.id;
	id.pid = app->session.pid;
	return hi_baseline_of(&app->baseline, &id) ? &app->baseline : NULL;
}

uint64_t hi_cmd_copy_bound(void)
{
	const char *e = getenv("HEAPINSPECT_COPY_MB");
	if (e && *e)
		return (uint64_t)atoll(e) << 20;	/* 0: no bound */
	/* By default half of what the machine can give without swapping. */
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	unsigned long long kb = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb ? (uint64_t)kb * 1024 / 2 : 0;
}

int hi_cmd_stop(struct hi_app *app)
{
	if (hi_session_stop(&app->session) < 0)
		return hi_cmd_fail(app->interp);
	return TCL_OK;
}

int hi_cmd_resume(struct hi_app *app)
{
	if (hi_session_resume(&app->session) < 0)
		return hi_cmd_fail(app->interp);
	return TCL_OK;
}

struct hi_emit *hi_cmd_emitter(struct hi_app *app, int json, const char *cmd)
{
	struct hi_emit *e = json ? hi_emit_json(app->out) : hi_emit_tcl();
	if (!e)
		hi_error("%s: %s: out of memory for the %s result; free some memory and retry", app->session.who, cmd,
			 json ? "json" : "tcl");
	return e;
}

void hi_cmd_emitted(struct hi_app *app, struct hi_emit *e)
{
	Tcl_Obj *v = hi_emit_finish(e);
	if (v)
		Tcl_SetObjResult(app->interp, v);
}

int hi_cmd_census(struct hi_app *app, int by_type, int copy, const struct hi_baseline *baseline,
		  struct u64map *record, struct hi_census *out)
{
	struct hi_heap_opts opts = { by_type ? HI_BY_TYPE : HI_BY_KIND, baseline, record };
	return hi_cmd_walk(app, &opts, copy, out, NULL, NULL);
}

int hi_cmd_walk(struct hi_app *app, const struct hi_heap_opts *opts, int copy, struct hi_census *out,
		hi_cmd_after_fn after, void *after_arg)
{
	struct hi_gcinfo *info = malloc(sizeof *info);
	struct hi_heap_diag diag;
	if (!info) {
		hi_error("out of memory");
		return hi_cmd_fail(app->interp);
	}
	if (app->session.attached && !app->session.image)
		hi_np_prepare(&app->session.py);	/* outside the pause */
	if (hi_cmd_stop(app) != TCL_OK) {
		free(info);
		return TCL_ERROR;
	}
	struct hi_py *py = &app->session.py;
	struct hi_mem *live = py->mem, *snap = NULL;
	uint64_t copied = 0;
	struct hi_snap_stats sst = { 0 };
	unsigned long long live_reads = 0;
	int rc;
	if (copy && app->session.image)
		copy = 0;	/* an image is a copy already */
	if (copy) {
		snap = hi_mem_snapshot(app->session.target.reader, hi_cmd_copy_bound(), 0);
		/* The pause ends here; a copy of a process that died while it
		 * was taken is not kept.  */
		if (hi_session_resume(&app->session) < 0) {
			hi_mem_close(snap);
			snap = NULL;
		}
		if (!snap) {
			free(info);
			return hi_cmd_fail(app->interp);
		}
		copied = hi_mem_image_bytes(snap);
		py->mem = snap;
		rc = hi_heap_census(py, opts, out, info, &diag, app->session.who);
		if (rc == 0 && after)
			rc = after(py, after_arg);
		py->mem = live;
		sst = *hi_mem_snapshot_stats(snap);
		live_reads = hi_mem_stats(snap)->live_reads;
		/* What the copy lacks is read from the process; if it died
		 * meanwhile, those reads failed and the census is not whole. */
		if (rc == 0 && hi_mem_target_gone(snap)) {
			hi_error("%s: the process exited while heapinspect read what it had not copied; nothing it read is kept",
				 app->session.who);
			hi_error_class(HI_E_GONE);
			rc = -1;
		}
		hi_mem_close(snap);
	} else {
		rc = hi_heap_census(py, opts, out, info, &diag, app->session.who);
		if (rc == 0 && after)
			rc = after(py, after_arg);
		/* A census of a process that died while it was taken is not a
		 * census: whatever the walk made of it, it is an error.  */
		if (hi_session_resume(&app->session) < 0)
			rc = -1;
	}
	if (rc == 0 && app->verbose && !copy)
		fprintf(stderr, "heapinspect: %s: read %.1f MiB in %llu bulk reads%s\n", app->session.who,
			hi_mem_stats(live)->bytes_read / 1048576.0,
			(unsigned long long)hi_mem_stats(live)->chunk_fills,
			hi_mem_stats(live)->fallback
				? " from /proc/PID/mem (process_vm_readv is not allowed here, as seccomp may forbid it)"
				: "");
	if (rc == 0 && app->verbose && copy)
		fprintf(stderr,
			"heapinspect: %s: copied %.1f MiB (the present pages of %.1f MiB of writable mappings) while stopped, then walked the copy; %llu reads went to the live process (read-only data, and the %.1f MiB swapped out)\n",
			app->session.who, copied / 1048576.0, sst.mapped / 1048576.0, live_reads,
			sst.swapped / 1048576.0);
	if (rc == 0 && app->verbose)
		fprintf(stderr,
			"heapinspect: %s: %llu objects from %llu on GC lists and %llu running frames of %d interpreter(s); paused %.1f ms\n"
			"heapinspect: %s: skipped %llu referents with bad types and %llu bad pointers; %llu objects of C types not followed, %llu followed only through __dict__ and tp_members; %llu inconsistent; %llu unreadable fields; %llu broken GC lists\n",
			app->session.who, (unsigned long long)out->objects, (unsigned long long)diag.gc_objects,
			(unsigned long long)diag.frames, info->ninterps, app->session.target.last_pause * 1e3,
			app->session.who, (unsigned long long)diag.bad_type, (unsigned long long)diag.bad_ptr,
			(unsigned long long)diag.undecoded, (unsigned long long)diag.generic,
			(unsigned long long)diag.inconsistent,
			(unsigned long long)diag.bad_reads, (unsigned long long)info->broken_lists);
	if (rc == 0 && app->verbose && diag.hidden)
		fprintf(stderr, "heapinspect: %s: %llu objects reachable only through numpy bases and dtypes (gc-based tools miss them)\n",
			app->session.who, (unsigned long long)diag.hidden);
	if (rc == 0)
		out->skipped = hi_heap_skipped(&diag, info->broken_lists);
	free(info);
	return rc < 0 ? hi_cmd_fail(app->interp) : TCL_OK;
}

void hi_cmd_set_last_census(struct hi_app *app, struct hi_census *c, size_t next)
{
	hi_census_free(&app->last_census);
	app->last_census = *c;
	app->last_next = next;
	app->last = HI_LAST_HEAP;
	memset(c, 0, sizeof *c);
}
