/* snapshot.c: a stopped process's memory copied into an image (see
 * snapshot.h): which ranges, planned from maps and pagemap; the
 * destination made ready before the stop; the copy, while stopped, by
 * two threads in large vectored reads.
 *
 * Why the destination is made ready first: process_vm_readv copies at
 * memory speed (above 10 GB/s here) only into pages that exist already,
 * and best into huge pages; into fresh pages it runs at a tenth of that
 * or less, the time going to page faults and zeroing.  Faulting the
 * destination in while the target still runs takes that time out of
 * its pause.  */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "mem/snapshot.h"
#include "proc/procmaps.h"
#include "util/error.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23	/* Linux 5.14 */
#endif

#define HUGE_PAGE ((size_t)2 << 20)

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the plan: which ranges ---- */

/* One range to copy, where it goes, and how it went.  */
struct copy_job {
	uint64_t start;
	size_t len;
	unsigned char *buf;
	int own;		/* BUF is a mapping of its own, not in the region */
	size_t got;		/* bytes read from START on */
	int err;
};

struct plan {
	struct copy_job *jobs;
	size_t njobs, capjobs;
	uint64_t (*live)[2];	/* ranges read live later: [start, end) */
	size_t nlive, caplive;
	uint64_t (*zero)[2];	/* anonymous mappings: what was not copied of
				 * them was never touched, and reads as zeros */
	size_t nzero, capzero;
	uint64_t max;		/* bound on the bytes copied (0: none) */
	int live_swapped;	/* swapped-out pages: read live (else left out) */
	int oom;
	int bridging;		/* small gaps may be bridged: within one mapping */
	size_t njobs_before;	/* the jobs before this mapping's */
	struct hi_snap_stats st;
};

/* Gaps of never-touched pages up to this size inside a mapping are
 * copied with the pages around them: one range instead of many, at the
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
		p->jobs[p->njobs++] = (struct copy_job){ .start = start, .len = (size_t)(end - start) };
	}
	p->st.copied += add;
	return 0;
}

static int plan_range(struct plan *p, uint64_t (**v)[2], size_t *n, size_t *cap, uint64_t start, uint64_t end)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		uint64_t(*nv)[2] = realloc(*v, ncap * sizeof **v);
		if (!nv) {
			p->oom = 1;
			return 1;
		}
		*v = nv;
		*cap = ncap;
	}
	(*v)[*n][0] = start;
	(*v)[*n][1] = end;
	(*n)++;
	return 0;
}

static int plan_live(struct plan *p, uint64_t start, uint64_t end)
{
	return plan_range(p, &p->live, &p->nlive, &p->caplive, start, end);
}

static int plan_run(void *arg, uint64_t start, uint64_t end, int swapped)
{
	struct plan *p = arg;
	if (!swapped)
		return plan_job(p, start, end);
	p->st.swapped += end - start;
	return p->live_swapped ? plan_live(p, start, end) : 0;
}

static void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->njobs; i++)
		if (p->jobs[i].own && p->jobs[i].buf)
			munmap(p->jobs[i].buf, p->jobs[i].len);
	free(p->jobs);
	free(p->live);
	free(p->zero);
	memset(p, 0, sizeof *p);
}

/* Which ranges of PID to copy.  Writable, private mappings, not the
 * kernel's, and of them only the pages present in RAM; with
 * HI_SNAP_RODATA also the read-only mappings of loaded code, where
 * static types keep their names.  A page never touched holds no object;
 * a swapped-out page is read live if the walk needs it (a saved image
 * leaves it out), so the copy costs what is resident, not what is
 * mapped.  /proc/PID/maps and pagemap (with the kernel's PAGEMAP_SCAN, a
 * page-table walk that skips holes) are cheap enough to read again
 * while the process is stopped; smaps, which counts every mapping's
 * pages in text, is read only when pagemap cannot be.  0, or -1 with
 * hi_errmsg() set.  */
