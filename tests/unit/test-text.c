/* test-text.c: control characters and invalid UTF-8 never pass as they
 * are (text.c), and the output stream cleans what it writes even when
 * a character is cut between two writes (output.c).  */
#include "config.h"
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "util/output.h"
#include "suites.h"
#include "util/text.h"

static void escape_shows_controls(void)
{
	char buf[128];
	hi_text_escape(buf, sizeof buf, "a\033]0;x\007b", 0);
	CU_ASSERT_STRING_EQUAL(buf, "a\\e]0;x\\x07b");
	/* C1 as UTF-8, a lone C1 byte, DEL, a newline.  */
	hi_text_escape(buf, sizeof buf, "\xc2\x9b|\x9b|\x7f|\n", 0);
	CU_ASSERT_STRING_EQUAL(buf, "\\u009b|\\x9b|\\x7f|\\n");
	hi_text_escape(buf, sizeof buf, "l1\nl2\tx\033", 1);
	CU_ASSERT_STRING_EQUAL(buf, "l1\nl2\tx\\e");
	/* Valid UTF-8 passes: é, €, an astral character.  */
	hi_text_escape(buf, sizeof buf, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\x8d", 0);
	CU_ASSERT_STRING_EQUAL(buf, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\x8d");
	/* Overlong forms, surrogates and a sequence cut by the end do not. */
	hi_text_escape(buf, sizeof buf, "\xc0\xaf\xed\xa0\x80\xe2\x82", 0);
	CU_ASSERT_STRING_EQUAL(buf, "\\xc0\\xaf\\xed\\xa0\\x80\\xe2\\x82");
	/* Never past SIZE, never half an escape.  */
	hi_text_escape(buf, 4, "ab\033", 0);
	CU_ASSERT_STRING_EQUAL(buf, "ab");
}

static void sanitize_keeps_width(void)
{
	char s[] = "x\033[2J\xc2\x85\x9b\xc3\xa9";
	hi_text_sanitize(s);
	CU_ASSERT_STRING_EQUAL(s, "x?[2J???\xc3\xa9");
}

/* What the output stream writes for the writes in PARTS.  */
static void through_stream(const char *const *parts, char *got, size_t size)
{
	int fds[2];
	CU_ASSERT_FATAL(pipe(fds) == 0);
	FILE *f = hi_output_open(fds[1]);
	CU_ASSERT_FATAL(f != NULL);
	for (int i = 0; parts[i]; i++) {
		fputs(parts[i], f);
		fflush(f);	/* each part is one write to the cookie */
	}
	fclose(f);
	close(fds[1]);
	ssize_t n = read(fds[0], got, size - 1);
	got[n > 0 ? n : 0] = '\0';
	close(fds[0]);
}

static void stream_cleans_across_writes(void)
{
	char got[256];
	const char *const a[] = { "kind \033]52;c;x\007 ok\n", NULL };
	through_stream(a, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "kind ?]52;c;x? ok\n");
	/* A C1 control and an é, each cut in two by the buffer's end.  */
	const char *const b[] = { "a\xc2", "\x9b" "b\xc3", "\xa9" "c\xe2\x82", "\xac\n", NULL };
	through_stream(b, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "a??b\xc3\xa9" "c\xe2\x82\xac\n");
	/* A sequence still cut when the stream closes is invalid.  */
	const char *const c[] = { "end\xe2\x82", NULL };
	through_stream(c, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "end??");
}

int hi_suite_text(void)
{
	CU_pSuite s = CU_add_suite("text", NULL, NULL);
	if (!s || !CU_add_test(s, "escape shows control characters", escape_shows_controls) ||
	    !CU_add_test(s, "sanitize keeps the width", sanitize_keeps_width) ||
	    !CU_add_test(s, "the output stream cleans across writes", stream_cleans_across_writes))
		return -1;
	return 0;
}
