/* test-report.c: heapy's partition table and the JSON report, byte for
 * byte.
 *
 * Expected tables follow guppy3: SetFormat's row format, int('%.0f')
 * percentages, the 10-row cut with a "more rows" line, and each row passed
 * through textwrap.wrap(width=100, subsequent_indent=len(prefix)).  */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "census/census.h"
#include "report/censusfile.h"
#include "report/describe.h"
#include "report/emit.h"
#include "util/error.h"
#include "report/report.h"
#include "report/view.h"
#include "suites.h"

/* The continuation indent: as wide as a row's numbers. */
#define IND "                                             "
_Static_assert(sizeof IND == 46, "IND must be 45 spaces");

#define HEAD_KIND " Index  Count   %     Size   % Cumulative  % Kind (class / dict of class)\n"
#define HEAD_KIND_LINE " Index  Count   %     Size   % Cumulative  % Kind (class / dict of class)"
#define HEAD_TYPE " Index  Count   %     Size   % Cumulative  % Type\n"
/* Row 0 of a census holding one object of 10 bytes. */
#define ROW0_1_10 "     0      1 100       10 100        10 100 "

static void add_objects(struct hi_census *c, const char *kind, int n, uint64_t size_each)
{
	uint32_t k = hi_census_kind(c, kind);
	CU_ASSERT_FATAL(k != UINT32_MAX);
	for (int i = 0; i < n; i++)
		hi_census_add(c, k, size_each);
}

static char *table_of(const struct hi_census *c, int all)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	struct hi_emit *e = hi_emit_tcl();
	if (!e) {
		fclose(f);
		free(buf);
		return NULL;
	}
	hi_census_describe(e, c, 1, "3.12");
	Tcl_Obj *v = hi_emit_finish(e);
	Tcl_IncrRefCount(v);
	hi_view_render(f, v, hi_census_view_of(c), all);
	Tcl_DecrRefCount(v);
	fclose(f);
	return buf;
}

static char *json_of(const struct hi_census *c, pid_t pid, const char *python)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	struct hi_emit *e = hi_emit_json(f);
	if (!e) {
		fclose(f);
		free(buf);
		return NULL;
	}
	hi_census_describe(e, c, pid, python);
	hi_emit_finish(e);
	fclose(f);
	return buf;
}

static char *json_string_of(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	hi_json_string(f, s);
	fclose(f);
	return buf;
}

/* On a mismatch, show both texts as TAP comments: CUnit only prints the
 * expression.  */
static void show_text(const char *label, const char *s)
{
	printf("# %s:\n", label);
	if (!s) {
		printf("#   (null)\n");
		return;
	}
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, "\n");
		printf("#   |%.*s|\n", (int)n, p);
		p += n;
		if (*p)
			p++;
	}
}

#define CHECK_TEXT(got, want)                                   \
	do {                                                    \
		const char *g_ = (got), *w_ = (want);           \
		if (!g_ || strcmp(g_, w_) != 0) {               \
			show_text("expected", w_);              \
			show_text("got", g_);                   \
		}                                               \
		CU_ASSERT_STRING_EQUAL(g_ ? g_ : "(null)", w_); \
	} while (0)

