/* svgplot.h: line charts of sizes over time, as self-contained SVG.
 *
 * Pure formatting: series in, SVG text out, no dependencies.  One chart
 * kind, the one `plot` needs: a time axis (seconds, minutes or hours), a
 * byte axis from zero in binary units (1 MiB = 1,048,576 bytes, as every
 * table of heapinspect), its ticks in steps of 1, 2 or 5 of that unit,
 * a polyline per series, a legend.  */
#ifndef HI_SVGPLOT_H
#define HI_SVGPLOT_H
#include <stddef.h>
#include <stdio.h>

/* Ticks first, first + step, ..., first + (n - 1) * step.  */
struct hi_ticks {
	double first, step;
	int n;
};

/* Ticks covering [LO, HI] (first <= LO, last >= HI), at most MAX_TICKS of
 * them (taken as 3 if less), the step 1, 2 or 5 times a power of ten,
 * the smallest such step that fits.  An empty range (LO == HI) is
 * widened to a sensible one around it.  */
void hi_ticks_choose(double lo, double hi, int max_ticks, struct hi_ticks *t);

/* The binary unit for byte values up to TOP: its size (1, 1024, 1024^2,
 * ...) and name ("B", "KiB", "MiB", "GiB", "TiB").  */
double hi_bytes_unit(double top, const char **name);

/* The unit for a time axis spanning SPAN seconds: 1 "s" up to 3 minutes,
 * 60 "min" up to 3 hours, else 3600 "h".  */
double hi_time_unit(double span, const char **name);

/* V / UNIT with as many decimals as STEP / UNIT needs, then " NAME":
 * "0 MB", "1.5 GB", "20 s".  */
void hi_axis_label(char *buf, size_t size, double v, double step, double unit, const char *name);

/* S as XML character data or attribute text: &<>"' escaped, control
 * characters and bytes that are not UTF-8 replaced by '?', so the
 * document stays well-formed whatever a kind's name holds.  */
void hi_xml_text(FILE *out, const char *s);

struct hi_plot_series {
	const char *name;	/* legend text; in a <title> of its polyline */
	const double *x;	/* seconds */
	const double *y;	/* bytes */
	size_t n;
	int bold;		/* a total (RSS, census): a thicker line */
};

/* The chart laid out once, for the SVG writer and the PNG one
 * (pngplot.h): its size and plot area, the axes' ticks and units.  */
struct hi_chart {
	double w, h, x0, x1, y0, y1, legend_x;
	struct hi_ticks xt, yt;
	double tunit, yunit, xlast, ylast;
	const char *tname, *yname;
};
void hi_chart_layout(const struct hi_plot_series *s, size_t ns, struct hi_chart *c);
/* Where a point is drawn (seconds, bytes).  */
double hi_chart_px(const struct hi_chart *c, double x);
double hi_chart_py(const struct hi_chart *c, double y);
/* Tick I of each axis: its label into LABEL, and where it is drawn.  */
double hi_chart_ytick(const struct hi_chart *c, int i, char *label, size_t size);
double hi_chart_xtick(const struct hi_chart *c, int i, char *label, size_t size);
/* Series I's colour ("#rrggbb"), and whether its line is dashed.  */
const char *hi_chart_colour(size_t i, int *dashed);
/* Its legend: the name, cut to 34 code points, and "(peak 4.3 MiB)".  */
void hi_chart_legend(const struct hi_plot_series *s, char *buf, size_t size);

/* Write the chart as an SVG document.  Each series is one
 * <polyline class="series"> with one point per (x, y) and its name in a
 * <title> child; tick labels are <text class="xtick"> and
 * <text class="ytick">.  Returns 0, or -1 when writing failed.  */
int hi_svgplot_write(FILE *out, const char *title, const struct hi_plot_series *s, size_t ns);

#endif
