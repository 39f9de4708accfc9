/* pngplot.c: see pngplot.h.  */
#include "config.h"
#include <cairo.h>
#include <stdlib.h>
#include <string.h>
#include "report/pngplot.h"

static void colour(cairo_t *cr, const char *hex)
{
	unsigned v = (unsigned)strtoul(hex + 1, NULL, 16);
	cairo_set_source_rgb(cr, ((v >> 16) & 255) / 255.0, ((v >> 8) & 255) / 255.0, (v & 255) / 255.0);
}

/* TEXT at (X, Y), its baseline at Y, aligned by ALIGN: 0 left, 0.5
 * centre, 1 right.  */
static void text(cairo_t *cr, double x, double y, const char *s, double align)
{
	cairo_text_extents_t e;
	cairo_text_extents(cr, s, &e);
	cairo_move_to(cr, x - align * e.x_advance, y);
	cairo_show_text(cr, s);
}

static void line(cairo_t *cr, double x1, double y1, double x2, double y2)
{
	cairo_move_to(cr, x1, y1);
	cairo_line_to(cr, x2, y2);
	cairo_stroke(cr);
}

static cairo_status_t to_file(void *closure, const unsigned char *data, unsigned int length)
{
	return fwrite(data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

int hi_pngplot_write(FILE *out, const char *title, const struct hi_plot_series *s, size_t ns, double scale)
{
	struct hi_chart c;
	hi_chart_layout(s, ns, &c);
	cairo_surface_t *surface =
		cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)(c.w * scale), (int)(c.h * scale));
	cairo_t *cr = cairo_create(surface);
	cairo_scale(cr, scale, scale);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	colour(cr, "#ffffff");
	cairo_paint(cr);
	char label[512];

	colour(cr, "#000000");
	cairo_set_font_size(cr, 16);
	text(cr, (c.x0 + c.x1) / 2, 32, title ? title : "", 0.5);
	cairo_set_font_size(cr, 12);

	/* Grid, ticks, axes.  */
	cairo_set_line_width(cr, 1);
	colour(cr, "#e2e2e2");
	for (int i = 0; i < c.yt.n; i++) {
		double py = hi_chart_ytick(&c, i, label, sizeof label);
		line(cr, c.x0, py, c.x1, py);
	}
	for (int i = 0; i < c.xt.n; i++) {
		double px = hi_chart_xtick(&c, i, label, sizeof label);
		line(cr, px, c.y0, px, c.y1);
	}
	colour(cr, "#000000");
	for (int i = 0; i < c.yt.n; i++) {
		double py = hi_chart_ytick(&c, i, label, sizeof label);
		text(cr, c.x0 - 8, py + 4, label, 1);
	}
	for (int i = 0; i < c.xt.n; i++) {
		double px = hi_chart_xtick(&c, i, label, sizeof label);
		text(cr, px, c.y1 + 18, label, 0.5);
	}
	colour(cr, "#333333");
	line(cr, c.x0, c.y0, c.x0, c.y1);
	line(cr, c.x0, c.y1, c.x1, c.y1);
	colour(cr, "#000000");
	snprintf(label, sizeof label, "time since the first sample (%s)", c.tname);
	text(cr, (c.x0 + c.x1) / 2, c.y1 + 44, label, 0.5);
	cairo_save(cr);
	cairo_translate(cr, c.x0 - 70, (c.y0 + c.y1) / 2);
	cairo_rotate(cr, -1.5707963267948966);
	snprintf(label, sizeof label, "memory (%s)", c.yname);
	text(cr, 0, 0, label, 0.5);
	cairo_restore(cr);

	/* The series, then the legend.  */
	static const double dash[] = { 6, 3 };
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	for (size_t i = 0; i < ns; i++) {
		int dashed;
		colour(cr, hi_chart_colour(i, &dashed));
		cairo_set_line_width(cr, s[i].bold ? 2.5 : 1.5);
		cairo_set_dash(cr, dash, dashed ? 2 : 0, 0);
		for (size_t k = 0; k < s[i].n; k++)
			(k ? cairo_line_to : cairo_move_to)(cr, hi_chart_px(&c, s[i].x[k]), hi_chart_py(&c, s[i].y[k]));
		cairo_stroke(cr);
	}
	for (size_t i = 0; i < ns; i++) {
		double y = c.y0 + 6 + 20.0 * (double)i;
		int dashed;
		colour(cr, hi_chart_colour(i, &dashed));
		cairo_set_line_width(cr, s[i].bold ? 2.5 : 1.5);
		cairo_set_dash(cr, dash, dashed ? 2 : 0, 0);
		line(cr, c.legend_x, y - 4, c.legend_x + 24, y - 4);
		colour(cr, "#000000");
		hi_chart_legend(&s[i], label, sizeof label);
		text(cr, c.legend_x + 30, y, label, 0);
	}
	cairo_surface_flush(surface);
	int rc = cairo_status(cr) == CAIRO_STATUS_SUCCESS &&
			 cairo_surface_write_to_png_stream(surface, to_file, out) == CAIRO_STATUS_SUCCESS
		 ? 0
		 : -1;
	cairo_destroy(cr);
	cairo_surface_destroy(surface);
	return rc;
}
