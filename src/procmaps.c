/* procmaps.c: /proc's view of an address space (see procmaps.h).  */
#include "config.h"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "error.h"
#include "procmaps.h"
#include "u64map.h"

static const char *const keys[HI_MC_COUNT] = {
	"pymalloc", "malloc_heap", "malloc_arenas", "malloc_mmap", "stacks",
	"code", "files", "shm", "anon",
};
static const char *const labels[HI_MC_COUNT] = {
	"pymalloc arenas", "malloc heap [heap]", "malloc thread arenas", "malloc mmap'd chunks",
	"thread stacks", "executables and libraries", "mapped files", "shared memory",
	"other anonymous memory",
};

const char *hi_mclass_key(enum hi_mclass c) { return c < HI_MC_COUNT ? keys[c] : "?"; }
const char *hi_mclass_label(enum hi_mclass c) { return c < HI_MC_COUNT ? labels[c] : "?"; }

const char *hi_shmkind_name(enum hi_shmkind k)
{
	static const char *const names[] = { "", "posix", "sysv", "memfd", "shared-anonymous" };
	return k <= HI_SHM_ANON ? names[k] : "?";
}

/* ---- smaps and maps ---- */

/* "7f04e44da000-7f04e48da000 rw-p 00000000 00:00 0    /path": 1 if LINE
 * is a mapping's first line, filled into V.  */
static int parse_header(char *line, struct hi_vma *v)
{
	unsigned long long start, end, offset, inode;
	unsigned major, minor;
	char perms[8];
	int n = 0;
	if (!isxdigit((unsigned char)line[0]) ||
	    sscanf(line, "%llx-%llx %7s %llx %x:%x %llu%n", &start, &end, perms, &offset, &major, &minor, &inode,
		   &n) != 7 || strlen(perms) != 4 || end < start)
		return 0;
	memset(v, 0, sizeof *v);
	v->start = start;
	v->end = end;
	v->offset = offset;
	v->major = major;
	v->minor = minor;
	v->inode = inode;
	memcpy(v->perms, perms, 5);
	char *p = line + n;
	while (*p == ' ' || *p == '\t')
		p++;
	size_t len = strcspn(p, "\n");
	static const char deleted[] = " (deleted)";
	if (len >= sizeof deleted - 1 && memcmp(p + len - (sizeof deleted - 1), deleted, sizeof deleted - 1) == 0) {
		v->deleted = 1;
		len -= sizeof deleted - 1;
	}
	v->path = strndup(p, len);
	return v->path ? 1 : -1;
}

/* "Rss:   1234 kB" -> the field's slot in V, and its value in bytes.  */
static int parse_field(const char *line, struct hi_vma *v)
{
	static const struct {
		const char *name;
		size_t where;
	} fields[] = {
		{ "Rss", offsetof(struct hi_vma, rss) },
		{ "Pss", offsetof(struct hi_vma, pss) },
		{ "Swap", offsetof(struct hi_vma, swap) },
		{ "Anonymous", offsetof(struct hi_vma, anon) },
		{ "Shared_Clean", offsetof(struct hi_vma, shared_clean) },
		{ "Shared_Dirty", offsetof(struct hi_vma, shared_dirty) },
		{ "Private_Clean", offsetof(struct hi_vma, private_clean) },
		{ "Private_Dirty", offsetof(struct hi_vma, private_dirty) },
	};
	const char *colon = strchr(line, ':');
	if (!colon || colon == line)
		return 0;
	for (const char *p = line; p < colon; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return 0;
	size_t nlen = (size_t)(colon - line);
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (strlen(fields[i].name) == nlen && memcmp(line, fields[i].name, nlen) == 0) {
			unsigned long long kb;
			if (sscanf(colon + 1, "%llu kB", &kb) == 1)
				*(uint64_t *)((char *)v + fields[i].where) = (uint64_t)kb * 1024;
			return 1;
		}
	return 1;	/* a field we do not use (VmFlags, THPeligible, ...) */
}

int hi_maps_parse(FILE *f, struct hi_maps *out)
{
	char *line = NULL;
	size_t cap = 0;
	memset(out, 0, sizeof *out);
	while (getline(&line, &cap, f) >= 0) {
		struct hi_vma v;
		int h = parse_header(line, &v);
		if (h < 0)
			goto oom;
		if (h) {
			if (out->n == out->cap) {
				size_t nc = out->cap ? out->cap * 2 : 256;
				struct hi_vma *nv = realloc(out->v, nc * sizeof *nv);
				if (!nv) {
					free(v.path);
					goto oom;
				}
				out->v = nv;
				out->cap = nc;
			}
			out->v[out->n++] = v;
			continue;
		}
		if (line[0] == '\n' || line[0] == '\0')
			continue;
		if (!out->n || !parse_field(line, &out->v[out->n - 1])) {
			line[strcspn(line, "\n")] = '\0';
			hi_error("not a line of /proc/PID/smaps or maps: \"%.80s\"", line);
			free(line);
			hi_maps_free(out);
			return -1;
		}
	}
	free(line);
	return 0;
oom:
	free(line);
	hi_maps_free(out);
	hi_error("out of memory");
	return -1;
}

int hi_maps_read(pid_t pid, const char *file, struct hi_maps *out, const char *who)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	FILE *f = fopen(path, "re");
	if (!f) {
		int e = errno;
		hi_error("%s: cannot read %s: %s%s", who, path, strerror(e),
			 e == ENOENT ? "; the process has exited" : e == EACCES ? "; run as root or as its owner" : "");
		hi_error_class(e == ENOENT ? HI_E_GONE : e == EACCES ? HI_E_PERM : HI_E_RUNTIME);
		return -1;
	}
	int rc = hi_maps_parse(f, out);
	fclose(f);
	if (rc < 0)
		hi_error_prefix("%s: %s", who, path);
	return rc;
}

