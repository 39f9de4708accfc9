/* cmd-watch.c: `watch`, the target's memory and census over time.
 *
 * Each sample reads /proc/PID/smaps_rollup (no stop), then takes a
 * census (a brief stop, as `heap` does), and appends the sample to the
 * CSV file at once (watchfile.h).  Samples are due on a grid of the
 * monotonic clock, first + k * interval, so a slow census delays one
 * sample and never shifts the rest; a tick missed while a census ran is
 * skipped, not made up.  Between samples the target runs and heapinspect
 * sleeps until the next tick or a signal.  */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cmd/cmd.h"
#include "report/emit.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "proc/rollup.h"
#include "report/watchfile.h"

/* One line per sample, in the binary units (MiB) of every other table. */
static void progress(FILE *o, const struct hi_watch_sample *s)
{
	char rss[24], pss[24], swap[24], census[24], big[24];
	fprintf(o, "%6lu %9.3f %10s %10s %10s %10" PRIu64 " %10s %6.1f ms", s->index, s->seconds,
		hi_fmt_bytes(s->mem.rss, rss), hi_fmt_bytes(s->mem.pss, pss), hi_fmt_bytes(s->mem.swap, swap),
		s->objects, hi_fmt_bytes(s->bytes, census), s->pause_ms);
	if (s->nkinds)
		fprintf(o, "  %s %s", s->kinds[0].name, hi_fmt_bytes(s->kinds[0].bytes, big));
	fputc('\n', o);
	fflush(o);
}

/* T0 + K * INTERVAL.  */
static struct timespec tick(const struct timespec *t0, unsigned long k, double interval)
{
	return hi_cmd_later(t0, (double)k * interval);
}

struct watch_opts {
	double interval;
	Tcl_WideInt count;	/* 0: until interrupted */
	Tcl_WideInt top;
	const char *out;
	Tcl_Obj *command;
	int quiet;
};

static const struct hi_argspec watch_args[] = {
	{ "-out", HI_ARG_FILE, "FILE", .required = 1,
	  .help = "the CSV file to write (replaced), one value a row:\n"
		  "sample,time,seconds,series,kind,value; the series\n"
		  "are rss_bytes, pss_bytes, swap_bytes (from\n"
		  "/proc/PID/smaps_rollup), census_objects,\n"
		  "census_bytes, pause_ms, and kind_bytes and kind_count\n"
		  "with the kind's name (a kind written late brings its\n"
		  "earlier samples' rows); each sample is flushed as taken" },
	{ "-interval", HI_ARG_NUMBER, "SECONDS", .min = 0.01, .max = 86400,
	  .help = "between samples (default 1), on a fixed grid" },
	{ "-count", HI_ARG_INT, "N", .min = 0, .max = 1e18, .help = "how many samples (default 0: until Ctrl-C)" },
	{ "-top", HI_ARG_INT, "K", .min = 0, .max = 1000,
	  .help = "the bytes and counts of each sample's K largest kinds\n"
		  "(default 8), each from the first sample on; a kind once\n"
		  "written is written in every later sample" },
	{ "-command", HI_ARG_SCRIPT, "SCRIPT",
	  .help = "evaluate SCRIPT between samples, with the target\n"
		  "running (e.g. to drive a load); an error ends the watch" },
	{ "-quiet", HI_ARG_FLAG, .help = "no line per sample; without it, one is printed as\n"
					 "each sample is taken" },
	{ NULL },
};
enum { O_OUT, O_INTERVAL, O_COUNT, O_TOP, O_COMMAND, O_QUIET };

static void get_opts(const struct hi_args *a, struct watch_opts *o)
{
	*o = (struct watch_opts){ 1.0, 0, 8, NULL, NULL, 0 };
	o->out = Tcl_GetString(a->v[O_OUT].obj);
	if (a->v[O_INTERVAL].set)
		o->interval = a->v[O_INTERVAL].d;
	if (a->v[O_COUNT].set)
		o->count = a->v[O_COUNT].i;
	if (a->v[O_TOP].set)
		o->top = a->v[O_TOP].i;
	o->command = a->v[O_COMMAND].set ? a->v[O_COMMAND].obj : NULL;
	o->quiet = a->v[O_QUIET].set;
}