/* Line N (from 0) of S without its newline, in a static buffer. */
static const char *line_at(const char *s, int n)
{
	static char buf[512];
	for (; n > 0 && s; n--) {
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	if (!s || !*s)
		return "(no such line)";
	size_t len = strcspn(s, "\n");
	if (len >= sizeof buf)
		len = sizeof buf - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- header and rows ---- */

static void one_object_is_singular(void)
{
	struct hi_census c;
	hi_census_init(&c, "kind");
	add_objects(&c, "str", 1, 56);
	char *t = table_of(&c, 0);
	CHECK_TEXT(t, "Partition of a set of 1 object. Total size = 56 bytes.\n"
		   HEAD_KIND
		   "     0      1 100       56 100        56 100 str\n");
	free(t);
	hi_census_free(&c);
}

static void percentages_round_half_to_even(void)
{
	struct hi_census c;
	/* 7/8 = 87.5% -> 88 and 1/8 = 12.5% -> 12, in counts and sizes. */
	hi_census_init(&c, "kind");
	add_objects(&c, "tuple", 7, 100);
	add_objects(&c, "float", 1, 100);
	char *t = table_of(&c, 0);
	CHECK_TEXT(t, "Partition of a set of 8 objects. Total size = 800 bytes.\n"
		   HEAD_KIND
		   "     0      7  88      700  88       700  88 tuple\n"
		   "     1      1  12      100  12       800 100 float\n");
	free(t);
	hi_census_free(&c);

	/* 99.5 -> 100 and 0.5 -> 0. */
	hi_census_init(&c, "kind");
	add_objects(&c, "big", 199, 1);
	add_objects(&c, "tiny", 1, 1);
	t = table_of(&c, 0);
	CHECK_TEXT(t, "Partition of a set of 200 objects. Total size = 200 bytes.\n"
		   HEAD_KIND
		   "     0    199 100      199 100       199 100 big\n"
		   "     1      1   0        1   0       200 100 tiny\n");
	free(t);
	hi_census_free(&c);

	/* 97.5 -> 98 and 2.5 -> 2. */
	hi_census_init(&c, "kind");
	add_objects(&c, "a", 39, 1);
	add_objects(&c, "b", 1, 1);
	t = table_of(&c, 0);
	CHECK_TEXT(t, "Partition of a set of 40 objects. Total size = 40 bytes.\n"
		   HEAD_KIND
		   "     0     39  98       39  98        39  98 a\n"
		   "     1      1   2        1   2        40 100 b\n");
	free(t);
	hi_census_free(&c);
}

static void by_type_says_type(void)
{
	struct hi_census c;
	hi_census_init(&c, "type");
	add_objects(&c, "int", 3, 28);
	char *t = table_of(&c, 0);
	CHECK_TEXT(t, "Partition of a set of 3 objects. Total size = 84 bytes.\n"
		   HEAD_TYPE
		   "     0      3 100       84 100        84 100 int\n");
	free(t);
	hi_census_free(&c);
}

/* N kinds k00, k01, ... of one 100-byte object each: equal sizes, so rows
 * come in name order.  */
static void fill_kinds(struct hi_census *c, int n)
{
	char name[16];
	hi_census_init(c, "kind");
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof name, "k%02d", i);
		add_objects(c, name, 1, 100);
	}
}

static void eleven_rows_all_shown(void)
{
	struct hi_census c;
	fill_kinds(&c, 11);
	char *t = table_of(&c, 0);
	/* heapy only cuts when at least 2 rows would be hidden. */
	CU_ASSERT_EQUAL(count_lines(t), 2 + 11);
	CU_ASSERT_STRING_EQUAL(line_at(t, 0), "Partition of a set of 11 objects. Total size = 1100 bytes.");
	CU_ASSERT_STRING_EQUAL(line_at(t, 12), "    10      1   9      100   9      1100 100 k10");
	CU_ASSERT_PTR_NULL(t ? strstr(t, "more rows") : NULL);
	free(t);
	hi_census_free(&c);
}

static void twelve_rows_cut_at_ten(void)
{
	struct hi_census c;
	fill_kinds(&c, 12);
	char *t = table_of(&c, 0);
	CU_ASSERT_EQUAL(count_lines(t), 2 + 10 + 1);
	CU_ASSERT_STRING_EQUAL(line_at(t, 2), "     0      1   8      100   8       100   8 k00");
	CU_ASSERT_STRING_EQUAL(line_at(t, 11), "     9      1   8      100   8      1000  83 k09");
	CU_ASSERT_STRING_EQUAL(line_at(t, 12), "<2 more rows. Type e.g. 'more' to view.>");
	free(t);

	/* ALL shows every row and no "more" line. */
	t = table_of(&c, 1);
	CU_ASSERT_EQUAL(count_lines(t), 2 + 12);
	CU_ASSERT_STRING_EQUAL(line_at(t, 13), "    11      1   8      100   8      1200 100 k11");
	CU_ASSERT_PTR_NULL(t ? strstr(t, "more rows") : NULL);
	free(t);
	hi_census_free(&c);

	fill_kinds(&c, 13);
	t = table_of(&c, 0);
	CU_ASSERT_EQUAL(count_lines(t), 2 + 10 + 1);
	CU_ASSERT_STRING_EQUAL(line_at(t, 12), "<3 more rows. Type e.g. 'more' to view.>");
	free(t);
	hi_census_free(&c);
}

