/* suites.h: the unit-test suites.  Each test-*.c defines one register
 * function that adds its suite to the CUnit registry (returns 0 on
 * success); list it here and in hi_unit_suites (tests/unit/suites.c).  */
#ifndef HI_UNIT_SUITES_H
#define HI_UNIT_SUITES_H

typedef int (*hi_suite_fn)(void);

/* Mark the running test as skipped (printf format): it is reported as
 * TAP "ok N - ... # SKIP REASON", never as a pass.  */
void hi_unit_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Mark the running test as a known defect filed as an issue (printf
 * format: say which): TAP "not ok N - ... # TODO REASON", an expected
 * failure that does not fail the run; should it pass, TAP's unexpected
 * pass fails the run until the mark is taken away.  */
void hi_unit_todo(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern const hi_suite_fn hi_unit_suites[];

int hi_suite_census(void);
int hi_suite_baseline(void);
int hi_suite_report(void);
int hi_suite_u64map(void);
int hi_suite_mem(void);
int hi_suite_kind(void);
int hi_suite_layout(void);
int hi_suite_rollup(void);
int hi_suite_svgplot(void);
int hi_suite_watchfile(void);
int hi_suite_topn(void);
int hi_suite_numpy(void);
int hi_suite_procmaps(void);
int hi_suite_memmap(void);
int hi_suite_text(void);
int hi_suite_pack(void);
int hi_suite_image(void);
int hi_suite_emu(void);
int hi_suite_graph(void);

#endif
