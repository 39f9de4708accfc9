/* output.c: telling a reader that left from a write that failed.  */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "error.h"
#include "output.h"

void hi_output_guard_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* Read-only: stdin reads nothing, and a write to stdout or
		 * stderr fails as it would have on the closed descriptor. */
		int nfd = open("/dev/null", O_RDONLY);
		if (nfd >= 0 && nfd != fd) {
			dup2(nfd, fd);
			close(nfd);
		}
	}
}

/* Has the reader of FD (a pipe or socket) gone?  The kernel reports
 * that to poll as an error or hang-up on the writing end.  */
static int reader_gone(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return 0;
	struct pollfd p = { fd, POLLOUT, 0 };
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

enum hi_out_state hi_output_check(FILE *out)
{
	errno = 0;
	int flushed = fflush(out) == 0;
	int e = errno;
	if (flushed && !ferror(out))
		return HI_OUT_OK;
	clearerr(out);
	if (e == EPIPE || reader_gone(fileno(out)))
		return HI_OUT_GONE;
	/* The first flush after a failed write fails again with its errno;
	 * when a command flushed already, its errno is lost: say what is
	 * known, no more.  */
	int fl = fcntl(fileno(out), F_GETFL);
	if (e == EBADF || fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
		hi_error("cannot write output: standard output is closed; redirect it to a file or /dev/null");
	else if (e)
		hi_error("cannot write output: %s; check the disk or device it goes to", strerror(e));
	else
		hi_error("cannot write output: a write to it failed; check the disk or device it goes to");
	hi_error_class(HI_E_RUNTIME);
	return HI_OUT_FAILED;
}