/* heapy's .more: the heading and the next 10 rows of 12 or more left,
 * else all that are left, drawn from the same description.  */
static void more_continues_where_the_table_stopped(void)
{
	struct hi_census c;
	fill_kinds(&c, 25);
	struct hi_emit *e = hi_emit_tcl();
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	hi_census_describe(e, &c, 1, "3.12");
	Tcl_Obj *v = hi_emit_finish(e);
	Tcl_IncrRefCount(v);
	char *t = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&t, &len);
	CU_ASSERT_EQUAL(hi_view_render(f, v, &hi_census_view, 0), 10);
	fclose(f);
	free(t);
	f = open_memstream(&t, &len);
	CU_ASSERT_EQUAL(hi_view_more(f, v, &hi_census_view, 10), 20);
	fclose(f);
	CU_ASSERT_EQUAL(count_lines(t), 1 + 10 + 1);
	CU_ASSERT_STRING_EQUAL(line_at(t, 0), HEAD_KIND_LINE);
	CU_ASSERT_STRING_EQUAL(line_at(t, 1), "    10      1   4      100   4      1100  44 k10");
	CU_ASSERT_STRING_EQUAL(line_at(t, 11), "<5 more rows. Type e.g. 'more' to view.>");
	free(t);
	f = open_memstream(&t, &len);
	CU_ASSERT_EQUAL(hi_view_more(f, v, &hi_census_view, 20), 25);
	fclose(f);
	CU_ASSERT_EQUAL(count_lines(t), 1 + 5);
	CU_ASSERT_STRING_EQUAL(line_at(t, 5), "    24      1   4      100   4      2500 100 k24");
	free(t);
	/* At the end: nothing more.  */
	f = open_memstream(&t, &len);
	CU_ASSERT_EQUAL(hi_view_more(f, v, &hi_census_view, 25), 25);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(t, "");
	free(t);
	Tcl_DecrRefCount(v);
	hi_census_free(&c);
}

/* A view's columns: widths, signs, a missing field's text, a boolean's
 * words, and no blanks at the end of a line.  */
static void view_columns_from_the_description(void)
{
	static const struct hi_column cols[] = {
		{ "n", 4 }, { "d", 5, HI_COL_SIGNED }, { "name", -6 }, { "base", -4, 0, NULL, "-" },
		{ "hidden", 0, 0, "hidden", "" }, { NULL },
	};
	static const struct hi_view view = { "rows", NULL, cols, "head", NULL, NULL, NULL };
	struct hi_emit *e = hi_emit_tcl();
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	hi_emit_object(e, NULL);
	hi_emit_list(e, "rows");
	hi_emit_object(e, NULL);
	hi_emit_u64(e, "n", 7);
	hi_emit_i64(e, "d", 3);
	hi_emit_str(e, "name", "ab");
	hi_emit_str(e, "base", "0x10");
	hi_emit_bool(e, "hidden", 1);
	hi_emit_end(e);
	hi_emit_object(e, NULL);
	hi_emit_u64(e, "n", 12);
	hi_emit_i64(e, "d", -4);
	hi_emit_str(e, "name", "c");
	hi_emit_bool(e, "hidden", 0);
	hi_emit_end(e);
	hi_emit_end(e);
	Tcl_Obj *v = hi_emit_finish(e);
	Tcl_IncrRefCount(v);
	char *t = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&t, &len);
	CU_ASSERT_EQUAL(hi_view_render(f, v, &view, 0), 2);
	fclose(f);
	CHECK_TEXT(t, "head\n"
		      "   7    +3 ab     0x10 hidden\n"
		      "  12    -4 c      -\n");
	free(t);
	Tcl_DecrRefCount(v);
}

/* ---- wrapping long kind names ---- */

/* The table of one 10-byte object of kind NAME.  */
static char *one_row_table(const char *name)
{
	struct hi_census c;
	hi_census_init(&c, "kind");
	add_objects(&c, name, 1, 10);
	char *t = table_of(&c, 0);
	hi_census_free(&c);
	return t;
}