/* Take sample S: memory totals, then a census.  TCL_OK or TCL_ERROR.  */
static int take_sample(struct hi_app *app, const struct watch_opts *o, struct hi_watch_sticky *sticky,
		       struct hi_watch_history *history, struct hi_watch_sample *s, struct hi_watch_kind **kinds)
{
	struct hi_session *ses = &app->session;
	if (hi_rollup_read(ses->pid, &s->mem, ses->who) < 0)
		return hi_cmd_fail(app->interp);
	struct hi_census c;
	hi_census_init(&c, "kind");
	if (hi_cmd_census(app, 0, HI_WALK_AUTO, NULL, NULL, &c) != TCL_OK) {
		hi_census_free(&c);
		return TCL_ERROR;
	}
	s->objects = c.objects;
	s->bytes = c.size;
	s->pause_ms = ses->target.last_pause * 1e3;
	size_t n = 0;
	int rc = hi_watch_pick_kinds(&c, (size_t)o->top, sticky, kinds, &n);
	/* Every kind's count and bytes, for a kind that matters later.  */
	if (rc == 0 && hi_watch_history_add(history, s, &c) < 0) {
		hi_watch_kinds_free(*kinds, n);
		rc = -1;
	}
	hi_census_free(&c);
	if (rc < 0) {
		hi_error("%s: watch: out of memory choosing the kinds to write; free memory or lower -top", ses->who);
		return hi_cmd_fail(app->interp);
	}
	s->kinds = *kinds;
	s->nkinds = n;
	return TCL_OK;
}

/* A signal ended the watch: the samples are kept, and the command fails
 * as any command a signal cancels does, with what was kept.  */
static int interrupted(struct hi_app *app, unsigned long taken, const char *file)
{
	int sig = hi_interrupted();
	/* Let the pending async handler run now, so that it does not replace
	 * this message afterwards.  */
	if (Tcl_AsyncReady())
		Tcl_AsyncInvoke(app->interp, TCL_OK);
	Tcl_SetObjResult(app->interp, Tcl_ObjPrintf("watch interrupted by %s after %lu sample%s; %s in %s",
						    sig == SIGINT ? "Ctrl-C" : strsignal(sig), taken,
						    taken == 1 ? "" : "s", taken == 1 ? "it is" : "all are", file));
	Tcl_SetErrorCode(app->interp, "HEAPINSPECT", "INTERRUPTED", NULL);
	return TCL_ERROR;
}

