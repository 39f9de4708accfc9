/* svgplot.c: see svgplot.h.  */
#include "config.h"
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "report/svgplot.h"

/* Slack for floating-point noise when a value sits on a tick.  */
#define EPS 1e-9

void hi_ticks_choose(double lo, double hi, int max_ticks, struct hi_ticks *t)
{
	static const double mult[] = { 1, 2, 5 };
	if (max_ticks < 3)
		max_ticks = 3;
	if (!isfinite(lo) || !isfinite(hi)) {
		lo = 0;
		hi = 1;
	}
	if (hi < lo) {
		double x = lo;
		lo = hi;
		hi = x;
	}
	if (hi == lo)	/* one value: a range of its order of magnitude above it */
		hi = lo + (lo != 0 ? pow(10, floor(log10(fabs(lo)))) : 1);
	/* Steps from the 1-2-5 sequence at or below the even split, up until
	 * one fits; three ticks always fit once the step exceeds |lo| and
	 * |hi|, so this ends within a few decades.  */
	double mag = pow(10, floor(log10((hi - lo) / (max_ticks - 1))));
	for (int i = 0;; i++) {
		double step = mult[i % 3] * mag * pow(10, i / 3);
		double k0 = floor(lo / step + EPS), k1 = ceil(hi / step - EPS);
		int n = (int)llround(k1 - k0) + 1;
		if (n <= max_ticks || i >= 60) {
			t->first = k0 * step;
			t->step = step;
			t->n = n < 2 ? 2 : n;
			return;
		}
	}
}

