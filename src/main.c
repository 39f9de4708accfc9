/* main.c: heapinspect's command line.
 *
 *   heapinspect attach PID [-e SCRIPT]... [-v]         scripts, or the shell
 *   heapinspect attach PID -f FILE [ARG]...            a Tcl batch file
 *   heapinspect -f FILE [ARG]...                       the file attaches itself
 *   heapinspect run [-e SCRIPT]... [-f FILE [ARG]...] -- PROGRAM [ARG]...
 *   heapinspect image FILE [-e SCRIPT | -f FILE]...     a saved memory image
 *   heapinspect core FILE [EXE] [-e SCRIPT | -f FILE]... an ELF core file
 *   heapinspect live PID [LIVE OPTION]...               the live view
 *   heapinspect                                        the shell, unattached
 *
 * Exit status: 0 success, 2 a usage error, 3 no such process, 4 not
 * allowed to trace it, 5 not a CPython heapinspect can read, 6 no debug
 * information, 7 the target exited meanwhile (or was replaced), 8 it
 * could not be stopped now (a thread blocked in the kernel), 1 any other
 * runtime error (the message says what and how to fix it), 128+N when
 * signal N ended a script.
 * The target is detached on every path; should heapinspect itself die,
 * the kernel detaches it.  */
#include "config.h"
#ifdef HAVE_MALLOC_H
#include <malloc.h>
#endif
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <tcl.h>
#include <time.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "util/error.h"
#include "util/infile.h"
#include "util/interrupt.h"
#include "util/output.h"
#include "shell.h"
#include "util/text.h"

static const char usage_text[] =
	"Usage: heapinspect attach PID [-e SCRIPT]... [-v]   (or -p PID, --pid PID)\n"
	"       heapinspect attach PID -f FILE [ARG]...\n"
	"       heapinspect -f FILE [ARG]...\n"
	"       heapinspect run [-e SCRIPT]... [-f FILE [ARG]...] -- PROGRAM [ARG]...\n"
	"       heapinspect image FILE [-e SCRIPT]... [-f FILE [ARG]...]\n"
	"       heapinspect core FILE [EXECUTABLE] [-e SCRIPT]... [-f FILE [ARG]...]\n"
	"       heapinspect live PID [-interval S] [-by growth|size|count] [-count N] [-n ROWS]\n"
	"       heapinspect --help | --version\n"
	"\n"
	"Look inside a running CPython 3.8+ process from outside: stop it for a\n"
	"moment with ptrace, read its memory and debug information, and report its\n"
	"objects the way heapy does.  Nothing is injected into the target.\n"
	"\n"
	"  attach PID      the process to inspect; without -e or -f, open the shell\n"
	"  -p, --pid PID   the same\n"
	"  run ... -- PROG start PROG, wait for its Python, then inspect it\n"
	"  image FILE      inspect a memory image saved by 'dump FILE' instead\n"
	"  core FILE [EXE] inspect an ELF core file (gcore's, the kernel's); EXE\n"
	"                  in place of the executable it names\n"
	"  live PID ...    the heap by kind refreshed in the terminal, growth first\n"
	"                  (py-spy top, for memory); q leaves\n"
	"  -e SCRIPT       evaluate SCRIPT, a Tcl command string; may repeat\n"
	"  -f FILE [ARG]   evaluate a Tcl file with argv set to the ARGs\n"
	"  -v, --verbose   report pauses and diagnostics on stderr\n"
	"  -h, --help      show this help\n"
	"  -V, --version   show the version\n"
	"\n"
	"Commands: heap, more, all, top, numpy, memory, shm, watch, plot, growth, live, setrel,\n"
	"clearrel, diff, info, layout, stacks, dump, attach, detach, help, quit; and all of Tcl.\n"
	"Type 'help' in the shell.\n"
	"Example:\n"
	"  heapinspect attach 1234 -e heap\n";

/* "heapinspect: " and the message (printf format), then the hint.  */
static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "heapinspect: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry 'heapinspect --help'.\n");
	va_end(ap);
	return HI_E_USAGE;
}

static int parse_pid(const char *s, pid_t *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > INT_MAX)
		return -1;
	*out = (pid_t)v;
	return 0;
}

/* ---- the Tcl side ---- */

static struct hi_app *the_app;

static void mark_async(void)
{
	if (the_app && the_app->async)
		Tcl_AsyncMark(the_app->async);
}

/* Between two commands of a script, a pending signal becomes an error that
 * unwinds the script; the target is never stopped at that point.  */
