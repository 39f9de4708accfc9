/* target.h: process control.  Stops every thread of a target process with
 * PTRACE_SEIZE + PTRACE_INTERRUPT and lets it go with PTRACE_DETACH.
 *
 * heapinspect holds a target stopped only while it reads it: hi_target_stop
 * before a read, hi_target_resume right after, on every path.  Between the
 * two nothing but reading may happen.  This module never writes the
 * target's memory or registers; it issues no PTRACE_POKE* or SETREGS.
 *
 * A signal that arrives while a thread is being stopped is recorded and
 * handed back at detach, so the target loses none.
 *
 * A thread blocked in the kernel (state D: a vfork parent waiting for its
 * child, a read from a hung disk) cannot stop until the kernel lets it go.
 * When one does not stop at once, every thread that did is let go at
 * once and the stop fails (HI_E_BUSY); the blocked thread stays seized,
 * with the interrupt pending, and is detached the moment it stops: from
 * a SIGCHLD handler (the kernel tells the tracer of every ptrace stop),
 * and at the latest by hi_target_poll, which the command layer calls at
 * every command and the shell at its prompt.  Until then it cannot run a
 * single instruction of the target's code, so it never misses a step of
 * its own; it is only late.
 *
 * The target's identity is fixed at hi_target_open: its start time (a
 * new process that got the same pid has another) and the 16 random bytes
 * the kernel puts on the stack of every new program (AT_RANDOM: an execve
 * gets new ones).  Every stop checks both, so a census is never taken of
 * another process or program than the one attached to.  */
#ifndef HI_TARGET_H
#define HI_TARGET_H
#include <stdint.h>
#include <sys/types.h>

struct hi_thread {
	pid_t tid;
	int pending_sig;	/* signal to re-deliver at detach, or 0 */
	int group_stopped;	/* was in a job-control stop when seized */
	int stopped;		/* has reported its stop */
	double interrupted_at;	/* when PTRACE_INTERRUPT was sent */
};

/* What tells one process from another with the same pid, and a program
 * from the one it replaced with execve.  */
struct hi_proc_id {
	pid_t pid;
	uint64_t starttime;	/* clock ticks after boot: /proc/PID/stat field 22 */
	uint64_t at_random;	/* where the kernel put the program's random bytes */
	unsigned char random[16];
};

struct hi_target {
	pid_t pid;
	pid_t reader;		/* the thread whose /proc files and memory to read:
				 * PID, unless the main thread has exited */
	struct hi_proc_id id;
	int gone;		/* it exited or was replaced: every stop fails */
	struct hi_thread *threads;	/* valid while stopped */
	int nthreads, cap;
	int stopped;
	double stopped_at;	/* monotonic seconds at stop */
	double last_pause;	/* seconds the last stop lasted */
	unsigned long nstops;
};

/* Check that PID names a live process we could inspect, and learn its
 * identity (reading 16 bytes of its memory, which needs the same
 * permission as tracing it: a failure is explained as hi_target_stop
 * would).  No ptrace yet, so the target is not stopped.  Returns 0, or
 * -1 with hi_errmsg() set ("pid N: no such process").  */
int hi_target_open(struct hi_target *t, pid_t pid);

/* Stop every thread, re-scanning /proc/PID/task until no new thread shows
 * up, then check that the process is still the one opened.  Returns 0
 * with the target stopped, or -1 with the error set and the target
 * running (every thread seized so far has been detached, or will be the
 * moment it stops).  Classes: HI_E_GONE (exited, pid reused, execve),
 * HI_E_BUSY (a thread blocked in the kernel), HI_E_PERM.  */
int hi_target_stop(struct hi_target *t);

/* Detach every thread (re-delivering pending signals).  Safe to call when
 * not stopped.  A thread that died meanwhile is waited for, so that its
 * parent can reap it.  Returns 0, or -1 if the process is gone.  */
int hi_target_resume(struct hi_target *t);

void hi_target_close(struct hi_target *t);

/* Detach the threads of earlier stops that had not stopped then and have
 * since (see above), and wait for those that died.  Cheap; call it often.
 * Returns how many threads are still held that way.  */
int hi_target_poll(void);

/* Does the process still exist with the identity T recorded?  0 when it
 * is gone (exited, a zombie, or another process or program under its
 * pid), with hi_errmsg() saying which (class HI_E_GONE); 1 otherwise.  A
 * process whose main thread has exited while others run is alive.  */
int hi_target_check(struct hi_target *t);

/* Is the process still there (some thread that is not a zombie)?  */
int hi_target_alive(pid_t pid);

/* One-letter state from /proc/PID/stat ('R', 'S', 't', 'T', ...), or 0.  */
char hi_target_state(pid_t pid);

/* Read PID's identity into ID, its memory through thread READER (PID
 * unless its main thread has exited).  0, or -1 with errno set (ENOENT:
 * no such process; EPERM/EACCES: not allowed to read its memory).  */
int hi_proc_identify(pid_t pid, pid_t reader, struct hi_proc_id *id);

/* Monotonic clock in seconds.  */
double hi_now(void);

#endif
