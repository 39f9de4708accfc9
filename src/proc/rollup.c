/* rollup.c: see rollup.h.  */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/error.h"
#include "proc/rollup.h"
#include "proc/target.h"

/* The whole file is about 1 KiB; anything past this is not smaps_rollup. */
#define ROLLUP_MAX 16384

static const struct {
	const char *name;
	size_t off;
	unsigned bit;
} fields[] = {
	{ "Rss", offsetof(struct hi_rollup, rss), HI_ROLLUP_RSS },
	{ "Pss", offsetof(struct hi_rollup, pss), HI_ROLLUP_PSS },
	{ "Pss_Anon", offsetof(struct hi_rollup, pss_anon), HI_ROLLUP_PSS_ANON },
	{ "Pss_File", offsetof(struct hi_rollup, pss_file), HI_ROLLUP_PSS_FILE },
	{ "Pss_Shmem", offsetof(struct hi_rollup, pss_shmem), HI_ROLLUP_PSS_SHMEM },
	{ "Anonymous", offsetof(struct hi_rollup, anonymous), HI_ROLLUP_ANONYMOUS },
	{ "Swap", offsetof(struct hi_rollup, swap), HI_ROLLUP_SWAP },
	{ "SwapPss", offsetof(struct hi_rollup, swap_pss), HI_ROLLUP_SWAP_PSS },
};

int hi_rollup_parse(const char *text, struct hi_rollup *r)
{
	memset(r, 0, sizeof *r);
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		size_t name = strcspn(line, ":\n");
		for (size_t i = 0; name < len && i < sizeof fields / sizeof fields[0]; i++) {
			if (strlen(fields[i].name) != name || strncmp(line, fields[i].name, name) != 0)
				continue;
			/* "Rss:   1652 kB" */
			const char *p = line + name + 1;
			char *end;
			p += strspn(p, " \t");
			errno = 0;
			unsigned long long kb = strtoull(p, &end, 10);
			if (end == p || errno || *p == '-' || kb > UINT64_MAX / 1024 ||
			    (strncmp(end, " kB", 3) != 0) || (end[3] != '\n' && end[3] != '\0')) {
				hi_error("malformed line \"%.*s\"", (int)(len > 80 ? 80 : len), line);
				return -1;
			}
			*(uint64_t *)((char *)r + fields[i].off) = (uint64_t)kb * 1024;
			r->have |= fields[i].bit;
		}
		line += len;
		if (*line)
			line++;
	}
	if ((r->have & (HI_ROLLUP_RSS | HI_ROLLUP_PSS)) != (HI_ROLLUP_RSS | HI_ROLLUP_PSS)) {
		hi_error("no Rss and Pss lines (a process without memory?)");
		return -1;
	}
	return 0;
}

/* Read the file at PATH into BUF (NUL-terminated).  -1 with errno set.  */
static int read_all(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t n = 0;
	for (;;) {
		ssize_t k = read(fd, buf + n, cap - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (k == 0 || (n += (size_t)k) == cap - 1)
			break;
	}
	close(fd);
	buf[n] = '\0';
	return 0;
}

int hi_rollup_read_path(const char *path, struct hi_rollup *r)
{
	char *buf = malloc(ROLLUP_MAX);
	if (!buf) {
		hi_error("%s: out of memory; free some memory and retry", path);
		return -1;
	}
	int rc = read_all(path, buf, ROLLUP_MAX);
	if (rc < 0)
		hi_error("cannot read %s: %s", path, strerror(errno));
	else if ((rc = hi_rollup_parse(buf, r)) < 0)
		hi_error_prefix("%s", path);
	free(buf);
	return rc;
}

int hi_rollup_read(pid_t pid, struct hi_rollup *r, const char *who)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
	char *buf = malloc(ROLLUP_MAX);
	if (!buf) {
		hi_error("%s: out of memory reading %s; free some memory and retry", who, path);
		return -1;
	}
	int read_failed = read_all(path, buf, ROLLUP_MAX) < 0;
	int e = errno;
	if (!read_failed && hi_rollup_parse(buf, r) == 0) {
		free(buf);
		return 0;
	}
	free(buf);
	/* A process that exited leaves no /proc entry, or a zombie whose
	 * rollup is empty.  */
	if (!hi_target_alive(pid)) {
		hi_error("%s: the process has exited", who);
		hi_error_class(HI_E_GONE);
	} else if (!read_failed) {
		hi_error_prefix("%s: %s", who, path);	/* the parser's message */
	} else if (e == ENOENT) {
		hi_error("%s: no %s: the kernel is older than Linux 4.14; heapinspect needs smaps_rollup for memory totals",
			 who, path);
	} else if (e == EACCES || e == EPERM) {
		hi_error("%s: cannot read %s: %s; run as root or as the process's owner", who, path, strerror(e));
		hi_error_class(HI_E_PERM);
	} else {
		hi_error("%s: cannot read %s: %s", who, path, strerror(e));
	}
	return -1;
}
