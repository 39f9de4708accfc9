/* stacks.h: every thread's Python stack, as py-spy dump and gdb's py-bt
 * show it: for each interpreter and each of its thread states, the
 * thread's ids and name, and its running frames innermost first, each
 * with its function, file and line.  */
#ifndef HI_STACKS_H
#define HI_STACKS_H
#include <stddef.h>
#include <stdint.h>
#include "python/pyobj.h"

/* A local variable of a frame: its name, the object, its type as heap
 * -by type names it, and top's preview of it (a cell's contents for a
 * cell variable).  */
struct hi_local {
	char name[64];
	uint64_t addr;
	char type[128];
	char preview[200];
};

struct hi_frame_line {
	char file[256];
	char func[128];		/* co_name */
	char qualname[192];	/* co_qualname (3.11+), else co_name */
	int64_t line;		/* -1: none */
	struct hi_local *locals;	/* with HI_STACKS_LOCALS */
	size_t nlocals;
};

struct hi_thread_stack {
	int64_t interp;		/* the interpreter's id */
	uint64_t tid;		/* threading.get_ident() */
	uint64_t native;	/* the kernel's thread id (3.11+), else 0 */
	char name[64];		/* threading's name for it, or "" */
	int gil;		/* 1: it holds the GIL; 0: not; -1: unknown */
	struct hi_frame_line *frames;
	size_t nframes;
	int truncated;		/* more frames than were kept */
};

struct hi_stacks {
	struct hi_thread_stack *threads;
	size_t n;
};

/* Read every thread's stack, at most MAX_FRAMES frames each, into S;
 * with FLAGS HI_STACKS_LOCALS each frame's locals too.  The target must
 * be stopped (or an image).  0, or -1 with hi_errmsg() set (WHO prefixes
 * it).  */
enum { HI_STACKS_LOCALS = 1 };
int hi_stacks_read(struct hi_py *py, struct hi_stacks *s, size_t max_frames, unsigned flags, const char *who);
void hi_stacks_free(struct hi_stacks *s);

#endif