static int on_async(ClientData cd, Tcl_Interp *interp, int code)
{
	(void)cd;
	int sig = hi_interrupted();
	if (!sig || !interp)
		return code;
	Tcl_SetObjResult(interp, Tcl_ObjPrintf("interrupted by %s", sig == SIGINT ? "Ctrl-C" : strsignal(sig)));
	Tcl_SetErrorCode(interp, "HEAPINSPECT", "INTERRUPTED", NULL);
	return TCL_ERROR;
}

/* `exit` anywhere ends the process through Tcl_Exit: let the target go
 * first.  */
static void detach_on_exit(ClientData cd)
{
	struct hi_app *app = cd;
	hi_session_detach(&app->session);
	fflush(app->print);
}

static void app_init(struct hi_app *app, const char *argv0, int verbose)
{
	memset(app, 0, sizeof *app);
	app->verbose = verbose;
	/* Results are printed through a stream that keeps control
	 * characters from the target off the terminal (output.h).  */
	app->print = hi_output_open(STDOUT_FILENO);
	if (!app->print)
		app->print = stdout;
	app->out = app->print;	/* each command collects its own (cmd.h) */
	the_app = app;
	Tcl_FindExecutable(argv0);
	app->interp = Tcl_CreateInterp();
	if (Tcl_Init(app->interp) != TCL_OK && verbose)
		fprintf(stderr, "heapinspect: Tcl library not found (%s); built-in commands only\n",
			Tcl_GetStringResult(app->interp));
	hi_commands_register(app);
	Tcl_Eval(app->interp, "interp alias {} quit {} exit");
	Tcl_CreateExitHandler(detach_on_exit, app);
	app->async = Tcl_AsyncCreate(on_async, app);
	hi_interrupt_install(mark_async);
	/* A closed pipe (heapinspect ... | head) must end with a clean detach,
	 * not a signal death in the middle of a walk.  */
	signal(SIGPIPE, SIG_IGN);
}

static int app_finish(struct hi_app *app, int status)
{
	hi_session_detach(&app->session);
	hi_baseline_clear(&app->baseline);
	hi_census_free(&app->growth.census);
	hi_cmd_forget_table(app);
	hi_cmd_forget_graph(app);
	Tcl_DeleteExitHandler(detach_on_exit, app);
	if ((hi_output_check(app->print) == HI_OUT_FAILED || hi_output_check(stdout) == HI_OUT_FAILED) && !status) {
		fprintf(stderr, "heapinspect: %s\n", hi_errmsg());
		status = HI_E_RUNTIME;
	}
	if (app->print != stdout)
		fclose(app->print);
	app->out = app->print = stdout;
	Tcl_DeleteInterp(app->interp);
	return status;
}

/* Report a failed script: the message, with the file and line for a batch
 * file, and Tcl's traceback under -v when the error is the script's own.  */
static int script_failed(struct hi_app *app, const char *file, int line_base)
{
	Tcl_Obj *res = Tcl_GetObjResult(app->interp);
	Tcl_IncrRefCount(res);
	Tcl_Obj *opts = Tcl_GetReturnOptions(app->interp, TCL_ERROR), *v = NULL;
	Tcl_IncrRefCount(opts);
	int line = 0, ours = 0, status = HI_E_RUNTIME;
	if (Tcl_DictObjGet(NULL, opts, Tcl_NewStringObj("-errorline", -1), &v) == TCL_OK && v)
		Tcl_GetIntFromObj(NULL, v, &line);
	if (line > 0)
		line += line_base - 1;	/* the command's first line in FILE */
	if (Tcl_DictObjGet(NULL, opts, Tcl_NewStringObj("-errorcode", -1), &v) == TCL_OK && v) {
		/* {HEAPINSPECT CLASS}: heapinspect's own error, with its status. */
		Tcl_Obj *cls;
		ours = strncmp(Tcl_GetString(v), "HEAPINSPECT", 11) == 0;
		if (ours && Tcl_ListObjIndex(NULL, v, 1, &cls) == TCL_OK && cls)
			status = hi_errclass_from_name(Tcl_GetString(cls));
		/* puts to a pipe whose reader left: the same quiet end.  */
		if (!ours && strncmp(Tcl_GetString(v), "POSIX EPIPE", 11) == 0 && !hi_interrupted())
			hi_interrupt_signal = SIGPIPE;
	}
	if (hi_interrupted() == SIGPIPE)
		;	/* the reader left: end quietly, as a pipe's writer does */
	else {
		/* A Tcl error may quote a file name or a value from the
		 * target: no control characters but its own line breaks. */
		char *msg = hi_text_escape_dup(Tcl_GetString(res)), *fname = hi_text_escape_dup(file ? file : "");
		if (file && line)
			fprintf(stderr, "heapinspect: %s:%d: %s\n", fname, line, msg);
		else
			fprintf(stderr, "heapinspect: %s\n", msg);
		free(msg);
		free(fname);
	}
	if (!ours && app->verbose && Tcl_DictObjGet(NULL, opts, Tcl_NewStringObj("-errorinfo", -1), &v) == TCL_OK && v)
		fprintf(stderr, "%s\n", Tcl_GetString(v));
	Tcl_DecrRefCount(opts);
	Tcl_DecrRefCount(res);
	int sig = hi_interrupted();
	return sig ? 128 + sig : status;
}

