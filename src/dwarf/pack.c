/* pack.c: layout packs (pack.h).  */
#include "config.h"
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dwarf/dwcache.h"
#include "dwarf/pack.h"
#include "util/error.h"

#ifndef PKGDATADIR	/* set by the build; a bare compile (the fuzzer's) */
#define PKGDATADIR "/usr/local/share/heapinspect"
#endif

#define FORMAT 1
#define MAGIC "heapinspect-layout"

void hi_pack_kind(unsigned flags, char *out, size_t size)
{
	snprintf(out, size, "%s%s%s%s", flags & HI_PACK_FREETHREADED ? "free-threaded" : "",
		 (flags & (HI_PACK_FREETHREADED | HI_PACK_DEBUG)) == (HI_PACK_FREETHREADED | HI_PACK_DEBUG) ? " " : "",
		 flags & HI_PACK_DEBUG ? "debug" : flags & HI_PACK_FREETHREADED ? "" : "release",
		 flags & HI_PACK_TRACEREFS ? " trace-refs" : "");
}

void hi_pack_version(unsigned hex, char *out, size_t size)
{
	unsigned major = hex >> 24, minor = (hex >> 16) & 0xff, micro = (hex >> 8) & 0xff;
	unsigned level = (hex >> 4) & 0xf, serial = hex & 0xf;
	const char *lv = level == 0xa ? "a" : level == 0xb ? "b" : level == 0xc ? "rc" : "";
	if (level == 0xf)
		snprintf(out, size, "%u.%u.%u", major, minor, micro);
	else
		snprintf(out, size, "%u.%u.%u%s%u", major, minor, micro, lv, serial);
}

const char *hi_pack_machine(unsigned machine, char *buf, size_t size)
{
	if (machine == EM_X86_64)
		return "x86_64";
	if (machine == EM_AARCH64)
		return "aarch64";
	snprintf(buf, size, "machine %u", machine);
	return buf;
}

/* ---- writing ---- */

struct lines {
	char **v;
	size_t n, cap;
	int oom;
};

/* Answers worth saving: the questions of dwindex.c and debuginfo.c
 * ("sizeof", "field", "enum", "static", "symbol", "tls"), not the cache's
 * own notes ("debugfile").  */
static void collect(const char *q, const char *a, void *arg)
{
	struct lines *l = arg;
	if (!strchr(q, '\x1f') || l->oom)
		return;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? 2 * l->cap : 512;
		char **nv = realloc(l->v, ncap * sizeof *nv);
		if (!nv) {
			l->oom = 1;
			return;
		}
		l->v = nv;
		l->cap = ncap;
	}
	size_t len = strlen(q) + strlen(a) + 2;
	char *s = malloc(len);
	if (!s) {
		l->oom = 1;
		return;
	}
	snprintf(s, len, "%s\t%s", q, a);
	for (char *p = s; *p; p++)
		if (*p == '\x1f')
			*p = '\t';
	l->v[l->n++] = s;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int hi_pack_write(const char *path, const struct hi_pack_id *id, const char *from,
		  const struct hi_dwcache *answers, const char *who)
{
	struct lines l = { 0 };
	hi_dwcache_each(answers, collect, &l);
	if (l.oom) {
		for (size_t i = 0; i < l.n; i++)
			free(l.v[i]);
		free(l.v);
		hi_error("%s: out of memory writing the layout pack", who);
		return -1;
	}
	qsort(l.v, l.n, sizeof *l.v, by_text);
	char tmp[4200], kind[64], mbuf[32];
	snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
	FILE *f = fopen(tmp, "w");
	int ok = f != NULL, err = 0;
	if (ok) {
		hi_pack_kind(id->flags, kind, sizeof kind);
		ok = fprintf(f, "%s %d\npython %s\nkind %s\npointer-size %u\nmachine %s\nbuild-id %s\nfrom %s\n--\n",
			     MAGIC, FORMAT, id->version, kind, id->ptr_size,
			     hi_pack_machine(id->machine, mbuf, sizeof mbuf), id->build_id[0] ? id->build_id : "none",
			     from) > 0;
		for (size_t i = 0; ok && i < l.n; i++)
			ok = fprintf(f, "%s\n", l.v[i]) > 0;
		if (fclose(f) != 0)
			ok = 0;
	}
	err = errno;
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	if (!ok || rename(tmp, path) < 0) {
		if (!err)
			err = errno;
		unlink(tmp);
		hi_error("%s: cannot write the layout pack %s: %s; choose a writable path", who, path, strerror(err));
		return -1;
	}
	return 0;
}

