/* shell.c: see shell.h.  */
#include "config.h"
#include <stdio.h>
#include <errno.h>
#include <signal.h>
#include <sys/select.h>
#include <stdlib.h>
#include <string.h>
#include <readline/history.h>
#include <readline/readline.h>
#include "util/error.h"
#include "util/interrupt.h"
#include "util/output.h"
#include "shell.h"
#include "proc/target.h"
#include "util/text.h"

#define HISTORY_MAX 1000
#define PROMPT "(heapinspect) "
#define PROMPT2 "...> "

static struct hi_app *shell_app;
static char *hist_file;

/* Each entry is appended to the history file as it is made, so that a
 * shell that is killed loses none; on the way out (also through `exit`
 * and `quit`, which end the process through Tcl_Exit) the file is cut
 * to its last HISTORY_MAX entries.  */
static void save_history(ClientData cd)
{
	(void)cd;
	if (hist_file)
		history_truncate_file(hist_file, HISTORY_MAX);
}

/* ---- completion ---- */

static char **candidates;
static size_t ncandidates;

static void add_candidate(const char *s)
{
	char **n = realloc(candidates, (ncandidates + 1) * sizeof *n);
	if (!n)
		return;
	candidates = n;
	candidates[ncandidates++] = strdup(s);
}

static void clear_candidates(void)
{
	for (size_t i = 0; i < ncandidates; i++)
		free(candidates[i]);
	free(candidates);
	candidates = NULL;
	ncandidates = 0;
}

static char *next_candidate(const char *text, int state)
{
	static size_t i, len;
	if (!state) {
		i = 0;
		len = strlen(text);
	}
	while (i < ncandidates) {
		const char *c = candidates[i++];
		if (c && strncmp(c, text, len) == 0)
			return strdup(c);
	}
	return NULL;
}

/* What Tab offers after a command's name, from its table (cmd.h). */
enum offer { OFFER_LIST, OFFER_FILES };

static void add_commands(void)
{
	for (int i = 0; hi_commands[i]; i++)
		add_candidate(hi_commands[i]->name);
}

/* The candidates for TEXT after command CMD, the previous word PREV
 * (NULL if none).  */
static enum offer add_arguments(const struct hi_cmd *cmd, const char *prev, const char *text)
{
	const struct hi_argspec *s;
	if (prev) {	/* the value of the option before? */
		for (s = cmd->args; s && s->name; s++)
			if (s->name[0] == '-' && s->type != HI_ARG_FLAG && strcmp(s->name, prev) == 0)
				break;
		if ((cmd->flags & HI_CMD_OUT) && strcmp(prev, "-out") == 0)
			return OFFER_FILES;
		if (s && s->name) {
			if (s->type == HI_ARG_FILE)
				return OFFER_FILES;
			if (s->type == HI_ARG_CHOICE)
				for (int i = 0; s->choices[i]; i++)
					add_candidate(s->choices[i]);
			if (s->type == HI_ARG_COMMAND)
				add_commands();
			return OFFER_LIST;
		}
	}
	int positional = 0;
	for (s = cmd->args; s && s->name; s++) {
		if (s->name[0] == '-')
			add_candidate(s->name);
		else if (s->type == HI_ARG_COMMAND && text[0] != '-')
			add_commands();
		else if (s->type == HI_ARG_FILE)
			positional = 1;
	}
	if (cmd->flags & HI_CMD_OUT)
		add_candidate("-out");
	return positional && text[0] != '-' ? OFFER_FILES : OFFER_LIST;
}

