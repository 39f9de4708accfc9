/* main.c: heapinspect's command line.
 *
 *   heapinspect attach PID -e SCRIPT [-e SCRIPT]... [-v]
 *   heapinspect --help | --version
 *
 * Exit status: 0 success, 1 a runtime error (the message says what and
 * how to fix it), 2 a usage error.  The target is detached on every path;
 * should heapinspect itself die, the kernel detaches it.  */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tcl.h>
#include "cmd.h"
#include "error.h"

static const char usage_text[] =
	"Usage: heapinspect attach PID -e SCRIPT [-e SCRIPT]... [-v]\n"
	"       heapinspect --help | --version\n"
	"\n"
	"Look inside a running CPython 3.8+ process from outside: stop it for a\n"
	"moment with ptrace, read its memory and debug information, and report its\n"
	"objects the way heapy does.  Nothing is injected into the target.\n"
	"\n"
	"  attach PID      the process to inspect\n"
	"  -e SCRIPT       evaluate SCRIPT, a Tcl command string; may repeat\n"
	"  -v, --verbose   report pauses and diagnostics on stderr\n"
	"  -h, --help      show this help\n"
	"  -V, --version   show the version\n"
	"\n"
	"Commands: heap [-all] [-by kind|type] [-format table|json|tcl], info,\n"
	"attach PID, detach, help [NAME].  Example:\n"
	"  heapinspect attach 1234 -e heap\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "heapinspect: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'heapinspect --help'.\n");
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

/* Print SCRIPT's error: the message, and Tcl's traceback when it is the
 * script's own error rather than heapinspect's.  */
static void report_tcl_error(struct hi_app *app)
{
	/* Hold the result: reading errorCode may replace it.  */
	Tcl_Obj *res = Tcl_GetObjResult(app->interp);
	Tcl_IncrRefCount(res);
	Tcl_Obj *code = Tcl_GetVar2Ex(app->interp, "errorCode", NULL, TCL_GLOBAL_ONLY);
	int ours = code && strncmp(Tcl_GetString(code), "HEAPINSPECT", 11) == 0;
	fprintf(stderr, "heapinspect: %s\n", Tcl_GetString(res));
	Tcl_DecrRefCount(res);
	if (!ours && app->verbose) {
		Tcl_Obj *info = Tcl_GetVar2Ex(app->interp, "errorInfo", NULL, TCL_GLOBAL_ONLY);
		if (info)
			fprintf(stderr, "%s\n", Tcl_GetString(info));
	}
}

int main(int argc, char **argv)
{
	const char **scripts = calloc(argc > 0 ? argc : 1, sizeof *scripts);
	int nscripts = 0, verbose = 0, have_pid = 0;
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
		} else if (!strcmp(a, "attach")) {
			if (i + 1 >= argc)
				return usage_error("%s needs a PID", a);
			if (parse_pid(argv[++i], &pid) < 0)
				return usage_error("'%s' is not a process id", argv[i]);
			have_pid = 1;
		} else {
			return usage_error("unknown argument '%s'", a);
		}
	}
	if (!have_pid)
		return usage_error("%s", "nothing to do: give 'attach PID'");
	if (!nscripts)
		return usage_error("%s", "give a script with -e (for example -e heap); the interactive shell is not built yet");

	/* A closed pipe (heapinspect ... | head) must end with a clean detach,
	 * not a signal death in the middle of a walk.  */
	signal(SIGPIPE, SIG_IGN);

	struct hi_app app = { .verbose = verbose, .out = stdout };
	Tcl_FindExecutable(argv[0]);
	app.interp = Tcl_CreateInterp();
	if (Tcl_Init(app.interp) != TCL_OK && verbose)
		fprintf(stderr, "heapinspect: Tcl library not found (%s); built-in commands only\n",
			Tcl_GetStringResult(app.interp));
	hi_commands_register(&app);

	int status = 0;
	if (hi_session_attach(&app.session, pid) < 0) {
		fprintf(stderr, "heapinspect: %s\n", hi_errmsg());
		status = HI_E_RUNTIME;
	}
	for (int i = 0; i < nscripts && !status; i++) {
		if (Tcl_Eval(app.interp, scripts[i]) != TCL_OK) {
			report_tcl_error(&app);
			status = HI_E_RUNTIME;
			break;
		}
		const char *res = Tcl_GetStringResult(app.interp);
		if (*res)
			printf("%s\n", res);
	}
	if (fflush(stdout) != 0 && !status && errno != EPIPE) {
		fprintf(stderr, "heapinspect: cannot write output: %s\n", strerror(errno));
		status = HI_E_RUNTIME;
	}
	hi_session_detach(&app.session);
	Tcl_DeleteInterp(app.interp);
	free(scripts);
	return status;
}
