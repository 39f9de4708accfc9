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
#include <sys/ioctl.h>
#include "util/error.h"
#include "proc/procmaps.h"
#include "util/u64map.h"

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

enum hi_shmkind hi_shmkind_of(const char *p, int shared)
{
	if (starts(p, "[anon_shmem:"))
		return HI_SHM_ANON;
	if (starts(p, "/dev/shm/"))
		return HI_SHM_POSIX;
	if (is_sysv_name(p))
		return HI_SHM_SYSV;
	if (starts(p, "/memfd:"))
		return HI_SHM_MEMFD;
	if (shared && strcmp(p, "/dev/zero") == 0)
		return HI_SHM_ANON;
	return HI_SHM_NONE;
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
		else if ((v->shm = hi_shmkind_of(p, v->perms[3] == 's')) != HI_SHM_NONE)
			v->cls = HI_MC_SHM;
		else if (p[0] == '[')	/* [vdso], [vvar], [vsyscall], [uprobes] */
			v->cls = HI_MC_CODE;
		else if (strcmp(p, "/dev/zero") == 0)	/* private: anonymous memory */
			v->cls = HI_MC_ANON;
		else
			v->cls = HI_MC_FILE;
		/* The kernel names SysV segments and shared anonymous memory
		 * by files it unlinked at once: " (deleted)" says nothing of
		 * them (a SysV segment's removal is in /proc/sysvipc/shm).  */
		if (v->shm == HI_SHM_SYSV || v->shm == HI_SHM_ANON)
			v->deleted = 0;
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
#define PM_BATCH 4096		/* entries per read: 32 KiB, 16 MiB of address space */
#define PM_RUNS 256

/* PAGEMAP_SCAN (Linux 6.7, <linux/fs.h>), declared here for older
 * headers.  Its flags stay 0: the ioctl can also write-protect pages,
 * which heapinspect never asks for.  */
struct pm_region {
	uint64_t start, end, categories;
};
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PM_SCAN_IOCTL _IOWR('f', 16, struct pm_scan_arg)
#define PM_IS_PRESENT (1ull << 3)
#define PM_IS_SWAPPED (1ull << 4)

enum { RUN_PRESENT = 1, RUN_SWAPPED = 2 };

struct pm_run {
	uint64_t start, end;
	unsigned flags;
};

struct hi_pagemap {
	int fd;
	int scan;		/* PAGEMAP_SCAN works (until it fails once) */
	uint64_t page;
	uint64_t examined;
	/* Every present or swapped page in [from, to), as runs, ascending. */
	uint64_t from, to;
	size_t nrun;
	struct pm_run run[PM_RUNS];
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
	pm->scan = 1;
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

void hi_pagemap_no_scan(struct hi_pagemap *pm)
{
	pm->scan = 0;
	pm->from = pm->to = 0;
}

uint64_t hi_pagemap_examined(const struct hi_pagemap *pm)
{
	return pm->examined;
}

static void add_run(struct hi_pagemap *pm, uint64_t start, uint64_t end, unsigned flags)
{
	struct pm_run *last = pm->nrun ? &pm->run[pm->nrun - 1] : NULL;
	if (last && last->end == start && last->flags == flags)
		last->end = end;
	else
		pm->run[pm->nrun++] = (struct pm_run){ start, end, flags };
}

/* Describe the pages from ADDR (page-aligned) on, toward END: one ioctl,
 * or one buffer of entries.  Leaves [from, to) with to > ADDR.  */
static int refill(struct hi_pagemap *pm, uint64_t addr, uint64_t end)
{
	pm->from = pm->to = addr;
	pm->nrun = 0;
	if (pm->scan) {
		struct pm_region reg[PM_RUNS];
		memset(reg, 0, sizeof reg);	/* for memcheck, which does not know the ioctl fills it */
		struct pm_scan_arg a = {
			.size = sizeof a, .start = addr, .end = end, .vec = (uintptr_t)reg, .vec_len = PM_RUNS,
			.category_anyof_mask = PM_IS_PRESENT | PM_IS_SWAPPED, .return_mask = PM_IS_PRESENT | PM_IS_SWAPPED,
		};
		long n = ioctl(pm->fd, PM_SCAN_IOCTL, &a);
		if (n >= 0 && n <= PM_RUNS && a.walk_end > addr && a.walk_end <= end) {
			for (long i = 0; i < n; i++) {
				if (reg[i].start < addr || reg[i].end > a.walk_end || reg[i].start >= reg[i].end)
					goto no_scan;	/* not what the ABI promises */
				add_run(pm, reg[i].start, reg[i].end,
					reg[i].categories & PM_IS_PRESENT ? RUN_PRESENT : RUN_SWAPPED);
				pm->examined += (reg[i].end - reg[i].start) / pm->page;
			}
			pm->to = a.walk_end;
			return 0;
		}
no_scan:
		/* ENOTTY or EINVAL before Linux 6.7: the file then.  */
		pm->scan = 0;
		pm->nrun = 0;
	}
	uint64_t want = (end - addr) / pm->page;
	if (want > PM_BATCH)
		want = PM_BATCH;
	if (!want)
		want = 1;
	ssize_t got = pread(pm->fd, pm->buf, want * 8, (off_t)(addr / pm->page * 8));
	if (got < 8)
		return -1;
	size_t n = (size_t)got / 8, k;
	for (k = 0; k < n; k++) {
		uint64_t e = pm->buf[k];
		if (!(e & (PM_PRESENT | PM_SWAPPED)))
			continue;
		unsigned flags = e & PM_PRESENT ? RUN_PRESENT : RUN_SWAPPED;
		uint64_t a = addr + k * pm->page;
		struct pm_run *last = pm->nrun ? &pm->run[pm->nrun - 1] : NULL;
		if (pm->nrun == PM_RUNS && !(last->end == a && last->flags == flags))
			break;	/* full: the next call goes on from here */
		add_run(pm, a, a + pm->page, flags);
	}
	pm->examined += k;
	pm->to = addr + k * pm->page;
	return 0;
}

/* The first run that ends after ADDR, or nrun.  */
static size_t run_after(const struct hi_pagemap *pm, uint64_t addr)
{
	size_t lo = 0, hi = pm->nrun;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (pm->run[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Make the runs describe ADDR (rounded down to its page): 0 or -1.  */
static int cover(struct hi_pagemap *pm, uint64_t *addr, uint64_t end)
{
	*addr &= ~(pm->page - 1);
	if (*addr >= pm->from && *addr < pm->to)
		return 0;
	return refill(pm, *addr, (end + pm->page - 1) & ~(pm->page - 1));
}

int hi_pagemap_next_present(struct hi_pagemap *pm, uint64_t addr, uint64_t end, uint64_t *at)
{
	if (addr >= end) {
		*at = end;
		return 0;
	}
	if (cover(pm, &addr, end) < 0)
		return -1;
	for (size_t i = run_after(pm, addr); i < pm->nrun && pm->run[i].start < end; i++)
		if (pm->run[i].flags == RUN_PRESENT) {
			*at = pm->run[i].start > addr ? pm->run[i].start : addr;
			return 1;
		}
	*at = pm->to < end ? pm->to : end;
	return 0;
}

int hi_pagemap_present(struct hi_pagemap *pm, uint64_t addr)
{
	addr &= ~(pm->page - 1);
	if (addr < pm->from || addr >= pm->to) {
		uint64_t e;
		if (pread(pm->fd, &e, 8, (off_t)(addr / pm->page * 8)) != 8)
			return -1;
		pm->examined++;
		return (e & PM_PRESENT) != 0;
	}
	size_t i = run_after(pm, addr);
	return i < pm->nrun && pm->run[i].start <= addr && pm->run[i].flags == RUN_PRESENT;
}

int hi_pagemap_count(struct hi_pagemap *pm, uint64_t start, uint64_t end, uint64_t limit, uint64_t *present,
		     uint64_t *swapped)
{
	*present = *swapped = 0;
	uint64_t a = start;
	end = (end + pm->page - 1) & ~(pm->page - 1);
	while (a < end) {
		if (!(a >= pm->from && a < pm->to) && limit && pm->examined >= limit)
			return 1;
		if (cover(pm, &a, end) < 0)
			return -1;
		uint64_t stop = pm->to < end ? pm->to : end;
		for (size_t i = run_after(pm, a); i < pm->nrun && pm->run[i].start < stop; i++) {
			uint64_t s = pm->run[i].start > a ? pm->run[i].start : a;
			uint64_t e = pm->run[i].end < stop ? pm->run[i].end : stop;
			*(pm->run[i].flags == RUN_PRESENT ? present : swapped) += e - s;
		}
		a = stop;
	}
	return 0;
}

int hi_pagemap_runs(struct hi_pagemap *pm, uint64_t start, uint64_t end,
		    int (*fn)(void *arg, uint64_t start, uint64_t end, int swapped), void *arg)
{
	uint64_t a = start, ps = 0, pe = 0;
	unsigned pf = 0;
	end = (end + pm->page - 1) & ~(pm->page - 1);
	while (a < end) {
		if (cover(pm, &a, end) < 0)
			return -1;
		uint64_t stop = pm->to < end ? pm->to : end;
		for (size_t i = run_after(pm, a); i < pm->nrun && pm->run[i].start < stop; i++) {
			uint64_t s = pm->run[i].start > a ? pm->run[i].start : a;
			uint64_t e = pm->run[i].end < stop ? pm->run[i].end : stop;
			if (pf && pe == s && pf == pm->run[i].flags) {
				pe = e;
				continue;
			}
			if (pf) {
				int rc = fn(arg, ps, pe, pf == RUN_SWAPPED);
				if (rc)
					return rc;
			}
			ps = s;
			pe = e;
			pf = pm->run[i].flags;
		}
		a = stop;
	}
	return pf ? fn(arg, ps, pe, pf == RUN_SWAPPED) : 0;
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
