/* args.c: commands' arguments from their tables (see cmd.h): parsing,
 * usage, help text and suggestions.  */
#include "config.h"
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "cmd/cmd.h"

const char *const hi_formats[] = { "table", "json", "csv", "tcl", NULL };

static const struct hi_argspec out_spec = {
	"-out", HI_ARG_FILE, "FILE", NULL, 0, 0, 0,
	"write the result to FILE (replaced) instead of returning it",
};

const struct hi_cmd *hi_cmd_find(const char *name, size_t len)
{
	for (int i = 0; hi_commands[i]; i++)
		if (strlen(hi_commands[i]->name) == len && strncmp(hi_commands[i]->name, name, len) == 0)
			return hi_commands[i];
	return NULL;
}

static int is_option(const struct hi_argspec *s)
{
	return s->name[0] == '-';
}

/* How many edits (insert, delete, replace, swap two neighbours) turn A
 * into B; stops counting at 9.  For "did you mean".  */
static int distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > 31 || m > 31)
		return 9;
	int d[32][32];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[n][m] > 9 ? 9 : d[n][m];
}

/* The one of NAMES (N of them) closest to WORD, if close enough to be
 * what was meant, else NULL.  */
static const char *closest(const char *word, const char *const *names, int n)
{
	const char *best = NULL;
	int bd = 9, ties = 0;
	for (int i = 0; i < n; i++) {
		int d = distance(word, names[i]);
		if (d < bd) {
			bd = d;
			best = names[i];
			ties = 0;
		} else if (d == bd) {
			ties++;
		}
	}
	size_t len = strlen(word);
	int allowed = len <= 3 ? 1 : 2;
	return best && bd <= allowed && !ties ? best : NULL;
}

char *hi_cmd_usage(const struct hi_cmd *cmd, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
#define ADD(...)                                                                                                       \
	do {                                                                                                           \
		if (n < size)                                                                                          \
			n += (size_t)snprintf(buf + n, size - n, __VA_ARGS__);                                         \
	} while (0)
	for (const struct hi_argspec *s = cmd->args; s && s->name; s++) {
		const char *open = s->required ? "" : "?", *close = s->required ? "" : "?";
		/* A flag and the one after it that excludes it: ?-copy|-inplace?. */
		if (s->type == HI_ARG_FLAG && s[1].name && s[1].type == HI_ARG_FLAG && s[1].excludes &&
		    !strcmp(s[1].excludes, s->name)) {
			ADD("%s?%s|%s?", n ? " " : "", s->name, s[1].name);
			s++;
			continue;
		}
		ADD("%s%s%s", n ? " " : "", open, s->name);
		if (is_option(s) && s->type != HI_ARG_FLAG) {
			if (s->type == HI_ARG_CHOICE) {
				ADD(" ");
				for (int i = 0; s->choices[i]; i++)
					ADD("%s%s", i ? "|" : "", s->choices[i]);
			} else {
				ADD(" %s", s->value ? s->value : "VALUE");
			}
		}
		ADD("%s", close);
	}
	if (cmd->flags & HI_CMD_OUT)
		ADD("%s?-out FILE?", n ? " " : "");
#undef ADD
	return buf;
}

static void describe_arg(const struct hi_argspec *s, FILE *out)
{
	char head[64];
	if (is_option(s) && s->type != HI_ARG_FLAG)
		snprintf(head, sizeof head, "%s %s", s->name, s->value ? s->value : "VALUE");
	else
		snprintf(head, sizeof head, "%s", s->name);
	fprintf(out, "  %-16s", head);
	if (strlen(head) > 16)
		fprintf(out, "\n  %-16s", "");
	/* The help may run over lines: each is indented under the first. */
	const char *h = s->help ? s->help : "";
	while (*h) {
		size_t k = strcspn(h, "\n");
		fprintf(out, " %.*s\n", (int)k, h);
		h += k;
		if (*h == '\n' && *++h)
			fprintf(out, "  %-16s", "");
	}
	if (!s->help || !*s->help)
		fputc('\n', out);
}