static char **complete(const char *text, int start, int end)
{
	(void)end;
	rl_attempted_completion_over = 1;	/* no file names unless asked */
	clear_candidates();
	/* The command word is the first word of the current command. */
	int cmd_start = start;
	while (cmd_start > 0 && rl_line_buffer[cmd_start - 1] != ';' && rl_line_buffer[cmd_start - 1] != '[' &&
	       rl_line_buffer[cmd_start - 1] != '{')
		cmd_start--;
	while (rl_line_buffer[cmd_start] == ' ')
		cmd_start++;
	if (cmd_start == start) {
		add_commands();
		if (Tcl_Eval(shell_app->interp, HI_TCL_INFO " commands") == TCL_OK) {
			Tcl_Obj *list = Tcl_GetObjResult(shell_app->interp);
			int n;
			Tcl_Obj **v;
			if (Tcl_ListObjGetElements(NULL, list, &n, &v) == TCL_OK)
				for (int i = 0; i < n; i++)
					if (strcmp(Tcl_GetString(v[i]), HI_TCL_INFO + 6) != 0)
						add_candidate(Tcl_GetString(v[i]));
		}
		Tcl_ResetResult(shell_app->interp);
	} else {
		size_t len = strcspn(rl_line_buffer + cmd_start, " ");
		const struct hi_cmd *cmd = hi_cmd_find(rl_line_buffer + cmd_start, len);
		if (cmd) {
			/* The word before this one, if it is an option. */
			char prev[64] = "";
			int e = start - 1;
			while (e > 0 && rl_line_buffer[e] == ' ')
				e--;
			int b = e;
			while (b > 0 && rl_line_buffer[b - 1] != ' ')
				b--;
			if (e >= b && rl_line_buffer[b] == '-')
				snprintf(prev, sizeof prev, "%.*s", e - b + 1, rl_line_buffer + b);
			if (add_arguments(cmd, prev[0] ? prev : NULL, text) == OFFER_FILES)
				return rl_completion_matches(text, rl_filename_completion_function);
		}
	}
	return rl_completion_matches(text, next_candidate);
}

/* ---- the loop ---- */

static char *history_path(void)
{
	const char *env = getenv("HEAPINSPECT_HISTORY");
	if (env)
		return *env ? strdup(env) : NULL;
	const char *home = getenv("HOME");
	if (!home || !*home)
		return NULL;
	size_t n = strlen(home) + 32;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/.heapinspect_history", home);
	return p;
}

int hi_shell_print(struct hi_app *app)
{
	int len;
	const char *res = Tcl_GetStringFromObj(Tcl_GetObjResult(app->interp), &len);
	/* What the script wrote with puts comes first.  */
	Tcl_Channel tout = Tcl_GetStdChannel(TCL_STDOUT);
	if (tout)
		Tcl_Flush(tout);
	if (len) {
		fwrite(res, 1, (size_t)len, app->print);
		fputc('\n', app->print);
	}
	switch (hi_output_check(app->print)) {
	case HI_OUT_OK:
		return TCL_OK;
	case HI_OUT_GONE:	/* the reader left: end as a pipe's writer does */
		hi_interrupt_signal = SIGPIPE;
		Tcl_SetObjResult(app->interp, Tcl_NewStringObj("the reader of the output left", -1));
		return TCL_ERROR;
	case HI_OUT_FAILED:
	default:
		return hi_cmd_fail(app->interp);
	}
}

/* The lines from S up to P.  */
static int lines_in(const char *s, const char *p)
{
	int n = 0;
	for (; s < p; s++)
		n += *s == '\n';
	return n;
}

/* Evaluate the LEN bytes of script at S one top-level command at a
 * time; print the result of each heapinspect command among them and,
 * with PRINT_LAST, the last command's whatever it is.  *LINE counts
 * from 1 at S to the failing command's first line.  */
