/* target.c: stopping and releasing a target process (see target.h).  */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "util/error.h"
#include "proc/target.h"

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif
#ifndef AT_RANDOM
#define AT_RANDOM 25
#endif

/* How long a thread may take to reach its stop before we give up.  */
#define STOP_TIMEOUT_S 10.0
/* A thread still in uninterruptible sleep (state D) this long after its
 * interrupt is blocked in the kernel: the others are let go at once.  A
 * disk read or a page fault is over well before; a vfork parent waits for
 * as long as its child runs.  */
#define BLOCKED_GRACE_S 0.1

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

/* The state letter in a /proc/.../stat line: the command name may hold
 * spaces and parentheses, so it is found after the last ')'.  */
static char stat_state(const char *path)
{
	char buf[1024];
	if (read_small_file(path, buf, sizeof buf) < 0)
		return 0;
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	return p[2];
}

char hi_target_state(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	return stat_state(path);
}

static char thread_state(pid_t pid, pid_t tid)
{
	char path[96];
	snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	return stat_state(path);
}

/* Is thread TID of PID exiting or gone?  PTRACE_SEIZE answers EPERM, not
 * ESRCH, for a thread that has begun to exit.  */
static int thread_leaving(pid_t pid, pid_t tid)
{
	char s = thread_state(pid, tid);
	return !s || s == 'Z' || s == 'X';
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

int hi_target_alive(pid_t pid)
{
	pid_t *tids;
	int n, alive = 0;
	char s = hi_target_state(pid);
	if (!s)
		return 0;
	if (s != 'Z' && s != 'X')
		return 1;
	/* A zombie main thread: the process lives while another thread does. */
	if (list_tasks(pid, &tids, &n) < 0)
		return 0;
	for (int i = 0; i < n && !alive; i++)
		alive = tids[i] != pid && !thread_leaving(pid, tids[i]);
	free(tids);
	return alive;
}

/* ---- identity ---- */

static int read_starttime(pid_t pid, uint64_t *out)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (read_small_file(path, buf, sizeof buf) < 0)
		return -1;
	char *p = strrchr(buf, ')');
	if (!p) {
		errno = EINVAL;
		return -1;
	}
	/* Field 3 (the state) follows ") "; the start time is field 22. */
	p += 2;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p) {
			errno = EINVAL;
			return -1;
		}
		p++;
	}
	*out = strtoull(p, NULL, 10);
	return 0;
}

static int read_at_random(pid_t pid, uint64_t *out)
{
	char path[64];
	uint64_t aux[2 * 64];
	snprintf(path, sizeof path, "/proc/%d/auxv", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, aux, sizeof aux);
	int saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	for (size_t i = 0; i + 1 < (size_t)n / 8; i += 2)
		if (aux[i] == AT_RANDOM) {
			*out = aux[i + 1];
			return 0;
		}
	*out = 0;	/* a kernel without AT_RANDOM: the start time alone */
	return 0;
}

/* Read LEN bytes at ADDR of PID, as mem.c would (process_vm_readv, or
 * /proc/PID/mem where seccomp forbids it).  0 or -1 with errno.  */
static int peek(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && errno != ENOSYS && errno != EPERM)
		return -1;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = pread(fd, buf, len, (off_t)addr);
	int saved = errno;
	close(fd);
	if (n != (ssize_t)len) {
		errno = n < 0 ? saved : EIO;
		return -1;
	}
	return 0;
}

int hi_proc_identify(pid_t pid, pid_t reader, struct hi_proc_id *id)
{
	memset(id, 0, sizeof *id);
	id->pid = pid;
	/* The start time is the process's (its main thread's, kept while
	 * it is a zombie); the program's bytes are read through a live
	 * thread, as a zombie has no memory.  */
	if (read_starttime(pid, &id->starttime) < 0 || read_at_random(reader, &id->at_random) < 0)
		return -1;
	if (id->at_random && peek(reader, id->at_random, id->random, sizeof id->random) < 0)
		return -1;
	return 0;
}

/* ---- why not ---- */

static int status_field(const char *status, const char *name, long *out)
{
	const char *p = strstr(status, name);
	if (!p)
		return -1;
	*out = strtol(p + strlen(name), NULL, 10);
	return 0;
}