void hi_cmd_describe(const struct hi_cmd *cmd, FILE *out)
{
	char usage[512];
	fprintf(out, "%s %s\n  %s\n", cmd->name, hi_cmd_usage(cmd, usage, sizeof usage), cmd->summary);
	for (const struct hi_argspec *s = cmd->args; s && s->name; s++)
		describe_arg(s, out);
	if (cmd->flags & HI_CMD_OUT)
		describe_arg(&out_spec, out);
	fputs(cmd->help ? cmd->help : "", out);
}

/* Set the result to "CMD: MESSAGE; usage: CMD USAGE" and fail.  */
static int fail(Tcl_Interp *interp, const struct hi_cmd *cmd, Tcl_Obj *msg)
{
	char usage[512];
	hi_cmd_usage(cmd, usage, sizeof usage);
	Tcl_Obj *r = Tcl_ObjPrintf("%s: ", cmd->name);
	Tcl_AppendObjToObj(r, msg);
	Tcl_AppendPrintfToObj(r, "; usage: %s%s%s", cmd->name, usage[0] ? " " : "", usage);
	Tcl_SetObjResult(interp, r);
	Tcl_SetErrorCode(interp, "TCL", "WRONGARGS", NULL);	/* a script's error: status 1 */
	return TCL_ERROR;
}

/* Find WORD among the NAMES (N): exactly, else as the unique prefix of
 * one.  The index, -1 if none, -2 if ambiguous.  */
static int lookup(const char *word, const char *const *names, int n)
{
	size_t len = strlen(word);
	int found = -1;
	for (int i = 0; i < n; i++)
		if (strcmp(word, names[i]) == 0)
			return i;
	for (int i = 0; i < n && len; i++)
		if (strncmp(word, names[i], len) == 0) {
			if (found >= 0)
				return -2;
			found = i;
		}
	return found;
}

static const char *type_name(const struct hi_argspec *s)
{
	switch (s->type) {
	case HI_ARG_INT:
		return "an integer";
	case HI_ARG_NUMBER:
		return "a number";
	default:
		return "a value";
	}
}

static void range_text(Tcl_Obj *m, const struct hi_argspec *s)
{
	if (s->min == s->max)
		return;
	if (s->max >= 1e15)
		Tcl_AppendPrintfToObj(m, " of %g or more", s->min);
	else
		Tcl_AppendPrintfToObj(m, " from %g to %g", s->min, s->max);
}