void hi_maps_free(struct hi_maps *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	memset(m, 0, sizeof *m);
}

static int starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int is_sysv_name(const char *p)
{
	if (!starts(p, "/SYSV") || strlen(p) != 13)
		return 0;
	for (int i = 5; i < 13; i++)
		if (!isxdigit((unsigned char)p[i]))
			return 0;
	return 1;
}

void hi_maps_classify(struct hi_maps *m)
{
	for (size_t i = 0; i < m->n; i++) {
		struct hi_vma *v = &m->v[i];
		const char *p = v->path;
		v->shm = HI_SHM_NONE;
		if (!*p || starts(p, "[anon:"))
			v->cls = HI_MC_ANON;
		else if (strcmp(p, "[heap]") == 0)
			v->cls = HI_MC_MALLOC_HEAP;
		else if (strcmp(p, "[stack]") == 0)
			v->cls = HI_MC_STACK;
		else if (starts(p, "[anon_shmem:"))
			v->cls = HI_MC_SHM, v->shm = HI_SHM_ANON;
		else if (p[0] == '[')	/* [vdso], [vvar], [vsyscall], [uprobes] */
			v->cls = HI_MC_CODE;
		else if (starts(p, "/dev/shm/"))
			v->cls = HI_MC_SHM, v->shm = HI_SHM_POSIX;
		else if (is_sysv_name(p))
			v->cls = HI_MC_SHM, v->shm = HI_SHM_SYSV;
		else if (starts(p, "/memfd:"))
			v->cls = HI_MC_SHM, v->shm = HI_SHM_MEMFD;
		else if (strcmp(p, "/dev/zero") == 0)
			v->cls = v->perms[3] == 's' ? HI_MC_SHM : HI_MC_ANON,
			v->shm = v->perms[3] == 's' ? HI_SHM_ANON : HI_SHM_NONE;
		else
			v->cls = HI_MC_FILE;
	}
	/* A file of which some mapping is executable is a program or a
	 * library: all its mappings are code and data.  */
	struct u64map exec;
	u64map_init(&exec);
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].cls == HI_MC_FILE && m->v[i].perms[2] == 'x' &&
		    u64map_put(&exec, hi_vma_file_key(&m->v[i]), i) < 0)
			break;	/* out of memory: fewer files count as code */
	for (size_t i = 0; i < m->n; i++) {
		struct hi_vma *v = &m->v[i];
		uint64_t *x = v->cls == HI_MC_FILE ? u64map_get(&exec, hi_vma_file_key(v)) : NULL;
		if (x && m->v[*x].inode == v->inode && m->v[*x].major == v->major && m->v[*x].minor == v->minor)
			v->cls = HI_MC_CODE;
	}
	u64map_free(&exec);
}

