/* infile.c: bounded opening of the files a user names; /proc lines.  */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/error.h"
#include "util/infile.h"

static int check(int fd, const char *path, uint64_t max, const char *who, const char *what)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		hi_error("%s: cannot read %s %s: %s", who, what, path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		hi_error("%s: %s %s is not a regular file; give a file written by heapinspect", who, what,
			 path);
		return -1;
	}
	if ((uint64_t)st.st_size > max) {
		hi_error("%s: %s %s is %.1f MiB, more than the %llu MiB heapinspect reads; is it the right file?",
			 who, what, path, st.st_size / 1048576.0, (unsigned long long)(max >> 20));
		return -1;
	}
	return 0;
}

FILE *hi_infile_open(const char *path, uint64_t max, const char *who, const char *what)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer; the flag
	 * is cleared once the file is known to be regular.  */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		hi_error("%s: cannot read %s %s: %s", who, what, path, strerror(errno));
		return NULL;
	}
	if (check(fd, path, max, who, what) < 0) {
		close(fd);
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	FILE *f = fdopen(fd, "r");
	if (!f) {
		hi_error("%s: cannot read %s %s: %s", who, what, path, strerror(errno));
		close(fd);
	}
	return f;
}

char *hi_infile_read(const char *path, uint64_t max, const char *who, const char *what, size_t *len)
{
	FILE *f = hi_infile_open(path, max, who, what);
	if (!f)
		return NULL;
	/* Read to the end, never past MAX, whatever the size said: a file
	 * may grow while it is read.  */
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	while (buf && n <= max) {
		if (n == cap) {
			char *nb = realloc(buf, cap * 2 + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		if (got == 0)
			break;
		n += got;
	}
	int err = ferror(f) ? errno : 0;
	fclose(f);
	if (!buf) {
		hi_error("%s: out of memory reading %s %s; free some memory", who, what, path);
		return NULL;
	}
	if (err || n > max) {
		if (err)
			hi_error("%s: cannot read %s %s: %s", who, what, path, strerror(err));
		else
			hi_error("%s: %s %s grew past the %llu MiB heapinspect reads while it was read", who,
				 what, path, (unsigned long long)(max >> 20));
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

int hi_infile_script_ok(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return 0;	/* Tcl says why it cannot open it */
	if (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
		return 0;
	if (S_ISCHR(st.st_mode)) {
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		int tty = fd >= 0 && isatty(fd);
		if (fd >= 0)
			close(fd);
		if (tty)
			return 0;
	}
	hi_error("script %s is %s, not a file; give a file of Tcl commands", path,
		 S_ISDIR(st.st_mode) ? "a directory" : "a device");
	return -1;
}

unsigned long long hi_proc_kb(const char *path, const char *key)
{
	FILE *f = fopen(path, "re");
	char line[256];
	size_t n = strlen(key);
	unsigned long long kb = 0;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, key, n) == 0) {
			if (sscanf(line + n, " %llu kB", &kb) != 1)
				kb = 0;
			break;
		}
	if (f)
		fclose(f);
	return kb;
}