#define ONE_ROW_HEAD "Partition of a set of 1 object. Total size = 10 bytes.\n" HEAD_KIND

/* 50 characters: fits a continuation line (55 columns), not the first
 * line after "dict of ".  */
#define LONG_CLASS "package.subpackage.module.SomeRatherLongClassName1"

static void names_fitting_100_columns_stay_whole(void)
{
	/* 45 + 55 = 100 columns exactly. */
	const char *name = "abcdefghijklmnopqrstuvwxyz.abcdefghijklmnopqrstuvwxyz12";
	CU_ASSERT_EQUAL_FATAL(strlen(name), 55);
	char *t = one_row_table(name);
	CHECK_TEXT(t, ONE_ROW_HEAD ROW0_1_10 "abcdefghijklmnopqrstuvwxyz.abcdefghijklmnopqrstuvwxyz12\n");
	free(t);
}

static void wraps_after_a_space(void)
{
	CU_ASSERT_EQUAL_FATAL(strlen(LONG_CLASS), 50);
	char *t = one_row_table("dict of " LONG_CLASS);
	CHECK_TEXT(t, ONE_ROW_HEAD ROW0_1_10 "dict of\n" IND LONG_CLASS "\n");
	free(t);
}

static void wraps_after_a_hyphen(void)
{
	char *t = one_row_table("abcdefghijabcdefghijabcdefghijabcdefghij-klmnopqrstklmnopqrstklmnopqrstklmnopqrst");
	CHECK_TEXT(t, ONE_ROW_HEAD ROW0_1_10 "abcdefghijabcdefghijabcdefghijabcdefghij-\n"
		   IND "klmnopqrstklmnopqrstklmnopqrstklmnopqrst\n");
	free(t);
}

static void wraps_words_over_several_lines(void)
{
	char *t = one_row_table("segment00 segment01 segment02 segment03 segment04 segment05 "
				"segment06 segment07 segment08 segment09 segment10 segment11");
	CHECK_TEXT(t, ONE_ROW_HEAD ROW0_1_10 "segment00 segment01 segment02 segment03 segment04\n"
		   IND "segment05 segment06 segment07 segment08 segment09\n"
		   IND "segment10 segment11\n");
	free(t);
}

static void breaks_words_longer_than_a_line(void)
{
	char name[121];
	memset(name, 'x', 120);
	name[120] = '\0';
	char *t = one_row_table(name);
	CHECK_TEXT(t, ONE_ROW_HEAD ROW0_1_10 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
		   IND "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
		   IND "xxxxxxxxxx\n");
	free(t);
}

/* textwrap moves a word of 56..100 characters that does not fit after the
 * numbers to the next line (dropping the trailing space), and only then
 * breaks it at 55.  */
static void first_word_too_long_moves_down(void)
{
	const char *name = "google.protobuf.pyext._message.RepeatedCompositeContainer";
	CU_ASSERT_EQUAL_FATAL(strlen(name), 57);
	char *t = one_row_table(name);
	CHECK_TEXT(t, ONE_ROW_HEAD "     0      1 100       10 100        10 100\n"
		   IND "google.protobuf.pyext._message.RepeatedCompositeContain\n"
		   IND "er\n");
	free(t);
}

/* textwrap fills the rest of the current line with the start of a word
 * too long for any line, rather than breaking at the space before it.  */
static void overlong_word_fills_current_line(void)
{
	char name[8 + 110 + 1];
	memcpy(name, "dict of ", 8);
	memset(name + 8, 'z', 110);
	name[118] = '\0';
	char *t = one_row_table(name);
	CHECK_TEXT(t, ONE_ROW_HEAD ROW0_1_10 "dict of zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\n"
		   IND "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\n"
		   IND "zzzzzzzz\n");
	free(t);
}

/* Sizes over 99999999 bytes widen the row's numbers; heapy indents
 * continuation lines by the actual width of the numbers (48 here).  */
static void indent_follows_wide_numbers(void)
{
	struct hi_census c;
	hi_census_init(&c, "kind");
	add_objects(&c, "dict of " LONG_CLASS, 1, 1234567890);
	char *t = table_of(&c, 0);
	CHECK_TEXT(t, "Partition of a set of 1 object. Total size = 1234567890 bytes.\n"
		   HEAD_KIND
		   "     0      1 100 1234567890 100 1234567890 100 dict of\n"
		   IND "   " LONG_CLASS "\n");
	free(t);
	hi_census_free(&c);
}

