/* report.h: census -> text.  Pure formatting, testable on synthetic data.
 *
 * The table reproduces heapy's (guppy3) partition table; JSON gives the
 * same rows for scripts.  Output goes to a stdio stream (use
 * open_memstream to build a string).  */
#ifndef HI_REPORT_H
#define HI_REPORT_H
#include <stdio.h>
#include <sys/types.h>
#include "census.h"

/* heapy's table.  ALL: print every row; otherwise, with 12 or more rows,
 * print 10 and a "<N more rows...>" line.  Returns 0 or -1 (no memory). */
int hi_report_table(FILE *out, const struct hi_census *c, int all);

/* One JSON object: pid, python version, objects, size, by, rows.  */
int hi_report_json(FILE *out, const struct hi_census *c, pid_t pid, const char *python);

/* Write S as a JSON string literal, quotes included.  */
void hi_json_string(FILE *out, const char *s);

#endif
