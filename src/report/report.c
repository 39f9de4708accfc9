/* report.c: see report.h.  */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "report/report.h"

/* Percent of PART in WHOLE as heapy prints it: int('%.0f' % (a*100.0/b)),
 * so halves round to even, exactly as printf's %.0f does.  */
int hi_report_percent(uint64_t part, uint64_t whole)
{
	char buf[32];
	if (!whole)
		return 0;
	snprintf(buf, sizeof buf, "%.0f", (double)part * 100.0 / (double)whole);
	return atoi(buf);
}

/* A CSV field: quoted when it holds a comma, quote or line break.  */
void hi_csv_field(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

void hi_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		case '\r': fputs("\\r", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

