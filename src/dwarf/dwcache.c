/* dwcache.c: a module's DWARF answers kept per build id (dwcache.h).
 *
 * The file: a first line "heapinspect-dwarf-cache FORMAT BUILD_ID", then
 * one question and its answer a line, separated by a tab; a question's
 * own fields are separated by "\x1f" (they never hold it).  */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dwarf/dwcache.h"
#include "util/hash.h"

#define FORMAT 1
#define NB 1024

struct entry {
	struct entry *next;
	char *a;
	char q[];
};

struct hi_dwcache {
	char *path;
	char *build_id;
	int loaded, dirty;
	struct entry *b[NB];
};

/* $HEAPINSPECT_CACHE_DIR, $XDG_CACHE_HOME/heapinspect or
 * ~/.cache/heapinspect; NULL when off.  */
static char *cache_dir(void)
{
	const char *e = getenv("HEAPINSPECT_CACHE_DIR");
	char buf[4096];
	if (e) {
		if (!*e)
			return NULL;
		return strdup(e);
	}
	const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
	if (x && *x)
		snprintf(buf, sizeof buf, "%s/heapinspect", x);
	else if (h && *h)
		snprintf(buf, sizeof buf, "%s/.cache/heapinspect", h);
	else
		return NULL;
	return strdup(buf);
}

static struct entry *find(const struct hi_dwcache *c, const char *q)
{
	for (struct entry *e = c->b[hi_hash_str(q) % NB]; e; e = e->next)
		if (!strcmp(e->q, q))
			return e;
	return NULL;
}

/* Answer Q with A (both NUL-terminated), replacing an older answer.  */
static void put(struct hi_dwcache *c, const char *q, const char *a)
{
	char *na = strdup(a);
	if (!na)
		return;
	struct entry *e = find(c, q);
	if (e) {
		free(e->a);
		e->a = na;
		return;
	}
	size_t qlen = strlen(q);
	e = malloc(sizeof *e + qlen + 1);
	if (!e) {
		free(na);
		return;
	}
	memcpy(e->q, q, qlen + 1);
	e->a = na;
	unsigned h = hi_hash_str(q) % NB;
	e->next = c->b[h];
	c->b[h] = e;
}

static void clear(struct hi_dwcache *c)
{
	for (size_t i = 0; i < NB; i++)
		while (c->b[i]) {
			struct entry *e = c->b[i];
			c->b[i] = e->next;
			free(e->a);
			free(e);
		}
}

static void load(struct hi_dwcache *c)
{
	FILE *f = fopen(c->path, "r");
	if (!f)
		return;
	char line[1024], head[128];
	snprintf(head, sizeof head, "heapinspect-dwarf-cache %d %s\n", FORMAT, c->build_id);
	if (!fgets(line, sizeof line, f) || strcmp(line, head) != 0) {
		fclose(f);
		return;	/* another format or build: rewritten when closed */
	}
	size_t n = 0;
	while (fgets(line, sizeof line, f)) {
		size_t len = strlen(line);
		if (!len || line[len - 1] != '\n') {
			/* Cut short (a full disk): not trusted at all.  */
			fclose(f);
			clear(c);
			return;
		}
		line[len - 1] = '\0';
		char *tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		put(c, line, tab + 1);
		n++;
	}
	fclose(f);
	c->loaded = n > 0;
}

struct hi_dwcache *hi_dwcache_open(const char *build_id)
{
	if (!build_id || !*build_id)
		return NULL;
	char *dir = cache_dir();
	if (!dir)
		return NULL;
	struct hi_dwcache *c = calloc(1, sizeof *c);
	size_t len = strlen(dir) + strlen(build_id) + 16;
	if (!c || !(c->path = malloc(len)) || !(c->build_id = strdup(build_id))) {
		if (c)
			free(c->path);
		free(c);
		free(dir);
		return NULL;
	}
	snprintf(c->path, len, "%s/%s.dwarf", dir, build_id);
	free(dir);
	load(c);
	return c;
}

struct hi_dwcache *hi_dwcache_new(void)
{
	return calloc(1, sizeof(struct hi_dwcache));
}

void hi_dwcache_each(const struct hi_dwcache *c, void (*fn)(const char *q, const char *a, void *arg), void *arg)
{
	for (size_t i = 0; c && i < NB; i++)
		for (const struct entry *e = c->b[i]; e; e = e->next)
			fn(e->q, e->a, arg);
}

int hi_dwcache_loaded(const struct hi_dwcache *c)
{
	return c && c->loaded;
}

const char *hi_dwcache_path(const struct hi_dwcache *c)
{
	return c ? c->path : NULL;
}

const char *hi_dwcache_get(const struct hi_dwcache *c, const char *q)
{
	const struct entry *e = c ? find(c, q) : NULL;
	return e ? e->a : NULL;
}

void hi_dwcache_put(struct hi_dwcache *c, const char *q, const char *a)
{
	if (!c || strchr(q, '\n') || strchr(q, '\t') || strchr(a, '\n'))
		return;
	const char *old = hi_dwcache_get(c, q);
	if (old && !strcmp(old, a))
		return;
	put(c, q, a);
	c->dirty = 1;
}

/* mkdir -p of the directory PATH is in.  */
static int make_dirs(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", path);
	char *slash = strrchr(buf, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

static void save(struct hi_dwcache *c)
{
	if (make_dirs(c->path) < 0)
		return;
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.%d.tmp", c->path, (int)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	int ok = fprintf(f, "heapinspect-dwarf-cache %d %s\n", FORMAT, c->build_id) > 0;
	for (size_t i = 0; ok && i < NB; i++)
		for (const struct entry *e = c->b[i]; ok && e; e = e->next)
			ok = fprintf(f, "%s\t%s\n", e->q, e->a) > 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, c->path) < 0)
		unlink(tmp);
}

void hi_dwcache_close(struct hi_dwcache *c)
{
	if (!c)
		return;
	if (c->dirty && c->path)
		save(c);
	clear(c);
	free(c->path);
	free(c->build_id);
	free(c);
}