uint64_t hi_vma_file_key(const struct hi_vma *v)
{
	uint64_t k = v->inode * 0x9e3779b97f4a7c15ull ^ ((uint64_t)v->major << 32 | v->minor);
	return k ? k : 1;
}

struct hi_vma *hi_maps_find(struct hi_maps *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (addr < m->v[mid].start)
			hi = mid;
		else if (addr >= m->v[mid].end)
			lo = mid + 1;
		else
			return &m->v[mid];
	}
	return NULL;
}

/* ---- pagemap ---- */

#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_BATCH 4096

struct hi_pagemap {
	int fd;
	uint64_t page;
	uint64_t base;		/* first page number held in buf */
	size_t nbuf;
	uint64_t buf[PM_BATCH];
};

struct hi_pagemap *hi_pagemap_open(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/pagemap", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct hi_pagemap *pm = calloc(1, sizeof *pm);
	if (!pm) {
		close(fd);
		return NULL;
	}
	pm->fd = fd;
	long ps = sysconf(_SC_PAGESIZE);
	pm->page = ps > 0 ? (uint64_t)ps : 4096;
	return pm;
}

void hi_pagemap_close(struct hi_pagemap *pm)
{
	if (!pm)
		return;
	close(pm->fd);
	free(pm);
}

/* Make buf hold page number PN.  */
static int pm_fill(struct hi_pagemap *pm, uint64_t pn)
{
	if (pm->nbuf && pn >= pm->base && pn < pm->base + pm->nbuf)
		return 0;
	ssize_t n = pread(pm->fd, pm->buf, sizeof pm->buf, (off_t)(pn * 8));
	if (n < 8)
		return -1;
	pm->base = pn;
	pm->nbuf = (size_t)n / 8;
	return 0;
}

int hi_pagemap_count(struct hi_pagemap *pm, uint64_t start, uint64_t end, uint64_t *present, uint64_t *swapped)
{
	*present = *swapped = 0;
	for (uint64_t pn = start / pm->page; pn < (end + pm->page - 1) / pm->page; pn++) {
		if (pm_fill(pm, pn) < 0)
			return -1;
		uint64_t e = pm->buf[pn - pm->base];
		if (e & PM_PRESENT)
			*present += pm->page;
		else if (e & PM_SWAPPED)
			*swapped += pm->page;
	}
	return 0;
}

int hi_pagemap_present(struct hi_pagemap *pm, uint64_t addr)
{
	uint64_t pn = addr / pm->page;
	if (pm_fill(pm, pn) < 0)
		return -1;
	return (pm->buf[pn - pm->base] & PM_PRESENT) != 0;
}

/* ---- threads ---- */

int hi_proc_thread_sps(pid_t pid, uint64_t **sps)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	*sps = NULL;
	if (!d)
		return -1;
	struct dirent *e;
	int n = 0, cap = 0;
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		char p[300], line[512];
		snprintf(p, sizeof p, "/proc/%d/task/%s/syscall", (int)pid, e->d_name);
		FILE *f = fopen(p, "re");
		if (!f)
			continue;
		char *ok = fgets(line, sizeof line, f);
		fclose(f);
		/* "NR ARG1 ... ARG6 SP PC", or "-1 SP PC" outside a system
		 * call, or "running": the stack pointer is next to last.  */
		char *tok[16];
		int nt = 0;
		for (char *s = ok ? strtok(line, " \n") : NULL; s && nt < 16; s = strtok(NULL, " \n"))
			tok[nt++] = s;
		if (nt < 3 || strncmp(tok[nt - 2], "0x", 2) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			uint64_t *ns = realloc(*sps, cap * sizeof *ns);
			if (!ns)
				break;
			*sps = ns;
		}
		(*sps)[n++] = strtoull(tok[nt - 2], NULL, 16);
	}
	closedir(d);
	return n;
}

uint64_t hi_proc_stack_limit(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/limits", (int)pid);
	FILE *f = fopen(path, "re");
	uint64_t v = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long long x;
		if (strncmp(line, "Max stack size", 14) == 0 && sscanf(line + 14, " %llu", &x) == 1)
			v = x;
	}
	fclose(f);
	return v;
}
