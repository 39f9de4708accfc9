/* cmd-live.c: `live`, the heap refreshed in a terminal, as py-spy top
 * shows a process's stacks.
 *
 * Every refresh reads the RSS (/proc/PID/smaps_rollup, no stop) and takes
 * a census by kind (a stop, as `heap`), and shows each kind's count and
 * size, what they grew by since the start (or since `b` took a new
 * baseline), per minute, and a sparkline of its size over the last
 * refreshes; sorted by growth unless a key says otherwise.  On a
 * terminal it is a full screen (ncurses); otherwise one block of plain
 * lines per refresh.  The interval stretches so that the target is
 * stopped at most LIVE_STOPPED_SHARE of the time.  */
#include "config.h"
#include <curses.h>
#include <inttypes.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "proc/rollup.h"
#include "report/emit.h"
#include "util/error.h"
#include "util/interrupt.h"

#define SPARK 16			/* refreshes a sparkline shows */
#define LIVE_STOPPED_SHARE 0.02		/* of the wall time, at most */

enum { BY_GROWTH, BY_SIZE, BY_COUNT };
static const char *const live_by[] = { "growth", "size", "count", NULL };

static const struct hi_argspec live_args[] = {
	{ "-interval", HI_ARG_NUMBER, "SECONDS", .min = 0.1, .max = 3600,
	  .help = "between refreshes (default 2), stretched so that the\n"
		  "target is stopped at most 2% of the time" },
	{ "-count", HI_ARG_INT, "N", .min = 0, .max = 1e9, .help = "refreshes, then return (default 0: until q or Ctrl-C)" },
	{ "-n", HI_ARG_INT, "ROWS", .min = 1, .max = 1000, .help = "kinds shown without a terminal (default 10)" },
	{ "-by", HI_ARG_CHOICE, "growth|size|count", live_by,
	  .help = "the order: bytes grown since the start (the default),\n"
		  "size, or count; keys g, s and c change it" },
	{ NULL },
};
enum { O_INTERVAL, O_COUNT, O_N, O_BY };

struct kind {
	char *name;
	uint64_t count0, size0;	/* at the start (or the last baseline) */
	uint64_t count, size;	/* now */
	uint64_t spark[SPARK];	/* sizes, oldest first */
	int nspark;
};

struct live {
	struct hi_app *app;
	struct kind *k;
	size_t n, cap;
	struct hi_census names;	/* name -> index into K */
	struct timespec t0, now;
	uint64_t rss0, rss, objects0, objects, size0, size;
	double pause_ms, interval;
	unsigned long refreshes;
	int by, sel, tty, utf8;
	char path[1024];	/* the selected kind's retention paths, or "" */
	char status[256];
};

