/* walkrun.c: a census of the attached target, in place or on a copy
 * (see cmd.h): stop, walk, resume, and say under -v what it cost.  */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "mem/snapshot.h"
#include "python/emucall.h"
#include "python/kind.h"
#include "python/numpy.h"
#include "util/error.h"
#include "util/infile.h"
#include "walk/heap.h"

uint64_t hi_cmd_copy_bound(void)
{
	const char *e = getenv("HEAPINSPECT_COPY_MB");
	if (e && *e)
		return (uint64_t)atoll(e) << 20;	/* 0: no bound */
	/* By default half of what the machine can give without swapping. */
	unsigned long long kb = hi_proc_kb("/proc/meminfo", "MemAvailable:");
	return kb ? (uint64_t)kb * 1024 / 2 : 0;
}

/* ---- -v: what the census could not do itself, type by type ---- */

/* How many objects of T the census did not decode itself.  */
static uint64_t walked_objects(const struct hi_type *t)
{
	const struct hi_type_walked *w = &t->walked;
	uint64_t refs = (uint64_t)w->emulated + w->generic + w->undecoded;
	uint64_t sizes = (uint64_t)w->sizeof_emulated + w->sizeof_failed + w->sizeof_python;
	return refs > sizes ? refs : sizes;
}

/* Objects of T not followed or not sized by the real rule.  */
static uint64_t walked_short(const struct hi_type *t)
{
	return (uint64_t)t->walked.generic + t->walked.undecoded + t->walked.sizeof_failed;
}

/* What fell short first, then the most objects.  */
static int by_walked(const void *a, const void *b)
{
	const struct hi_type *x = *(struct hi_type *const *)a, *y = *(struct hi_type *const *)b;
	int sx = walked_short(x) != 0, sy = walked_short(y) != 0;
	if (sx != sy)
		return sy - sx;
	uint64_t m = walked_objects(x), n = walked_objects(y);
	return m != n ? (m < n ? 1 : -1) : (x->addr > y->addr) - (x->addr < y->addr);
}

static void say(char *buf, size_t len, size_t *at, uint32_t n, const char *what)
{
	if (!n || *at >= len)
		return;
	int k = snprintf(buf + *at, len - *at, "%s%u %s", *at ? ", " : "", n, what);
	if (k > 0)
		*at += (size_t)k;
}

/* One line per type whose objects the census followed or sized by
 * running the type's own code, or could not follow or size: the types
 * with most such objects first, at most MAX_TYPE_LINES of them.  */
#define MAX_TYPE_LINES 40
static void report_types(struct hi_app *app, struct hi_py *py)
{
	struct hi_type **list = malloc((py->ntypes ? py->ntypes : 1) * sizeof *list);
	size_t n = 0;
	if (!list)
		return;
	for (size_t i = 0; i < py->ntypes; i++)
		if (walked_objects(py->types[i]))
			list[n++] = py->types[i];
	qsort(list, n, sizeof *list, by_walked);
	if (n)
		fprintf(stderr, "heapinspect: %s: %zu types whose objects no built-in decoder covers (what fell short first):\n",
			app->session.who, n);
	uint64_t rest = 0;
	for (size_t i = 0; i < n; i++) {
		const struct hi_type_walked *w = &list[i]->walked;
		if (i >= MAX_TYPE_LINES) {
			rest += walked_objects(list[i]);
			continue;
		}
		char line[512];
		size_t at = 0;
		say(line, sizeof line, &at, w->emulated, "followed by its tp_traverse in the emulator");
		say(line, sizeof line, &at, w->generic, "followed only through __dict__ and members");
		say(line, sizeof line, &at, w->undecoded, "NOT followed");
		say(line, sizeof line, &at, w->sizeof_emulated, "sized by its __sizeof__ in the emulator");
		say(line, sizeof line, &at, w->sizeof_failed, "whose __sizeof__ FAILED (default size)");
		say(line, sizeof line, &at, w->sizeof_python, "whose __sizeof__ is Python code (not run)");
		fprintf(stderr, "heapinspect: %s:   %s (%s type): %s\n", app->session.who, hi_kind_type_name(py, list[i]),
			list[i]->static_type ? "static" : "heap", line);
	}
	if (n > MAX_TYPE_LINES)
		fprintf(stderr, "heapinspect: %s:   and %zu more types with %llu objects\n", app->session.who,
			n - MAX_TYPE_LINES, (unsigned long long)rest);
	free(list);
}