static int plan_build(pid_t pid, uint64_t max, unsigned flags, struct plan *p, const char *who)
{
	memset(p, 0, sizeof *p);
	p->max = max;
	p->live_swapped = !(flags & HI_SNAP_RODATA);
	struct hi_pagemap *pm = hi_pagemap_open(pid);
	struct hi_maps maps = { 0 };
	if (hi_maps_read(pid, pm ? "maps" : "smaps", &maps, who) < 0) {
		hi_pagemap_close(pm);
		return -1;
	}
	/* Code files (a file some mapping of which is executable) get
	 * HI_MC_CODE on every mapping.  */
	hi_maps_classify(&maps);
	int ok = 1;
	for (size_t i = 0; ok && i < maps.n; i++) {
		const struct hi_vma *e = &maps.v[i];
		const char *pr = e->perms;
		int special = !strcmp(e->path, "[vvar]") || !strcmp(e->path, "[vsyscall]") ||
			      !strcmp(e->path, "[vdso]") || !strcmp(e->path, "[vvar_vclock]");
		/* [stack] too: 3.11 and 3.12 keep the thread's current-frame
		 * pointer in a C stack frame.  */
		int wanted = pr[0] == 'r' && pr[1] == 'w' && pr[3] == 'p' && !special;
		if (pr[0] == 'r' && pr[1] != 'w') {
			/* Read-only: it cannot change once the target runs
			 * again, so it may be read live later.  */
			if (plan_live(p, e->start, e->end))
				ok = 0;
			if ((flags & HI_SNAP_RODATA) && pr[3] == 'p' && e->path[0] == '/' && e->cls == HI_MC_CODE)
				wanted = 1;
		}
		if (!wanted || !ok)
			continue;
		uint64_t size = e->end - e->start;
		/* A file's pages that were never touched hold the file's
		 * bytes (a module's static types), not nothing: files'
		 * mappings with any page in RAM are copied whole, anonymous
		 * memory by its pages.  */
		int anon = e->path[0] != '/';
		int rc = 0;
		if (!pm) {
			if (!e->rss && !e->swap)
				continue;
			p->st.mapped += size;
			rc = plan_job(p, e->start, e->end);
		} else if (anon) {
			p->st.mapped += size;
			if (plan_range(p, &p->zero, &p->nzero, &p->capzero, e->start, e->end))
				break;
			p->bridging = 1;
			p->njobs_before = p->njobs;
			uint64_t copied = p->st.copied, swapped = p->st.swapped;
			size_t nlive = p->nlive;
			rc = hi_pagemap_runs(pm, e->start, e->end, plan_run, p);
			p->bridging = 0;
			if (rc < 0) {
				/* pagemap unreadable now: the whole mapping.  */
				p->njobs = p->njobs_before;
				p->st.copied = copied;
				p->st.swapped = swapped;
				p->nlive = nlive;
				rc = plan_job(p, e->start, e->end);
			}
		} else {
			uint64_t present = 0, swapped = 0;
			if (hi_pagemap_count(pm, e->start, e->end, 0, &present, &swapped) == 0 && !present && !swapped) {
				/* The file's bytes, unchanged: read live if needed.  */
				if (plan_live(p, e->start, e->end))
					ok = 0;
				continue;
			}
			p->st.mapped += size;
			rc = plan_job(p, e->start, e->end);
		}
		if (rc)
			ok = 0;
	}
	hi_pagemap_close(pm);
	hi_maps_free(&maps);
	if (p->oom) {
		hi_error("%s: out of memory planning the copy of its memory; free some memory and retry", who);
		return -1;
	}
	if (p->st.over) {
		hi_error("%s: a copy of its resident memory would take more than the %llu MiB allowed (HEAPINSPECT_COPY_MB, by default half of MemAvailable); free memory, raise HEAPINSPECT_COPY_MB, or take the census in place (-inplace)",
			 who, (unsigned long long)(max >> 20));
		hi_error_class(HI_E_RUNTIME);
		return -1;
	}
	return ok ? 0 : -1;
}

/* ---- the destination, made ready before the stop ---- */

struct hi_snap {
	pid_t pid;
	uint64_t max;
	unsigned flags;
	char who[32];
	unsigned char *region;	/* 2 MiB aligned, every page faulted in */
	size_t regionlen;
	uint64_t planned;
	int huge;
	double prepare_s;
};

struct fault_share {
	unsigned char *base;
	size_t len;
};

/* Fault every page of a share of the region in: the kernel's populate
 * call where there is one (Linux 5.14), else a write per page.  */