/* heapy prints no column header when there are no rows.  */
static void empty_census_prints_only_the_label(void)
{
	struct hi_census c;
	hi_census_init(&c, "kind");
	char *t = table_of(&c, 0);
	CHECK_TEXT(t, "Partition of a set of 0 objects. Total size = 0 bytes.\n");
	free(t);
	hi_census_free(&c);
}

/* ---- the census file ---- */

static void census_file_round_trips(void)
{
	char path[] = "/tmp/hi-census-XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	struct hi_census c, back;
	hi_census_init(&c, "type");
	add_objects(&c, "str", 3, 50);
	add_objects(&c, "a \"quoted\" {brace} kind", 2, 100);
	CU_ASSERT_EQUAL(hi_census_save(path, &c, 42, "3.12.1"), 0);
	CU_ASSERT_EQUAL(hi_census_load(path, &back, "test"), 0);
	CU_ASSERT_STRING_EQUAL(back.by, "type");
	CU_ASSERT_EQUAL(back.objects, 5);
	CU_ASSERT_EQUAL(back.size, 350);
	uint32_t k = hi_census_kind(&back, "a \"quoted\" {brace} kind");
	CU_ASSERT(k != UINT32_MAX && back.rows[k].count == 2 && back.rows[k].size == 200);
	hi_census_free(&c);
	hi_census_free(&back);
	unlink(path);
}

/* A file of another format or version is refused, naming what it is.  */
static void census_file_checks_its_format(void)
{
	static const char *const bad[] = {
		"pid 1 objects 1 size 8 by kind rows {{kind str count 1 size 8}}",
		"pid 1 objects 1 size 8 by kind rows {{kind str count 1 size 8}} format heapinspect-census-2",
		"{unbalanced",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char path[] = "/tmp/hi-census-XXXXXX";
		int fd = mkstemp(path);
		CU_ASSERT_FATAL(fd >= 0);
		CU_ASSERT(write(fd, bad[i], strlen(bad[i])) == (ssize_t)strlen(bad[i]));
		close(fd);
		struct hi_census c;
		CU_ASSERT_EQUAL(hi_census_load(path, &c, "test"), -1);
		CU_ASSERT(strstr(hi_errmsg(), i == 1 ? "heapinspect-census-2" : "census") != NULL);
		hi_census_free(&c);
		unlink(path);
	}
}

/* ---- CSV from the same description ---- */

static char *csv_of(const struct hi_census *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct hi_emit *e = f ? hi_emit_csv(f, hi_census_view.list, hi_census_view.csv) : NULL;
	if (e) {
		hi_census_describe(e, c, 1, "3.12");
		hi_emit_finish(e);
	}
	if (f)
		fclose(f);
	return buf;
}

static void csv_of_a_census_is_heapys_rows(void)
{
	struct hi_census c;
	hi_census_init(&c, "kind");
	add_objects(&c, "str", 1, 50);
	add_objects(&c, "dict of a, b", 2, 100);
	char *t = csv_of(&c);
	CHECK_TEXT(t, "index,count,count_percent,size,size_percent,cumulative,cumulative_percent,kind\n"
		      "0,2,67,200,80,200,80,\"dict of a, b\"\n"
		      "1,1,33,50,20,250,100,str\n");
	free(t);
	hi_census_free(&c);
}

/* Columns a record lacks are empty; a container's values are joined,
 * of a list of records the first field each; the rest is left out.  */
