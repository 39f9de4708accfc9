/* tap.c: run every registered CUnit suite and report each test as a TAP
 * line, so automake's TAP driver counts unit tests one by one alongside
 * the integration tests.  Suites register themselves through the table in
 * suites.h.  */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <CUnit/Basic.h>
#include <CUnit/TestRun.h>
#include <tcl.h>
#include "suites.h"

static int ntests, todo_failures;
static char skip_reason[512];	/* set by hi_unit_skip during a test */
static char todo_reason[512];	/* set by hi_unit_todo during a test */

void hi_unit_todo(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(todo_reason, sizeof todo_reason, fmt, ap);
	va_end(ap);
	todo_reason[strcspn(todo_reason, "\n")] = '\0';
}

void hi_unit_skip(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(skip_reason, sizeof skip_reason, fmt, ap);
	va_end(ap);
	/* One line: the reason goes after "# SKIP".  */
	skip_reason[strcspn(skip_reason, "\n")] = '\0';
}

static void on_complete(const CU_pTest test, const CU_pSuite suite, const CU_pFailureRecord failure)
{
	ntests++;
	int skipped = skip_reason[0] != '\0';
	char why[sizeof skip_reason];
	memcpy(why, skip_reason, sizeof why);
	skip_reason[0] = '\0';
	if (todo_reason[0]) {
		/* A known defect, filed: TAP's TODO, which automake counts as an
		 * expected failure, and as an unexpected pass (an error) the
		 * day it is fixed, so that the TODO is then taken away.  */
		printf("%s %d - %s: %s # TODO %s\n", failure ? "not ok" : "ok", ntests, suite->pName, test->pName,
		       todo_reason);
		for (CU_pFailureRecord f = failure; f; f = f->pNext)
			printf("# %s:%u: %s\n", f->strFileName ? f->strFileName : "?", f->uiLineNumber,
			       f->strCondition ? f->strCondition : "");
		todo_failures += failure != NULL;
		todo_reason[0] = '\0';
		return;
	}
	if (!failure && skipped) {
		/* What did not run is not a pass: TAP's SKIP, which automake
		 * counts apart.  */
		printf("ok %d - %s: %s # SKIP %s\n", ntests, suite->pName, test->pName, why);
		return;
	}
	if (!failure) {
		printf("ok %d - %s: %s\n", ntests, suite->pName, test->pName);
		return;
	}
	printf("not ok %d - %s: %s\n", ntests, suite->pName, test->pName);
	for (CU_pFailureRecord f = failure; f; f = f->pNext)
		printf("# %s:%u: %s\n", f->strFileName ? f->strFileName : "?", f->uiLineNumber,
		       f->strCondition ? f->strCondition : "");
}

static void on_suite_init_failure(const CU_pSuite suite)
{
	ntests++;
	printf("not ok %d - %s: suite setup failed\n", ntests, suite->pName);
}

int main(int argc, char **argv)
{
	/* Tcl values (the census file, Tcl results) need Tcl started.  */
	Tcl_FindExecutable(argc > 0 ? argv[0] : NULL);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	for (int i = 0; hi_unit_suites[i]; i++)
		if (hi_unit_suites[i]() != 0) {
			fprintf(stderr, "cannot register suite %d\n", i);
			return 1;
		}
	CU_set_test_complete_handler(on_complete);
	CU_set_suite_init_failure_handler(on_suite_init_failure);
	CU_run_all_tests();
	unsigned failed = CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed() - (unsigned)todo_failures;
	printf("1..%d\n", ntests);
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
