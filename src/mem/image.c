/* image.c: saving and reading memory images (see image.h).
 *
 * Layout, all integers little-endian as on the machines heapinspect runs
 * on (x86-64, aarch64):
 *
 *   header   struct file_header, HEADER_SIZE bytes
 *   table    nranges x struct file_range, right after the header
 *   data     each range's bytes at its own page-aligned offset
 *
 * Page-aligned data lets the reader map the file and serve reads straight
 * from it, however large the image.  */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "util/error.h"
#include "mem/image.h"

#define MAGIC "HEAPIMG\n"
#define FORMAT_VERSION 1
#define ALIGN 4096u

struct file_header {
	char magic[8];
	uint32_t version;
	uint32_t header_size;	/* sizeof (struct file_header) */
	uint64_t pid;
	int64_t taken;
	uint64_t base;		/* load address of the Python module */
	uint32_t nranges;
	uint32_t build_id_len;
	unsigned char build_id[64];
	char version_str[32];
	char module[4096];
	char exe[4096];
};

struct file_range {
	uint64_t addr, len, offset;
};

static uint64_t align_up(uint64_t n)
{
	return (n + ALIGN - 1) & ~(uint64_t)(ALIGN - 1);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Create the file that becomes PATH: unnamed (O_TMPFILE) in PATH's
 * directory where the file system allows, so that heapinspect killed
 * while writing leaves nothing behind; else PATH.tmpPID.  *TMP is set
 * to the name used, or "" for an unnamed file.  */
static int create_tmp(const char *path, char *tmp, size_t tmpsize)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		snprintf(dir, sizeof dir, "/");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	tmp[0] = '\0';
#ifdef O_TMPFILE
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
#endif
	snprintf(tmp, tmpsize, "%s.tmp%d", path, (int)getpid());
	return open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
}

/* Give the written file FD its name PATH, replacing what was there.  */
static int publish(int fd, const char *tmp, const char *path)
{
	if (tmp[0])
		return rename(tmp, path);
	/* An unnamed file gets a name through /proc/self/fd (linkat with
	 * AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH), first a temporary one
	 * beside PATH, then PATH by rename, which replaces it atomically.  */
	char proc[64], named[4200];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	snprintf(named, sizeof named, "%s.tmp%d", path, (int)getpid());
	unlink(named);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, named, AT_SYMLINK_FOLLOW) < 0)
		return -1;
	if (rename(named, path) < 0) {
		int e = errno;
		unlink(named);
		errno = e;
		return -1;
	}
	return 0;
}

int64_t hi_image_save(const struct hi_mem *snap, pid_t pid, const struct hi_dbg *dbg, const char *version,
		      const char *path)
{
	size_t n = hi_mem_image_nranges(snap);
	struct file_header *h = calloc(1, sizeof *h);
	struct file_range *t = calloc(n ? n : 1, sizeof *t);
	char tmp[4200];
	int fd = -1;
	int64_t saved = -1;
	if (!h || !t) {
		hi_error("pid %d: out of memory saving its image; free some memory and retry", (int)pid);
		goto out;
	}
	memcpy(h->magic, MAGIC, 8);
	h->version = FORMAT_VERSION;
	h->header_size = sizeof *h;
	h->pid = (uint64_t)pid;
	h->taken = (int64_t)time(NULL);
	h->base = hi_dbg_python_base(dbg);
	h->nranges = (uint32_t)n;
	h->build_id_len = (uint32_t)hi_dbg_build_id(dbg, h->build_id, sizeof h->build_id);
	snprintf(h->version_str, sizeof h->version_str, "%s", version);
	snprintf(h->module, sizeof h->module, "%s", hi_dbg_python_path(dbg));
	snprintf(h->exe, sizeof h->exe, "%s", hi_dbg_exe_path(dbg) ? hi_dbg_exe_path(dbg) : "");
	uint64_t off = align_up(sizeof *h + n * sizeof *t), total = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len;
		hi_mem_image_range(snap, i, &t[i].addr, &len);
		t[i].len = len;
		t[i].offset = off;
		off = align_up(off + len);
		total += len;
	}
	fd = create_tmp(path, tmp, sizeof tmp);
	if (fd < 0) {
		hi_error("pid %d: cannot create %s: %s; choose a writable directory", (int)pid, tmp[0] ? tmp : path,
			 strerror(errno));
		goto out;
	}
	static const unsigned char zeros[ALIGN];
	uint64_t at = 0;
	if (write_all(fd, h, sizeof *h) < 0 || write_all(fd, t, n * sizeof *t) < 0)
		goto write_error;
	at = sizeof *h + n * sizeof *t;
	for (size_t i = 0; i < n; i++) {
		uint64_t a;
		size_t len;
		const unsigned char *data = hi_mem_image_range(snap, i, &a, &len);
		if (write_all(fd, zeros, (size_t)(t[i].offset - at)) < 0 || write_all(fd, data, len) < 0)
			goto write_error;
		at = t[i].offset + len;
	}
	if (fsync(fd) < 0 && errno != EINVAL)
		goto write_error;
	if (publish(fd, tmp, path) < 0) {
		hi_error("pid %d: cannot create %s: %s", (int)pid, path, strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		unlink(path);
		goto write_error;
	}
	fd = -1;
	saved = (int64_t)total;
	goto out;
write_error:
	hi_error("pid %d: cannot write %s: %s; check the free space", (int)pid, path, strerror(errno));
fail:
	if (fd >= 0)
		close(fd);
	fd = -1;
	if (tmp[0])
		unlink(tmp);
out:
	free(h);
	free(t);
	return saved;
}