/* One refresh: the RSS, then a census.  TCL_OK or TCL_ERROR.  */
static int sample(struct live *l)
{
	struct hi_session *s = &l->app->session;
	struct hi_rollup mem;
	if (hi_rollup_read(s->pid, &mem, s->who) < 0)
		return hi_cmd_fail(l->app->interp);
	struct hi_census c;
	hi_census_init(&c, "kind");
	if (hi_cmd_census(l->app, 0, HI_WALK_AUTO, NULL, NULL, &c) != TCL_OK) {
		hi_census_free(&c);
		return TCL_ERROR;
	}
	clock_gettime(CLOCK_MONOTONIC, &l->now);
	int first = l->refreshes++ == 0;
	l->rss = mem.rss;
	l->objects = c.objects;
	l->size = c.size;
	l->pause_ms = s->target.last_pause * 1e3;
	if (first) {
		l->t0 = l->now;
		l->rss0 = l->rss;
		l->objects0 = l->objects;
		l->size0 = l->size;
	}
	for (size_t i = 0; i < l->n; i++)
		l->k[i].count = l->k[i].size = 0;
	for (size_t i = 0; i < c.nrows; i++) {
		if (!c.rows[i].count)
			continue;
		size_t before = l->names.nrows;
		uint32_t id = hi_census_kind(&l->names, c.rows[i].kind);
		if (id == UINT32_MAX)
			goto oom;
		if (l->names.nrows > before) {	/* a kind not seen before */
			if (l->n == l->cap) {
				size_t cap = l->cap ? 2 * l->cap : 256;
				struct kind *nk = realloc(l->k, cap * sizeof *nk);
				if (!nk)
					goto oom;
				l->k = nk;
				l->cap = cap;
			}
			memset(&l->k[l->n], 0, sizeof *l->k);
			if (!(l->k[l->n].name = strdup(c.rows[i].kind)))
				goto oom;
			l->n++;
		}
		l->k[id].count = c.rows[i].count;
		l->k[id].size = c.rows[i].size;
		if (first) {
			l->k[id].count0 = l->k[id].count;
			l->k[id].size0 = l->k[id].size;
		}
	}
	for (size_t i = 0; i < l->n; i++) {
		struct kind *k = &l->k[i];
		if (k->nspark == SPARK)
			memmove(k->spark, k->spark + 1, (SPARK - 1) * sizeof *k->spark);
		else
			k->nspark++;
		k->spark[k->nspark - 1] = k->size;
	}
	hi_census_free(&c);
	return TCL_OK;
oom:
	hi_census_free(&c);
	hi_error("%s: live: out of memory for the kinds; free memory", s->who);
	return hi_cmd_fail(l->app->interp);
}

/* The baseline is now: growth counts from here.  */
static void rebase(struct live *l)
{
	l->t0 = l->now;
	l->rss0 = l->rss;
	l->objects0 = l->objects;
	l->size0 = l->size;
	for (size_t i = 0; i < l->n; i++) {
		l->k[i].count0 = l->k[i].count;
		l->k[i].size0 = l->k[i].size;
	}
}

static int64_t grown(const struct kind *k)
{
	return (int64_t)k->size - (int64_t)k->size0;
}

