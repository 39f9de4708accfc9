/* session.c: see session.h.  */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "error.h"
#include "session.h"

int hi_session_attach(struct hi_session *s, pid_t pid)
{
	memset(s, 0, sizeof *s);
	s->pid = pid;
	snprintf(s->who, sizeof s->who, "pid %d", (int)pid);
	if (hi_target_open(&s->target, pid) < 0)
		return -1;
	/* A first stop proves we may trace it, with the precise reason when
	 * we may not, before anything else is read.  */
	if (hi_target_stop(&s->target) < 0)
		goto fail;
	hi_target_resume(&s->target);
	/* Debug information comes from files: the target runs meanwhile.  */
	if (!(s->dbg = hi_dbg_open_pid(pid)))
		goto fail;
	if (!(s->mem = hi_mem_open_pid(pid)))
		goto fail;
	if (hi_target_stop(&s->target) < 0)
		goto fail;
	int rc = hi_py_init(&s->py, s->dbg, s->mem, s->who);
	hi_target_resume(&s->target);
	hi_mem_invalidate(s->mem);
	if (rc < 0)
		goto fail;
	s->attached = 1;
	return 0;
fail:
	hi_session_detach(s);
	return -1;
}

int hi_session_open_image(struct hi_session *s, const char *path)
{
	memset(s, 0, sizeof *s);
	const char *base = strrchr(path, '/');
	snprintf(s->who, sizeof s->who, "%s", base ? base + 1 : path);
	if (!(s->image = hi_image_open(path, s->who)))
		return -1;
	s->pid = s->image->pid;
	snprintf(s->who, sizeof s->who, "%s (pid %d)", base ? base + 1 : path, (int)s->pid);
	s->mem = s->image->mem;
	if (!(s->dbg = hi_image_debuginfo(s->image, s->who)))
		goto fail;
	if (hi_py_init(&s->py, s->dbg, s->mem, s->who) < 0)
		goto fail;
	s->attached = 1;
	return 0;
fail:
	hi_session_detach(s);
	return -1;
}

int hi_session_stop(struct hi_session *s)
{
	if (!s->attached) {
		hi_error("not attached to a process; use: attach PID");
		return -1;
	}
	if (s->image) {	/* nothing to stop: start afresh */
		hi_py_reset(&s->py);
		return 0;
	}
	if (hi_target_stop(&s->target) < 0)
		return -1;
	s->py.paused = 1;
	hi_mem_invalidate(s->mem);
	hi_py_reset(&s->py);
	return 0;
}

void hi_session_resume(struct hi_session *s)
{
	if (s->image)
		return;
	hi_target_resume(&s->target);
	s->py.paused = 0;
	if (s->mem)
		hi_mem_invalidate(s->mem);
}

int hi_session_ready(struct hi_session *s)
{
	if (hi_session_stop(s) < 0)
		return 0;
	struct hi_py *py = &s->py;
	uint64_t interp = 0, modules = 0;
	int ready = hi_mem_u64(s->mem, py->runtime + py->l.rt_interp_head.off, &interp) == 0 && interp &&
		    hi_has(py->l.is_modules) && hi_mem_u64(s->mem, interp + py->l.is_modules.off, &modules) == 0 &&
		    modules && hi_py_dict_get_str(py, modules, "__main__") != 0;
	hi_session_resume(s);
	return ready;
}

void hi_session_detach(struct hi_session *s)
{
	hi_target_close(&s->target);
	if (s->attached || s->mem || s->dbg)
		hi_py_fini(&s->py);
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
