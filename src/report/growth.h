/* growth.h: how a kind's count or size changes over time, and what kind
 * of change it is.
 *
 * A leak grows steadily: a line fits its points, and it grows as fast in
 * the second half of the window as in the first.  A cache levels off: it
 * grew in the first half and hardly in the second.  The fit is least
 * squares over all points, and over each half of the window (by time).  */
#ifndef HI_GROWTH_H
#define HI_GROWTH_H
#include <stddef.h>

struct hi_fit {
	size_t n;
	double first, last;	/* the values at both ends */
	double slope;		/* per second, over every point */
	double r2;		/* how much of the change a line explains (0..1;
				 * 1 for fewer than 3 points or none at all) */
	double early, late;	/* slopes of the first and second halves (by
				 * time; 0 where a half has under 2 points) */
};

/* Fit the N points (X seconds, Y values), X ascending.  */
void hi_fit_line(const double *x, const double *y, size_t n, struct hi_fit *f);

enum hi_trend {
	HI_TREND_FLAT,		/* no change worth the name */
	HI_TREND_STEADY,	/* grows, and as fast lately: a leak's shape */
	HI_TREND_LEVELS_OFF,	/* grew, and hardly lately: a cache's */
	HI_TREND_UNSTEADY,	/* grows, neither */
	HI_TREND_GROWS,		/* grows: too few points (under 4) to tell how */
	HI_TREND_SHRINKS,
};

/* What F's change looks like.  */
enum hi_trend hi_fit_trend(const struct hi_fit *f);

/* "grows steadily", "levels off", ...  */
const char *hi_trend_name(enum hi_trend t);

/* Order two changes suspects first: by trend (steady growth, other
 * growth, levelling off, flat, shrinking), then by how fast they grew
 * lately (the second half's slope; the whole's under 3 points), faster
 * first.  Negative when A comes first, as qsort's.  */
int hi_fit_rank_cmp(const struct hi_fit *a, const struct hi_fit *b);

#endif
