/* interrupt.c: see interrupt.h.  */
#include "config.h"
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include "util/interrupt.h"

volatile sig_atomic_t hi_interrupt_signal;
static void (*interrupt_hook)(void);

static void on_signal(int sig)
{
	hi_interrupt_signal = sig;
	if (interrupt_hook)
		interrupt_hook();
}

void hi_interrupt_install(void (*hook)(void))
{
	interrupt_hook = hook;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking read at the prompt returns EINTR. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int hi_interrupt_sleep_until(const struct timespec *deadline)
{
	sigset_t ours, old, waiting;
	sigemptyset(&ours);
	sigaddset(&ours, SIGINT);
	sigaddset(&ours, SIGTERM);
	sigaddset(&ours, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &ours, &old);
	waiting = old;
	sigdelset(&waiting, SIGINT);
	sigdelset(&waiting, SIGTERM);
	sigdelset(&waiting, SIGHUP);
	int sig;
	for (;;) {
		if ((sig = hi_interrupted()) != 0)
			break;
		struct timespec now, left;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = deadline->tv_sec - now.tv_sec;
		left.tv_nsec = deadline->tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_nsec += 1000000000L;
			left.tv_sec--;
		}
		if (left.tv_sec < 0 || (left.tv_sec == 0 && left.tv_nsec == 0))
			break;
		/* Wakes at the timeout, or with EINTR once a handler ran.  */
		ppoll(NULL, 0, &left, &waiting);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return sig;
}
