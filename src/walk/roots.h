/* roots.h: what the walk starts from besides the GC lists.  */
#ifndef HI_ROOTS_H
#define HI_ROOTS_H
#include <stdint.h>
#include "python/pyobj.h"
#include "walk/referents.h"

/* The references held by the running frames of every thread of the
 * interpreter at INTERP (3.11+ interpreter frames live outside the heap;
 * before 3.11 each frame is an object and the thread's frame is reported).
 * Returns the number of frames visited.  */
unsigned long hi_thread_roots(struct hi_py *py, uint64_t interp, hi_ref_fn fn, void *arg);

#endif