static void *fault_worker(void *arg)
{
	struct fault_share *f = arg;
	if (!f->len)
		return NULL;
	if (madvise(f->base, f->len, MADV_POPULATE_WRITE) == 0)
		return NULL;
	long ps = sysconf(_SC_PAGESIZE);
	size_t page = ps > 0 ? (size_t)ps : 4096;
	for (size_t off = 0; off < f->len; off += page)
		((volatile unsigned char *)f->base)[off] = 0;
	return NULL;
}

/* Should the destination ask for huge pages?  HEAPINSPECT_HUGEPAGES=0
 * says no (to measure what they bring).  */
static int want_huge(void)
{
	const char *e = getenv("HEAPINSPECT_HUGEPAGES");
	return !e || strcmp(e, "0") != 0;
}

static int region_make(struct hi_snap *s, size_t len)
{
	len = (len + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	if (!len)
		return 0;
	/* Aligned to a huge page: map a huge page more, trim both ends.  */
	unsigned char *raw = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return -1;
	uintptr_t at = ((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
	size_t head = at - (uintptr_t)raw;
	if (head)
		munmap(raw, head);
	if (HUGE_PAGE - head)
		munmap((unsigned char *)at + len, HUGE_PAGE - head);
	s->region = (unsigned char *)at;
	s->regionlen = len;
	/* THP "never" refuses nothing here: the pages are then small.  */
	s->huge = want_huge() && madvise(s->region, len, MADV_HUGEPAGE) == 0;
	/* Two threads fault it in, each half.  */
	size_t half = (len / 2) & ~(HUGE_PAGE - 1);
	struct fault_share sh[2] = { { s->region, half }, { s->region + half, len - half } };
	pthread_t th;
	int threaded = pthread_create(&th, NULL, fault_worker, &sh[1]) == 0;
	fault_worker(&sh[0]);
	if (threaded)
		pthread_join(th, NULL);
	else
		fault_worker(&sh[1]);
	return 0;
}

struct hi_snap *hi_snap_prepare(pid_t pid, uint64_t max, unsigned flags, int *over)
{
	double t0 = now();
	*over = 0;
	struct hi_snap *s = calloc(1, sizeof *s);
	if (!s) {
		hi_error("pid %d: out of memory", (int)pid);
		return NULL;
	}
	s->pid = pid;
	s->max = max;
	s->flags = flags;
	snprintf(s->who, sizeof s->who, "pid %d", (int)pid);
	struct plan p;
	if (plan_build(pid, max, flags, &p, s->who) < 0) {
		*over = p.st.over;
		plan_free(&p);
		free(s);
		return NULL;
	}
	s->planned = p.st.copied;
	plan_free(&p);
	/* Room for what grows before the stop: an eighth more, and 8 MiB
	 * (within the bound).  */
	uint64_t room = s->planned + s->planned / 8 + (8u << 20);
	if (max && room > max)
		room = max > s->planned ? max : s->planned;
	if (region_make(s, (size_t)room) < 0) {
		hi_error("%s: out of memory making room for a copy of its %.1f MiB of memory; free memory, lower HEAPINSPECT_COPY_MB, or take the census in place (-inplace)",
			 s->who, s->planned / 1048576.0);
		free(s);
		return NULL;
	}
	s->prepare_s = now() - t0;
	return s;
}

uint64_t hi_snap_planned(const struct hi_snap *s)
{
	return s->planned;
}

void hi_snap_free(struct hi_snap *s)
{
	if (!s)
		return;
	if (s->region)
		munmap(s->region, s->regionlen);
	free(s);
}

/* ---- the copy, while stopped ---- */

/* A piece of a job for one copier: jobs are cut where the bytes are
 * shared out.  */
struct piece {
	struct copy_job *job;
	size_t off, len, got;
	int err;
};

struct copy_share {
	pid_t pid;
	struct piece *pieces;
	size_t n;
	uint64_t calls;
};

#define IOV_BATCH 512
#define CALL_MAX ((size_t)1 << 30)	/* the kernel copies under 2 GiB a call */

/* Copy PC[0..] from its GOT on, one call at a time, until it is whole or
 * a call fails (what the vectored call could not do).  */
static void copy_rest(struct copy_share *sh, struct piece *pc)
{
	while (pc->got < pc->len) {
		size_t want = pc->len - pc->got;
		if (want > CALL_MAX)
			want = CALL_MAX;
		struct iovec local = { pc->job->buf + pc->off + pc->got, want };
		struct iovec remote = { (void *)(uintptr_t)(pc->job->start + pc->off + pc->got), want };
		ssize_t n = process_vm_readv(sh->pid, &local, 1, &remote, 1, 0);
		sh->calls++;
		if (n <= 0) {
			pc->err = n < 0 ? errno : EFAULT;
			return;
		}
		pc->got += (size_t)n;
	}
}

/* Copy a share of the pieces: up to IOV_BATCH of them a call.  */
static void *copy_worker(void *arg)
{
	struct copy_share *sh = arg;
	struct iovec local[IOV_BATCH], remote[IOV_BATCH];
	size_t i = 0;
	while (i < sh->n) {
		size_t k = 0, total = 0;
		while (i + k < sh->n && k < IOV_BATCH && total < CALL_MAX) {
			struct piece *pc = &sh->pieces[i + k];
			local[k].iov_base = pc->job->buf + pc->off;
			local[k].iov_len = pc->len;
			remote[k].iov_base = (void *)(uintptr_t)(pc->job->start + pc->off);
			remote[k].iov_len = pc->len;
			total += pc->len;
			k++;
		}
		ssize_t n = process_vm_readv(sh->pid, local, k, remote, k, 0);
		sh->calls++;
		size_t done = n > 0 ? (size_t)n : 0;
		/* Whole pieces first; the first one short is finished alone
		 * (or fails alone), then the batch goes on after it.  */
		size_t j = 0;
		for (; j < k && done >= sh->pieces[i + j].len; j++) {
			sh->pieces[i + j].got = sh->pieces[i + j].len;
			done -= sh->pieces[i + j].len;
		}
		if (j < k) {
			struct piece *pc = &sh->pieces[i + j];
			pc->got = done;
			if (n < 0 && (errno == ESRCH || errno == ENOSYS || errno == EPERM)) {
				/* Not this piece: every piece fails the same way.  */
				for (size_t r = j; r < k; r++)
					sh->pieces[i + r].err = errno;
				i += k;
				continue;
			}
			copy_rest(sh, pc);
			j++;
		}
		i += j;
	}
	return NULL;
}

/* Share the jobs' bytes out between two copiers, cutting the job where
 * the half falls.  Returns the pieces (*N of them; pieces [0, *SPLIT)
 * for the first copier), or NULL when out of memory.  */
static struct piece *share_out(struct plan *p, size_t *n, size_t *split)
{
	struct piece *pcs = malloc((p->njobs + 1) * sizeof *pcs);
	if (!pcs)
		return NULL;
	uint64_t half = p->st.copied / 2, acc = 0;
	size_t k = 0;
	*split = 0;
	int cut = 0;
	for (size_t i = 0; i < p->njobs; i++) {
		struct copy_job *j = &p->jobs[i];
		if (!cut && acc + j->len > half) {
			size_t first = (size_t)(half - acc) & ~(size_t)4095;
			if (first)
				pcs[k++] = (struct piece){ j, 0, first, 0, 0 };
			*split = k;
			pcs[k++] = (struct piece){ j, first, j->len - first, 0, 0 };
			cut = 1;
		} else {
			pcs[k++] = (struct piece){ j, 0, j->len, 0, 0 };
		}
		acc += j->len;
	}
	if (!cut)
		*split = k;
	*n = k;
	return pcs;
}

/* Where each job goes: the region in order, then buffers of their own
 * for what did not fit (faulted in now, which the stats say).  */
static int place_jobs(struct hi_snap *s, struct plan *p)
{
	size_t used = 0;
	for (size_t i = 0; i < p->njobs; i++) {
		struct copy_job *j = &p->jobs[i];
		if (j->len <= s->regionlen - used) {
			j->buf = s->region + used;
			used += (j->len + 4095) & ~(size_t)4095;
			continue;
		}
		j->buf = mmap(NULL, j->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (j->buf == MAP_FAILED) {
			j->buf = NULL;
			hi_error("%s: out of memory copying %zu bytes of its memory; free memory, lower HEAPINSPECT_COPY_MB, or take the census in place (-inplace)",
				 s->who, j->len);
			return -1;
		}
		j->own = 1;
		p->st.grown += j->len;
	}
	/* What the region has left over goes back.  */
	used = (used + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	if (used < s->regionlen) {
		munmap(s->region + used, s->regionlen - used);
		s->regionlen = used;
		if (!used)
			s->region = NULL;
	}
	return 0;
}

struct hi_mem *hi_snap_take(struct hi_snap *s)
{
	double t0 = now();
	struct plan p;
	struct hi_mem *img = NULL, *live = NULL;
	struct piece *pcs = NULL;
	if (plan_build(s->pid, s->max, s->flags, &p, s->who) < 0)
		goto fail;
	double t1 = now();
	if (place_jobs(s, &p) < 0)
		goto fail;
	size_t npcs, split;
	pcs = share_out(&p, &npcs, &split);
	img = hi_mem_open_image();
	live = hi_mem_open_pid(s->pid);
	if (!pcs || !img || !live) {
		hi_error("%s: out of memory copying its memory; free some memory and retry", s->who);
		goto fail;
	}
	/* Two copiers: this thread and one more, on the second core.  */
	struct copy_share sh[2] = { { s->pid, pcs, split, 0 }, { s->pid, pcs + split, npcs - split, 0 } };
	pthread_t th;
	int threaded = sh[1].n && pthread_create(&th, NULL, copy_worker, &sh[1]) == 0;
	copy_worker(&sh[0]);
	if (threaded)
		pthread_join(th, NULL);
	else
		copy_worker(&sh[1]);
	/* Each job's readable prefix: its pieces in order, up to the first
	 * one short.  */
	for (size_t i = 0; i < p.njobs; i++)
		p.jobs[i].got = 0, p.jobs[i].err = -1;
	for (size_t i = 0; i < npcs; i++) {
		struct piece *pc = &pcs[i];
		struct copy_job *j = pc->job;
		if (j->err == -1 && pc->off == 0) {
			j->got = pc->got;
			j->err = pc->got < pc->len ? pc->err : 0;
		} else if (j->err == 0 && pc->off == j->got) {
			j->got += pc->got;
			j->err = pc->got < pc->len ? pc->err : 0;
		}
	}
	for (size_t i = 0; i < p.njobs; i++) {
		struct copy_job *j = &p.jobs[i];
		if (j->got < j->len && (j->err == ENOSYS || j->err == EPERM)) {
			/* The /proc/PID/mem way (a container's seccomp may
			 * forbid process_vm_readv).  */
			ssize_t n = hi_mem_read_uncached(live, j->start + j->got, j->buf + j->got, j->len - j->got);
			if (n > 0) {
				j->got += (size_t)n;
				p.st.proc_mem += (uint64_t)n;
			}
		}
	}
	double t2 = now();
	int ok = 1;
	for (size_t i = 0; ok && i < p.njobs; i++) {
		struct copy_job *j = &p.jobs[i];
		if (j->err == ESRCH) {
			hi_error("pid %d: the process exited while its memory was copied", (int)s->pid);
			hi_error_class(HI_E_GONE);
			ok = 0;
			break;
		}
		if (!j->got)
			continue;
		int rc = j->own ? hi_mem_image_adopt(img, j->start, j->buf, j->got, j->len)
				: hi_mem_image_borrow(img, j->start, j->buf, j->got);
		if (rc < 0) {
			hi_error("pid %d: out of memory keeping the copy of its memory; free some memory and retry",
				 (int)s->pid);
			ok = 0;
			break;
		}
		j->own = 0;	/* the image's now */
		p.st.ranges++;
	}
	if (ok && s->region) {
		if (hi_mem_image_own(img, s->region, s->regionlen) < 0) {
			hi_error("pid %d: out of memory", (int)s->pid);
			ok = 0;
		} else {
			s->region = NULL;	/* the image's now */
		}
	}
	if (!ok)
		goto fail;
	p.st.prepared = s->planned;
	p.st.huge = s->huge;
	p.st.calls = sh[0].calls + sh[1].calls;
	p.st.prepare_s = s->prepare_s;
	p.st.plan_s = t1 - t0;
	p.st.copy_s = t2 - t1;
	hi_mem_make_snapshot(img, live, p.live, p.nlive, p.zero, p.nzero, &p.st);
	p.live = NULL;
	p.zero = NULL;
	free(pcs);
	plan_free(&p);
	hi_snap_free(s);
	return img;
fail:
	free(pcs);
	hi_mem_close(img);
	hi_mem_close(live);
	plan_free(&p);
	hi_snap_free(s);
	return NULL;
}