static int run_scripts(struct hi_app *app, const char **scripts, int nscripts, const char *file, char **fargs,
		       int nfargs)
{
	for (int i = 0; i < nscripts; i++) {
		if (hi_shell_eval(app, scripts[i]) != TCL_OK)
			return script_failed(app, NULL, 1);
	}
	if (file) {
		Tcl_Obj *argv = Tcl_NewListObj(0, NULL);
		for (int i = 0; i < nfargs; i++)
			Tcl_ListObjAppendElement(NULL, argv, Tcl_NewStringObj(fargs[i], -1));
		Tcl_SetVar2Ex(app->interp, "argv", NULL, argv, TCL_GLOBAL_ONLY);
		Tcl_SetVar2Ex(app->interp, "argc", NULL, Tcl_NewIntObj(nfargs), TCL_GLOBAL_ONLY);
		Tcl_SetVar2Ex(app->interp, "argv0", NULL, Tcl_NewStringObj(file, -1), TCL_GLOBAL_ONLY);
		if (hi_infile_script_ok(file) < 0) {
			fprintf(stderr, "heapinspect: %s\n", hi_errmsg());
			return HI_E_USAGE;
		}
		int line_base = 1;
		if (hi_shell_eval_file(app, file, &line_base) != TCL_OK)
			return script_failed(app, file, line_base);
	}
	return 0;
}

/* ---- run: start a program and wait for its Python ---- */

static pid_t start_program(char **argv)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		int e = errno;
		if (write(pfd[1], &e, sizeof e) < 0)
			_exit(127);
		_exit(127);
	}
	close(pfd[1]);
	int e = 0;
	if (pid > 0 && read(pfd[0], &e, sizeof e) == sizeof e) {
		waitpid(pid, NULL, 0);
		close(pfd[0]);
		errno = e;
		return -1;
	}
	close(pfd[0]);
	return pid;
}

/* Attach once the program's interpreter is up (its runtime has an
 * interpreter and __main__ is imported), within 30 s.  */
