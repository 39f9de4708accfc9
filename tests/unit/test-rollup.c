/* test-rollup.c: smaps_rollup parsing, on sample files in tests/data:
 * smaps_rollup.txt is a real one (Linux 6.x, a python3.11 holding 20 MiB
 * of bytearrays); smaps_rollup-4.14.txt has the fields of the first
 * kernels that had the file (no Pss_Anon, Pss_File) and swap in use.  */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "util/error.h"
#include "proc/rollup.h"
#include "suites.h"

static void data_path(char *buf, size_t size, const char *name)
{
	const char *dir = getenv("HI_SRCDIR");
	snprintf(buf, size, "%s/data/%s", dir && *dir ? dir : "tests", name);
}

static void reads_a_recent_kernels_file(void)
{
	char path[4096];
	struct hi_rollup r;
	data_path(path, sizeof path, "smaps_rollup.txt");
	CU_ASSERT_EQUAL_FATAL(hi_rollup_read_path(path, &r), 0);
	CU_ASSERT_EQUAL(r.rss, 28512ull * 1024);
	CU_ASSERT_EQUAL(r.pss, 25024ull * 1024);
	CU_ASSERT_EQUAL(r.pss_anon, 23332ull * 1024);
	CU_ASSERT_EQUAL(r.pss_file, 1692ull * 1024);
	CU_ASSERT_EQUAL(r.anonymous, 23332ull * 1024);
	CU_ASSERT_EQUAL(r.swap, 0);
	CU_ASSERT_EQUAL(r.pss_shmem, 0);
	CU_ASSERT_EQUAL(r.have, HI_ROLLUP_RSS | HI_ROLLUP_PSS | HI_ROLLUP_PSS_ANON | HI_ROLLUP_PSS_FILE |
					HI_ROLLUP_PSS_SHMEM | HI_ROLLUP_ANONYMOUS | HI_ROLLUP_SWAP | HI_ROLLUP_SWAP_PSS);
}

static void reads_a_4_14_file_with_swap(void)
{
	char path[4096];
	struct hi_rollup r;
	data_path(path, sizeof path, "smaps_rollup-4.14.txt");
	CU_ASSERT_EQUAL_FATAL(hi_rollup_read_path(path, &r), 0);
	CU_ASSERT_EQUAL(r.rss, 812344ull * 1024);
	CU_ASSERT_EQUAL(r.pss, 790112ull * 1024);
	CU_ASSERT_EQUAL(r.swap, 131072ull * 1024);
	CU_ASSERT_EQUAL(r.swap_pss, 122880ull * 1024);
	CU_ASSERT_EQUAL(r.have & (HI_ROLLUP_PSS_ANON | HI_ROLLUP_PSS_FILE), 0);
	CU_ASSERT_EQUAL(r.pss_anon, 0);
}

static void rejects_what_is_not_a_rollup(void)
{
	struct hi_rollup r;
	/* A zombie's rollup is empty.  */
	CU_ASSERT_EQUAL(hi_rollup_parse("", &r), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(hi_errmsg(), "no Rss and Pss"));
	CU_ASSERT_EQUAL(hi_rollup_parse("Rss: 12 kB\n", &r), -1);
	/* Values must be numbers of kB.  */
	CU_ASSERT_EQUAL(hi_rollup_parse("Rss: 12 kB\nPss: x kB\n", &r), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(hi_errmsg(), "malformed line \"Pss: x kB\""));
	CU_ASSERT_EQUAL(hi_rollup_parse("Rss: 12 MB\nPss: 3 kB\n", &r), -1);
	CU_ASSERT_EQUAL(hi_rollup_parse("Rss: -12 kB\nPss: 3 kB\n", &r), -1);
	CU_ASSERT_EQUAL(hi_rollup_parse("Rss: 99999999999999999999 kB\nPss: 3 kB\n", &r), -1);
	/* A name it does not know, a last line without a newline: fine.  */
	CU_ASSERT_EQUAL(hi_rollup_parse("Future_Thing: zz\nRss: 12 kB\nPss:\t3 kB", &r), 0);
	CU_ASSERT_EQUAL(r.rss, 12 * 1024);
	CU_ASSERT_EQUAL(r.pss, 3 * 1024);
}

/* Through a file: its path once, then the parser's words, one line.  */
static void a_malformed_file_says_where_once(void)
{
	char path[] = "/tmp/hi-rollup-XXXXXX", want[256];
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	static const char text[] = "Rss: 12 kB\nPss: x kB\n";
	CU_ASSERT_EQUAL_FATAL(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
	close(fd);
	struct hi_rollup r;
	CU_ASSERT_EQUAL(hi_rollup_read_path(path, &r), -1);
	snprintf(want, sizeof want, "%s: malformed line \"Pss: x kB\"", path);
	CU_ASSERT_STRING_EQUAL(hi_errmsg(), want);
	unlink(path);
}

static void reads_this_process(void)
{
	struct hi_rollup r;
	if (access("/proc/self/smaps_rollup", R_OK) != 0)
		return;	/* a kernel older than 4.14 */
	CU_ASSERT_EQUAL_FATAL(hi_rollup_read(getpid(), &r, "self"), 0);
	CU_ASSERT(r.rss > 0 && r.pss > 0 && r.pss <= r.rss);
	/* No such process: the error names it and says it is gone.  */
	CU_ASSERT_EQUAL(hi_rollup_read(0x3ffffff0, &r, "pid 1073741808"), -1);
	CU_ASSERT_EQUAL(hi_errclass(), HI_E_GONE);
	CU_ASSERT_PTR_NOT_NULL(strstr(hi_errmsg(), "pid 1073741808"));
}

int hi_suite_rollup(void)
{
	CU_pSuite s = CU_add_suite("rollup", NULL, NULL);
	if (!s || !CU_add_test(s, "reads a recent kernel's file", reads_a_recent_kernels_file) ||
	    !CU_add_test(s, "reads a 4.14 file with swap", reads_a_4_14_file_with_swap) ||
	    !CU_add_test(s, "rejects what is not a rollup", rejects_what_is_not_a_rollup) ||
	    !CU_add_test(s, "a malformed file is named once", a_malformed_file_says_where_once) ||
	    !CU_add_test(s, "reads this process", reads_this_process))
		return -1;
	return 0;
}
