/* park: a thread a ptrace stop cannot reach, for the tests.  Built as a
 * shared object that a test target loads with ctypes:
 *
 *     ctypes.CDLL(path).park(ms)
 *
 * vforks a child that sleeps MS milliseconds, then exits.  Until then the
 * calling thread waits in the kernel for the child (state D, in
 * vfork's wait), where PTRACE_INTERRUPT cannot stop it: the state a
 * thread in a hung disk read or an NFS call is in.  ctypes releases the
 * GIL around the call, so the target's other threads run on.  */
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

int park(int ms)
{
	pid_t pid = vfork();
	if (pid == 0) {
		/* The child shares the parent's memory until it exits: it only
		 * sleeps (a system call) and leaves.  */
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		_exit(0);
	}
	return pid < 0 ? -1 : 0;
}