double hi_bytes_unit(double top, const char **name)
{
	static const char *const names[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double unit = 1;
	int i = 0;
	while (i < 4 && fabs(top) >= unit * 1024 * (1 - EPS)) {
		unit *= 1024;
		i++;
	}
	*name = names[i];
	return unit;
}

double hi_time_unit(double span, const char **name)
{
	if (span <= 180) {
		*name = "s";
		return 1;
	}
	if (span <= 180 * 60) {
		*name = "min";
		return 60;
	}
	*name = "h";
	return 3600;
}

void hi_axis_label(char *buf, size_t size, double v, double step, double unit, const char *name)
{
	double d = step / unit;
	int decimals = 0;
	if (d > 0 && d < 1 - EPS)
		decimals = (int)ceil(-log10(d) - EPS);
	if (decimals > 6)
		decimals = 6;
	double x = v / unit;
	if (fabs(x) < d * EPS)	/* no "-0" */
		x = 0;
	snprintf(buf, size, "%.*f %s", decimals, x, name);
}

/* Length of the UTF-8 sequence at P (1-4), or 0 if it is not one.  */
static int utf8_len(const unsigned char *p)
{
	int n;
	uint32_t cp;
	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	static const uint32_t least[] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

void hi_xml_text(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int n = utf8_len(p);
		if (n == 0 || (n == 1 && *p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f) {
			fputc('?', out);
			p++;
			continue;
		}
		if (n == 1) {
			switch (*p) {
			case '&': fputs("&amp;", out); break;
			case '<': fputs("&lt;", out); break;
			case '>': fputs("&gt;", out); break;
			case '"': fputs("&quot;", out); break;
			case '\'': fputs("&apos;", out); break;
			default: fputc(*p, out);
			}
		} else {
			fwrite(p, 1, (size_t)n, out);
		}
		p += n;
	}
}

/* S cut to at most MAX code points, with an ellipsis when cut.  */
static void short_name(char *buf, size_t size, const char *s, size_t max)
{
	size_t i = 0, cps = 0;
	while (s[i] && cps < max) {
		int n = utf8_len((const unsigned char *)s + i);
		i += n ? (size_t)n : 1;
		cps++;
	}
	if (!s[i] || i + 4 > size) {
		snprintf(buf, size, "%.*s", (int)(i < size ? i : size - 1), s);
		return;
	}
	snprintf(buf, size, "%.*s\xe2\x80\xa6", (int)i, s);
}

/* Distinct hues, dark first for the totals; after these, dashed again.  */
static const char *const palette[] = {
	"#222222", "#3b6fb6", "#e6862b", "#d64541", "#4aa3a0", "#5aa046",
	"#c9a227", "#9b6bb0", "#e98ca5", "#8c6246", "#7f7f7f", "#2aa7c9",
};
#define NCOLOURS (sizeof palette / sizeof palette[0])

#define LEGEND_NAME 34	/* code points of a name in the legend */

const char *hi_chart_colour(size_t i, int *dashed)
{
	*dashed = i >= NCOLOURS;
	return palette[i % NCOLOURS];
}

void hi_chart_layout(const struct hi_plot_series *s, size_t ns, struct hi_chart *c)
{
	double xmax = 0, ymax = 0;
	for (size_t i = 0; i < ns; i++)
		for (size_t k = 0; k < s[i].n; k++) {
			if (isfinite(s[i].x[k]) && s[i].x[k] > xmax)
				xmax = s[i].x[k];
			if (isfinite(s[i].y[k]) && s[i].y[k] > ymax)
				ymax = s[i].y[k];
		}
	*c = (struct hi_chart){ .w = 1000, .h = 560, .x0 = 90, .x1 = 680, .y0 = 60, .y1 = 490, .legend_x = 700 };
	c->tunit = hi_time_unit(xmax, &c->tname);
	hi_ticks_choose(0, xmax / c->tunit, 10, &c->xt);
	/* Ticks round in the axis's binary unit: 0, 2, 4 MiB.  */
	c->yunit = hi_bytes_unit(ymax, &c->yname);
	hi_ticks_choose(0, ymax / c->yunit, 8, &c->yt);
	c->yt.first *= c->yunit;
	c->yt.step *= c->yunit;
	c->xlast = c->xt.first + (c->xt.n - 1) * c->xt.step;
	c->ylast = c->yt.first + (c->yt.n - 1) * c->yt.step;
}

double hi_chart_px(const struct hi_chart *c, double x)
{
	return c->x0 + (x / c->tunit - c->xt.first) / (c->xlast - c->xt.first) * (c->x1 - c->x0);
}

double hi_chart_py(const struct hi_chart *c, double y)
{
	return c->y1 - (y - c->yt.first) / (c->ylast - c->yt.first) * (c->y1 - c->y0);
}

double hi_chart_ytick(const struct hi_chart *c, int i, char *label, size_t size)
{
	double v = (c->yt.first / c->yt.step + i) * c->yt.step;
	hi_axis_label(label, size, v, c->yt.step, c->yunit, c->yname);
	return hi_chart_py(c, v);
}

double hi_chart_xtick(const struct hi_chart *c, int i, char *label, size_t size)
{
	double v = (c->xt.first / c->xt.step + i) * c->xt.step;
	hi_axis_label(label, size, v, c->xt.step, 1, c->tname);
	return c->x0 + (double)i / (c->xt.n - 1) * (c->x1 - c->x0);
}

void hi_chart_legend(const struct hi_plot_series *s, char *buf, size_t size)
{
	double peak = 0;
	for (size_t k = 0; k < s->n; k++)
		if (s->y[k] > peak)
			peak = s->y[k];
	const char *pname;
	double punit = hi_bytes_unit(peak, &pname);
	char name[256], value[64];
	short_name(name, sizeof name, s->name, LEGEND_NAME);
	hi_axis_label(value, sizeof value, peak, punit / 10, punit, pname);
	snprintf(buf, size, "%s (peak %s)", name, value);
}

#define MARKERS_UP_TO 40	/* points per series that still get dots */

int hi_svgplot_write(FILE *out, const char *title, const struct hi_plot_series *s, size_t ns)
{
	struct hi_chart c;
	hi_chart_layout(s, ns, &c);
	const double W = c.w, H = c.h, X0 = c.x0, X1 = c.x1, Y0 = c.y0, Y1 = c.y1, LEGEND_X = c.legend_x;
#define PX(x) hi_chart_px(&c, (x))
#define PY(y) hi_chart_py(&c, (y))
	char label[64];

	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		     "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
		W, H, W, H);
	fprintf(out, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", W, H);
	fprintf(out, "<text class=\"title\" x=\"%.1f\" y=\"32\" text-anchor=\"middle\" font-size=\"16\">",
		(X0 + X1) / 2);
	hi_xml_text(out, title ? title : "");
	fputs("</text>\n", out);

	/* Grid and tick labels.  */
	fputs("<g class=\"grid\" stroke=\"#e2e2e2\" stroke-width=\"1\">\n", out);
	for (int i = 0; i < c.yt.n; i++) {
		double py = hi_chart_ytick(&c, i, label, sizeof label);
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", X0, py, X1, py);
	}
	for (int i = 0; i < c.xt.n; i++) {
		double px = hi_chart_xtick(&c, i, label, sizeof label);
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", px, Y0, px, Y1);
	}
	fputs("</g>\n", out);
	for (int i = 0; i < c.yt.n; i++) {
		double py = hi_chart_ytick(&c, i, label, sizeof label);
		fprintf(out, "<text class=\"ytick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", X0 - 8,
			py + 4, label);
	}
	for (int i = 0; i < c.xt.n; i++) {
		double px = hi_chart_xtick(&c, i, label, sizeof label);
		fprintf(out, "<text class=\"xtick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", px,
			Y1 + 18, label);
	}
	fprintf(out, "<g stroke=\"#333333\" stroke-width=\"1\">"
		     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
		     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/></g>\n",
		X0, Y0, X0, Y1, X0, Y1, X1, Y1);
	fprintf(out, "<text class=\"xlabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">time since the first sample (%s)</text>\n",
		(X0 + X1) / 2, Y1 + 44, c.tname);
	fprintf(out, "<text class=\"ylabel\" transform=\"translate(%.1f %.1f) rotate(-90)\" text-anchor=\"middle\">memory (%s)</text>\n",
		X0 - 70, (Y0 + Y1) / 2, c.yname);

	/* The series, then the legend.  */
	for (size_t i = 0; i < ns; i++) {
		int dashed;
		const char *colour = hi_chart_colour(i, &dashed);
		fprintf(out, "<polyline class=\"series\" fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" "
			     "stroke-linejoin=\"round\"%s points=\"",
			colour, s[i].bold ? "2.5" : "1.5", dashed ? " stroke-dasharray=\"6 3\"" : "");
		for (size_t k = 0; k < s[i].n; k++)
			fprintf(out, "%s%.1f,%.1f", k ? " " : "", PX(s[i].x[k]), PY(s[i].y[k]));
		fputs("\"><title>", out);
		hi_xml_text(out, s[i].name);
		fputs("</title></polyline>\n", out);
		if (s[i].n <= MARKERS_UP_TO) {
			fprintf(out, "<g class=\"markers\" fill=\"%s\">", colour);
			for (size_t k = 0; k < s[i].n; k++)
				fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"/>", PX(s[i].x[k]), PY(s[i].y[k]));
			fputs("</g>\n", out);
		}
	}
	fputs("<g class=\"legend\">\n", out);
	for (size_t i = 0; i < ns; i++) {
		double y = Y0 + 6 + 20.0 * (double)i;
		int dashed;
		const char *colour = hi_chart_colour(i, &dashed);
		char text[512];
		hi_chart_legend(&s[i], text, sizeof text);
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%s\"%s/>",
			LEGEND_X, y - 4, LEGEND_X + 24, y - 4, colour, s[i].bold ? "2.5" : "1.5",
			dashed ? " stroke-dasharray=\"6 3\"" : "");
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">", LEGEND_X + 30, y);
		hi_xml_text(out, text);
		fputs("</text>\n", out);
	}
	fputs("</g>\n</svg>\n", out);
#undef PX
#undef PY
	return ferror(out) ? -1 : 0;
}