/* A NUL-terminated string within its field?  */
static int terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

struct hi_image *hi_image_open(const char *path, const char *who)
{
	struct hi_image *img = calloc(1, sizeof *img);
	if (!img) {
		hi_error("%s: out of memory", who);
		return NULL;
	}
	img->map = MAP_FAILED;
	img->what = "an image";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		hi_error("%s: cannot open %s: %s", who, path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < sizeof(struct file_header)) {
		hi_error("%s: %s is not a heapinspect image or core file (too short); write one with: dump FILE, or gcore PID", who, path);
		goto fail;
	}
	img->maplen = (size_t)st.st_size;
	/* Private and writable: changes (the fuzzer's) stay in this process. */
	img->map = mmap(NULL, img->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (img->map == MAP_FAILED) {
		hi_error("%s: cannot map %s: %s", who, path, strerror(errno));
		goto fail;
	}
	close(fd);
	fd = -1;
	if (!(img->path = strdup(path))) {
		hi_error("%s: out of memory", who);
		goto fail;
	}
	const struct file_header *h = img->map;
	if (memcmp(h->magic, MAGIC, 8) != 0) {
		hi_error("%s: %s is not a heapinspect image or core file (bad magic); write one with: dump FILE, or gcore PID", who, path);
		goto fail;
	}
	if (h->version != FORMAT_VERSION || h->header_size != sizeof *h) {
		hi_error("%s: %s is an image of format %u, this heapinspect reads format %u; use the heapinspect that wrote it",
			 who, path, h->version, FORMAT_VERSION);
		goto fail;
	}
	if (!terminated(h->module, sizeof h->module) || !terminated(h->exe, sizeof h->exe) ||
	    !terminated(h->version_str, sizeof h->version_str) || h->build_id_len > sizeof h->build_id ||
	    h->pid == 0 || h->pid > INT32_MAX) {
		hi_error("%s: %s has a corrupt header", who, path);
		goto fail;
	}
	uint64_t n = h->nranges;
	if (n > (img->maplen - sizeof *h) / sizeof(struct file_range)) {
		hi_error("%s: %s is truncated (its range table needs %llu entries)", who, path, (unsigned long long)n);
		goto fail;
	}
	img->pid = (pid_t)h->pid;
	img->taken = h->taken;
	img->base = h->base;
	memcpy(img->module, h->module, sizeof img->module);
	memcpy(img->exe, h->exe, sizeof img->exe);
	memcpy(img->version, h->version_str, sizeof img->version);
	img->build_id_len = h->build_id_len;
	memcpy(img->build_id, h->build_id, h->build_id_len);
	if (!(img->mem = hi_mem_open_image()))
		goto fail;
	const struct file_range *t = (const struct file_range *)(h + 1);
	for (uint64_t i = 0; i < n; i++) {
		if (t[i].offset < sizeof *h || t[i].offset > img->maplen || t[i].len > img->maplen - t[i].offset) {
			hi_error("%s: %s is truncated or corrupt (range %llu at 0x%llx lies outside the file)", who,
				 path, (unsigned long long)i, (unsigned long long)t[i].addr);
			goto fail;
		}
		if (hi_mem_image_borrow(img->mem, t[i].addr, (unsigned char *)img->map + t[i].offset,
					(size_t)t[i].len) < 0) {
			hi_error("%s: %s is corrupt (range %llu at 0x%llx is empty, overlaps or is out of order)",
				 who, path, (unsigned long long)i, (unsigned long long)t[i].addr);
			goto fail;
		}
	}
	return img;
fail:
	if (fd >= 0)
		close(fd);
	hi_image_close(img);
	return NULL;
}

struct hi_dbg *hi_image_debuginfo(const struct hi_image *img, const char *who)
{
	struct hi_dbg *d = hi_dbg_open_loaded(img->module, img->base, img->exe, who);
	if (!d)
		return NULL;
	unsigned char id[64];
	size_t n = hi_dbg_build_id(d, id, sizeof id);
	if (img->build_id_len && (n != img->build_id_len || memcmp(id, img->build_id, n) != 0)) {
		hi_error("%s: %s is not the build the image was taken with (its build id differs); read the image where it was taken",
			 who, img->module);
		hi_error_class(HI_E_NODEBUG);
		hi_dbg_close(d);
		return NULL;
	}
	return d;
}

void hi_image_close(struct hi_image *img)
{
	if (!img)
		return;
	hi_mem_close(img->mem);
	if (img->release)
		img->release(img);
	free(img->path);
	if (img->map != MAP_FAILED && img->map)
		munmap(img->map, img->maplen);
	free(img);
}