/* qsort_r's: ARG points to the order (BY_*).  */
static int kind_cmp(const void *a, const void *b, void *arg)
{
	const struct kind *x = *(const struct kind *const *)a, *y = *(const struct kind *const *)b;
	int64_t vx, vy;
	switch (*(const int *)arg) {
	case BY_SIZE: vx = (int64_t)x->size, vy = (int64_t)y->size; break;
	case BY_COUNT: vx = (int64_t)x->count, vy = (int64_t)y->count; break;
	default: vx = grown(x), vy = grown(y); break;
	}
	if (vx != vy)
		return vx > vy ? -1 : 1;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The kinds to show, in order: those alive now or at the start.  */
static struct kind **ordered(struct live *l, size_t *n)
{
	struct kind **o = malloc((l->n + 1) * sizeof *o);
	*n = 0;
	if (!o)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		if (l->k[i].count || l->k[i].count0)
			o[(*n)++] = &l->k[i];
	qsort_r(o, *n, sizeof *o, kind_cmp, &l->by);
	return o;
}

/* K's sparkline, SPARK characters (UTF-8 blocks, or ASCII).  */
static void sparkline(const struct live *l, const struct kind *k, char *out, size_t size)
{
	static const char *const blocks[] = { "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[] = "_.-:=+*#";
	uint64_t lo = UINT64_MAX, hi = 0;
	for (int i = 0; i < k->nspark; i++) {
		lo = k->spark[i] < lo ? k->spark[i] : lo;
		hi = k->spark[i] > hi ? k->spark[i] : hi;
	}
	size_t at = 0;
	out[0] = '\0';
	for (int i = 0; i < k->nspark && at + 4 < size; i++) {
		int level = hi > lo ? (int)((double)(k->spark[i] - lo) / (double)(hi - lo) * 7 + 0.5) : 0;
		if (l->utf8)
			at += (size_t)snprintf(out + at, size - at, "%s", blocks[level]);
		else
			out[at++] = ascii[level], out[at] = '\0';
	}
}


static double minutes(const struct live *l)
{
	double m = hi_cmd_since(&l->t0, &l->now) / 60;
	return m > 0 ? m : 0;
}

static int64_t per_min(const struct live *l, int64_t d)
{
	double m = minutes(l);
	return m > 0 ? (int64_t)llround((double)d / m) : 0;
}

/* Two lines: who and how long, then the totals with their change since
 * the start and per minute.  */
static void header(const struct live *l, char *line1, char *line2, size_t size)
{
	char rss[24], census[24];
	double drss = ((double)l->rss - (double)l->rss0) / 1048576.0, dsize = ((double)l->size - (double)l->size0) / 1048576.0;
	double m = minutes(l);
	snprintf(line1, size, "heapinspect live %s (CPython %s), %.0f s; stopped %.1f ms every %.1f s", l->app->session.who,
		 l->app->session.py.version, hi_cmd_since(&l->t0, &l->now), l->pause_ms, l->interval);
	snprintf(line2, size, "RSS %s, %+.1f MiB (%+.1f MiB/min); census %s, %+.1f MiB (%+.1f MiB/min) in %" PRIu64
		 " objects, %+" PRId64, hi_fmt_bytes(l->rss, rss), drss, m > 0 ? drss / m : 0, hi_fmt_bytes(l->size, census),
		 dsize, m > 0 ? dsize / m : 0, l->objects, (int64_t)l->objects - (int64_t)l->objects0);
}

#define COLUMNS "     Count   dCount  Count/min        Size       dSize    Size/min  %-16s Kind"

static void row_text(const struct live *l, const struct kind *k, char *buf, size_t size)
{
	char spark[SPARK * 4 + 1];
	sparkline(l, k, spark, sizeof spark);
	int64_t dc = (int64_t)k->count - (int64_t)k->count0, ds = grown(k);
	int pad = SPARK - k->nspark;	/* a sparkline is SPARK columns wide */
	snprintf(buf, size, "%10" PRIu64 " %+8" PRId64 " %+10" PRId64 " %11" PRIu64 " %+11" PRId64 " %+11" PRId64 "  %s%*s %s",
		 k->count, dc, per_min(l, dc), k->size, ds, per_min(l, ds), spark, pad, "", k->name);
}

/* Plain lines: one block a refresh.  */
static void draw_lines(struct live *l, size_t rows)
{
	FILE *o = l->app->print;
	char buf[2048], buf2[2048];
	size_t n;
	struct kind **k = ordered(l, &n);
	header(l, buf, buf2, sizeof buf);
	fprintf(o, "%s\n%s\n", buf, buf2);
	fprintf(o, COLUMNS "\n", "Size, last 16");
	for (size_t i = 0; k && i < n && i < rows; i++) {
		row_text(l, k[i], buf, sizeof buf);
		fprintf(o, "%s\n", buf);
	}
	fputc('\n', o);
	fflush(o);
	free(k);
}

/* The full screen.  */
static void draw_screen(struct live *l)
{
	char buf[2048], buf2[2048];
	size_t n;
	struct kind **k = ordered(l, &n);
	int rows = LINES, cols = COLS;
	erase();
	header(l, buf, buf2, sizeof buf);
	mvaddnstr(0, 0, buf, cols);
	mvaddnstr(1, 0, buf2, cols);
	snprintf(buf, sizeof buf, "sorted by %s; keys: g growth, s size, c count, b baseline now, arrows select, p path, q quit",
		 live_by[l->by]);
	mvaddnstr(2, 0, buf, cols);
	if (l->status[0])
		mvaddnstr(3, 0, l->status, cols);
	attron(A_BOLD);
	snprintf(buf, sizeof buf, COLUMNS, "Size, last 16");
	mvaddnstr(4, 0, buf, cols);
	attroff(A_BOLD);
	int path_lines = l->path[0] ? 6 : 0;
	int room = rows - 5 - path_lines;
	if (l->sel >= (int)n)
		l->sel = n ? (int)n - 1 : 0;
	for (int i = 0; k && i < (int)n && i < room; i++) {
		row_text(l, k[i], buf, sizeof buf);
		if (i == l->sel)
			attron(A_REVERSE);
		mvaddnstr(5 + i, 0, buf, cols);
		if (i == l->sel)
			attroff(A_REVERSE);
	}
	if (path_lines) {
		int y = rows - path_lines;
		mvhline(y, 0, ACS_HLINE, cols);
		const char *p = l->path;
		for (int i = 1; i < path_lines && *p; i++) {
			const char *nl = strchr(p, '\n');
			int len = nl ? (int)(nl - p) : (int)strlen(p);
			mvaddnstr(y + i, 0, p, len < cols ? len : cols);
			p = nl ? nl + 1 : p + len;
		}
	}
	refresh();
	free(k);
}

/* The retention paths of the selected kind, from the last census's
 * reference graph (the `path` command).  */
static void show_path(struct live *l)
{
	size_t n;
	struct kind **k = ordered(l, &n);
	l->path[0] = '\0';
	if (k && l->sel < (int)n) {
		Tcl_Obj *cmd = Tcl_NewListObj(0, NULL);
		Tcl_IncrRefCount(cmd);
		Tcl_ListObjAppendElement(NULL, cmd, Tcl_NewStringObj("path", -1));
		Tcl_ListObjAppendElement(NULL, cmd, Tcl_NewStringObj(k[l->sel]->name, -1));
		int rc = Tcl_EvalObjEx(l->app->interp, cmd, TCL_EVAL_GLOBAL);
		snprintf(l->path, sizeof l->path, "%s", Tcl_GetStringResult(l->app->interp));
		if (rc != TCL_OK)
			snprintf(l->status, sizeof l->status, "path: %s", Tcl_GetStringResult(l->app->interp));
		Tcl_DecrRefCount(cmd);
	}
	free(k);
}

/* Wait for the next refresh, or a key.  Returns the key, 0 when due, or
 * -1 when a signal came.  */
static int wait_key(struct live *l, const struct timespec *due)
{
	for (;;) {
		if (hi_interrupted())
			return -1;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		double left = hi_cmd_since(&now, due);
		if (left <= 0)
			return 0;
		if (!l->tty) {
			if (hi_interrupt_sleep_until(due))
				return -1;
			return 0;
		}
		timeout(left > 0.2 ? 200 : (int)(left * 1000) + 1);	/* signals are seen within 0.2 s */
		int c = getch();
		if (c != ERR)
			return c;
	}
}

static void live_free(struct live *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->k[i].name);
	free(l->k);
	hi_census_free(&l->names);
}

static int live_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	struct hi_session *s = &app->session;
	if (!s->attached) {
		hi_error("live: not attached to a process; use: attach PID, or heapinspect live PID");
		return hi_cmd_fail(interp);
	}
	if (s->image) {
		hi_error("live: %s is %s, which does not change; run live on the live process", s->who, s->image->what);
		return hi_cmd_fail(interp);
	}
	struct live l = { .app = app, .interval = a->v[O_INTERVAL].set ? a->v[O_INTERVAL].d : 2 };
	l.by = a->v[O_BY].set ? a->v[O_BY].choice : BY_GROWTH;
	int64_t count = a->v[O_COUNT].set ? a->v[O_COUNT].i : 0, rows = a->v[O_N].set ? a->v[O_N].i : 10;
	double asked = l.interval;
	l.tty = isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
	setlocale(LC_CTYPE, "");
	l.utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	int rc = TCL_OK, quit = 0, signalled = 0;
	SCREEN *screen = NULL;
	if (l.tty) {
		fflush(app->print);
		if (!(screen = newterm(NULL, stdout, stdin))) {
			l.tty = 0;	/* no terminal description: plain lines */
		} else {
			cbreak();
			noecho();
			keypad(stdscr, TRUE);
			curs_set(0);
		}
	}
	struct timespec due;
	clock_gettime(CLOCK_MONOTONIC, &due);
	while (!quit && (!count || l.refreshes < (unsigned long)count)) {
		if ((rc = sample(&l)) != TCL_OK) {
			signalled = hi_interrupted() != 0;
			break;
		}
		/* At most the share of the time stopped: a slow census
		 * stretches the interval.  */
		double need = l.pause_ms / 1e3 / LIVE_STOPPED_SHARE;
		l.interval = need > asked ? need : asked;
		if (l.tty)
			draw_screen(&l);
		else
			draw_lines(&l, (size_t)rows);
		if (count && l.refreshes >= (unsigned long)count)
			break;
		due = hi_cmd_later(&l.now, l.interval);
		for (;;) {
			int c = wait_key(&l, &due);
			if (c <= 0) {
				signalled = c < 0;
				quit = c < 0;
				break;
			}
			l.status[0] = '\0';
			if (c == 'q' || c == 'Q') {
				quit = 1;
				break;
			} else if (c == 'g' || c == 's' || c == 'c') {
				l.by = c == 'g' ? BY_GROWTH : c == 's' ? BY_SIZE : BY_COUNT;
				l.path[0] = '\0';
			} else if (c == 'b') {
				/* The session's baseline too (setrel): heap after
				 * live shows what is new since.  */
				int r = Tcl_EvalEx(app->interp, "setrel", -1, TCL_EVAL_GLOBAL);
				rebase(&l);
				snprintf(l.status, sizeof l.status, "%s%s", r == TCL_OK ? "setrel: " : "setrel failed: ",
					 Tcl_GetStringResult(app->interp));
			} else if (c == KEY_DOWN) {
				l.sel++;
				l.path[0] = '\0';
			} else if (c == KEY_UP && l.sel > 0) {
				l.sel--;
				l.path[0] = '\0';
			} else if (c == 'p') {
				if (l.path[0])
					l.path[0] = '\0';
				else
					show_path(&l);
			}
			draw_screen(&l);
		}
	}
	if (screen) {
		endwin();
		delscreen(screen);
	}
	live_free(&l);
	if (signalled && rc == TCL_OK) {
		Tcl_SetObjResult(interp, Tcl_ObjPrintf("live interrupted after %lu refresh%s", l.refreshes,
						       l.refreshes == 1 ? "" : "es"));
		Tcl_SetErrorCode(interp, "HEAPINSPECT", "INTERRUPTED", NULL);
		return TCL_ERROR;
	}
	if (rc != TCL_OK)
		return rc;
	fprintf(app->out, "%lu refresh%s over %.1f s\n", l.refreshes, l.refreshes == 1 ? "" : "es",
		hi_cmd_since(&l.t0, &l.now));
	return TCL_OK;
}

const struct hi_cmd hi_cmd_live = {
	"live", "the heap by kind, refreshed in the terminal, with what grows", live_args,
	"py-spy top, for memory: RSS and census totals with their change since the\n"
	"start, then each kind's count and size, what they grew by, per minute,\n"
	"and a sparkline of its size; largest growth first.  Keys: g, s, c sort\n"
	"by growth, size or count; b takes a baseline, as setrel (growth counts\n"
	"from then, and heap afterwards shows what is new);\n"
	"the arrows select a kind and p shows its retention paths; q leaves and\n"
	"detaches.  The target runs between refreshes; the interval stretches so\n"
	"that it is stopped at most 2% of the time.  Without a terminal, one\n"
	"block of plain lines each refresh.\n",
	live_run, HI_CMD_OUT,
};
