/* interrupt.c: see interrupt.h.  */
#include "config.h"
#include <string.h>
#include "interrupt.h"

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
