/* cmd-plot.c: `plot`, a watch file drawn as an SVG chart.  Needs no
 * target.  */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cmd/cmd.h"
#include "util/error.h"
#include "report/growth.h"
#include "report/pngplot.h"
#include "report/svgplot.h"
#include "report/watchfile.h"

/* A kind's series and the line fitted to it.  */
struct ranked {
	const struct hi_watch_series *s;
	struct hi_fit fit;
};

static int by_peak(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->s->peak != y->s->peak)
		return x->s->peak > y->s->peak ? -1 : 1;
	return strcmp(x->s->kind, y->s->kind);
}

/* As growth ranks them: steady growth first, then by the rate lately.  */
static int by_growth(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	int c = hi_fit_rank_cmp(&x->fit, &y->fit);
	return c ? c : by_peak(a, b);
}

static const char *const plot_by[] = { "growth", "size", NULL };

static const struct hi_argspec plot_args[] = {
	{ "FILE", HI_ARG_FILE, .required = 1, .help = "a CSV file written by 'watch -out FILE'" },
	{ "-out", HI_ARG_FILE, "FILE.svg", .required = 1,
	  .help = "the chart to write (replaced): a self-contained SVG,\n"
		  "or a PNG image when FILE ends in .png" },
	{ "-title", HI_ARG_STRING, "TEXT", .help = "its title (default: the watch file's name)" },
	{ "-top", HI_ARG_INT, "K", .min = 0, .max = 20,
	  .help = "draw K kinds (default 8, at most 20: more lines would\n"
		  "not be told apart)" },
	{ "-by", HI_ARG_CHOICE, "growth|size", plot_by,
	  .help = "which kinds, in the legend's order: those that grow,\n"
		  "ranked as 'growth -from FILE' ranks them, steady growth\n"
		  "first (the default); or those with the highest peaks" },
	{ NULL },
};
enum { O_FILE, O_OUT, O_TITLE, O_TOP, O_BY };

static int plot_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	const char *file = Tcl_GetString(a->v[O_FILE].obj), *out = Tcl_GetString(a->v[O_OUT].obj);
	const char *title = a->v[O_TITLE].set ? Tcl_GetString(a->v[O_TITLE].obj) : NULL;
	Tcl_WideInt top = a->v[O_TOP].set ? a->v[O_TOP].i : 8;

	struct hi_watch_data d;
	if (hi_watchfile_read(file, &d) < 0)
		return hi_cmd_fail(interp);
	int by_size = a->v[O_BY].set && a->v[O_BY].choice == 1;
	/* The totals, then the kinds that grow most (or peak highest).  */
	struct ranked *kinds = malloc((d.n + 1) * sizeof *kinds);
	struct hi_plot_series *s = malloc((d.n + 2) * sizeof *s);
	if (!kinds || !s) {
		free(kinds);
		free(s);
		hi_watchfile_free(&d);
		hi_error("plot: out of memory for the %zu series of %s; free memory", d.n, file);
		return hi_cmd_fail(interp);
	}
	size_t ns = 0, nk = 0;
	struct hi_watch_series *w;
	if ((w = hi_watchfile_find(&d, HI_SERIES_RSS, NULL)))
		s[ns++] = (struct hi_plot_series){ "RSS", w->x, w->y, w->n, 1 };
	if ((w = hi_watchfile_find(&d, HI_SERIES_BYTES, NULL)))
		s[ns++] = (struct hi_plot_series){ "census", w->x, w->y, w->n, 1 };
	for (size_t i = 0; i < d.n; i++)
		if (strcmp(d.s[i].series, HI_SERIES_KIND) == 0) {
			kinds[nk].s = &d.s[i];
			hi_fit_line(d.s[i].x, d.s[i].y, d.s[i].n, &kinds[nk].fit);
			nk++;
		}
	qsort(kinds, nk, sizeof *kinds, by_size ? by_peak : by_growth);
	size_t drawn = nk < (size_t)top ? nk : (size_t)top;
	for (size_t i = 0; i < drawn; i++)
		s[ns++] = (struct hi_plot_series){ kinds[i].s->kind, kinds[i].s->x, kinds[i].s->y, kinds[i].s->n, 0 };

	int rc = TCL_OK;
	char *deftitle = NULL;
	if (!title) {
		const char *base = strrchr(file, '/');
		deftitle = malloc(strlen(file) + 64);
		if (deftitle)
			sprintf(deftitle, "heapinspect watch: %s", base ? base + 1 : file);
		title = deftitle ? deftitle : "heapinspect watch";
	}
	/* errno is read right after the call that failed; a write that
	 * failed earlier leaves only the stream's error flag, and then the
	 * message says so rather than quote an unrelated errno.  */
	size_t olen = strlen(out);
	int png = olen > 4 && !strcasecmp(out + olen - 4, ".png");
	FILE *f = fopen(out, "w");
	int ok = f != NULL, werr = f ? 0 : errno;
	if (f) {
		errno = 0;
		ok = (png ? hi_pngplot_write(f, title, s, ns, 1) : hi_svgplot_write(f, title, s, ns)) == 0;
		if (!ok)
			werr = errno;
		if (fclose(f) != 0 && ok) {
			ok = 0;
			werr = errno;
		}
	}
	if (!ok) {
		hi_error("plot: cannot write %s: %s; check the disk and the path", out,
			 werr ? strerror(werr) : "a write failed");
		rc = hi_cmd_fail(interp);
	}
	if (rc == TCL_OK) {
		fprintf(app->out, "%s: %s%s%zu kind%s over %lu sample%s (%.1f s)\n", out,
			hi_watchfile_find(&d, HI_SERIES_RSS, NULL) ? "RSS, " : "",
			hi_watchfile_find(&d, HI_SERIES_BYTES, NULL) ? "census, " : "", drawn, drawn == 1 ? "" : "s",
			d.samples, d.samples == 1 ? "" : "s", d.seconds);
	}
	free(deftitle);
	free(kinds);
	free(s);
	hi_watchfile_free(&d);
	return rc;
}

const struct hi_cmd hi_cmd_plot = {
	"plot", "draw a watch file as an SVG chart of memory over time", plot_args,
	"Draws RSS, the census's bytes and the kinds over time, one line each\n"
	"(an SVG, or a PNG for -out FILE.png),\n"
	"with a legend giving each line's peak, in binary units (MiB) as every\n"
	"table.  The kinds are those that grow, steady growth first, unless\n"
	"-by size.  Needs no target.  A malformed file is an error naming the\n"
	"file and line.\n",
	plot_run,
};