/* Check and convert VALUE for S into V.  */
static int convert(Tcl_Interp *interp, const struct hi_cmd *cmd, const struct hi_argspec *s, Tcl_Obj *value,
		   struct hi_argval *v)
{
	const char *text = Tcl_GetString(value);
	v->set = 1;
	v->obj = value;
	switch (s->type) {
	case HI_ARG_INT:
	case HI_ARG_NUMBER: {
		int ok;
		double d = 0;
		Tcl_WideInt w = 0;
		if (s->type == HI_ARG_INT) {
			ok = Tcl_GetWideIntFromObj(NULL, value, &w) == TCL_OK;
			d = (double)w;
		} else {
			ok = Tcl_GetDoubleFromObj(NULL, value, &d) == TCL_OK && !isnan(d);
		}
		if (!ok || (s->min != s->max && (d < s->min || d > s->max))) {
			Tcl_Obj *m = Tcl_ObjPrintf("%s must be %s", s->name, type_name(s));
			range_text(m, s);
			Tcl_AppendPrintfToObj(m, ", not \"%s\"", text);
			return fail(interp, cmd, m);
		}
		v->i = w;
		v->d = d;
		return TCL_OK;
	}
	case HI_ARG_CHOICE: {
		int n = 0;
		while (s->choices[n])
			n++;
		int k = lookup(text, s->choices, n);
		if (k >= 0) {
			v->choice = k;
			return TCL_OK;
		}
		Tcl_Obj *m = Tcl_ObjPrintf("%s \"%s\" %s: must be ", s->name, text, k == -2 ? "is ambiguous" : "is not known");
		for (int i = 0; i < n; i++)
			Tcl_AppendPrintfToObj(m, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ", s->choices[i]);
		const char *near = k == -1 ? closest(text, s->choices, n) : NULL;
		if (near)
			Tcl_AppendPrintfToObj(m, " (did you mean %s?)", near);
		return fail(interp, cmd, m);
	}
	case HI_ARG_COMMAND:
		if (!hi_cmd_find(text, strlen(text)) && strcmp(text, "exit") != 0) {
			Tcl_Obj *m = Tcl_ObjPrintf("no command \"%s\"", text);
			const char *names[64];
			int n = 0;
			for (int i = 0; hi_commands[i] && n < 64; i++)
				names[n++] = hi_commands[i]->name;
			const char *near = closest(text, names, n);
			if (near)
				Tcl_AppendPrintfToObj(m, "; did you mean %s?", near);
			else
				Tcl_AppendToObj(m, "; type 'help' for the list", -1);
			Tcl_SetObjResult(interp, m);
			Tcl_SetErrorCode(interp, "TCL", "LOOKUP", "COMMAND", text, NULL);
			return TCL_ERROR;
		}
		return TCL_OK;
	default:
		return TCL_OK;
	}
}

int hi_cmd_parse(Tcl_Interp *interp, const struct hi_cmd *cmd, int objc, Tcl_Obj *const objv[], struct hi_args *a)
{
	memset(a, 0, sizeof *a);
	const char *names[HI_MAX_ARGS + 1];
	int idx[HI_MAX_ARGS + 1], nopts = 0, npos = 0, pos[HI_MAX_ARGS];
	int n = 0;
	for (const struct hi_argspec *s = cmd->args; s && s->name && n < HI_MAX_ARGS; s++, n++) {
		if (is_option(s)) {
			names[nopts] = s->name;
			idx[nopts++] = n;
		} else {
			pos[npos++] = n;
		}
	}
	if (cmd->flags & HI_CMD_OUT) {
		names[nopts] = out_spec.name;
		idx[nopts++] = -1;
	}
	int next_pos = 0;
	for (int i = 1; i < objc; i++) {
		const char *w = Tcl_GetString(objv[i]);
		/* A word that starts with a dash and a letter is an option;
		 * "-5" may be a positional number.  */
		if (w[0] == '-' && (w[1] < '0' || w[1] > '9') && w[1] != '.') {
			int k = lookup(w, names, nopts);
			if (k < 0) {
				Tcl_Obj *m = Tcl_ObjPrintf("%s option \"%s\"", k == -2 ? "ambiguous" : "unknown", w);
				const char *near = k == -1 ? closest(w, names, nopts) : NULL;
				if (near)
					Tcl_AppendPrintfToObj(m, " (did you mean %s?)", near);
				return fail(interp, cmd, m);
			}
			const struct hi_argspec *s = idx[k] < 0 ? &out_spec : &cmd->args[idx[k]];
			if (s->type == HI_ARG_FLAG) {
				a->v[idx[k]].set = 1;
				continue;
			}
			if (i + 1 >= objc)
				return fail(interp, cmd, Tcl_ObjPrintf("%s needs %s", s->name, s->value ? s->value : "a value"));
			i++;
			if (idx[k] < 0) {
				a->out = Tcl_GetString(objv[i]);
				continue;
			}
			if (convert(interp, cmd, s, objv[i], &a->v[idx[k]]) != TCL_OK)
				return TCL_ERROR;
			continue;
		}
		if (next_pos >= npos)
			return fail(interp, cmd, Tcl_ObjPrintf("unexpected argument \"%s\"", w));
		int p = pos[next_pos++];
		if (convert(interp, cmd, &cmd->args[p], objv[i], &a->v[p]) != TCL_OK)
			return TCL_ERROR;
	}
	for (int k = 0; k < n; k++) {
		const struct hi_argspec *s = &cmd->args[k];
		for (int j = 0; s->excludes && a->v[k].set && j < n; j++)
			if (a->v[j].set && !strcmp(cmd->args[j].name, s->excludes))
				return fail(interp, cmd, Tcl_ObjPrintf("%s and %s cannot be given together: give one",
								       s->excludes, s->name));
		if (s->required && !a->v[k].set)
			return fail(interp, cmd,
				    Tcl_ObjPrintf("%s%s%s is required", s->name, is_option(s) && s->value ? " " : "",
						  is_option(s) && s->value ? s->value : ""));
	}
	return TCL_OK;
}