static void csv_columns_from_nested_records(void)
{
	static const char *const cols[] = { "name", "size", "peers", "dims", "flag", NULL };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct hi_emit *e = hi_emit_csv(f, "segments", cols);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	hi_emit_object(e, NULL);
	hi_emit_i64(e, "pid", 9);
	hi_emit_list(e, "other");
	hi_emit_object(e, NULL);
	hi_emit_str(e, "name", "not a record of the list");
	hi_emit_end(e);
	hi_emit_end(e);
	hi_emit_list(e, "segments");
	hi_emit_object(e, NULL);
	hi_emit_str(e, "name", "/dev/shm/a");
	hi_emit_u64(e, "size", 4096);
	hi_emit_list(e, "peers");
	for (int k = 0; k < 2; k++) {
		hi_emit_object(e, NULL);
		hi_emit_i64(e, "pid", 100 + k);
		hi_emit_str(e, "comm", "x");
		hi_emit_end(e);
	}
	hi_emit_end(e);
	hi_emit_list(e, "dims");
	hi_emit_i64(e, NULL, 3);
	hi_emit_i64(e, NULL, 4);
	hi_emit_end(e);
	hi_emit_bool(e, "flag", 1);
	hi_emit_end(e);
	hi_emit_object(e, NULL);
	hi_emit_str(e, "name", "memfd:b");
	hi_emit_end(e);
	hi_emit_end(e);
	hi_emit_finish(e);
	fclose(f);
	CHECK_TEXT(buf, "name,size,peers,dims,flag\n/dev/shm/a,4096,100 101,3 4,1\nmemfd:b,,,,\n");
	free(buf);
}

/* ---- JSON ---- */

/* Drop one trailing newline: the object is the contract, not the line. */
static char *chomp(char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n && s[n - 1] == '\n')
		s[n - 1] = '\0';
	return s;
}

static void json_has_rows_in_table_order(void)
{
	struct hi_census c;
	hi_census_init(&c, "kind");
	add_objects(&c, "str", 1, 50);
	add_objects(&c, "dict of module", 2, 100);
	hi_census_kind(&c, "unused");	/* no objects: no row */
	char *j = chomp(json_of(&c, 42, "3.11"));
	CHECK_TEXT(j, "{\"pid\": 42, \"python\": \"3.11\", \"objects\": 3, \"size\": 250, \"skipped\": 0, \"unfollowed\": 0, \"unsized\": 0, \"by\": \"kind\", "
		   "\"rows\": [{\"kind\": \"dict of module\", \"count\": 2, \"size\": 200, \"index\": 0, "
		   "\"count_percent\": 67, \"size_percent\": 80, \"cumulative\": 200, \"cumulative_percent\": 80}, "
		   "{\"kind\": \"str\", \"count\": 1, \"size\": 50, \"index\": 1, \"count_percent\": 33, "
		   "\"size_percent\": 20, \"cumulative\": 250, \"cumulative_percent\": 100}]}");
	free(j);
	hi_census_free(&c);
}

static void json_of_empty_type_census(void)
{
	struct hi_census c;
	hi_census_init(&c, "type");
	char *j = chomp(json_of(&c, 1, NULL));
	CHECK_TEXT(j, "{\"pid\": 1, \"python\": \"\", \"objects\": 0, \"size\": 0, \"skipped\": 0, \"unfollowed\": 0, \"unsized\": 0, \"by\": \"type\", \"rows\": []}");
	free(j);
	hi_census_free(&c);
}

static void json_escapes_kind_names(void)
{
	struct hi_census c;
	hi_census_init(&c, "kind");
	add_objects(&c, "a\"b\\c", 1, 8);
	char *j = chomp(json_of(&c, 7, "3.12"));
	CHECK_TEXT(j, "{\"pid\": 7, \"python\": \"3.12\", \"objects\": 1, \"size\": 8, \"skipped\": 0, \"unfollowed\": 0, \"unsized\": 0, \"by\": \"kind\", "
		   "\"rows\": [{\"kind\": \"a\\\"b\\\\c\", \"count\": 1, \"size\": 8, \"index\": 0, "
		   "\"count_percent\": 100, \"size_percent\": 100, \"cumulative\": 8, \"cumulative_percent\": 100}]}");
	free(j);
	hi_census_free(&c);
}