static int eval_commands(struct hi_app *app, const char *s, int len, int print_last, int *line)
{
	Tcl_Interp *ip = app->interp;
	const char *p = s, *end = s + len;
	int rc = TCL_OK, printed = 1, ran = 0;
	Tcl_ResetResult(ip);
	while (p < end) {
		Tcl_Parse parse;
		if (Tcl_ParseCommand(ip, p, (int)(end - p), 0, &parse) != TCL_OK) {
			/* Where the command that failed to parse starts.  */
			const char *at = parse.commandStart;
			*line += lines_in(p, at > p && at <= end ? at : p);
			Tcl_SetErrorLine(ip, 1);
			return TCL_ERROR;
		}
		const char *cmd = parse.commandStart;
		int size = parse.commandSize, ours = 0;
		if (parse.numWords > 0 && parse.tokenPtr[0].type == TCL_TOKEN_SIMPLE_WORD)
			ours = hi_cmd_is_ours(parse.tokenPtr[1].start, parse.tokenPtr[1].size);
		int words = parse.numWords;
		Tcl_FreeParse(&parse);
		*line += lines_in(p, cmd);
		if (size == 0)
			break;	/* only comments and blanks were left */
		p = cmd + size;
		if (words == 0)
			continue;
		rc = Tcl_EvalEx(ip, cmd, size, TCL_EVAL_GLOBAL);
		ran = 1;
		if (rc == TCL_RETURN)	/* return ends a script, as in source */
			return TCL_OK;
		if (rc == TCL_BREAK || rc == TCL_CONTINUE) {
			Tcl_SetObjResult(ip, Tcl_ObjPrintf("invoked \"%s\" outside of a loop",
							   rc == TCL_BREAK ? "break" : "continue"));
			Tcl_SetErrorLine(ip, 1);
			rc = TCL_ERROR;
		}
		if (rc != TCL_OK)
			return rc;
		/* The result of a heapinspect command is printed, as a batch
		 * script's output; Tcl's own (set, puts, proc) are not.  */
		printed = ours;
		if (ours && hi_shell_print(app) != TCL_OK)
			return TCL_ERROR;
		*line += lines_in(cmd, cmd + size);
	}
	if (print_last && ran && !printed)
		return hi_shell_print(app);
	return TCL_OK;
}

int hi_shell_eval(struct hi_app *app, const char *script)
{
	int line = 1;
	return eval_commands(app, script, (int)strlen(script), 1, &line);
}

int hi_shell_eval_file(struct hi_app *app, const char *path, int *line)
{
	Tcl_Interp *ip = app->interp;
	*line = 1;
	Tcl_Obj *name = Tcl_NewStringObj(path, -1), *text = Tcl_NewObj();
	Tcl_IncrRefCount(name);
	Tcl_IncrRefCount(text);
	Tcl_Channel ch = Tcl_FSOpenFileChannel(ip, name, "r", 0);
	int rc = ch ? TCL_OK : TCL_ERROR;
	if (ch) {
		Tcl_SetChannelOption(NULL, ch, "-eofchar", "\x1a");	/* as source does */
		if (Tcl_ReadChars(ch, text, -1, 0) < 0) {
			Tcl_SetObjResult(ip, Tcl_ObjPrintf("cannot read %s: %s", path, Tcl_PosixError(ip)));
			rc = TCL_ERROR;
		}
		Tcl_Close(NULL, ch);
	}
	if (rc == TCL_OK) {	/* [info script] names it, as in source */
		Tcl_Obj *set[] = { Tcl_NewStringObj(HI_TCL_INFO, -1), Tcl_NewStringObj("script", -1), name };
		for (int i = 0; i < 2; i++)
			Tcl_IncrRefCount(set[i]);
		Tcl_EvalObjv(ip, 3, set, TCL_EVAL_GLOBAL);
		for (int i = 0; i < 2; i++)
			Tcl_DecrRefCount(set[i]);
		int len;
		const char *s = Tcl_GetStringFromObj(text, &len);
		rc = eval_commands(app, s, len, 0, line);
		if (rc == TCL_OK)
			Tcl_ResetResult(ip);
	}
	Tcl_DecrRefCount(text);
	Tcl_DecrRefCount(name);
	return rc;
}

static void print_result(struct hi_app *app, int rc)
{
	if (rc == TCL_OK)
		return;
	if (hi_interrupted() == SIGPIPE)
		return;
	/* Control characters escaped, line breaks kept (text.h). */
	char *e = hi_text_escape_dup(Tcl_GetStringResult(app->interp));
	fprintf(stderr, "heapinspect: %s\n", e);
	free(e);
}

/* readline's callback interface: the loop below owns the waiting, so a
 * signal is seen the moment it arrives (a blocking readline() would act on
 * it only at the next key).  readline calls on_line with the terminal back
 * in its normal mode and redraws the prompt after it returns.  */
