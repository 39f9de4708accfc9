/* watchfile.h: the CSV file `watch` writes and `plot` reads.
 *
 * Long format, one value a row:
 *
 *   sample,time,seconds,series,kind,value
 *   0,2026-11-21T14:11:02.125+01:00,0.000,rss_bytes,,45232128
 *   0,2026-11-21T14:11:02.125+01:00,0.000,kind_bytes,list,3203456
 *   0,2026-11-21T14:11:02.125+01:00,0.000,kind_count,list,41820
 *
 * sample counts from 0; time is the wall clock (ISO 8601, milliseconds,
 * UTC offset); seconds run from the first sample on the monotonic clock;
 * series is one of the HI_SERIES_* names, and kind is set only for
 * kind_bytes and kind_count.  The set of kinds may change from sample to
 * sample, so a long file keeps one header valid for ever: `watch`
 * appends and flushes each sample as it is taken, and the file is
 * complete after every sample, whatever ends the watch.  A kind written
 * for the first time in a later sample brings its earlier values with
 * it, rows of the earlier samples' numbers and times (from the watch's
 * history): a series runs from the first sample however late its kind
 * came to matter.  Files of format 1 had no kind_count.  */
#ifndef HI_WATCHFILE_H
#define HI_WATCHFILE_H
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "census/census.h"
#include "proc/rollup.h"

#define HI_WATCH_HEADER "sample,time,seconds,series,kind,value"

#define HI_SERIES_RSS "rss_bytes"
#define HI_SERIES_PSS "pss_bytes"
#define HI_SERIES_SWAP "swap_bytes"
#define HI_SERIES_OBJECTS "census_objects"
#define HI_SERIES_BYTES "census_bytes"
#define HI_SERIES_PAUSE "pause_ms"
#define HI_SERIES_KIND "kind_bytes"
#define HI_SERIES_KIND_COUNT "kind_count"

struct hi_watch_kind {
	const char *name;
	uint64_t bytes, count;
	int first;		/* written for the first time: with its history */
};

struct hi_watch_sample {
	unsigned long index;
	struct timespec wall;	/* CLOCK_REALTIME when it was taken */
	double seconds;		/* since the first sample */
	struct hi_rollup mem;
	uint64_t objects, bytes;	/* the census */
	double pause_ms;
	const struct hi_watch_kind *kinds;
	size_t nkinds;
};

/* Which kinds a sample writes: the census's TOP largest, then every kind
 * an earlier sample wrote (the sticky ones), so that a kind's series goes
 * on once it started, with 0 bytes where a census lacks it.  Up to
 * HI_WATCH_STICKY_PER_TOP * TOP kinds become sticky; leaders beyond that
 * are written while they lead, and their series then ends.  */
#define HI_WATCH_STICKY_PER_TOP 4

struct hi_watch_sticky {
	char **name;
	size_t n, cap;
	struct hi_census written;	/* every kind written so far */
};

/* Every kind's count and bytes in each sample taken so far, for the rows
 * of a kind written late.  At most HI_WATCH_HISTORY_ENTRIES values are
 * kept (20 bytes each); past that the oldest samples are dropped, and a
 * late kind's series starts at the oldest sample kept.  */
#define HI_WATCH_HISTORY_ENTRIES (4u << 20)

struct hi_watch_past {
	unsigned long index;
	struct timespec wall;
	double seconds;
	size_t n;
	uint32_t *kind;		/* ids in the history's names */
	uint64_t *count, *bytes;
};

struct hi_watch_history {
	struct hi_watch_past *s;
	size_t first, n, cap;	/* the samples kept: s[first, n) */
	uint64_t entries;
	struct hi_census names;
};

/* Keep census C's every kind, as sample S.  0, or -1 out of memory.  */
int hi_watch_history_add(struct hi_watch_history *h, const struct hi_watch_sample *s, const struct hi_census *c);
void hi_watch_history_free(struct hi_watch_history *h);

/* The kinds of census C to write, largest TOP first, then the sticky
 * ones (STICKY, updated) not already listed; a sticky kind C lacks is
 * added to C with no objects.  *OUT (*NOUT entries, names included) is
 * malloc'd: free it with hi_watch_kinds_free.  Returns 0, or -1 out of
 * memory (then *OUT is not set).  */
int hi_watch_pick_kinds(struct hi_census *c, size_t top, struct hi_watch_sticky *sticky, struct hi_watch_kind **out,
			size_t *nout);
void hi_watch_kinds_free(struct hi_watch_kind *k, size_t n);
void hi_watch_sticky_free(struct hi_watch_sticky *s);

/* Write the header line, or one sample's rows: for a kind written the
 * first time, its rows of the samples in H before S first (H may be
 * NULL).  Errors show in ferror(OUT).  */
void hi_watchfile_header(FILE *out);
void hi_watchfile_sample(FILE *out, const struct hi_watch_sample *s, struct hi_watch_history *h);

/* WALL as ISO 8601 local time with milliseconds and the UTC offset
 * ("2026-11-21T14:11:02.125+01:00").  */
void hi_watchfile_time(char *buf, size_t size, const struct timespec *wall);

/* One series read back: its points in file order.  */
struct hi_watch_series {
	char *series;		/* "rss_bytes", ... */
	char *kind;		/* for kind_bytes, else "" */
	double *x, *y;		/* seconds, value */
	size_t n, cap;
	double peak;		/* largest value */
};

struct hi_watch_data {
	struct hi_watch_series *s;
	size_t n, cap;
	unsigned long samples;	/* distinct sample numbers */
	double seconds;		/* the last sample's */
	int has_counts;		/* kind_count rows (watch files since they were added) */
};

/* Read a watch file.  Returns 0, or -1 with hi_errmsg() set to one line
 * naming PATH and the line at fault ("w.csv:12: 4 fields, expected 6").
 * Series it does not know are kept like the others.  A kind's rows of an
 * earlier sample (written when it first mattered) are put in their
 * place: each series' points come in the order of time.  */
int hi_watchfile_read(const char *path, struct hi_watch_data *d);

/* The series SERIES (and KIND, for kind_bytes), or NULL.  */
struct hi_watch_series *hi_watchfile_find(const struct hi_watch_data *d, const char *series, const char *kind);

void hi_watchfile_free(struct hi_watch_data *d);

#endif
