/* infile.h: files heapinspect reads that a user names (a saved census,
 * a watch file, a script), opened so that no name makes it read forever
 * or without bound: /dev/zero, a FIFO nobody closes, a huge file; and
 * the one-number lines of the kernel's own /proc files.  */
#ifndef HI_INFILE_H
#define HI_INFILE_H
#include <stdint.h>
#include <stdio.h>

/* Largest saved census and watch file heapinspect reads.  */
#define HI_INFILE_CENSUS_MAX ((uint64_t)256 << 20)
#define HI_INFILE_WATCH_MAX ((uint64_t)4 << 30)

/* Open PATH for reading if it is a regular file of at most MAX bytes.
 * Returns the stream, or NULL with hi_errmsg() set: "WHO: WHAT PATH is
 * not a regular file ..." or "... is N MiB, more than ...".  */
FILE *hi_infile_open(const char *path, uint64_t max, const char *who, const char *what);

/* The whole of PATH (checked as above), NUL-terminated, in malloc'd
 * memory; *LEN its length.  NULL with hi_errmsg() set.  */
char *hi_infile_read(const char *path, uint64_t max, const char *who, const char *what, size_t *len);

/* N of the line "KEY N kB" of a /proc file such as /proc/meminfo or
 * /proc/self/status (KEY with its colon: "MemAvailable:"), or 0 when
 * the file or the line is missing.  */
unsigned long long hi_proc_kb(const char *path, const char *key);

/* May PATH be run as a script?  Regular files, FIFOs (-f <(...)) and
 * terminals are; a directory or another device (/dev/zero) is not.
 * 0, or -1 with hi_errmsg() set.  */
int hi_infile_script_ok(const char *path);

#endif