/* Fill in why tracing (or reading) thread TID of PID was refused, the
 * way strace explains it.  */
static void explain_eperm(pid_t pid, pid_t tid)
{
	char path[96], buf[4096], why[512] = "";
	long tracer = 0, target_uid = -1;
	unsigned long long capeff = 0;
	int cls = HI_E_PERM;
	if (!hi_target_alive(pid)) {
		hi_error("pid %d: the process exited", (int)pid);
		hi_error_class(HI_E_GONE);
		return;
	}
	snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tid);
	if (read_small_file(path, buf, sizeof buf) == 0) {
		status_field(buf, "TracerPid:", &tracer);
		status_field(buf, "Uid:", &target_uid);
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
	/* A process that is not dumpable (PR_SET_DUMPABLE 0, or one that
	 * changed its credentials) has the files in its /proc directory
	 * owned by root (the directory itself keeps its owner).  */
	struct stat st;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	int undumpable = stat(path, &st) == 0 && st.st_uid == 0 && target_uid > 0;

	if (tracer > 0 && tracer == getpid()) {
		snprintf(why, sizeof why,
			 "thread %d is still held by this heapinspect: it was blocked in the kernel at an earlier stop and is let go the moment it stops; retry",
			 (int)tid);
		cls = HI_E_BUSY;
	} else if (tracer > 0) {
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
	} else if (undumpable && !has_cap) {
		snprintf(why, sizeof why,
			 "the process is not dumpable (it called prctl(PR_SET_DUMPABLE, 0), or changed its uid or gid, or runs a setuid or file-capability program), so only a tracer with CAP_SYS_PTRACE may read it; run heapinspect as root");
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
	hi_error_class(cls);
}

static void set_gone(struct hi_target *t, const char *how)
{
	t->gone = 1;
	hi_error("pid %d: the process %s", (int)t->pid, how);
	hi_error_class(HI_E_GONE);
}

int hi_target_open(struct hi_target *t, pid_t pid)
{
	memset(t, 0, sizeof *t);
	t->pid = t->reader = pid;
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
	if (!hi_target_alive(pid)) {
		hi_error("pid %d: the process has exited (zombie); nothing to inspect", (int)pid);
		hi_error_class(HI_E_NOPROC);
		return -1;
	}
	if (s == 'Z' || s == 'X') {
		/* The main thread has exited, others run: read through one. */
		pid_t *tids;
		int n;
		if (list_tasks(pid, &tids, &n) == 0) {
			for (int i = 0; i < n; i++)
				if (tids[i] != pid && !thread_leaving(pid, tids[i])) {
					t->reader = tids[i];
					break;
				}
			free(tids);
		}
	}
	/* Reading its memory needs the rights tracing it needs (yama and the
	 * ptrace access check apply to both): a refusal is explained now,
	 * before any thread is stopped.  */
	if (hi_proc_identify(pid, t->reader, &t->id) < 0) {
		int e = errno;
		if (e == ENOENT || e == ESRCH || !hi_target_alive(pid)) {
			hi_error("pid %d: the process exited", (int)pid);
			hi_error_class(HI_E_GONE);
		} else if (e == EPERM || e == EACCES) {
			explain_eperm(pid, t->reader);
		} else {
			hi_error("pid %d: cannot read its identity (/proc/%d/stat, auxv): %s", (int)pid, (int)t->reader,
				 strerror(e));
		}
		return -1;
	}
	t->id.pid = pid;
	return 0;
}

int hi_target_check(struct hi_target *t)
{
	if (t->gone) {
		set_gone(t, "has exited; attach to another");
		return 0;
	}
	if (!hi_target_alive(t->pid)) {
		set_gone(t, "exited");
		return 0;
	}
	struct hi_proc_id now;
	if (read_starttime(t->pid, &now.starttime) < 0) {
		set_gone(t, "exited");
		return 0;
	}
	if (now.starttime != t->id.starttime) {
		set_gone(t, "exited and its pid now names another process; attach to it anew to inspect it");
		return 0;
	}
	if (t->id.at_random) {
		if (hi_proc_identify(t->pid, t->reader, &now) < 0) {
			if (!hi_target_alive(t->pid)) {
				set_gone(t, "exited");
				return 0;
			}
			return 1;	/* unreadable now: the stop will say why */
		}
		if (now.at_random != t->id.at_random || memcmp(now.random, t->id.random, sizeof now.random) != 0) {
			set_gone(t, "has run a new program (execve) since heapinspect attached; attach to it anew to inspect it");
			return 0;
		}
	}
	return 1;
}

/* ---- threads that could not stop ---- */

/* Seized threads whose interrupt is still pending: each is detached the
 * moment it stops.  Shared with the SIGCHLD handler, which runs only in
 * the thread that seized them (only it may detach them) and only while
 * the main line is not changing the table (it blocks SIGCHLD).  */
#define MAX_HELD 256
static volatile pid_t held_tid[MAX_HELD], held_pid[MAX_HELD];
static volatile int nheld;	/* slots in use: a bound for the scans */
static pid_t tracer_tid;
static int handler_installed;

static pid_t my_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* Detach the held threads that have stopped, forget those that died.
 * Async-signal-safe: waitpid and ptrace only.  */
static void release_held(void)
{
	for (int i = 0; i < nheld; i++) {
		pid_t tid = held_tid[i];
		if (tid <= 0)
			continue;
		int st;
		pid_t r = waitpid(tid, &st, WNOHANG | __WALL);
		if (r == tid) {
			if (WIFSTOPPED(st)) {
				/* A signal-delivery stop hands its signal back. */
				int sig = ((unsigned)st >> 16) == 0 ? WSTOPSIG(st) : 0;
				if (ptrace(PTRACE_DETACH, tid, 0, (void *)(long)sig) == 0)
					held_tid[i] = 0;
			} else {
				held_tid[i] = 0;	/* exited, and now reaped */
			}
		} else if (r == 0) {
			/* Stopped with its report taken already, or still
			 * blocked (then ESRCH, harmlessly).  */
			if (ptrace(PTRACE_DETACH, tid, 0, 0) == 0)
				held_tid[i] = 0;
		} else if (errno == ECHILD) {
			held_tid[i] = 0;	/* not ours any more */
		}
	}
	while (nheld > 0 && held_tid[nheld - 1] <= 0)
		nheld--;
}

static void on_sigchld(int sig)
{
	(void)sig;
	int saved = errno;
	if (my_tid() == tracer_tid)
		release_held();
	errno = saved;
}

static void block_sigchld(sigset_t *old)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &s, old);
}