static struct hi_app *loop_app;
static Tcl_DString pending;	/* an unfinished command */
static int loop_done, loop_status;

static void on_line(char *line)
{
	struct hi_app *app = loop_app;
	if (!line) {	/* Ctrl-D */
		fputc('\n', stdout);
		if (Tcl_DStringLength(&pending)) {	/* drop the unfinished command */
			Tcl_DStringSetLength(&pending, 0);
			rl_set_prompt(PROMPT);
			return;
		}
		loop_done = 1;
		return;
	}
	Tcl_DStringAppend(&pending, line, -1);
	Tcl_DStringAppend(&pending, "\n", 1);
	free(line);
	if (!Tcl_CommandComplete(Tcl_DStringValue(&pending))) {
		rl_set_prompt(PROMPT2);
		return;
	}
	char *text = Tcl_DStringValue(&pending);
	size_t len = strlen(text);
	while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	if (len) {
		add_history(text);
		if (hist_file)	/* kept even if heapinspect is killed */
			append_history(1, hist_file);
		hi_interrupt_clear();
		print_result(app, hi_shell_eval(app, text));
		/* Ctrl-C cancelled the command and is spent; TERM and HUP end
		 * the shell.  */
		int sig = hi_interrupted();
		hi_interrupt_clear();
		if (sig && sig != SIGINT) {
			loop_status = 128 + sig;
			loop_done = 1;
		}
	}
	Tcl_DStringSetLength(&pending, 0);
	rl_set_prompt(PROMPT);
}

int hi_shell_run(struct hi_app *app)
{
	shell_app = loop_app = app;
	char *hist = hist_file = history_path();
	using_history();
	stifle_history(HISTORY_MAX);
	/* Keep multi-line commands whole in the history file.  */
	history_write_timestamps = 1;
	history_multiline_entries = 1;
	history_comment_char = '#';	/* timestamp lines start with it */
	if (hist && read_history(hist) == ENOENT)
		write_history(hist);	/* append_history does not create it */
	Tcl_CreateExitHandler(save_history, NULL);
	rl_readline_name = "heapinspect";
	rl_attempted_completion_function = complete;
	rl_basic_word_break_characters = " \t\n[]{};\"";
	rl_catch_signals = 0;	/* ours: they only set a flag */

	Tcl_DStringInit(&pending);
	loop_done = loop_status = 0;
	int in = fileno(rl_instream ? rl_instream : stdin);
	rl_callback_handler_install(PROMPT, on_line);
	while (!loop_done) {
		fd_set fds;
		FD_ZERO(&fds);
		FD_SET(in, &fds);
		/* A thread that could not stop at a command's stop is let go
		 * as soon as it does, also while the user thinks: the SIGCHLD
		 * its stop sends wakes this wait, and a short timeout backs
		 * that up while any is held.  */
		struct timeval tick = { 0, 100 * 1000 };
		int r = select(in + 1, &fds, NULL, NULL, hi_target_poll() ? &tick : NULL);
		if (r == 0)
			continue;
		if (r < 0) {
			int sig = hi_interrupted();
			if (errno != EINTR)
				break;
			if (sig == SIGINT) {
				/* Ctrl-C at the prompt: drop the line and any
				 * unfinished command, prompt again at once.  */
				hi_interrupt_clear();
				rl_free_line_state();
				rl_callback_sigcleanup();
				rl_replace_line("", 0);
				Tcl_DStringSetLength(&pending, 0);
				fputc('\n', stdout);
				rl_set_prompt(PROMPT);
				rl_on_new_line();
				rl_redisplay();
			} else if (sig) {	/* SIGTERM, SIGHUP: leave */
				fputc('\n', stdout);
				loop_status = 128 + sig;
				break;
			}
			continue;
		}
		rl_callback_read_char();
	}
	rl_callback_handler_remove();
	Tcl_DStringFree(&pending);
	Tcl_DeleteExitHandler(save_history, NULL);
	save_history(NULL);
	free(hist);
	hist_file = NULL;
	clear_candidates();
	return loop_status;
}
