/* session.c: see session.h.  */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "util/error.h"
#include "python/numpy.h"
#include "python/validate.h"
#include "session/session.h"
#include "mem/core.h"

static unsigned serials;

int hi_session_attach(struct hi_session *s, pid_t pid)
{
	memset(s, 0, sizeof *s);
	s->serial = ++serials;
	s->pid = pid;
	snprintf(s->who, sizeof s->who, "pid %d", (int)pid);
	/* Opening reads the process's identity from its memory, which needs
	 * the rights tracing needs: a refusal is explained before any
	 * thread is stopped.  */
	if (hi_target_open(&s->target, pid) < 0)
		return -1;
	/* Debug information comes from files, and what the runtime's setup
	 * reads of the target's memory (the version string, the set's dummy
	 * entry) never changes once Python runs: attaching does not stop the
	 * target at all; each command stops it once.  */
	if (!(s->dbg = hi_dbg_open_pid(s->target.reader)))
		goto fail;
	if (!(s->mem = hi_mem_open_pid(s->target.reader)))
		goto fail;
	int rc = hi_py_init(&s->py, s->dbg, s->mem, s->who);
	if (rc == 0)
		rc = hi_py_validate(&s->py, s->who);
	hi_mem_invalidate(s->mem);
	if (rc < 0)
		goto fail;
	s->attached = 1;
	return 0;
fail:
	/* Whatever failed, a process that vanished meanwhile is the cause. */
	if (hi_errclass() != HI_E_GONE && !s->image && s->target.pid && !hi_target_alive(pid)) {
		hi_error("pid %d: the process exited while heapinspect attached", (int)pid);
		hi_error_class(HI_E_GONE);
	}
	hi_session_detach(s);
	return -1;
}

int hi_session_open_image(struct hi_session *s, const char *path, const char *exe)
{
	memset(s, 0, sizeof *s);
	s->serial = ++serials;
	const char *base = strrchr(path, '/');
	snprintf(s->who, sizeof s->who, "%s", base ? base + 1 : path);
	if (!(s->image = hi_core_or_image_open(path, exe, s->who)))
		return -1;
	s->pid = s->image->pid;
	snprintf(s->who, sizeof s->who, "%s (pid %d)", base ? base + 1 : path, (int)s->pid);
	s->mem = s->image->mem;
	if (!(s->dbg = hi_core_or_image_debuginfo(s->image, s->who)))
		goto fail;
	if (hi_py_init(&s->py, s->dbg, s->mem, s->who) < 0 || hi_py_validate(&s->py, s->who) < 0)
		goto fail;
	s->attached = 1;
	return 0;
fail:
	hi_session_detach(s);
	return -1;
}

/* Types can be created, freed and their memory reused while the target
 * runs: nothing learned of its objects in one stop is trusted in the
 * next.  */
static void forget_objects(struct hi_session *s)
{
	hi_py_reset(&s->py);
	hi_np_reset(&s->py);
}

int hi_session_stop(struct hi_session *s)
{
	if (!s->attached) {
		hi_error("not attached to a process; use: attach PID");
		return -1;
	}
	if (s->image) {	/* nothing to stop: start afresh */
		forget_objects(s);
		return 0;
	}
	if (hi_target_stop(&s->target) < 0)
		return -1;
	s->py.paused = 1;
	hi_mem_invalidate(s->mem);
	forget_objects(s);
	return 0;
}

int hi_session_resume(struct hi_session *s)
{
	if (s->image)
		return 0;
	int was_stopped = s->target.stopped;
	hi_target_resume(&s->target);
	s->py.paused = 0;
	int gone = s->mem && hi_mem_target_gone(s->mem);
	if (s->mem)
		hi_mem_invalidate(s->mem);
	if (!was_stopped)
		return 0;
	/* What was read is worth nothing if the process died, or another
	 * took its pid, while it was read: the reader saw ESRCH, or the
	 * process is not there now.  */
	int dead = s->target.gone || !hi_target_alive(s->pid);
	/* A process killed while it was read dies one thread at a time:
	 * when the reader saw it vanish, give the rest a moment to go, so
	 * that a kill is reported as one.  */
	for (int i = 0; gone && !dead && i < 100; i++) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		hi_target_poll();
		dead = !hi_target_alive(s->pid);
	}
	if (dead) {
		s->target.gone = 1;
		hi_error("%s: the process exited while heapinspect read it; nothing it read is kept", s->who);
		hi_error_class(HI_E_GONE);
		return -1;
	}
	if (gone) {	/* alive, but the thread read through is not */
		hi_error("%s: its memory became unreadable while heapinspect read it (a thread exited); retry",
			 s->who);
		return -1;
	}
	return 0;
}

int hi_session_ready(struct hi_session *s)
{
	if (hi_session_stop(s) < 0)
		return 0;
	struct hi_py *py = &s->py;
	uint64_t interp = 0, modules = 0;
	int ready = hi_py_interps(py, &interp, 1, s->who) == 1 && hi_has(py->l.is_modules) && hi_mem_u64(s->mem, interp + py->l.is_modules.off, &modules) == 0 &&
		    modules && hi_py_dict_get_str(py, modules, "__main__") != 0;
	if (hi_session_resume(s) < 0)
		return 0;
	return ready;
}

void hi_session_detach(struct hi_session *s)
{
	hi_target_close(&s->target);
	if (s->attached || s->mem || s->dbg) {
		hi_np_free(&s->py);
		hi_py_fini(&s->py);
	}
	if (s->image)
		hi_image_close(s->image);	/* owns the reader */
	else
		hi_mem_close(s->mem);
	hi_dbg_close(s->dbg);
	s->image = NULL;
	s->mem = NULL;
	s->dbg = NULL;
	s->attached = 0;
}