static int watch_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	struct watch_opts o;
	get_opts(a, &o);
	if (!app->session.attached) {
		hi_error("watch: not attached to a process; use: attach PID");
		return hi_cmd_fail(interp);
	}
	/* An image does not change, and /proc/PID/smaps_rollup would be
	 * whatever process has its pid now: refused before FILE is made.  */
	if (app->session.image) {
		hi_error("watch: %s is %s, which does not change and has no /proc/PID/smaps_rollup; "
			 "run watch on the live process",
			 app->session.who, app->session.image->core ? "a core file" : "a saved image");
		return hi_cmd_fail(interp);
	}
	FILE *f = fopen(o.out, "w");
	if (!f) {
		hi_error("%s: watch: cannot write %s: %s; check the path or choose another -out", app->session.who, o.out,
			 strerror(errno));
		return hi_cmd_fail(interp);
	}
	/* One write per sample, as a rule: a reader never sees half of one. */
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	hi_watchfile_header(f);
	fflush(f);
	if (!o.quiet) {
		/* Lines printed as the samples come, not a result.  */
		Tcl_Channel tout = Tcl_GetStdChannel(TCL_STDOUT);
		if (tout)
			Tcl_Flush(tout);
		fprintf(app->print, "watching %s every %g s%s, into %s\n", app->session.who, o.interval,
			o.count ? "" : " until interrupted", o.out);
		fprintf(app->print, "%6s %9s %10s %10s %10s %10s %10s %9s  %s\n", "sample", "seconds", "RSS", "PSS",
			"swap", "objects", "census", "pause", "largest kind");
		fflush(app->print);
	}
	Tcl_Obj *command = o.command;
	if (command)
		Tcl_IncrRefCount(command);
	struct hi_watch_sticky sticky = { 0 };
	struct hi_watch_history history = { 0 };
	struct timespec t0, now;
	unsigned long taken = 0, k = 0;
	int rc = TCL_OK, stopped_by_signal = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!o.count || taken < (unsigned long)o.count) {
		if (taken) {
			struct timespec due = tick(&t0, k, o.interval);
			if (hi_interrupt_sleep_until(&due)) {
				stopped_by_signal = 1;
				break;
			}
		}
		struct hi_watch_sample s = { .index = taken };
		struct hi_watch_kind *kinds = NULL;
		clock_gettime(CLOCK_REALTIME, &s.wall);
		clock_gettime(CLOCK_MONOTONIC, &now);
		s.seconds = hi_cmd_since(&t0, &now);
		if (take_sample(app, &o, &sticky, &history, &s, &kinds) != TCL_OK) {
			rc = TCL_ERROR;
			stopped_by_signal = hi_interrupted() != 0;
			break;
		}
		/* errno is cleared first, so that what it holds after a
		 * failure comes from these writes (a failed fflush sets it;
		 * ferror alone may follow an earlier one).  */
		errno = 0;
		hi_watchfile_sample(f, &s, &history);
		int failed = fflush(f) != 0 || ferror(f), werr = errno;
		if (!failed && !o.quiet)
			progress(app->print, &s);
		hi_watch_kinds_free(kinds, s.nkinds);
		if (failed) {
			hi_error("%s: watch: cannot write sample %lu to %s: %s; check the disk and the file", app->session.who,
				 taken, o.out, werr ? strerror(werr) : "a write failed");
			rc = hi_cmd_fail(interp);
			break;
		}
		taken++;
		if (o.count && taken >= (unsigned long)o.count)
			break;
		if (command) {
			int r = Tcl_EvalObjEx(interp, command, TCL_EVAL_GLOBAL);
			if (r == TCL_ERROR) {
				rc = TCL_ERROR;
				stopped_by_signal = hi_interrupted() != 0;
				if (!stopped_by_signal)
					Tcl_AddErrorInfo(interp, "\n    (watch -command, between samples)");
				break;
			}
		}
		if (hi_interrupted()) {
			stopped_by_signal = 1;
			break;
		}
		/* The next tick still ahead: a census or command that overran
		 * the interval skips the ticks it covered.  */
		clock_gettime(CLOCK_MONOTONIC, &now);
		unsigned long next = (unsigned long)floor(hi_cmd_since(&t0, &now) / o.interval) + 1;
		k = next > k + 1 ? next : k + 1;
	}
	if (command)
		Tcl_DecrRefCount(command);
	hi_watch_sticky_free(&sticky);
	hi_watch_history_free(&history);
	if (fclose(f) != 0 && rc == TCL_OK) {
		hi_error("%s: watch: cannot write %s: %s; check the disk and the file", app->session.who, o.out,
			 strerror(errno));
		rc = hi_cmd_fail(interp);
	}
	if (stopped_by_signal)
		return interrupted(app, taken, o.out);
	if (rc != TCL_OK) {
		/* Say what was kept, after the reason.  */
		Tcl_Obj *msg = Tcl_DuplicateObj(Tcl_GetObjResult(interp));
		Tcl_AppendPrintfToObj(msg, "; watch stopped after %lu sample%s, kept in %s", taken,
				      taken == 1 ? "" : "s", o.out);
		Tcl_SetObjResult(interp, msg);
		return TCL_ERROR;
	}
	/* The result: what was kept where.  */
	clock_gettime(CLOCK_MONOTONIC, &now);
	fprintf(app->out, "%lu sample%s over %.1f s in %s\n", taken, taken == 1 ? "" : "s", hi_cmd_since(&t0, &now), o.out);
	return TCL_OK;
}

const struct hi_cmd hi_cmd_watch = {
	"watch", "sample the target's memory and census over time, into a CSV file", watch_args,
	"The target runs between samples and is stopped for each census, as for\n"
	"'heap'.  Ctrl-C ends the watch; the file keeps every sample taken.  A\n"
	"saved image (heapinspect image FILE) is refused: it does not change.\n"
	"'plot FILE -out FILE.svg' draws the file.\n",
	watch_run,
};
