/* growth.c: see growth.h.  */
#include "config.h"
#include <math.h>
#include "report/growth.h"

/* Least squares slope of the points [from, to), and R^2 into *R2.  */
static double slope_of(const double *x, const double *y, size_t from, size_t to, double *r2)
{
	size_t n = to - from;
	*r2 = 1;
	if (n < 2)
		return 0;
	double mx = 0, my = 0;
	for (size_t i = from; i < to; i++) {
		mx += x[i];
		my += y[i];
	}
	mx /= (double)n;
	my /= (double)n;
	double sxx = 0, sxy = 0, syy = 0;
	for (size_t i = from; i < to; i++) {
		sxx += (x[i] - mx) * (x[i] - mx);
		sxy += (x[i] - mx) * (y[i] - my);
		syy += (y[i] - my) * (y[i] - my);
	}
	if (sxx <= 0)
		return 0;
	if (syy > 0 && n > 2)
		*r2 = sxy * sxy / (sxx * syy);
	return sxy / sxx;
}

void hi_fit_line(const double *x, const double *y, size_t n, struct hi_fit *f)
{
	double r2;
	*f = (struct hi_fit){ .n = n, .r2 = 1 };
	if (!n)
		return;
	f->first = y[0];
	f->last = y[n - 1];
	f->slope = slope_of(x, y, 0, n, &f->r2);
	/* The halves by time: the last point of the first half starts the
	 * second.  */
	double mid = x[0] + (x[n - 1] - x[0]) / 2;
	size_t m = 0;
	while (m < n && x[m] <= mid)
		m++;
	f->early = slope_of(x, y, 0, m, &r2);
	f->late = slope_of(x, y, m ? m - 1 : 0, n, &r2);
}

enum hi_trend hi_fit_trend(const struct hi_fit *f)
{
	if (f->n < 2)
		return HI_TREND_FLAT;
	double span = f->last - f->first;
	double scale = fmax(fmax(fabs(f->first), fabs(f->last)), 1);
	if (fabs(span) <= 0.01 * scale && fabs(f->slope) * 60 <= 0.01 * scale)
		return HI_TREND_FLAT;
	if (span < 0 && f->slope <= 0)
		return HI_TREND_SHRINKS;
	if (f->n < 4)
		return span > 0 ? HI_TREND_GROWS : HI_TREND_FLAT;
	if (f->early > 0 && f->late <= 0.25 * f->early)
		return HI_TREND_LEVELS_OFF;
	if (f->slope > 0 && f->r2 >= 0.8 && f->late >= 0.5 * f->early)
		return HI_TREND_STEADY;
	return HI_TREND_UNSTEADY;
}

const char *hi_trend_name(enum hi_trend t)
{
	switch (t) {
	case HI_TREND_STEADY: return "grows steadily";
	case HI_TREND_LEVELS_OFF: return "levels off";
	case HI_TREND_UNSTEADY: return "grows unsteadily";
	case HI_TREND_GROWS: return "grows";
	case HI_TREND_SHRINKS: return "shrinks";
	default: return "flat";
	}
}

static int trend_order(enum hi_trend t)
{
	switch (t) {
	case HI_TREND_STEADY: return 0;
	case HI_TREND_UNSTEADY:
	case HI_TREND_GROWS: return 1;
	case HI_TREND_LEVELS_OFF: return 2;
	case HI_TREND_FLAT: return 3;
	default: return 4;
	}
}

static double lately(const struct hi_fit *f)
{
	return f->n > 2 ? f->late : f->slope;
}

int hi_fit_rank_cmp(const struct hi_fit *a, const struct hi_fit *b)
{
	int ta = trend_order(hi_fit_trend(a)), tb = trend_order(hi_fit_trend(b));
	if (ta != tb)
		return ta < tb ? -1 : 1;
	double ra = lately(a), rb = lately(b);
	if (ra != rb)
		return ra > rb ? -1 : 1;
	return 0;
}
