/* report.h: census -> text.  Pure formatting, testable on synthetic data.
 *
 * The table reproduces heapy's (guppy3) partition table (JSON, Tcl and
 * CSV: describe.h).  Output goes to a stdio stream (use
 * open_memstream to build a string).  */
#ifndef HI_REPORT_H
#define HI_REPORT_H
#include <stdio.h>
#include <sys/types.h>
#include "census/census.h"

/* heapy's table.  ALL: print every row; otherwise, with 12 or more rows,
 * print 10 and a "<N more rows...>" line.  Returns 0 or -1 (no memory). */
int hi_report_table(FILE *out, const struct hi_census *c, int all);

/* The rows from index START on, as heapy's `.more` prints them: the column
 * header (no label), then 10 rows and a "<N more rows...>" line, or all
 * that remain when they are 11 or fewer.  Returns the index after the last
 * row printed, or -1.  */
long hi_report_more(FILE *out, const struct hi_census *c, size_t start);

/* PART of WHOLE in percent, rounded as heapy's table rounds it.  */
int hi_report_percent(uint64_t part, uint64_t whole);

struct hi_diff;

/* The difference B - A (baseline.h): a summary line for A, B and B-A, then
 * one row per changed kind, largest size change first.  ALL as for
 * hi_report_table.  WHAT names A ("the baseline", a file).  */
void hi_report_diff_table(FILE *out, const struct hi_diff *d, const char *what, int all);

/* Write S as a CSV field: quoted (RFC 4180) when it holds a comma, a
 * quote or a line break.  */
void hi_csv_field(FILE *out, const char *s);

/* Write S as a JSON string literal, quotes included.  */
void hi_json_string(FILE *out, const char *s);

#endif
