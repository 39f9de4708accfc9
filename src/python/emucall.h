/* emucall.h: the emulator (emu.h) as the object model uses it: made on
 * first need for the reader the model reads through, with the functions
 * emulated code calls that must run natively registered: the C
 * library's string functions (found through every module's import
 * slots, so whatever variant the target's C library picked, AVX-512
 * included, which no emulator runs) and PyLong_FromSsize_t and its kin
 * (the int a __sizeof__ returns, made in the emulator's scratch memory).
 * pysize.c adds _PySys_GetSizeOf, answered by its own rules.  */
#ifndef HI_EMUCALL_H
#define HI_EMUCALL_H
#include "emu/emu.h"
#include "python/pyobj.h"

/* PY's emulator, or NULL when it is off or cannot be made (then
 * py->emu_off is set: the old rules from now on).  */
struct hi_emu *hi_py_emu(struct hi_py *py);

#endif
