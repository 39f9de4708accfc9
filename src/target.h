/* target.h: process control.  Stops every thread of a target process with
 * PTRACE_SEIZE + PTRACE_INTERRUPT and lets it go with PTRACE_DETACH.
 *
 * heapinspect holds a target stopped only while it reads it: hi_target_stop
 * before a read, hi_target_resume right after, on every path.  Between the
 * two nothing but reading may happen.  This module never writes the
 * target's memory or registers; it issues no PTRACE_POKE* or SETREGS.
 *
 * A signal that arrives while a thread is being stopped is recorded and
 * handed back at detach, so the target loses none.  */
#ifndef HI_TARGET_H
#define HI_TARGET_H
#include <sys/types.h>

struct hi_thread {
	pid_t tid;
	int pending_sig;	/* signal to re-deliver at detach, or 0 */
	int group_stopped;	/* was in a job-control stop when seized */
};

struct hi_target {
	pid_t pid;
	struct hi_thread *threads;	/* valid while stopped */
	int nthreads, cap;
	int stopped;
	double stopped_at;	/* monotonic seconds at stop */
	double last_pause;	/* seconds the last stop lasted */
	unsigned long nstops;
};

/* Check that PID names a live process we could inspect.  No ptrace yet.
 * Returns 0, or -1 with hi_errmsg() set ("pid N: no such process").  */
int hi_target_open(struct hi_target *t, pid_t pid);

/* Stop every thread, re-scanning /proc/PID/task until no new thread shows
 * up.  Returns 0 with the target stopped, or -1 with the error set and the
 * target running (every thread seized so far has been detached).  */
int hi_target_stop(struct hi_target *t);

/* Detach every thread (re-delivering pending signals).  Safe to call when
 * not stopped.  Returns 0, or -1 if some thread could not be detached
 * (it exited; the kernel releases the rest).  */
int hi_target_resume(struct hi_target *t);

void hi_target_close(struct hi_target *t);

/* Is the process still there (not a zombie, not gone)?  */
int hi_target_alive(pid_t pid);

/* One-letter state from /proc/PID/stat ('R', 'S', 't', 'T', ...), or 0.  */
char hi_target_state(pid_t pid);

/* Monotonic clock in seconds.  */
double hi_now(void);

#endif