int hi_cmd_census(struct hi_app *app, int by_type, enum hi_walk_mode mode, const struct hi_baseline *baseline,
		  struct hi_keyset *record, struct hi_census *out)
{
	struct hi_heap_opts opts = { by_type ? HI_BY_TYPE : HI_BY_KIND, baseline, record };
	return hi_cmd_walk(app, &opts, mode, out, NULL, NULL);
}

enum hi_walk_mode hi_cmd_mode(const struct hi_args *a, int o_copy)
{
	return a->v[o_copy].set ? HI_WALK_COPY : a->v[o_copy + 1].set ? HI_WALK_INPLACE : HI_WALK_AUTO;
}

struct hi_heapgraph *hi_cmd_kept_graph(struct hi_app *app)
{
	if (app->graph && (!app->session.attached || app->graph_serial != app->session.serial))
		hi_cmd_forget_graph(app);
	return app->graph;
}

void hi_cmd_forget_graph(struct hi_app *app)
{
	if (app->graph && app->graph_serial == app->session.serial) {
		app->graph_nodes = app->graph->n;
		app->graph_refs = hi_graph_edges(&app->graph->refs) + app->graph->lost;
	} else if (app->graph) {
		app->graph_nodes = app->graph_refs = 0;
	}
	if (app->graph)
		hi_heapgraph_free(app->graph);
	free(app->graph);
	app->graph = NULL;
}

/* ---- progress on a terminal ---- */

/* A walk that takes more than a second says how far it is on stderr,
 * when stderr is a terminal (HEAPINSPECT_PROGRESS_MS: after that many
 * milliseconds instead), and nothing otherwise.  */
