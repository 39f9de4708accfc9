/* output.h: what heapinspect's own output did, and why it failed.
 *
 * A reader that goes away (heapinspect ... | head) is the one write
 * failure that is not an error: the writer ends quietly with 141, as a
 * pipe's writer does.  Every other failure (a full disk, /dev/full, a
 * closed stdout, EIO on a terminal) is an error with a message and
 * status 1: a user who asked for output must not be told it worked.  */
#ifndef HI_OUTPUT_H
#define HI_OUTPUT_H
#include <stdio.h>

/* Keep the standard descriptors from being reused: one that is closed
 * at start (heapinspect >&-) gets /dev/null opened read-only in its
 * place, so that writes to it fail (EBADF) instead of landing in the
 * next file heapinspect opens.  Call first thing in main.  */
void hi_output_guard_fds(void);

/* The stream every command writes its output to: text written to it
 * reaches FD with each control character other than newline, tab and
 * carriage return replaced by '?' (text.h: names from the target must
 * not reach a terminal raw), and a failed write keeps its errno for
 * hi_output_check.  Line-buffered on a terminal, else fully buffered.
 * NULL if it cannot be made (out of memory).  */
FILE *hi_output_open(int fd);

enum hi_out_state {
	HI_OUT_OK = 0,
	HI_OUT_GONE,	/* the reader of the pipe or socket left (EPIPE) */
	HI_OUT_FAILED,	/* any other failure: hi_errmsg() says which */
};

/* Flush OUT and tell whether a write to it has failed.  On
 * HI_OUT_FAILED the error is set ("cannot write output: ..."), once:
 * the stream's error flag is cleared, so that the next check reports
 * only new failures.  */
enum hi_out_state hi_output_check(FILE *out);

#endif
