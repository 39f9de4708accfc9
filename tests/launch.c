/* launch: run a test target so that heapinspect may attach to it even
 * under yama ptrace_scope=1, as strace's tests do: allow any tracer, then
 * exec.  Usage: launch PROGRAM [ARG]...  */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif
#ifndef PR_SET_PTRACER
#define PR_SET_PTRACER 0x59616d61
#endif
#ifndef PR_SET_PTRACER_ANY
#define PR_SET_PTRACER_ANY ((unsigned long)-1)
#endif

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: launch PROGRAM [ARG]...\n");
		return 2;
	}
	/* EINVAL means no yama: nothing to allow.  */
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	execvp(argv[1], argv + 1);
	fprintf(stderr, "launch: cannot run %s: %s\n", argv[1], strerror(errno));
	return 127;
}