struct progress {
	const char *who;
	double start, after, last;
	int tty, shown;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress_init(struct progress *p, const char *who)
{
	const char *e = getenv("HEAPINSPECT_PROGRESS_MS");
	p->who = who;
	p->start = now();
	p->after = e && *e ? atof(e) / 1e3 : 1.0;
	p->tty = isatty(STDERR_FILENO);
	p->shown = 0;
}

static void progress_show(void *arg, uint64_t walked)
{
	struct progress *p = arg;
	double t = now() - p->start;
	/* Four lines a second at most: a terminal write can block while the
	 * target waits.  */
	if (!p->tty || t < p->after || (p->shown && t - p->last < 0.25))
		return;
	p->last = t;
	fprintf(stderr, "\rheapinspect: %s: %llu objects walked, %.1f million a second ", p->who,
		(unsigned long long)walked, t > 0 ? walked / t / 1e6 : 0.0);
	fflush(stderr);
	p->shown = 1;
}

static void progress_end(struct progress *p)
{
	if (p->shown)
		fputc('\n', stderr);
}

/* Should every census keep its graph?  HEAPINSPECT_GRAPH=0 says no.  */
static int keep_graph(void)
{
	const char *e = getenv("HEAPINSPECT_GRAPH");
	return !e || strcmp(e, "0") != 0;
}

/* One census, as hi_cmd_walk takes it (twice at most).  */
struct walk_run {
	struct hi_app *app;
	struct hi_heap_opts opts;	/* the caller's, with progress and a graph */
	int own_graph;		/* opts.graph was made here */
	enum hi_walk_mode mode;
	int copy;		/* walks a copy (else in place) */
	struct hi_gcinfo *info;
	struct hi_heap_diag diag;
	uint64_t copied;
	struct hi_snap_stats sst;
	unsigned long long live_reads, zero_reads;
};

static void drop_graph(struct walk_run *w)
{
	if (w->own_graph && w->opts.graph) {
		hi_heapgraph_free(w->opts.graph);
		free(w->opts.graph);
	}
	if (w->own_graph)
		w->opts.graph = NULL;
}

/* Prepare (outside the pause), stop, walk the copy or the target in
 * place, resume.  0; -1 with hi_errmsg() set; -2 with the Tcl error set
 * (the stop failed).  */
static int walk_once(struct walk_run *w, struct hi_census *out, hi_cmd_after_fn after, void *after_arg)
{
	struct hi_app *app = w->app;
	struct hi_walk_report *wr = &app->walked;
	struct hi_heap_opts *opts = &w->opts;
	/* The graph's room, as the last census of this target needed and a
	 * little more, allocated and touched before the target stops.  */
	if (w->own_graph) {
		opts->graph = malloc(sizeof *opts->graph);
		if (opts->graph) {
			hi_heapgraph_init(opts->graph);
			if (app->graph_nodes && app->graph_nodes < UINT32_MAX / 2)
				hi_heapgraph_reserve(opts->graph, (uint32_t)(app->graph_nodes + app->graph_nodes / 8),
						     app->graph_refs + app->graph_refs / 8);
		}
	}
	/* The copy's destination is made ready while the target runs.  When
	 * the copy was not asked for by name and cannot be had (past its
	 * bound, or no memory for it), the census is taken in place.  */
	struct hi_snap *prep = NULL;
	if (w->copy) {
		int over;
		prep = hi_snap_prepare(app->session.target.reader, hi_cmd_copy_bound(), 0, &over);
		if (!prep && w->mode == HI_WALK_AUTO) {
			if (over)
				snprintf(wr->why, sizeof wr->why,
					 "a copy would take more than the %llu MiB allowed (HEAPINSPECT_COPY_MB, by default half of MemAvailable)",
					 (unsigned long long)(hi_cmd_copy_bound() >> 20));
			else
				snprintf(wr->why, sizeof wr->why, "%s", hi_errmsg());
			hi_error_clear();
			w->copy = 0;
		} else if (!prep) {
			return -1;
		}
	}
	/* The emulator with its natives (found in every module's
	 * relocations), for the walk in place; a walk of a copy makes its
	 * own on the copy.  */
	if (!w->copy && app->session.attached && !app->session.image)
		hi_py_emu(&app->session.py);
	if (hi_cmd_stop(app) != TCL_OK) {
		hi_snap_free(prep);
		return -2;
	}
	struct hi_py *py = &app->session.py;
	struct hi_mem *live = py->mem, *snap = NULL;
	int rc;
	if (w->copy) {
		snap = hi_snap_take(prep);
		if (!snap && w->mode == HI_WALK_AUTO && hi_errclass() != HI_E_GONE) {
			/* No copy after all (memory ran short while stopped):
			 * stopped already, the census is taken in place.  */
			snprintf(wr->why, sizeof wr->why, "%s", hi_errmsg());
			hi_error_clear();
			w->copy = 0;
		}
	}
	if (w->copy) {
		/* The pause ends here; a copy of a process that died while it
		 * was taken is not kept.  */
		if (hi_session_resume(&app->session) < 0) {
			hi_mem_close(snap);
			snap = NULL;
		}
		if (!snap)
			return -1;
		w->copied = hi_mem_image_bytes(snap);
		hi_py_use_mem(py, snap);
		rc = hi_heap_census(py, opts, out, w->info, &w->diag, app->session.who);
		if (rc == 0 && after)
			rc = after(py, after_arg);
		hi_py_use_mem(py, live);
		w->sst = *hi_mem_snapshot_stats(snap);
		w->live_reads = hi_mem_stats(snap)->live_reads;
		w->zero_reads = hi_mem_stats(snap)->zero_reads;
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
		rc = hi_heap_census(py, opts, out, w->info, &w->diag, app->session.who);
		if (rc == 0 && after)
			rc = after(py, after_arg);
		/* A census of a process that died while it was taken is not a
		 * census: whatever the walk made of it, it is an error.  */
		if (hi_session_resume(&app->session) < 0)
			rc = -1;
	}
	return rc;
}

/* Under -v: how the census read the target, and what it could not do.  */
static void report(struct walk_run *w, const struct hi_census *out)
{
	struct hi_app *app = w->app;
	struct hi_py *py = &app->session.py;
	const struct hi_heap_diag *d = &w->diag;
	const struct hi_snap_stats *sst = &w->sst;
	const char *who = app->session.who;
	if (!w->copy && app->walked.why[0])
		fprintf(stderr, "heapinspect: %s: took the census in place, not on a copy: %s\n", who, app->walked.why);
	if (!w->copy)
		fprintf(stderr, "heapinspect: %s: read %.1f MiB in %llu bulk reads%s\n", who,
			hi_mem_stats(py->mem)->bytes_read / 1048576.0,
			(unsigned long long)hi_mem_stats(py->mem)->chunk_fills,
			hi_mem_stats(py->mem)->fallback
				? " from /proc/PID/mem (process_vm_readv is not allowed here, as seccomp may forbid it)"
				: "");
	if (w->copy) {
		fprintf(stderr,
			"heapinspect: %s: copied %.1f MiB (the present pages of %.1f MiB of writable mappings) while stopped, then walked the copy; %llu reads went to the live process (read-only data, and the %.1f MiB swapped out), %llu to pages never touched (zeros)\n",
			who, w->copied / 1048576.0, sst->mapped / 1048576.0, w->live_reads, sst->swapped / 1048576.0,
			w->zero_reads);
		fprintf(stderr,
			"heapinspect: %s: the copy: %.1f MiB made ready in %.1f ms before the stop (%s); stopped, planned in %.1f ms and copied %llu ranges in %llu calls in %.1f ms (%.1f GB/s)\n",
			who, sst->prepared / 1048576.0, sst->prepare_s * 1e3,
			sst->huge ? "huge pages asked for" : "small pages", sst->plan_s * 1e3,
			(unsigned long long)sst->ranges, (unsigned long long)sst->calls, sst->copy_s * 1e3,
			sst->copy_s > 0 ? sst->copied / sst->copy_s / 1e9 : 0.0);
		if (sst->proc_mem)
			fprintf(stderr, "heapinspect: %s: copied %.1f MiB from /proc/PID/mem (process_vm_readv is not allowed here, as seccomp may forbid it)\n",
				who, sst->proc_mem / 1048576.0);
		if (sst->grown)
			fprintf(stderr, "heapinspect: %s: %.1f MiB grew after the plan and were copied into memory found while stopped\n",
				who, sst->grown / 1048576.0);
	}
	fprintf(stderr,
		"heapinspect: %s: %llu objects from %llu on GC lists and %llu running frames of %d interpreter(s); paused %.1f ms\n"
		"heapinspect: %s: skipped %llu referents with bad types and %llu bad pointers; %llu objects of C types not followed, %llu followed only through __dict__ and tp_members, %llu through their own tp_traverse run in the emulator; %llu inconsistent; %llu unreadable fields; %llu broken GC lists\n",
		who, (unsigned long long)out->objects, (unsigned long long)d->gc_objects, (unsigned long long)d->frames,
		w->info->ninterps, app->session.target.last_pause * 1e3, who, (unsigned long long)d->bad_type,
		(unsigned long long)d->bad_ptr, (unsigned long long)d->undecoded, (unsigned long long)d->generic,
		(unsigned long long)d->emulated, (unsigned long long)d->inconsistent, (unsigned long long)d->bad_reads,
		(unsigned long long)w->info->broken_lists);
	if (d->sizeof_emulated || d->sizeof_failed)
		fprintf(stderr, "heapinspect: %s: %llu objects sized by their C type's own __sizeof__ run in the emulator; %llu whose call failed sized by the default rule\n",
			who, (unsigned long long)d->sizeof_emulated, (unsigned long long)d->sizeof_failed);
	if (d->sizeof_python)
		fprintf(stderr, "heapinspect: %s: %llu objects whose class defines __sizeof__ in Python (never run): sized as their C base sizes them\n",
			who, (unsigned long long)d->sizeof_python);
	if (py->emu) {
		const struct hi_emu_stats *es = hi_emu_stats(py->emu);
		fprintf(stderr, "heapinspect: %s: emulator: %llu calls:", who, es->calls);
		for (int i = 0; i < HI_EMU_NENDS; i++)
			if (es->ends[i])
				fprintf(stderr, " %llu %s", es->ends[i], hi_emu_end_name((enum hi_emu_end)i));
		fprintf(stderr, "; %llu pages read, %llu written pages put back, %llu calls answered natively%s",
			es->pages_mapped, es->pages_restored, es->natives,
			es->aborts ? "; the engine aborted and was replaced" : "");
		if (es->ends[HI_EMU_FAULT])
			fprintf(stderr, "; the last fault: code at 0x%llx read 0x%llx", (unsigned long long)es->fault_pc,
				(unsigned long long)es->fault_addr);
		if (es->ends[HI_EMU_SYSCALL])
			fprintf(stderr, "; the last system call: code at 0x%llx", (unsigned long long)es->syscall_pc);
		fputc('\n', stderr);
	} else if (py->emu_off) {
		fprintf(stderr, "heapinspect: %s: emulator: %s\n", who,
			py->emu_off == 2 ? "could not start (Unicorn reserves 1 GiB of address space; raise ulimit -v)"
			: hi_emu_available() ? "off (HEAPINSPECT_EMULATE=0)"
					     : "not built in (configure found no Unicorn)");
	}
	report_types(app, py);
	if (d->hidden)
		fprintf(stderr, "heapinspect: %s: %llu objects reachable only through numpy bases and dtypes (gc-based tools miss them)\n",
			who, (unsigned long long)d->hidden);
}

#define MAX_RETRIES 2

/* May a census that skipped something be taken again?  Only one of
 * a live target, whose caller kept nothing of the walk but the census,
 * the baseline's record and the graph made here.  */
static int may_retry(const struct walk_run *w, const struct hi_heap_opts *opts_in, hi_cmd_after_fn after)
{
	const struct hi_session *s = &w->app->session;
	return s->attached && !s->image && !after && !opts_in->observe && !opts_in->graph && !opts_in->nroots &&
	       !opts_in->max_objects;
}

int hi_cmd_walk(struct hi_app *app, const struct hi_heap_opts *opts_in, enum hi_walk_mode mode, struct hi_census *out,
		hi_cmd_after_fn after, void *after_arg)
{
	struct hi_walk_report *wr = &app->walked;
	memset(wr, 0, sizeof *wr);
	struct walk_run w = { .app = app, .opts = *opts_in, .mode = mode };
	/* An image is a copy already.  */
	const int want_copy = mode != HI_WALK_INPLACE && app->session.attached && !app->session.image;
	w.copy = want_copy;
	w.own_graph = !opts_in->graph && keep_graph() && !opts_in->nroots && !opts_in->max_objects;
	struct progress progress;
	progress_init(&progress, app->session.who);
	if (!w.opts.progress) {
		w.opts.progress = progress_show;
		w.opts.progress_arg = &progress;
	}
	/* The last census's graph is dropped before the next is taken: the
	 * two are never held at once.  */
	hi_cmd_forget_graph(app);
	w.info = malloc(sizeof *w.info);
	if (!w.info) {
		hi_error("out of memory");
		return hi_cmd_fail(app->interp);
	}
	/* Outside the pause: numpy's layouts (hi_np_prepare knows where
	 * there are modules to look in: a process, a core).  */
	if (app->session.attached)
		hi_np_prepare(&app->session.py);
	int rc, retries = 0;
	uint64_t first_skipped = 0;
	for (;;) {
		rc = walk_once(&w, out, after, after_arg);
		uint64_t skipped = rc == 0 ? hi_heap_skipped(&w.diag, w.info->broken_lists) : 0;
		if (rc != 0 || !skipped || retries == MAX_RETRIES || !may_retry(&w, opts_in, after))
			break;
		/* A thread stopped halfway through changing an object (a list
		 * being resized, a dict being rebuilt) leaves a reference that
		 * does not check out for an instant: about one census in a
		 * hundred of a heap changed without pause.  The census is taken
		 * again, a moment later (twice at most: a heap that is really
		 * damaged costs three walks).  Skips that stay are reported.  */
		if (!retries++)
			first_skipped = skipped;
		char by[sizeof out->by];
		memcpy(by, out->by, sizeof by);
		hi_census_free(out);
		hi_census_init(out, by);
		if (w.opts.record) {
			hi_keyset_free(w.opts.record);
			hi_keyset_init(w.opts.record);
		}
		drop_graph(&w);
		memset(wr, 0, sizeof *wr);
		w.copy = want_copy;
	}
	progress_end(&progress);
	wr->taken = rc == 0;
	wr->serial = app->session.serial;
	wr->copied = w.copy;
	wr->bytes = w.copied;
	wr->pause_ms = app->session.target.last_pause * 1e3;
	if (rc == 0 && app->verbose && retries)
		fprintf(stderr, "heapinspect: %s: the first census skipped %llu references that did not check out (a thread stopped halfway through changing an object): taken %d more time%s\n",
			app->session.who, (unsigned long long)first_skipped, retries, retries == 1 ? "" : "s");
	if (rc == 0 && app->verbose)
		report(&w, out);
	if (w.own_graph && w.opts.graph) {
		if (rc == 0 && hi_heapgraph_finish(w.opts.graph) == 0) {
			w.opts.graph->relative = w.opts.baseline || w.opts.mark;
			app->graph = w.opts.graph;
			app->graph_serial = app->session.serial;
			w.opts.graph = NULL;
		} else {
			if (rc == 0 && app->verbose)
				fprintf(stderr, "heapinspect: %s: out of memory for the reference graph: not kept\n",
					app->session.who);
			drop_graph(&w);
		}
	}
	if (rc == 0 && app->verbose && app->graph)
		fprintf(stderr, "heapinspect: %s: kept the reference graph: %u objects, %llu references (%llu to what was not an object), %.1f MiB\n",
			app->session.who, app->graph->n, (unsigned long long)hi_graph_edges(&app->graph->refs),
			(unsigned long long)app->graph->lost, hi_heapgraph_bytes(app->graph) / 1048576.0);
	if (rc == 0) {
		out->skipped = hi_heap_skipped(&w.diag, w.info->broken_lists);
		out->unfollowed = w.diag.undecoded + w.diag.generic;
		out->unsized = w.diag.sizeof_failed;
	}
	free(w.info);
	if (rc == -2)
		return TCL_ERROR;
	return rc < 0 ? hi_cmd_fail(app->interp) : TCL_OK;
}
