/* output.c: telling a reader that left from a write that failed.  */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/error.h"
#include "util/output.h"
#include "util/text.h"

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

/* The errno of the last failed write through the output stream, and
 * the descriptor it writes to (there is one per process).  */
static int last_write_errno;
static int cookie_fd = -1;

struct out_cookie {
	int fd;
	unsigned char carry[4];	/* the start of a UTF-8 sequence cut by */
	size_t ncarry;		/* the end of the last write */
};

static int write_fd(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			last_write_errno = w < 0 ? errno : EIO;
			errno = last_write_errno;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write BUF with its control characters and invalid bytes as '?'; a
 * sequence cut by the end is kept for the next call unless FINAL.  */
static int put_clean(struct out_cookie *oc, const unsigned char *buf, size_t size, int final)
{
	char tmp[8192];
	size_t n = 0, i = 0;
	while (i < size) {
		int bad;
		size_t k = hi_text_next(buf + i, size - i, &bad);
		if (!k) {
			if (!final) {
				memcpy(oc->carry, buf + i, size - i);
				oc->ncarry = size - i;
				break;
			}
			k = 1;
			bad = 1;
		}
		if (bad && buf[i] != '\n' && buf[i] != '\t' && buf[i] != '\r')
			memset(tmp + n, '?', k);
		else
			memcpy(tmp + n, buf + i, k);
		n += k;
		i += k;
		if (n >= sizeof tmp - 4) {
			if (write_fd(oc->fd, tmp, n) < 0)
				return -1;
			n = 0;
		}
	}
	return n ? write_fd(oc->fd, tmp, n) : 0;
}

static ssize_t out_write(void *c, const char *buf, size_t size)
{
	struct out_cookie *oc = c;
	if (!oc->ncarry)
		return put_clean(oc, (const unsigned char *)buf, size, 0) < 0 ? -1 : (ssize_t)size;
	/* A sequence cut by the last write: go on from its start.  */
	unsigned char *all = malloc(oc->ncarry + size);
	if (!all) {
		last_write_errno = errno = ENOMEM;
		return -1;
	}
	memcpy(all, oc->carry, oc->ncarry);
	memcpy(all + oc->ncarry, buf, size);
	size_t n = oc->ncarry + size;
	oc->ncarry = 0;
	int rc = put_clean(oc, all, n, 0);
	free(all);
	return rc < 0 ? -1 : (ssize_t)size;
}

static int out_close(void *c)
{
	struct out_cookie *oc = c;
	int rc = oc->ncarry ? put_clean(oc, oc->carry, oc->ncarry, 1) : 0;
	free(oc);
	return rc;
}

FILE *hi_output_open(int fd)
{
	struct out_cookie *oc = calloc(1, sizeof *oc);
	if (!oc)
		return NULL;
	oc->fd = cookie_fd = fd;
	cookie_io_functions_t io = { .read = NULL, .write = out_write, .seek = NULL, .close = out_close };
	FILE *f = fopencookie(oc, "w", io);
	if (!f) {
		free(oc);
		return NULL;
	}
	setvbuf(f, NULL, isatty(fd) ? _IOLBF : _IOFBF, 1 << 16);
	return f;
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
	int e = last_write_errno ? last_write_errno : errno;
	if (flushed && !ferror(out))
		return HI_OUT_OK;
	clearerr(out);
	last_write_errno = 0;
	int fd = fileno(out) >= 0 ? fileno(out) : cookie_fd;
	if (e == EPIPE || reader_gone(fd))
		return HI_OUT_GONE;
	/* The first flush after a failed write fails again with its errno;
	 * when a command flushed already, its errno is lost: say what is
	 * known, no more.  */
	int fl = fcntl(fd, F_GETFL);
	if (e == EBADF || fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
		hi_error("cannot write output: standard output is closed; redirect it to a file or /dev/null");
	else if (e)
		hi_error("cannot write output: %s; check the disk or device it goes to", strerror(e));
	else
		hi_error("cannot write output: a write to it failed; check the disk or device it goes to");
	hi_error_class(HI_E_RUNTIME);
	return HI_OUT_FAILED;
}
