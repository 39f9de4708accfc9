/* interrupt.h: Ctrl-C and termination requests, as a flag.
 *
 * Signal handlers only set the flag (the strace way); long loops poll
 * hi_interrupted() and unwind, so the target is always resumed and
 * detached by the normal paths.  */
#ifndef HI_INTERRUPT_H
#define HI_INTERRUPT_H
#include <signal.h>
#include <time.h>

extern volatile sig_atomic_t hi_interrupt_signal;

/* Nonzero (the signal number) once SIGINT, SIGTERM or SIGHUP arrived.  */
static inline int hi_interrupted(void)
{
	return hi_interrupt_signal;
}

/* Forget an interrupt that has been acted on (the shell, after a
 * cancelled command).  */
static inline void hi_interrupt_clear(void)
{
	hi_interrupt_signal = 0;
}

/* Route SIGINT, SIGTERM and SIGHUP to the flag.  HOOK, if not NULL, is
 * also called from the handler and must be async-signal-safe (the Tcl
 * layer passes one that calls Tcl_AsyncMark).  */
void hi_interrupt_install(void (*hook)(void));

/* Sleep until DEADLINE on CLOCK_MONOTONIC, unless SIGINT, SIGTERM or
 * SIGHUP arrives (or already has).  Returns 0 at the deadline, or the
 * signal's number.  No race: the signals stay blocked from the check of
 * the flag until ppoll unblocks them atomically to wait.  */
int hi_interrupt_sleep_until(const struct timespec *deadline);

#endif