static void install_handler(void)
{
	if (handler_installed)
		return;
	handler_installed = 1;
	tracer_tid = my_tid();
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_RESTART;	/* not SA_NOCLDSTOP: ptrace stops are the point */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
}

static void hold(pid_t pid, pid_t tid)
{
	sigset_t old;
	block_sigchld(&old);
	for (int i = 0; i < MAX_HELD; i++)
		if (held_tid[i] <= 0) {
			held_pid[i] = pid;
			held_tid[i] = tid;
			if (i >= nheld)
				nheld = i + 1;
			break;
		}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int hi_target_poll(void)
{
	sigset_t old;
	int n = 0;
	block_sigchld(&old);
	release_held();
	for (int i = 0; i < nheld; i++) {
		if (held_tid[i] <= 0)
			continue;
		char path[96];
		snprintf(path, sizeof path, "/proc/%d/task/%d", (int)held_pid[i], (int)held_tid[i]);
		if (access(path, F_OK) < 0)
			held_tid[i] = 0;	/* gone without a report to us */
		else
			n++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return n;
}

/* A thread of PID still held from an earlier stop, or 0.  */
static pid_t held_of(pid_t pid)
{
	for (int i = 0; i < nheld; i++)
		if (held_tid[i] > 0 && held_pid[i] == pid)
			return held_tid[i];
	return 0;
}

static void blocked_error(struct hi_target *t, pid_t tid, char state, const char *when)
{
	char path[96], wchan[64] = "";
	snprintf(path, sizeof path, "/proc/%d/task/%d/wchan", (int)t->pid, (int)tid);
	if (read_small_file(path, wchan, sizeof wchan) < 0 || !wchan[0] || !strcmp(wchan, "0"))
		wchan[0] = '\0';
	hi_error("pid %d: thread %d %s blocked in the kernel (state %c%s%s), so the process cannot be stopped now; the other threads run on and it is let go the moment it returns; retry shortly",
		 (int)t->pid, (int)tid, when, state ? state : '?', wchan[0] ? ", in " : "", wchan);
	hi_error_class(HI_E_BUSY);
}

/* ---- stopping ---- */

/* Ctrl-Z (and a background read or write) while the target is stopped
 * would suspend heapinspect with the target frozen until the user
 * typed fg.  The job-control signals are held back while a stop lasts
 * and act the moment the target runs again.  */
static sigset_t jobctl_saved;
static int jobctl_held;

static void hold_jobctl(void)
{
	if (jobctl_held)
		return;
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGTSTP);
	sigaddset(&s, SIGTTIN);
	sigaddset(&s, SIGTTOU);
	pthread_sigmask(SIG_BLOCK, &s, &jobctl_saved);
	jobctl_held = 1;
}

static void release_jobctl(void)
{
	if (!jobctl_held)
		return;
	jobctl_held = 0;
	pthread_sigmask(SIG_SETMASK, &jobctl_saved, NULL);
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
	t->threads[t->nthreads++] = (struct hi_thread){ .tid = tid, .interrupted_at = hi_now() };
	return 0;
}

static void drop_thread(struct hi_target *t, int i)
{
	t->threads[i] = t->threads[--t->nthreads];
}

/* Wait until every seized thread in [from, nthreads) has reported a stop.
 * Threads that exit meanwhile are dropped.  Returns 0, or -1 with the
 * error set: a thread blocked in the kernel (HI_E_BUSY), or one that did
 * not stop in STOP_TIMEOUT_S.  */
static int wait_stops(struct hi_target *t, int from)
{
	double deadline = hi_now() + STOP_TIMEOUT_S, next_look = 0;
	long nap_ns = 20000;
	int rc = 0;
	for (;;) {
		int remaining = 0, progressed = 0;
		for (int i = from; i < t->nthreads; i++) {
			struct hi_thread *th = &t->threads[i];
			if (th->stopped || th->tid < 0)
				continue;
			int st;
			pid_t r = waitpid(th->tid, &st, __WALL | WNOHANG);
			if (r == 0) {
				remaining++;
				continue;
			}
			progressed = 1;
			if (r < 0 || WIFEXITED(st) || WIFSIGNALED(st)) {
				/* ECHILD, or an exit report: the thread is gone. */
				th->tid = -1;
				continue;
			}
			if (!WIFSTOPPED(st)) {
				remaining++;
				continue;
			}
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
			th->stopped = 1;
		}
		if (!remaining)
			break;
		double now = hi_now();
		if (now >= next_look) {
			/* Who is asleep in the kernel?  /proc is read at most
			 * every 10 ms.  */
			next_look = now + 0.01;
			for (int i = from; i < t->nthreads; i++) {
				struct hi_thread *th = &t->threads[i];
				if (th->stopped || th->tid < 0 || now - th->interrupted_at < BLOCKED_GRACE_S)
					continue;
				char s = thread_state(t->pid, th->tid);
				if (s == 'D') {
					blocked_error(t, th->tid, s, "is");
					rc = -1;
					goto out;
				}
			}
		}
		if (now > deadline) {
			for (int i = from; i < t->nthreads; i++)
				if (!t->threads[i].stopped && t->threads[i].tid > 0) {
					pid_t tid = t->threads[i].tid;
					hi_error("pid %d: thread %d did not stop within %.0f s (state %c); the other threads run on; retry shortly",
						 (int)t->pid, (int)tid, STOP_TIMEOUT_S, thread_state(t->pid, tid) ?: '?');
					hi_error_class(HI_E_BUSY);
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
out:
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
	if (t->gone) {
		set_gone(t, "has exited; attach to another");
		return -1;
	}
	install_handler();
	hi_target_poll();
	pid_t held = held_of(t->pid);
	if (held) {
		/* Fail fast: stopping the others would only be undone.  */
		blocked_error(t, held, thread_state(t->pid, held), "is still");
		return -1;
	}
	t->nthreads = 0;
	t->reader = t->pid;
	hold_jobctl();
	/* The pause starts with the first thread stopped, not the last. */
	t->stopped_at = hi_now();
	t->stopped = 1;	/* from here on, resume undoes what was done */
	int leader_gone = 0;
	for (int round = 0;; round++) {
		pid_t *tids;
		int n, from = t->nthreads, added = 0;
		if (list_tasks(t->pid, &tids, &n) < 0) {
			if (errno == ENOENT)
				set_gone(t, "exited");
			else
				hi_error("pid %d: cannot list threads in /proc/%d/task: %s", (int)t->pid,
					 (int)t->pid, strerror(errno));
			goto fail;
		}
		for (int i = 0; i < n; i++) {
			pid_t tid = tids[i];
			if (have_thread(t, tid) || (tid == t->pid && leader_gone))
				continue;
			int seized = ptrace(PTRACE_SEIZE, tid, 0, 0) == 0;
			int e = seized ? 0 : errno;	/* before anything else sets errno */
			/* A thread on its way out: EPERM for a moment, then gone.
			 * Give it a few tries before calling it a permission
			 * problem.  */
			for (int tries = 0; !seized && e == EPERM && tries < 50; tries++) {
				if (thread_leaving(t->pid, tid))
					break;
				struct timespec ts = { 0, 200 * 1000 };
				nanosleep(&ts, NULL);
				seized = ptrace(PTRACE_SEIZE, tid, 0, 0) == 0;
				e = seized ? 0 : errno;
			}
			if (!seized) {
				if (e == ESRCH || (e == EPERM && thread_leaving(t->pid, tid))) {
					if (tid == t->pid)
						leader_gone = 1;	/* a zombie main thread */
					continue;	/* thread exited meanwhile */
				}
				if (e == EPERM)
					explain_eperm(t->pid, tid);
				else
					hi_error("pid %d: cannot attach to thread %d: %s", (int)t->pid, (int)tid,
						 strerror(e));
				free(tids);
				goto fail;
			}
			if (add_thread(t, tid) < 0) {
				/* Not stopped yet: held until it is.  */
				ptrace(PTRACE_INTERRUPT, tid, 0, 0);
				hold(t->pid, tid);
				free(tids);
				hi_error("pid %d: out of memory while stopping threads; free some memory and retry",
					 (int)t->pid);
				goto fail;
			}
			if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 && errno != ESRCH) {
				hi_error("pid %d: cannot interrupt thread %d: %s", (int)t->pid, (int)tid,
					 strerror(errno));
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
	if (t->nthreads == 0) {
		set_gone(t, "exited");
		goto fail;
	}
	if (!have_thread(t, t->pid))
		t->reader = t->threads[0].tid;
	/* Everything is still; is it what we attached to?  */
	if (!hi_target_check(t))
		goto fail;
	t->nstops++;
	return 0;
fail:
	hi_target_resume(t);
	return -1;
}

/* A thread that could not be detached: dead (then waited for, so that
 * its parent may reap it) or not stopped (then held).  */
static void release_failed(struct hi_target *t, pid_t tid)
{
	int st;
	pid_t r = waitpid(tid, &st, WNOHANG | __WALL);
	if (r == tid && (WIFEXITED(st) || WIFSIGNALED(st)))
		return;
	if (r < 0 && errno == ECHILD)
		return;
	hold(t->pid, tid);
}

int hi_target_resume(struct hi_target *t)
{
	if (!t->stopped)
		return 0;
	int failed = 0;
	for (int i = 0; i < t->nthreads; i++) {
		struct hi_thread *th = &t->threads[i];
		if (!th->stopped) {
			hold(t->pid, th->tid);	/* interrupted, but not stopped yet */
			continue;
		}
		if (ptrace(PTRACE_DETACH, th->tid, 0, (void *)(long)th->pending_sig) < 0) {
			failed++;
			release_failed(t, th->tid);
		}
	}
	t->nthreads = 0;
	t->stopped = 0;
	t->last_pause = hi_now() - t->stopped_at;
	release_jobctl();	/* a Ctrl-Z typed meanwhile acts now */
	if (failed && !hi_target_alive(t->pid)) {
		t->gone = 1;
		return -1;
	}
	return 0;
}

void hi_target_close(struct hi_target *t)
{
	hi_target_resume(t);
	free(t->threads);
	t->threads = NULL;
	t->cap = 0;
}
