/* report.h: the small rules of text that every format shares: heapy's
 * percentages, CSV fields and JSON strings.  */
#ifndef HI_REPORT_H
#define HI_REPORT_H
#include <stdio.h>
#include <stdint.h>

/* PART of WHOLE in percent, rounded as heapy's table rounds it.  */
int hi_report_percent(uint64_t part, uint64_t whole);

/* Write S as a CSV field: quoted (RFC 4180) when it holds a comma, a
 * quote or a line break.  */
void hi_csv_field(FILE *out, const char *s);

/* Write S as a JSON string literal, quotes included.  */
void hi_json_string(FILE *out, const char *s);

#endif
