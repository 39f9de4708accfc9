/* session.h: one attached target and everything learned about it.
 *
 * Attaching checks that the process can be read, loads its debug
 * information and learns its layouts and runtime, all without stopping
 * it.  Each command then
 * brackets its reading with hi_session_stop / hi_session_resume, so the
 * target runs between commands and is never left stopped.  */
#ifndef HI_SESSION_H
#define HI_SESSION_H
#include <sys/types.h>
#include "dwarf/debuginfo.h"
#include "mem/image.h"
#include "mem/mem.h"
#include "python/pyobj.h"
#include "proc/target.h"

struct hi_session {
	pid_t pid;
	int attached;
	unsigned serial;	/* another at every attach: what was learned of an
				 * earlier target is not this one's */
	char who[64];		/* "pid 1234", the prefix of every error */
	struct hi_image *image;	/* reading a saved image, not a process */
	struct hi_target target;
	struct hi_mem *mem;
	struct hi_dbg *dbg;
	struct hi_py py;
};

/* Attach to PID.  Returns 0, or -1 with hi_errmsg() set; the target is
 * running either way.  */
int hi_session_attach(struct hi_session *s, pid_t pid);

/* Read the image saved in PATH, or the ELF core file PATH (EXE, when not
 * NULL, read in place of the executable the core names), as if it were
 * the process it was taken from.  Returns 0, or -1 with hi_errmsg()
 * set.  */
int hi_session_open_image(struct hi_session *s, const char *path, const char *exe);

/* Stop the target for reading (drops every cache).  0 or -1.  */
int hi_session_stop(struct hi_session *s);

/* Let it run again.  Returns 0, or -1 with the error set (HI_E_GONE)
 * when the process exited while it was stopped: whatever was read then
 * must be thrown away, not reported.  */
int hi_session_resume(struct hi_session *s);

/* Has the target's Python finished starting (an interpreter exists and
 * __main__ is imported)?  Stops it briefly to look.  */
int hi_session_ready(struct hi_session *s);

/* Forget the target (it is running).  Safe on an unattached session.  */
void hi_session_detach(struct hi_session *s);

#endif
