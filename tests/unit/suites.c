/* suites.c: the list of unit-test suites run by tap.c.  */
#include "config.h"
#include <stddef.h>
#include "suites.h"

const hi_suite_fn hi_unit_suites[] = {
	hi_suite_census,
	hi_suite_emu, hi_suite_graph,
	hi_suite_baseline,
	hi_suite_report,
	hi_suite_u64map,
	hi_suite_mem,
	hi_suite_kind,
	hi_suite_layout,
	hi_suite_rollup,
	hi_suite_svgplot,
	hi_suite_watchfile,
	hi_suite_topn,
	hi_suite_numpy,
	hi_suite_procmaps,
	hi_suite_memmap,
	hi_suite_text,
	hi_suite_image,
	hi_suite_pack,
	NULL,
};
