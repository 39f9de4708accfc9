/* validate.h: do the layouts fit the target?  Checked before they are
 * trusted, whatever they came from (DWARF, the answers kept for the
 * build, or a layout pack, where it matters most: a pack of another
 * build, or one forced by HEAPINSPECT_LAYOUT).
 *
 * The checks read the target through its exported symbols and compare
 * what it holds with what the layouts say:
 *   - builtin type objects (PyType_Type, PyLong_Type, PyDict_Type, ...):
 *     their tp_name reads "type", "int", "dict"...; their tp_basicsize
 *     equals the size of the struct the layouts give; their type is
 *     PyType_Type;
 *   - the runtime: its interpreters and their thread states link back
 *     (each thread state's interp is its interpreter);
 *   - 3.13+: _PyRuntime.debug_offsets, the offsets CPython itself
 *     publishes for debuggers: its cookie, its version (Py_Version), and
 *     every offset and size it carries that the layouts also know.
 *   - a version read from the target (Py_Version, sys.version) that
 *     differs from a pack's.
 * A check that cannot be made (memory not readable yet, a struct this
 * version lacks) is skipped and not counted; one that disagrees refuses
 * the target.  */
#ifndef HI_VALIDATE_H
#define HI_VALIDATE_H
#include "python/pyobj.h"

/* Check PY's layouts against its target.  0, with py->checked saying
 * what was checked; or -1 with hi_errmsg() naming the first
 * disagreement, where the layouts came from and the remedies (class
 * HI_E_NODEBUG).  */
int hi_py_validate(struct hi_py *py, const char *who);

/* Put to D every question hi_py_validate may ask of it, without reading
 * any process: for `layout -save -from FILE`.  */
void hi_py_validate_ask(struct hi_dbg *d);

#endif