static int attach_when_ready(struct hi_app *app, pid_t pid, const char *prog)
{
	char last[1024] = "";
	for (int i = 0; i < 300; i++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			hi_error("%s (pid %d) exited with status %d before heapinspect could attach", prog, (int)pid,
				 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			return -1;
		}
		if (hi_interrupted())
			break;
		if (hi_session_attach(&app->session, pid) == 0) {
			if (hi_session_ready(&app->session))
				return 0;
			hi_session_detach(&app->session);
			snprintf(last, sizeof last, "pid %d: the Python runtime is not initialized yet", (int)pid);
		} else {
			snprintf(last, sizeof last, "%s", hi_errmsg());
		}
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	hi_error("%s", last[0] ? last : "interrupted");
	return -1;
}

static void stop_program(pid_t pid)
{
	if (waitpid(pid, NULL, WNOHANG) == pid)
		return;
	kill(pid, SIGTERM);
	for (int i = 0; i < 30; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	/* Large blocks (a census's graph and baseline, a copy's plan) come
	 * from their own mappings and go back when freed, whatever came
	 * before: glibc would otherwise raise its threshold after the first
	 * large free and keep later ones on a heap that does not shrink, so
	 * that a long session's memory would settle higher than it needs.  */
#ifdef M_MMAP_THRESHOLD
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
	/* libdebuginfod shows a download's progress on stderr when asked: a
	 * debug file can take a while to fetch, so on a terminal, ask.  */
	if (isatty(STDERR_FILENO) && !getenv("DEBUGINFOD_PROGRESS"))
		setenv("DEBUGINFOD_PROGRESS", "1", 0);
	hi_output_guard_fds();
	const char **scripts = calloc(argc > 0 ? argc : 1, sizeof *scripts);
	int nscripts = 0, verbose = 0, have_pid = 0, run = 0, nfargs = 0;
	const char *file = NULL, *image = NULL, *exe = NULL;
	char **fargs = NULL, **prog = NULL;
	pid_t pid = 0;
	if (!scripts)
		return HI_E_RUNTIME;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			free(scripts);
			return 0;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("heapinspect %s\n", PACKAGE_VERSION);
			free(scripts);
			return 0;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			verbose = 1;
		} else if (!strcmp(a, "-e")) {
			if (i + 1 >= argc)
				return usage_error("%s needs a script", a);
			scripts[nscripts++] = argv[++i];
		} else if (!strcmp(a, "-f")) {
			if (i + 1 >= argc)
				return usage_error("%s needs a file", a);
			file = argv[++i];
			/* The file's own arguments: the rest, or up to "--" with run. */
			fargs = argv + i + 1;
			while (i + 1 < argc && !(run && !strcmp(argv[i + 1], "--"))) {
				i++;
				nfargs++;
			}
		} else if ((!strcmp(a, "attach") || !strcmp(a, "-p") || !strcmp(a, "--pid") || !strncmp(a, "--pid=", 6)) &&
			   !have_pid && !run && !image) {
			/* -p PID and --pid PID as gdb, strace and py-spy take it. */
			const char *v = !strncmp(a, "--pid=", 6) ? a + 6 : NULL;
			if (!v && i + 1 >= argc)
				return usage_error("%s needs a PID", a);
			if (!v)
				v = argv[++i];
			if (parse_pid(v, &pid) < 0)
				return usage_error("'%s' is not a process id", v);
			have_pid = 1;
		} else if (!strcmp(a, "image") && !have_pid && !run && !image) {
			if (i + 1 >= argc)
				return usage_error("%s needs a FILE (written by dump)", a);
			image = argv[++i];
		} else if (!strcmp(a, "core") && !have_pid && !run && !image) {
			if (i + 1 >= argc)
				return usage_error("%s needs a FILE (a core: gcore PID writes one)", a);
			image = argv[++i];
			/* The executable, unless the next word is an option.  */
			if (i + 1 < argc && argv[i + 1][0] != '-')
				exe = argv[++i];
			else
				exe = "";
		} else if (!strcmp(a, "live") && i == 1) {
			/* heapinspect live PID [OPTION]...: attach, then the live
			 * command with the rest as its options.  */
			if (i + 1 >= argc)
				return usage_error("%s needs a PID", a);
			if (parse_pid(argv[i + 1], &pid) < 0)
				return usage_error("'%s' is not a process id", argv[i + 1]);
			have_pid = 1;
			char *merged = Tcl_Merge(argc - i - 2, (const char *const *)argv + i + 2);
			size_t len = strlen(merged) + 8;
			char *script = malloc(len);
			if (!script)
				return HI_E_RUNTIME;
			snprintf(script, len, "live %s", merged);
			Tcl_Free(merged);
			scripts[nscripts++] = script;	/* lives as long as the process */
			break;
		} else if (!strcmp(a, "run") && !have_pid && !run && !image && i == 1) {
			run = 1;
		} else if (!strcmp(a, "--") && run) {
			if (i + 1 >= argc)
				return usage_error("%s", "run needs a program after --");
			prog = argv + i + 1;
			break;
		} else {
			return usage_error("unknown argument '%s'", a);
		}
	}
	if (run && !prog)
		return usage_error("%s", "run needs -- PROGRAM [ARG]...");

	struct hi_app *app = malloc(sizeof *app);
	if (!app)
		return HI_E_RUNTIME;
	app_init(app, argv[0], verbose);
	int status = 0;
	pid_t child = 0;
	if (run) {
		if ((child = start_program(prog)) < 0) {
			fprintf(stderr, "heapinspect: cannot run %s: %s\n", prog[0], strerror(errno));
			status = HI_E_RUNTIME;
		} else if (attach_when_ready(app, child, prog[0]) < 0) {
			fprintf(stderr, "heapinspect: %s\n", hi_errmsg());
			status = hi_errclass();
		}
	} else if (image && hi_session_open_image(&app->session, image, exe && *exe ? exe : NULL) < 0) {
		fprintf(stderr, "heapinspect: %s\n", hi_errmsg());
		status = hi_errclass();
	} else if (have_pid && hi_session_attach(&app->session, pid) < 0) {
		fprintf(stderr, "heapinspect: %s\n", hi_errmsg());
		status = hi_errclass();
	}
	if (!status) {
		if (nscripts || file)
			status = run_scripts(app, scripts, nscripts, file, fargs, nfargs);
		else
			status = hi_shell_run(app);
	}
	status = app_finish(app, status);
	if (child > 0)
		stop_program(child);
	free(app);
	free(scripts);
	return status;
}
