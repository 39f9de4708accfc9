/* target.c: stopping and releasing a target process (see target.h).  */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "error.h"
#include "target.h"

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

/* How long a thread may take to reach its stop before we give up.  A thread
 * in uninterruptible sleep (state D) stops only when the kernel lets it.  */
#define STOP_TIMEOUT_S 10.0

double hi_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int read_small_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	int saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	buf[n] = '\0';
	return 0;
}

char hi_target_state(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (read_small_file(path, buf, sizeof buf) < 0)
		return 0;
	/* The command name may hold spaces and parentheses: skip to the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	return p[2];
}

int hi_target_alive(pid_t pid)
{
	char s = hi_target_state(pid);
	return s && s != 'Z' && s != 'X';
}

int hi_target_open(struct hi_target *t, pid_t pid)
{
	memset(t, 0, sizeof *t);
	t->pid = pid;
	if (pid <= 0) {
		hi_error("pid %d: not a valid process id", (int)pid);
		return -1;
	}
	if (pid == getpid()) {
		hi_error("pid %d: that is heapinspect itself; give the pid of a Python process", (int)pid);
		return -1;
	}
	char s = hi_target_state(pid);
	if (!s) {
		hi_error("pid %d: no such process; check the pid with ps or pgrep", (int)pid);
		hi_error_class(HI_E_NOPROC);
		return -1;
	}
	if (s == 'Z' || s == 'X') {
		hi_error("pid %d: the process has exited (zombie); nothing to inspect", (int)pid);
		hi_error_class(HI_E_NOPROC);
		return -1;
	}
	return 0;
}

/* Fill in why PTRACE_SEIZE said EPERM, the way strace explains it.  */
static void explain_eperm(pid_t pid)
{
	char path[64], buf[4096], why[512] = "";
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	long tracer = 0;
	unsigned long long capeff = 0;
	long target_uid = -1;
	if (read_small_file(path, buf, sizeof buf) == 0) {
		char *p = strstr(buf, "TracerPid:");
		if (p)
			tracer = strtol(p + 10, NULL, 10);
		p = strstr(buf, "Uid:");
		if (p)
			target_uid = strtol(p + 4, NULL, 10);
	}
	if (read_small_file("/proc/self/status", buf, sizeof buf) == 0) {
		char *p = strstr(buf, "CapEff:");
		if (p)
			capeff = strtoull(p + 7, NULL, 16);
	}
	int has_cap = (capeff >> 19) & 1;	/* CAP_SYS_PTRACE */
	int scope = -1;
	if (read_small_file("/proc/sys/kernel/yama/ptrace_scope", buf, sizeof buf) == 0)
		scope = atoi(buf);

	if (tracer > 0 && tracer != getpid()) {
		char comm[64] = "?";
		snprintf(path, sizeof path, "/proc/%ld/comm", tracer);
		if (read_small_file(path, comm, sizeof comm) == 0)
			comm[strcspn(comm, "\n")] = '\0';
		snprintf(why, sizeof why,
			 "it is already traced by pid %ld (%s); detach that debugger first", tracer, comm);
	} else if (scope == 3) {
		snprintf(why, sizeof why,
			 "yama ptrace_scope is 3 (no attach at all); it can only be lowered by a reboot");
	} else if (scope == 2 && !has_cap) {
		snprintf(why, sizeof why,
			 "yama ptrace_scope is 2 (admin only) and heapinspect lacks CAP_SYS_PTRACE; run as root");
	} else if (target_uid >= 0 && (uid_t)target_uid != geteuid() && !has_cap) {
		snprintf(why, sizeof why,
			 "it belongs to uid %ld and heapinspect lacks CAP_SYS_PTRACE; run as that user or as root",
			 target_uid);
	} else if (scope == 1 && !has_cap) {
		snprintf(why, sizeof why,
			 "yama ptrace_scope is 1 (only a parent may trace); run as root, set kernel.yama.ptrace_scope=0, or start the target with 'heapinspect run -- PROGRAM'");
	} else if (!has_cap) {
		snprintf(why, sizeof why,
			 "heapinspect lacks CAP_SYS_PTRACE (in a container: docker run --cap-add=SYS_PTRACE)");
	} else {
		snprintf(why, sizeof why,
			 "ptrace is forbidden here (seccomp or an LSM policy); in a container add --cap-add=SYS_PTRACE or --security-opt seccomp=unconfined");
	}
	hi_error("pid %d: cannot attach: operation not permitted: %s", (int)pid, why);
	hi_error_class(HI_E_PERM);
}

/* Is thread TID of PID exiting or gone?  PTRACE_SEIZE answers EPERM, not
 * ESRCH, for a thread that has begun to exit.  */
static int thread_leaving(pid_t pid, pid_t tid)
{
	char path[96], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	if (read_small_file(path, buf, sizeof buf) < 0)
		return 1;
	char *p = strrchr(buf, ')');
	return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
}

static int list_tasks(pid_t pid, pid_t **out, int *n)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int cap = 16, len = 0;
	pid_t *v = malloc(cap * sizeof *v);
	struct dirent *de;
	while (v && (de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if (len == cap) {
			pid_t *nv = realloc(v, (cap *= 2) * sizeof *v);
			if (!nv) {
				free(v);
				v = NULL;
				break;
			}
			v = nv;
		}
		v[len++] = (pid_t)atoi(de->d_name);
	}
	closedir(d);
	if (!v) {
		errno = ENOMEM;
		return -1;
	}
	*out = v;
	*n = len;
	return 0;
}

static int have_thread(const struct hi_target *t, pid_t tid)
{
	for (int i = 0; i < t->nthreads; i++)
		if (t->threads[i].tid == tid)
			return 1;
	return 0;
}

static int add_thread(struct hi_target *t, pid_t tid)
{
	if (t->nthreads == t->cap) {
		int ncap = t->cap ? t->cap * 2 : 16;
		struct hi_thread *nt = realloc(t->threads, ncap * sizeof *nt);
		if (!nt)
			return -1;
		t->threads = nt;
		t->cap = ncap;
	}
	t->threads[t->nthreads++] = (struct hi_thread){ .tid = tid };
	return 0;
}

static void drop_thread(struct hi_target *t, int i)
{
	t->threads[i] = t->threads[--t->nthreads];
}

/* Wait until every seized thread in [from, nthreads) has reported a stop.
 * Threads that exit meanwhile are dropped.  */
static int wait_stops(struct hi_target *t, int from)
{
	int nwait = t->nthreads - from;
	char *done = calloc(nwait ? nwait : 1, 1);
	if (!done) {
		hi_error("pid %d: out of memory while stopping threads", (int)t->pid);
		return -1;
	}
	double deadline = hi_now() + STOP_TIMEOUT_S;
	long nap_ns = 20000;
	int remaining = nwait, rc = 0;
	while (remaining > 0) {
		int progressed = 0;
		for (int k = 0; k < nwait; k++) {
			if (done[k])
				continue;
			struct hi_thread *th = &t->threads[from + k];
			int st;
			pid_t r = waitpid(th->tid, &st, __WALL | WNOHANG);
			if (r == 0)
				continue;
			progressed = 1;
			if (r < 0) {
				/* ECHILD: the thread vanished before reporting. */
				th->tid = -1;
				done[k] = 1;
				remaining--;
				continue;
			}
			if (WIFEXITED(st) || WIFSIGNALED(st)) {
				th->tid = -1;
				done[k] = 1;
				remaining--;
				continue;
			}
			if (!WIFSTOPPED(st))
				continue;
			int sig = WSTOPSIG(st);
			int event = (unsigned)st >> 16;
			if (event == PTRACE_EVENT_STOP) {
				/* Interrupt-stop (SIGTRAP) or group-stop (a stop signal). */
				if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
					th->group_stopped = 1;
			} else if (event == 0) {
				/* Signal-delivery-stop: keep the signal for detach. */
				th->pending_sig = sig;
			}
			done[k] = 1;
			remaining--;
		}
		if (remaining == 0)
			break;
		if (hi_now() > deadline) {
			for (int k = 0; k < nwait; k++)
				if (!done[k]) {
					hi_error("pid %d: thread %d did not stop within %.0f s (state %c, probably blocked in the kernel); try again later",
						 (int)t->pid, (int)t->threads[from + k].tid, STOP_TIMEOUT_S,
						 hi_target_state(t->threads[from + k].tid) ?: '?');
					break;
				}
			rc = -1;
			break;
		}
		if (!progressed) {
			struct timespec ts = { 0, nap_ns };
			nanosleep(&ts, NULL);
			if (nap_ns < 1000000)
				nap_ns *= 2;
		}
	}
	free(done);
	/* Drop the threads that exited. */
	for (int i = t->nthreads - 1; i >= from; i--)
		if (t->threads[i].tid < 0)
			drop_thread(t, i);
	return rc;
}

int hi_target_stop(struct hi_target *t)
{
	if (t->stopped)
		return 0;
	t->nthreads = 0;
	/* The pause starts with the first thread stopped, not the last. */
	t->stopped_at = hi_now();
	for (int round = 0;; round++) {
		pid_t *tids;
		int n, from = t->nthreads, added = 0;
		if (list_tasks(t->pid, &tids, &n) < 0) {
			if (errno == ENOENT) {
				hi_error("pid %d: the process exited", (int)t->pid);
				hi_error_class(HI_E_GONE);
			} else
				hi_error("pid %d: cannot list threads in /proc/%d/task: %s", (int)t->pid,
					 (int)t->pid, strerror(errno));
			goto fail;
		}
		for (int i = 0; i < n; i++) {
			if (have_thread(t, tids[i]))
				continue;
			int seized = ptrace(PTRACE_SEIZE, tids[i], 0, 0) == 0;
			int e = seized ? 0 : errno;	/* before anything else sets errno */
			/* A thread on its way out: EPERM for a moment, then gone.
			 * Give it a few tries before calling it a permission
			 * problem (the main thread is never skipped).  */
			for (int tries = 0; !seized && e == EPERM && tids[i] != t->pid && tries < 50; tries++) {
				if (thread_leaving(t->pid, tids[i]))
					break;
				struct timespec ts = { 0, 200 * 1000 };
				nanosleep(&ts, NULL);
				seized = ptrace(PTRACE_SEIZE, tids[i], 0, 0) == 0;
				e = seized ? 0 : errno;
			}
			if (!seized) {
				if (e == ESRCH || (e == EPERM && tids[i] != t->pid && thread_leaving(t->pid, tids[i])))
					continue;	/* thread exited meanwhile */
				if (e == EPERM)
					explain_eperm(t->pid);
				else
					hi_error("pid %d: cannot attach to thread %d: %s", (int)t->pid,
						 (int)tids[i], strerror(e));
				free(tids);
				goto fail;
			}
			if (add_thread(t, tids[i]) < 0) {
				ptrace(PTRACE_DETACH, tids[i], 0, 0);
				free(tids);
				hi_error("pid %d: out of memory while stopping threads", (int)t->pid);
				goto fail;
			}
			if (ptrace(PTRACE_INTERRUPT, tids[i], 0, 0) < 0 && errno != ESRCH) {
				hi_error("pid %d: cannot interrupt thread %d: %s", (int)t->pid,
					 (int)tids[i], strerror(errno));
				free(tids);
				goto fail;
			}
			added++;
		}
		free(tids);
		if (wait_stops(t, from) < 0)
			goto fail;
		if (!added)
			break;
		if (round > 1000) {
			hi_error("pid %d: threads keep appearing; cannot stop the process", (int)t->pid);
			goto fail;
		}
	}
	if (t->nthreads == 0 || !have_thread(t, t->pid)) {
		hi_error("pid %d: the process exited", (int)t->pid);
		hi_error_class(HI_E_GONE);
		goto fail;
	}
	t->stopped = 1;
	t->nstops++;
	return 0;
fail:
	t->stopped = 1;
	hi_target_resume(t);
	return -1;
}

int hi_target_resume(struct hi_target *t)
{
	int rc = 0;
	if (!t->stopped)
		return 0;
	for (int i = 0; i < t->nthreads; i++) {
		struct hi_thread *th = &t->threads[i];
		if (ptrace(PTRACE_DETACH, th->tid, 0, (void *)(long)th->pending_sig) < 0 && errno != ESRCH)
			rc = -1;
	}
	t->nthreads = 0;
	t->stopped = 0;
	t->last_pause = hi_now() - t->stopped_at;
	return rc;
}

void hi_target_close(struct hi_target *t)
{
	hi_target_resume(t);
	free(t->threads);
	t->threads = NULL;
	t->cap = 0;
}
