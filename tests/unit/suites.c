/* suites.c: the list of unit-test suites run by tap.c.  */
#include "config.h"
#include <stddef.h>
#include "suites.h"

const hi_suite_fn hi_unit_suites[] = {
	hi_suite_census,
	NULL,
};
