/* test-svgplot.c: the tick chooser, axis labels and units, XML escaping,
 * and the shape of a chart.  */
#include "config.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "suites.h"
#include "report/svgplot.h"

static double last(const struct hi_ticks *t)
{
	return t->first + (t->n - 1) * t->step;
}

static void ticks_of_known_ranges(void)
{
	struct hi_ticks t;
	hi_ticks_choose(0, 45e6, 8, &t);	/* 45 MB: 0, 10, ..., 50 MB */
	CU_ASSERT_DOUBLE_EQUAL(t.first, 0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(t.step, 1e7, 1e-3);
	CU_ASSERT_EQUAL(t.n, 6);
	hi_ticks_choose(0, 1, 6, &t);	/* 0, 0.2, ..., 1: exactly, no extra tick */
	CU_ASSERT_DOUBLE_EQUAL(t.step, 0.2, 1e-12);
	CU_ASSERT_EQUAL(t.n, 6);
	hi_ticks_choose(0, 2.001, 10, &t);	/* just past 2: 0.5 steps to 2.5 */
	CU_ASSERT_DOUBLE_EQUAL(t.step, 0.5, 1e-12);
	CU_ASSERT_EQUAL(t.n, 6);
	hi_ticks_choose(0, 3e9, 8, &t);	/* 0, 0.5, ..., 3 GB */
	CU_ASSERT_DOUBLE_EQUAL(t.step, 5e8, 1e-3);
	CU_ASSERT_EQUAL(t.n, 7);
	hi_ticks_choose(-3, 7, 6, &t);	/* both signs: -5, 0, 5, 10 */
	CU_ASSERT_DOUBLE_EQUAL(t.first, -5, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(t.step, 5, 1e-12);
	CU_ASSERT_EQUAL(t.n, 4);
	/* One value, or none: still an axis, around it.  */
	hi_ticks_choose(0, 0, 8, &t);
	CU_ASSERT(t.first == 0 && last(&t) >= 1 && t.n >= 2 && t.n <= 8);
	hi_ticks_choose(3.2e6, 3.2e6, 8, &t);
	CU_ASSERT(t.first <= 3.2e6 && last(&t) > 3.2e6 && t.n >= 2 && t.n <= 8);
	hi_ticks_choose(NAN, 1, 8, &t);
	CU_ASSERT(t.n >= 2 && t.step > 0 && isfinite(t.first));
}

/* Is S (> 0) 1, 2 or 5 times a power of ten?  */
static int nice(double s)
{
	double mag = pow(10, floor(log10(s) + 1e-12));
	double m = s / mag;
	return fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9;
}

/* The next smaller step of the 1-2-5 sequence.  */
static double smaller(double s)
{
	double mag = pow(10, floor(log10(s) + 1e-12));
	double m = s / mag;
	return fabs(m - 1) < 1e-9 ? 0.5 * mag : fabs(m - 2) < 1e-9 ? mag : 2 * mag;
}

/* For many ranges: the ticks cover the range, are no more than asked
 * for, sit on multiples of a 1-2-5 step, and that step is the smallest
 * that fits.  */
static void ticks_cover_fit_and_are_tight(void)
{
	unsigned long long x = 88172645463325252ull;	/* xorshift: the same ranges every run */
	int bad = 0;
	for (int i = 0; i < 20000 && bad < 5; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		double hi = (double)(x % 1000000007ull) * pow(10, (double)(x % 19) - 6);
		double lo = (x >> 40) % 3 == 0 ? 0 : hi * (double)((x >> 20) % 1000) / 1000.0;
		int max = 3 + (int)((x >> 50) % 10);
		if (hi <= lo)
			continue;
		struct hi_ticks t;
		hi_ticks_choose(lo, hi, max, &t);
		double eps = 1e-9 * t.step;
		double k = t.first / t.step;
		int ok = t.n >= 2 && t.n <= max && nice(t.step) && t.first <= lo + eps && last(&t) >= hi - eps &&
			 fabs(k - round(k)) < 1e-6;
		/* Tight: one step smaller would need more ticks.  */
		double s = smaller(t.step);
		double n_smaller = ceil(hi / s - 1e-9) - floor(lo / s + 1e-9) + 1;
		ok = ok && n_smaller > max;
		if (!ok) {
			bad++;
			printf("# ticks for [%g, %g] max %d: first %g step %g n %d\n", lo, hi, max, t.first, t.step, t.n);
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void units_and_labels(void)
{
	const char *name;
	char buf[64];
	/* Binary, as every table: 71.7 MiB is not "75.2 MB".  */
	CU_ASSERT_EQUAL(hi_bytes_unit(1023, &name), 1);
	CU_ASSERT_STRING_EQUAL(name, "B");
	CU_ASSERT_EQUAL(hi_bytes_unit(1024, &name), 1024);
	CU_ASSERT_STRING_EQUAL(name, "KiB");
	CU_ASSERT_EQUAL(hi_bytes_unit(5e7, &name), 1048576);
	CU_ASSERT_STRING_EQUAL(name, "MiB");
	CU_ASSERT_EQUAL(hi_bytes_unit(1073741824.0, &name), 1073741824.0);
	CU_ASSERT_STRING_EQUAL(name, "GiB");
	CU_ASSERT_EQUAL(hi_bytes_unit(4e15, &name), 1099511627776.0);
	CU_ASSERT_STRING_EQUAL(name, "TiB");
	CU_ASSERT_EQUAL(hi_time_unit(180, &name), 1);
	CU_ASSERT_STRING_EQUAL(name, "s");
	CU_ASSERT_EQUAL(hi_time_unit(181, &name), 60);
	CU_ASSERT_STRING_EQUAL(name, "min");
	CU_ASSERT_EQUAL(hi_time_unit(3 * 3600 + 1, &name), 3600);
	CU_ASSERT_STRING_EQUAL(name, "h");

	hi_axis_label(buf, sizeof buf, 2e7, 1e7, 1e6, "MB");
	CU_ASSERT_STRING_EQUAL(buf, "20 MB");
	hi_axis_label(buf, sizeof buf, 1.5e9, 5e8, 1e9, "GB");
	CU_ASSERT_STRING_EQUAL(buf, "1.5 GB");
	hi_axis_label(buf, sizeof buf, 0, 5e8, 1e9, "GB");
	CU_ASSERT_STRING_EQUAL(buf, "0.0 GB");
	hi_axis_label(buf, sizeof buf, 0.4, 0.2, 1, "s");
	CU_ASSERT_STRING_EQUAL(buf, "0.4 s");
	hi_axis_label(buf, sizeof buf, 0.15, 0.05, 1, "s");
	CU_ASSERT_STRING_EQUAL(buf, "0.15 s");
	/* Noise of the tick arithmetic never shows, nor does "-0".  */
	hi_axis_label(buf, sizeof buf, 0.30000000000000004, 0.1, 1, "s");
	CU_ASSERT_STRING_EQUAL(buf, "0.3 s");
	hi_axis_label(buf, sizeof buf, -1e-17, 0.1, 1, "s");
	CU_ASSERT_STRING_EQUAL(buf, "0.0 s");
}

static char *xml(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	hi_xml_text(f, s);
	fclose(f);
	return buf;
}

static void xml_text_is_always_well_formed(void)
{
	char *s;
	CU_ASSERT_STRING_EQUAL((s = xml("dict of <lambda> & \"x\" 'y'")),
			       "dict of &lt;lambda&gt; &amp; &quot;x&quot; &apos;y&apos;");
	free(s);
	CU_ASSERT_STRING_EQUAL((s = xml("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d")), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d");
	free(s);
	/* Control characters, stray bytes, overlong forms, surrogates.  */
	CU_ASSERT_STRING_EQUAL((s = xml("a\x01" "b\x7f" "c\xff" "d\xc0\xaf" "e\xed\xa0\x80" "f\xe2\x82")),
			       "a?b?c?d??e???f??");
	free(s);
	CU_ASSERT_STRING_EQUAL((s = xml("tab\tand\nnewline")), "tab\tand\nnewline");
	free(s);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void a_chart_has_a_polyline_per_series(void)
{
	double x[] = { 0, 60, 120, 240 }, a[] = { 1e6, 2e6, 3e6, 4.5e6 }, b[] = { 5e5, 6e5 };
	struct hi_plot_series s[] = { { "RSS", x, a, 4, 1 }, { "dict of <x>", x + 2, b, 2, 0 } };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CU_ASSERT_EQUAL(hi_svgplot_write(f, "t & t", s, 2), 0);
	fclose(f);
	CU_ASSERT_EQUAL(count(buf, "<polyline class=\"series\""), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "<title>dict of &lt;x&gt;</title>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, ">t &amp; t</text>"));
	/* 240 s is more than 3 minutes: the axis is in minutes, 0 to 4 in
	 * steps of 0.5; 4.5e6 bytes, 4.3 MiB: 0 to 5 MiB in steps of 1.  */
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, ">4.0 min</text>"));
	CU_ASSERT_EQUAL(count(buf, "class=\"xtick\""), 9);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, ">5 MiB</text>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "(peak 4.3 MiB)"));
	CU_ASSERT_EQUAL(count(buf, "class=\"ytick\""), 6);
	free(buf);
}

int hi_suite_svgplot(void)
{
	CU_pSuite s = CU_add_suite("svgplot", NULL, NULL);
	if (!s || !CU_add_test(s, "ticks of known ranges", ticks_of_known_ranges) ||
	    !CU_add_test(s, "ticks cover, fit and are tight", ticks_cover_fit_and_are_tight) ||
	    !CU_add_test(s, "units and labels", units_and_labels) ||
	    !CU_add_test(s, "xml text is always well-formed", xml_text_is_always_well_formed) ||
	    !CU_add_test(s, "a chart has a polyline per series", a_chart_has_a_polyline_per_series))
		return -1;
	return 0;
}
