/* test-watchfile.c: the watch CSV written and read back, each kind of
 * malformed file rejected with its file and line, and which kinds each
 * sample writes.  */
#include "config.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "util/error.h"
#include "suites.h"
#include "report/growth.h"
#include "report/watchfile.h"

static char path[64];

static void write_text(const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static int setup(void)
{
	strcpy(path, "/tmp/heapinspect-unit-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void)
{
	unlink(path);
	return 0;
}

static void written_samples_read_back(void)
{
	/* A kind name that needs CSV quoting: comma, quotes, a line break. */
	const char *odd = "__main__.Leak, \"quoted\"\nand <more>";
	struct hi_watch_kind k0[] = { { "list", 300, 3, 0 }, { odd, 200, 2, 0 } };
	struct hi_watch_kind k1[] = { { odd, 900, 9, 0 }, { "list", 400, 4, 0 }, { "str", 100, 1, 0 } };
	struct hi_watch_sample s[2] = {
		{ .index = 0, .wall = { 1700000000, 125000000 }, .seconds = 0, .objects = 10, .bytes = 1000,
		  .pause_ms = 1.5, .kinds = k0, .nkinds = 2 },
		{ .index = 1, .wall = { 1700000001, 999000000 }, .seconds = 1.25, .objects = 20, .bytes = 2000,
		  .pause_ms = 2.25, .kinds = k1, .nkinds = 3 },
	};
	s[0].mem.rss = 4096000;
	s[0].mem.pss = 4000000;
	s[1].mem.rss = 8192000;
	s[1].mem.swap = 12288;
	FILE *f = fopen(path, "w");
	hi_watchfile_header(f);
	hi_watchfile_sample(f, &s[0], NULL);
	hi_watchfile_sample(f, &s[1], NULL);
	CU_ASSERT_EQUAL(fclose(f), 0);

	struct hi_watch_data d;
	CU_ASSERT_EQUAL_FATAL(hi_watchfile_read(path, &d), 0);
	CU_ASSERT_EQUAL(d.samples, 2);
	CU_ASSERT_DOUBLE_EQUAL(d.seconds, 1.25, 1e-9);
	CU_ASSERT_EQUAL(d.n, 6 + 3 * 2);	/* six totals, three kinds' bytes and counts */
	CU_ASSERT(d.has_counts);
	struct hi_watch_series *w = hi_watchfile_find(&d, HI_SERIES_RSS, NULL);
	CU_ASSERT_FATAL(w && w->n == 2);
	CU_ASSERT_DOUBLE_EQUAL(w->y[0], 4096000, 0);
	CU_ASSERT_DOUBLE_EQUAL(w->y[1], 8192000, 0);
	CU_ASSERT_DOUBLE_EQUAL(w->x[1], 1.25, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(w->peak, 8192000, 0);
	w = hi_watchfile_find(&d, HI_SERIES_SWAP, NULL);
	CU_ASSERT(w && w->n == 2 && w->y[1] == 12288);
	w = hi_watchfile_find(&d, HI_SERIES_PAUSE, NULL);
	CU_ASSERT(w && w->n == 2 && w->y[1] == 2.25);
	w = hi_watchfile_find(&d, HI_SERIES_KIND, odd);
	CU_ASSERT(w && w->n == 2 && w->y[0] == 200 && w->y[1] == 900);
	w = hi_watchfile_find(&d, HI_SERIES_KIND_COUNT, odd);
	CU_ASSERT(w && w->n == 2 && w->y[0] == 2 && w->y[1] == 9);
	w = hi_watchfile_find(&d, HI_SERIES_KIND, "str");	/* from the second sample on */
	CU_ASSERT(w && w->n == 1 && w->x[0] == 1.25 && w->y[0] == 100);
	CU_ASSERT_PTR_NULL(hi_watchfile_find(&d, HI_SERIES_KIND, "dict"));
	hi_watchfile_free(&d);
}

/* A kind first written in sample 2 brings its rows of samples 0 and 1
 * from the history (0 where a census lacked it), and reads back as one
 * series from sample 0, in order of time.  */
static void late_kind_brings_its_history(void)
{
	struct hi_watch_history h = { 0 };
	struct hi_watch_sticky sticky = { 0 };
	struct hi_watch_sample s[3];
	struct hi_watch_kind *k[3] = { NULL };
	size_t nk[3] = { 0 };
	uint64_t leak[3] = { 0, 7, 12 };	/* count of "Leak": absent, then growing */
	FILE *f = fopen(path, "w");
	hi_watchfile_header(f);
	for (unsigned long i = 0; i < 3; i++) {
		struct hi_census c;
		hi_census_init(&c, "kind");
		uint32_t big = hi_census_kind(&c, "big");
		for (int j = 0; j < 10; j++)
			hi_census_add(&c, big, 1000);
		uint32_t l = hi_census_kind(&c, "Leak");
		for (uint64_t j = 0; j < leak[i]; j++)
			hi_census_add(&c, l, i == 2 ? 5000 : 10);	/* large only in sample 2 */
		s[i] = (struct hi_watch_sample){ .index = i, .wall = { 1700000000 + (time_t)i, 0 }, .seconds = (double)i };
		/* The largest kind only: "Leak" is written from sample 2.  */
		CU_ASSERT_EQUAL_FATAL(hi_watch_pick_kinds(&c, 1, &sticky, &k[i], &nk[i]), 0);
		s[i].kinds = k[i];
		s[i].nkinds = nk[i];
		hi_watchfile_sample(f, &s[i], &h);
		CU_ASSERT_EQUAL(hi_watch_history_add(&h, &s[i], &c), 0);
		hi_census_free(&c);
	}
	CU_ASSERT(nk[2] >= 1 && !strcmp(k[2][0].name, "Leak") && k[2][0].first);
	CU_ASSERT(nk[0] == 1 && k[0][0].first && nk[1] == 1 && !k[1][0].first);
	for (int i = 0; i < 3; i++)
		hi_watch_kinds_free(k[i], nk[i]);
	CU_ASSERT_EQUAL(fclose(f), 0);
	hi_watch_sticky_free(&sticky);
	hi_watch_history_free(&h);
	struct hi_watch_data d;
	CU_ASSERT_EQUAL_FATAL(hi_watchfile_read(path, &d), 0);
	CU_ASSERT_EQUAL(d.samples, 3);
	CU_ASSERT_DOUBLE_EQUAL(d.seconds, 2, 1e-9);
	struct hi_watch_series *w = hi_watchfile_find(&d, HI_SERIES_KIND_COUNT, "Leak");
	CU_ASSERT(w && w->n == 3 && w->x[0] == 0 && w->x[1] == 1 && w->x[2] == 2 && w->y[0] == 0 && w->y[1] == 7 &&
		  w->y[2] == 12);
	w = hi_watchfile_find(&d, HI_SERIES_KIND, "Leak");
	CU_ASSERT(w && w->n == 3 && w->y[0] == 0 && w->y[1] == 70 && w->y[2] == 60000);
	w = hi_watchfile_find(&d, HI_SERIES_KIND, "big");
	CU_ASSERT(w && w->n == 3 && w->y[0] == 10000 && w->y[2] == 10000);
	hi_watchfile_free(&d);
}

/* The shapes growth tells apart.  */
static void growth_trends(void)
{
	double x[12], leak[12], cache[12], flat[12], gone[12];
	for (int i = 0; i < 12; i++) {
		x[i] = i;
		leak[i] = 1000.0 * i;
		cache[i] = i < 3 ? 4000.0 * i : 12000;
		flat[i] = 500 + (i & 1);
		gone[i] = 12000 - 1000.0 * i;
	}
	struct hi_fit f;
	hi_fit_line(x, leak, 12, &f);
	CU_ASSERT(hi_fit_trend(&f) == HI_TREND_STEADY && fabs(f.slope - 1000) < 1e-6 && fabs(f.r2 - 1) < 1e-9 &&
		  fabs(f.late - 1000) < 1e-6 && f.first == 0 && f.last == 11000);
	hi_fit_line(x, cache, 12, &f);
	CU_ASSERT(hi_fit_trend(&f) == HI_TREND_LEVELS_OFF && f.late == 0 && f.early > 0);
	hi_fit_line(x, flat, 12, &f);
	CU_ASSERT(hi_fit_trend(&f) == HI_TREND_FLAT);
	hi_fit_line(x, gone, 12, &f);
	CU_ASSERT(hi_fit_trend(&f) == HI_TREND_SHRINKS);
	hi_fit_line(x, leak, 3, &f);	/* too few points to tell how */
	CU_ASSERT(hi_fit_trend(&f) == HI_TREND_GROWS);
	CU_ASSERT_STRING_EQUAL(hi_trend_name(HI_TREND_STEADY), "grows steadily");
}

static void time_is_iso_8601_with_offset(void)
{
	char buf[64];
	struct timespec t = { 1700000000, 7000000 };
	setenv("TZ", "XST-5:30", 1);	/* POSIX for UTC+05:30: the minutes must show */
	tzset();
	hi_watchfile_time(buf, sizeof buf, &t);
	CU_ASSERT_STRING_EQUAL(buf, "2023-11-15T03:43:20.007+05:30");
	setenv("TZ", "UTC0", 1);
	tzset();
	hi_watchfile_time(buf, sizeof buf, &t);
	CU_ASSERT_STRING_EQUAL(buf, "2023-11-14T22:13:20.007+00:00");
	unsetenv("TZ");
	tzset();
}

/* TEXT must be refused with "PATH:LINE: ..." containing WHAT.  */
static void refused(const char *text, unsigned line, const char *what)
{
	char want[128];
	struct hi_watch_data d;
	write_text(text);
	snprintf(want, sizeof want, "%s:%u: ", path, line);
	int rc = hi_watchfile_read(path, &d);
	CU_ASSERT_EQUAL(rc, -1);
	if (rc == 0)
		hi_watchfile_free(&d);
	int ok = rc == -1 && strncmp(hi_errmsg(), want, strlen(want)) == 0 && strstr(hi_errmsg(), what) &&
		 !strchr(hi_errmsg(), '\n');
	if (!ok)
		printf("# wanted \"%s...%s\", got \"%s\"\n", want, what, hi_errmsg());
	CU_ASSERT(ok);
}

#define H HI_WATCH_HEADER "\n"
#define ROW "0,2026-01-01T00:00:00.000+00:00,0.000,rss_bytes,,100\n"

static void malformed_files_name_file_and_line(void)
{
	refused("", 1, "empty");
	refused("a,b,c\n" ROW, 1, "not a heapinspect watch file");
	refused(H, 2, "no samples");
	refused(H ROW "0,2026,0.000,rss_bytes,100\n", 3, "5 fields, expected 6");
	refused(H ROW "\n" ROW, 3, "1 field, expected 6");
	refused(H ROW ROW "0,t,0.0,kind_bytes,\"never closed,1\n" ROW, 4, "never closed");
	refused(H ROW "0,t,0.0,kind_bytes,\"a\"b,1\n", 3, "after the closing quote");
	refused(H ROW "0,t,0.0,kind_bytes,a\"b,1\n", 3, "quote inside an unquoted field");
	refused(H ROW "x,t,0.0,rss_bytes,,1\n", 3, "sample \"x\" is not a number");
	refused(H "1,t,0.0,rss_bytes,,1\n" ROW, 3, "comes after a later one");
	refused(H ROW "0,,0.0,rss_bytes,,1\n", 3, "no time");
	refused(H ROW "0,t,soon,rss_bytes,,1\n", 3, "seconds \"soon\"");
	refused(H ROW "0,t,-1,rss_bytes,,1\n", 3, "seconds \"-1\"");
	refused(H ROW "0,t,0.0,,,1\n", 3, "no series name");
	refused(H ROW "0,t,0.0,rss_bytes,,12kB\n", 3, "value \"12kB\" is not a number");
	refused(H ROW "0,t,0.0,rss_bytes,,nan\n", 3, "value \"nan\"");
	refused(H ROW "0,t,0.0,rss_bytes,list,1\n", 3, "a kind belongs with");
	refused(H ROW "0,t,0.0,kind_bytes,,1\n", 3, "a kind belongs with");
	refused(H ROW "0,t,0.0,rss_bytes,,1\r\r\n", 3, "carriage return");
	/* A quoted line break counts: the error is on the line after it.  */
	refused(H "0,t,0.0,kind_bytes,\"two\nlines\",1\n0,t,0.0,x\n", 4, "4 fields");
	/* A NUL byte.  */
	FILE *f = fopen(path, "w");
	fputs(H ROW, f);
	fwrite("0,t,0\0,x,,1\n", 1, 12, f);
	fclose(f);
	struct hi_watch_data d;
	CU_ASSERT_EQUAL(hi_watchfile_read(path, &d), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(hi_errmsg(), ":3: a NUL byte"));
	/* Fine: CRLF line ends, no newline at the end, unknown series.  */
	write_text("sample,time,seconds,series,kind,value\r\n0,t,0.5,rss_bytes,,1\r\n1,t,1,future,,2");
	CU_ASSERT_EQUAL_FATAL(hi_watchfile_read(path, &d), 0);
	CU_ASSERT_EQUAL(d.samples, 2);
	CU_ASSERT_PTR_NOT_NULL(hi_watchfile_find(&d, "future", NULL));
	hi_watchfile_free(&d);
	/* A missing file.  */
	unlink(path);
	CU_ASSERT_EQUAL(hi_watchfile_read(path, &d), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(hi_errmsg(), "No such file"));
}

/* A census of kinds NAMES[i] with SIZES[i] bytes (one object each; a
 * size of 0 leaves the kind out).  */
static void census_of(struct hi_census *c, const char *const *names, const uint64_t *sizes, size_t n)
{
	hi_census_init(c, "kind");
	for (size_t i = 0; i < n; i++)
		if (sizes[i])
			hi_census_add(c, hi_census_kind(c, names[i]), sizes[i]);
}

/* "name=bytes name=bytes ..." of one sample's picks.  */
static void picks(struct hi_census *c, size_t top, struct hi_watch_sticky *sticky, char *buf, size_t size)
{
	struct hi_watch_kind *k = NULL;
	size_t n = 0, used = 0;
	buf[0] = '\0';
	CU_ASSERT_EQUAL_FATAL(hi_watch_pick_kinds(c, top, sticky, &k, &n), 0);
	for (size_t i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s=%llu", i ? " " : "", k[i].name,
					 (unsigned long long)k[i].bytes);
	hi_watch_kinds_free(k, n);
}

static void kinds_stay_once_written(void)
{
	static const char *const names[] = { "A", "B", "C", "D" };
	struct hi_watch_sticky sticky = { 0 };
	struct hi_census c;
	char got[256];

	/* The largest two, by size.  */
	census_of(&c, names, (const uint64_t[]){ 100, 50, 10, 0 }, 4);
	picks(&c, 2, &sticky, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "A=100 B=50");
	hi_census_free(&c);
	/* C leads now; B, written before, goes on after the top two.  */
	census_of(&c, names, (const uint64_t[]){ 100, 1, 200, 0 }, 4);
	picks(&c, 2, &sticky, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "C=200 A=100 B=1");
	hi_census_free(&c);
	/* B is gone from the census: written with 0 bytes, not dropped.  */
	census_of(&c, names, (const uint64_t[]){ 100, 0, 200, 5 }, 4);
	picks(&c, 2, &sticky, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "C=200 A=100 B=0");
	hi_census_free(&c);
	CU_ASSERT_EQUAL(sticky.n, 3);
	hi_watch_sticky_free(&sticky);

	/* At most HI_WATCH_STICKY_PER_TOP * TOP become sticky: with TOP 1,
	 * the fifth leader is written while it leads, then its series ends. */
	static const char *const five[] = { "K1", "K2", "K3", "K4", "K5" };
	for (int lead = 0; lead < 5; lead++) {
		uint64_t sizes[5] = { 1, 1, 1, 1, 1 };
		sizes[lead] = 100;
		census_of(&c, five, sizes, 5);
		picks(&c, 1, &sticky, got, sizeof got);
		hi_census_free(&c);
	}
	CU_ASSERT_EQUAL(sticky.n, HI_WATCH_STICKY_PER_TOP);
	CU_ASSERT_STRING_EQUAL(got, "K5=100 K1=1 K2=1 K3=1 K4=1");
	census_of(&c, five, (const uint64_t[]){ 100, 1, 1, 1, 1 }, 5);
	picks(&c, 1, &sticky, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "K1=100 K2=1 K3=1 K4=1");
	hi_census_free(&c);
	hi_watch_sticky_free(&sticky);

	/* TOP 0: nothing, and nothing becomes sticky.  */
	census_of(&c, names, (const uint64_t[]){ 100, 50, 10, 0 }, 4);
	picks(&c, 0, &sticky, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "");
	CU_ASSERT_EQUAL(sticky.n, 0);
	hi_census_free(&c);
	hi_watch_sticky_free(&sticky);
}

int hi_suite_watchfile(void)
{
	CU_pSuite s = CU_add_suite("watchfile", setup, teardown);
	if (!s || !CU_add_test(s, "written samples read back", written_samples_read_back) ||
	    !CU_add_test(s, "a kind written late brings its history", late_kind_brings_its_history) ||
	    !CU_add_test(s, "growth tells a leak from a cache", growth_trends) ||
	    !CU_add_test(s, "time is ISO 8601 with its offset", time_is_iso_8601_with_offset) ||
	    !CU_add_test(s, "malformed files name file and line", malformed_files_name_file_and_line) ||
	    !CU_add_test(s, "a kind once written stays, within bounds", kinds_stay_once_written))
		return -1;
	return 0;
}
