/* snapshot.c: a stopped process's memory copied into an image (see
 * snapshot.h): which ranges, planned from smaps and pagemap, then copied
 * by two threads.  */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>
#include "mem/snapshot.h"
#include "proc/procmaps.h"
#include "util/error.h"

/* One mapping to copy, and how it went.  */
struct copy_job {
	uint64_t start;
	size_t len;
	unsigned char *buf;
	ssize_t got;
	int err;
};

struct copy_share {
	pid_t pid;
	struct copy_job *jobs;
	size_t n, first, step;	/* this thread's jobs: first, first+step, ... */
};

/* Copy a share of the mappings: its own buffers (populated here, so the
 * zeroing is shared out too), then process_vm_readv.  */
static void *copy_worker(void *arg)
{
	struct copy_share *sh = arg;
	for (size_t i = sh->first; i < sh->n; i += sh->step) {
		struct copy_job *j = &sh->jobs[i];
		j->buf = mmap(NULL, j->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (j->buf == MAP_FAILED) {
			j->buf = NULL;
			j->err = ENOMEM;
			continue;
		}
		/* One call copies at most about 2 GiB: go on to the end.  */
		size_t done = 0;
		j->err = 0;
		while (done < j->len) {
			struct iovec local = { j->buf + done, j->len - done };
			struct iovec remote = { (void *)(uintptr_t)(j->start + done), j->len - done };
			ssize_t n = process_vm_readv(sh->pid, &local, 1, &remote, 1, 0);
			if (n <= 0) {
				if (n < 0)
					j->err = errno;
				break;
			}
			done += (size_t)n;
		}
		j->got = done ? (ssize_t)done : (j->err ? -1 : 0);
	}
	return NULL;
}

static int by_start(const void *a, const void *b)
{
	const struct copy_job *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* What a snapshot copies, and what it leaves to live reads.  */
struct plan {
	struct copy_job *jobs;
	size_t njobs, capjobs;
	uint64_t (*live)[2];	/* ranges read live later: [start, end) */
	size_t nlive, caplive;
	uint64_t max;		/* bound on the bytes copied (0: none) */
	int live_swapped;	/* swapped-out pages: read live (else left out) */
	int oom;
	int bridging;		/* small gaps may be bridged: within one mapping */
	size_t njobs_before;	/* the jobs before this mapping's */
	struct hi_snap_stats st;
};

/* Gaps of never-touched pages up to this size inside a mapping are
 * copied with the pages around them: one copy instead of many, at the
 * cost of a few page-table entries in the target for the zero page.  */
#define GAP_BRIDGE (64u << 10)

static int plan_job(struct plan *p, uint64_t start, uint64_t end)
{
	struct copy_job *last = p->njobs ? &p->jobs[p->njobs - 1] : NULL;
	uint64_t add = end - start;
	if (p->bridging && p->njobs > p->njobs_before && start >= last->start + last->len &&
	    start - (last->start + last->len) <= GAP_BRIDGE) {
		add = end - (last->start + last->len);
	}
	if (p->max && p->st.copied + add > p->max) {
		p->st.over = 1;
		return 1;
	}
	if (add != end - start) {
		last->len = (size_t)(end - last->start);
	} else {
		if (p->njobs == p->capjobs) {
			size_t ncap = p->capjobs ? p->capjobs * 2 : 64;
			struct copy_job *nj = realloc(p->jobs, ncap * sizeof *nj);
			if (!nj) {
				p->oom = 1;
				return 1;
			}
			p->jobs = nj;
			p->capjobs = ncap;
		}
		p->jobs[p->njobs++] = (struct copy_job){ start, (size_t)(end - start), NULL, 0, 0 };
	}
	p->st.copied += add;
	return 0;
}

static int plan_live(struct plan *p, uint64_t start, uint64_t end)
{
	if (p->nlive == p->caplive) {
		size_t ncap = p->caplive ? p->caplive * 2 : 64;
		uint64_t(*nl)[2] = realloc(p->live, ncap * sizeof *nl);
		if (!nl) {
			p->oom = 1;
			return 1;
		}
		p->live = nl;
		p->caplive = ncap;
	}
	p->live[p->nlive][0] = start;
	p->live[p->nlive][1] = end;
	p->nlive++;
	return 0;
}

static int plan_run(void *arg, uint64_t start, uint64_t end, int swapped)
{
	struct plan *p = arg;
	if (!swapped)
		return plan_job(p, start, end);
	p->st.swapped += end - start;
	return p->live_swapped ? plan_live(p, start, end) : 0;
}

struct hi_mem *hi_mem_snapshot(pid_t pid, uint64_t max, unsigned flags)
{
	char who[32];
	snprintf(who, sizeof who, "pid %d", (int)pid);
	struct hi_maps maps = { 0 };
	if (hi_maps_read(pid, "smaps", &maps, who) < 0)
		return NULL;
	/* Code files (a file some mapping of which is executable) get
	 * HI_MC_CODE on every mapping.  */
	hi_maps_classify(&maps);
	/* Which mappings: writable, private, not the kernel's, and of them
	 * only the pages present in RAM (pagemap); with HI_SNAP_RODATA also
	 * the read-only mappings of loaded code, where static types keep
	 * their names.  A page never touched holds no object; a swapped-out
	 * page is read live if the walk needs it (a saved image leaves it
	 * out), so the copy costs what is resident, not what is mapped.  */
	struct plan p = { .max = max, .live_swapped = !(flags & HI_SNAP_RODATA) };
	struct hi_pagemap *pm = hi_pagemap_open(pid);
	int ok = 1;
	for (size_t i = 0; ok && i < maps.n; i++) {
		const struct hi_vma *e = &maps.v[i];
		const char *pr = e->perms;
		int special = !strcmp(e->path, "[vvar]") || !strcmp(e->path, "[vsyscall]") || !strcmp(e->path, "[vdso]");
		/* [stack] too: 3.11 and 3.12 keep the thread's current-frame
		 * pointer in a C stack frame.  */
		int wanted = pr[0] == 'r' && pr[1] == 'w' && pr[3] == 'p' && !special && (e->rss || e->swap);
		if (pr[0] == 'r' && pr[1] != 'w') {
			/* Read-only: it cannot change once the target runs
			 * again, so it may be read live later.  */
			if (plan_live(&p, e->start, e->end))
				ok = 0;
			if ((flags & HI_SNAP_RODATA) && pr[3] == 'p' && e->path[0] == '/' && e->cls == HI_MC_CODE)
				wanted = 1;
		}
		if (!wanted || !ok)
			continue;
		uint64_t size = e->end - e->start;
		/* A file's pages that were never touched hold the file's
		 * bytes (a module's static types), not nothing: files'
		 * mappings are copied whole, anonymous memory by its pages. */
		int anon = e->path[0] != '/';
		int rc;
		p.st.mapped += size;
		if (anon && pm && e->rss + e->swap < size) {
			p.bridging = 1;
			p.njobs_before = p.njobs;
			uint64_t copied = p.st.copied, swapped = p.st.swapped;
			size_t nlive = p.nlive;
			rc = hi_pagemap_runs(pm, e->start, e->end, plan_run, &p);
			p.bridging = 0;
			if (rc < 0) {
				/* pagemap unreadable now: the whole mapping.  */
				p.njobs = p.njobs_before;
				p.st.copied = copied;
				p.st.swapped = swapped;
				p.nlive = nlive;
				rc = plan_job(&p, e->start, e->end);
			}
		} else {
			rc = plan_job(&p, e->start, e->end);
		}
		if (rc)
			ok = 0;
	}
	hi_pagemap_close(pm);
	hi_maps_free(&maps);
	if (p.oom) {
		hi_error("%s: out of memory planning the copy of its memory; free some memory and retry", who);
	} else if (p.st.over) {
		hi_error("%s: a copy of its resident memory would take more than the %llu MiB allowed (HEAPINSPECT_COPY_MB, by default half of MemAvailable); free memory, raise HEAPINSPECT_COPY_MB, or take the census in place (heap without -copy)",
			 who, (unsigned long long)(max >> 20));
		hi_error_class(HI_E_RUNTIME);
	}
	struct copy_job *jobs = p.jobs;
	size_t njobs = p.njobs;
	uint64_t(*ro)[2] = p.live;
	size_t nro = p.nlive;
	/* smaps lists mappings in address order; keep the ranges sorted.  */
	if (njobs > 1)
		qsort(jobs, njobs, sizeof *jobs, by_start);
	struct hi_mem *img = ok ? hi_mem_open_image() : NULL;
	struct hi_mem *live = ok ? hi_mem_open_pid(pid) : NULL;
	if (!img || !live) {
		free(jobs);
		free(ro);
		hi_mem_close(img);
		hi_mem_close(live);
		return NULL;
	}
	/* Two copiers: this thread and one more, on the second core.  */
	struct copy_share shares[2] = { { pid, jobs, njobs, 0, 2 }, { pid, jobs, njobs, 1, 2 } };
	pthread_t th;
	int threaded = njobs > 1 && pthread_create(&th, NULL, copy_worker, &shares[1]) == 0;
	if (!threaded)
		shares[0].step = 1;
	copy_worker(&shares[0]);
	if (threaded)
		pthread_join(th, NULL);
	for (size_t i = 0; i < njobs; i++) {
		struct copy_job *j = &jobs[i];
		if (j->got < 0 && (j->err == ENOSYS || j->err == EPERM) && j->buf)
			j->got = hi_mem_read_uncached(live, j->start, j->buf, j->len);	/* the /proc/PID/mem way */
		if (j->got <= 0 || !j->buf) {
			if (j->buf)
				munmap(j->buf, j->len);
			if (j->err == ESRCH) {
				hi_error("pid %d: the process exited while its memory was copied", (int)pid);
				hi_error_class(HI_E_GONE);
				ok = 0;
			} else if (j->err == ENOMEM) {
				hi_error("pid %d: out of memory copying %zu bytes of its memory; free memory, lower HEAPINSPECT_COPY_MB, or read it in place (without -copy)",
					 (int)pid, j->len);
				ok = 0;
			}
			continue;
		}
		if (hi_mem_image_adopt(img, j->start, j->buf, (size_t)j->got, j->len) < 0) {
			munmap(j->buf, j->len);
			hi_error("pid %d: out of memory keeping the copy of its memory; free some memory and retry",
				 (int)pid);
			ok = 0;
		}
	}
	free(jobs);
	if (!ok) {
		free(ro);
		hi_mem_close(live);
		hi_mem_close(img);
		return NULL;
	}
	hi_mem_make_snapshot(img, live, ro, nro, &p.st);
	return img;
}