/* ---- reading ---- */

static unsigned parse_kind(const char *s)
{
	unsigned flags = 0;
	if (strstr(s, "free-threaded"))
		flags |= HI_PACK_FREETHREADED;
	if (strstr(s, "debug"))
		flags |= HI_PACK_DEBUG;
	if (strstr(s, "trace-refs"))
		flags |= HI_PACK_TRACEREFS;
	return flags;
}

static unsigned parse_machine(const char *s)
{
	if (!strcmp(s, "x86_64"))
		return EM_X86_64;
	if (!strcmp(s, "aarch64"))
		return EM_AARCH64;
	if (!strncmp(s, "machine ", 8))
		return (unsigned)atoi(s + 8);
	return 0;
}

/* Read the header of F into ID: 0 at its "--", -1 when F is not a pack
 * of this format.  */
static int read_header(FILE *f, struct hi_pack_id *id)
{
	char line[1024];
	memset(id, 0, sizeof *id);
	if (!fgets(line, sizeof line, f))
		return -1;
	char magic[32];
	int format;
	if (sscanf(line, "%31s %d", magic, &format) != 2 || strcmp(magic, MAGIC) != 0 || format != FORMAT)
		return -1;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line, "--"))
			return id->version[0] && id->ptr_size ? 0 : -1;
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = '\0';
		const char *v = sp + 1;
		if (!strcmp(line, "python"))
			snprintf(id->version, sizeof id->version, "%s", v);
		else if (!strcmp(line, "kind"))
			id->flags = parse_kind(v);
		else if (!strcmp(line, "pointer-size"))
			id->ptr_size = (unsigned)atoi(v);
		else if (!strcmp(line, "machine"))
			id->machine = parse_machine(v);
		else if (!strcmp(line, "build-id"))
			snprintf(id->build_id, sizeof id->build_id, "%s", strcmp(v, "none") ? v : "");
	}
	return -1;
}

/* Answers that name the saved build's own addresses.  */
static int build_specific(const char *q)
{
	return !strncmp(q, "static\x1f", 7) || !strncmp(q, "symbol\x1f", 7) || !strncmp(q, "tls\x1f", 4);
}

struct hi_dwcache *hi_pack_read(const char *path, const char *build_id, struct hi_pack_id *id, int *same_build,
				const char *who)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		hi_error("%s: cannot read the layout pack %s: %s", who, path, strerror(errno));
		return NULL;
	}
	if (read_header(f, id) < 0) {
		fclose(f);
		hi_error("%s: %s is not a heapinspect layout pack (format %d); make one with `layout save`", who, path,
			 FORMAT);
		return NULL;
	}
	*same_build = id->build_id[0] && build_id && !strcmp(id->build_id, build_id);
	struct hi_dwcache *c = hi_dwcache_new();
	if (!c) {
		fclose(f);
		hi_error("%s: out of memory reading %s", who, path);
		return NULL;
	}
	char line[1024];
	size_t n = 0;
	while (fgets(line, sizeof line, f)) {
		size_t len = strlen(line);
		if (!len || line[len - 1] != '\n') {
			fclose(f);
			hi_dwcache_close(c);
			hi_error("%s: the layout pack %s is cut short or has a line too long; save it again", who, path);
			return NULL;
		}
		line[len - 1] = '\0';
		/* The answer follows the last tab; the question's fields are
		 * tab-separated here and "\x1f"-separated in the table.  */
		char *tab = strrchr(line, '\t');
		if (!tab || tab == line)
			continue;
		*tab = '\0';
		for (char *p = line; *p; p++)
			if (*p == '\t')
				*p = '\x1f';
		if (build_specific(line) && !*same_build)
			continue;
		hi_dwcache_put(c, line, tab + 1);
		n++;
	}
	fclose(f);
	if (!n) {
		hi_dwcache_close(c);
		hi_error("%s: the layout pack %s holds no answers; save it again", who, path);
		return NULL;
	}
	return c;
}

