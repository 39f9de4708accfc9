/* pngplot.h: the chart of svgplot.h as a PNG image, drawn with cairo.
 *
 * The same layout (hi_chart_layout), colours and legend as the SVG, for
 * places that show pictures but not SVG (chat, tickets, some viewers).  */
#ifndef HI_PNGPLOT_H
#define HI_PNGPLOT_H
#include <stddef.h>
#include <stdio.h>
#include "report/svgplot.h"

/* Write the chart as a PNG image, at SCALE times the SVG's size (1000 x
 * 560 at 1).  Returns 0, or -1 when drawing or writing failed.  */
int hi_pngplot_write(FILE *out, const char *title, const struct hi_plot_series *s, size_t ns, double scale);

#endif
