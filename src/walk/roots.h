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

/* The running frames of the thread state TS, innermost first: FN gets
 * each (TS, F, OBJECT): OBJECT 0, an interpreter frame of 3.11+; 1, the
 * innermost frame object of 3.8-3.10, whose f_back chain FN follows.
 * Returns the number of calls.  */
typedef void (*hi_frame_fn)(struct hi_py *py, uint64_t ts, uint64_t f, int object, void *arg);
unsigned long hi_thread_frames(struct hi_py *py, uint64_t ts, hi_frame_fn fn, void *arg);

/* Each local, cell and free variable of frame F (OBJECT: a frame object
 * of 3.8-3.10, else an interpreter frame) that holds a value: FN gets
 * its name (for the call's duration) and the object.  0, or -1 when F's
 * code cannot be read.  */
typedef void (*hi_local_fn)(const char *name, uint64_t value, void *arg);
int hi_frame_each_local(struct hi_py *py, uint64_t f, int object, hi_local_fn fn, void *arg);

/* threading._active of the interpreter at INTERP (thread ident ->
 * Thread), or 0; and the name threading gave thread TID, into BUF: 0, or
 * -1 when it has none.  */
uint64_t hi_threading_active(struct hi_py *py, uint64_t interp);
int hi_thread_name(struct hi_py *py, uint64_t active, uint64_t tid, char *buf, size_t size);

/* The roots a Python developer names, of the interpreter at INTERP:
 * sys.modules and each module in it, by its key ("__main__"), and each
 * local, cell and free variable of each running frame of each thread
 * ("thread 140213 \"MainThread\" handle() local 'req'").  Each name
 * starts with PREFIX (the interpreter, for subinterpreters).  FN gets
 * the object and its name, the name only for the call's duration.  */
typedef void (*hi_root_fn)(uint64_t obj, const char *name, void *arg);
void hi_named_roots(struct hi_py *py, uint64_t interp, const char *prefix, hi_root_fn fn, void *arg);

#endif