/* ---- finding ---- */

static char dirs[8192];

const char *hi_pack_dirs(void)
{
	const char *e = getenv("HEAPINSPECT_LAYOUT_PATH"), *x = getenv("XDG_DATA_HOME"), *h = getenv("HOME");
	size_t n = 0;
	dirs[0] = '\0';
	if (e && *e)
		n += (size_t)snprintf(dirs + n, sizeof dirs - n, "%s:", e);
	if (n < sizeof dirs && x && *x)
		n += (size_t)snprintf(dirs + n, sizeof dirs - n, "%s/heapinspect/layouts:", x);
	else if (n < sizeof dirs && h && *h)
		n += (size_t)snprintf(dirs + n, sizeof dirs - n, "%s/.local/share/heapinspect/layouts:", h);
	if (n < sizeof dirs)
		snprintf(dirs + n, sizeof dirs - n, "%s", PKGDATADIR "/layouts");
	return dirs;
}

/* Does pack HAVE serve WANT (but for the build id)?  */
static int serves(const struct hi_pack_id *have, const struct hi_pack_id *want)
{
	if (have->flags != want->flags || have->ptr_size != want->ptr_size || have->machine != want->machine)
		return 0;
	if (!strcmp(have->version, want->version))
		return 2;	/* the version itself */
	size_t n = strlen(want->version);
	/* WANT knows the minor only ("3.9"): any 3.9.N.  */
	return strchr(want->version, '.') == strrchr(want->version, '.') && !strncmp(have->version, want->version, n) &&
	       have->version[n] == '.';
}

int hi_pack_find(const struct hi_pack_id *want, char *path, size_t size, const char *who)
{
	const char *forced = getenv("HEAPINSPECT_LAYOUT");
	if (forced && *forced) {
		snprintf(path, size, "%s", forced);
		return 0;
	}
	char list[sizeof dirs], best[4096] = "", other[64] = "";
	struct hi_pack_id best_id;
	int best_score = 0, ambiguous = 0;
	snprintf(list, sizeof list, "%s", hi_pack_dirs());
	for (char *save = NULL, *dir = strtok_r(list, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		DIR *d = opendir(dir);
		if (!d)
			continue;
		struct dirent *e;
		while ((e = readdir(d))) {
			size_t len = strlen(e->d_name);
			if (len < 8 || strcmp(e->d_name + len - 7, ".layout") != 0)
				continue;
			char p[4096];
			snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
			FILE *f = fopen(p, "r");
			struct hi_pack_id have;
			int ok = f && read_header(f, &have) == 0;
			if (f)
				fclose(f);
			if (!ok)
				continue;
			int score = serves(&have, want);
			if (score && want->build_id[0] && !strcmp(have.build_id, want->build_id))
				score = 3;	/* the build itself */
			if (!score || score < best_score)
				continue;
			if (score == best_score) {
				/* The first found of a version wins (the search
				 * path's order); two versions of one minor cannot
				 * be told apart here.  */
				if (strcmp(best_id.version, have.version) != 0) {
					ambiguous = 1;
					snprintf(other, sizeof other, "%s", have.version);
				}
				continue;
			}
			best_score = score;
			best_id = have;
			ambiguous = 0;
			snprintf(best, sizeof best, "%s", p);
		}
		closedir(d);
	}
	char kind[64], mbuf[32];
	hi_pack_kind(want->flags, kind, sizeof kind);
	if (!best_score) {
		hi_error("%s: no layout pack for CPython %s (%s, %u-bit %s) in %s", who, want->version, kind,
			 want->ptr_size * 8, hi_pack_machine(want->machine, mbuf, sizeof mbuf), hi_pack_dirs());
		return -1;
	}
	if (ambiguous && best_score == 1) {
		hi_error("%s: CPython %s's micro version cannot be read without debug information, and packs of more than one (%s among them) are installed; set HEAPINSPECT_LAYOUT to the right one",
			 who, want->version, other);
		return -1;
	}
	snprintf(path, size, "%s", best);
	return 0;
}