static void json_string_short_escapes(void)
{
	char *s = json_string_of("say \"hi\"\\ \n\t\r");
	CHECK_TEXT(s, "\"say \\\"hi\\\"\\\\ \\n\\t\\r\"");
	free(s);
	s = json_string_of("");
	CHECK_TEXT(s, "\"\"");
	free(s);
	s = json_string_of("\x01\x1f");
	CHECK_TEXT(s, "\"\\u0001\\u001f\"");
	free(s);
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decode a JSON string literal that must make up all of S (code points
 * below 0x80 only in \u escapes).  Returns a malloc'd string or NULL if S
 * is not valid JSON.  */
static char *json_decode(const char *s)
{
	if (*s++ != '"')
		return NULL;
	char *out = malloc(strlen(s) + 1), *o = out;
	for (;;) {
		unsigned char ch = (unsigned char)*s++;
		if (ch == '\0' || ch < 0x20)
			goto bad;	/* unterminated, or a raw control char */
		if (ch == '"')
			break;
		if (ch != '\\') {
			*o++ = (char)ch;
			continue;
		}
		switch (*s++) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			int v = 0;
			for (int i = 0; i < 4; i++) {
				int h = hexval(*s++);
				if (h < 0)
					goto bad;
				v = v * 16 + h;
			}
			if (v == 0 || v >= 0x80)
				goto bad;
			*o++ = (char)v;
			break;
		}
		default:
			goto bad;
		}
	}
	if (*s != '\0')
		goto bad;
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

static void json_string_round_trips_every_control_char(void)
{
	/* All of 0x01..0x1f, quote, backslash, DEL and UTF-8 "é". */
	char in[64], *p = in;
	for (int ch = 1; ch < 0x20; ch++)
		*p++ = (char)ch;
	strcpy(p, "\"\\\x7f" "caf\xc3\xa9");
	char *lit = json_string_of(in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lit);
	char *back = json_decode(lit);
	CU_ASSERT_PTR_NOT_NULL(back);
	if (back)
		CU_ASSERT_STRING_EQUAL(back, in);
	free(back);
	free(lit);
}

int hi_suite_report(void)
{
	CU_pSuite s = CU_add_suite("report", NULL, NULL);
	if (!s ||
	    !CU_add_test(s, "one object is singular", one_object_is_singular) ||
	    !CU_add_test(s, "percentages round half to even", percentages_round_half_to_even) ||
	    !CU_add_test(s, "by type says Type", by_type_says_type) ||
	    !CU_add_test(s, "11 rows are all shown", eleven_rows_all_shown) ||
	    !CU_add_test(s, "12 rows cut at 10 unless all", twelve_rows_cut_at_ten) ||
	    !CU_add_test(s, "more continues where the table stopped", more_continues_where_the_table_stopped) ||
	    !CU_add_test(s, "a view's columns come from the description", view_columns_from_the_description) ||
	    !CU_add_test(s, "names fitting 100 columns stay whole", names_fitting_100_columns_stay_whole) ||
	    !CU_add_test(s, "wraps after a space", wraps_after_a_space) ||
	    !CU_add_test(s, "wraps after a hyphen", wraps_after_a_hyphen) ||
	    !CU_add_test(s, "wraps words over several lines", wraps_words_over_several_lines) ||
	    !CU_add_test(s, "breaks words longer than a line", breaks_words_longer_than_a_line) ||
	    !CU_add_test(s, "a first word of 56-100 chars moves to line 2 like textwrap",
			 first_word_too_long_moves_down) ||
	    !CU_add_test(s, "an overlong word fills the current line like textwrap",
			 overlong_word_fills_current_line) ||
	    !CU_add_test(s, "continuation indent follows widened numbers",
			 indent_follows_wide_numbers) ||
	    !CU_add_test(s, "an empty census prints only the label",
			 empty_census_prints_only_the_label) ||
	    !CU_add_test(s, "the census file round-trips", census_file_round_trips) ||
	    !CU_add_test(s, "the census file's format key is checked", census_file_checks_its_format) ||
	    !CU_add_test(s, "csv of a census is heapy's rows", csv_of_a_census_is_heapys_rows) ||
	    !CU_add_test(s, "csv columns from nested records", csv_columns_from_nested_records) ||
	    !CU_add_test(s, "json has rows in table order", json_has_rows_in_table_order) ||
	    !CU_add_test(s, "json of an empty type census", json_of_empty_type_census) ||
	    !CU_add_test(s, "json escapes kind names", json_escapes_kind_names) ||
	    !CU_add_test(s, "json string short escapes", json_string_short_escapes) ||
	    !CU_add_test(s, "json string round-trips every control char", json_string_round_trips_every_control_char))
		return -1;
	return 0;
}
