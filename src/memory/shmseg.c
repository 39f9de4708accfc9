/* shmseg.c: shared-memory segments and their other users (see shmseg.h). */
#include "config.h"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "util/error.h"
#include "memory/shmseg.h"

#define MAX_PEERS 4096
/* <linux/shm.h>'s SHM_DEST, in a segment's mode once IPC_RMID'd.  */
#define SYSV_SHM_DEST 01000

int hi_sysv_parse(FILE *f, struct hi_sysv **out, size_t *n)
{
	char line[1024];
	*out = NULL;
	*n = 0;
	/* Columns by the header's names: key shmid perms size cpid lpid nattch ... */
	enum { KEY, SHMID, PERMS, SIZE, CPID, LPID, NATTCH, NCOLS };
	static const char *const names[NCOLS] = { "key", "shmid", "perms", "size", "cpid", "lpid", "nattch" };
	int col[NCOLS];
	for (int i = 0; i < NCOLS; i++)
		col[i] = -1;
	if (!fgets(line, sizeof line, f))
		return 0;	/* empty: no segments */
	int k = 0;
	for (char *t = strtok(line, " \t\n"); t; t = strtok(NULL, " \t\n"), k++)
		for (int i = 0; i < NCOLS; i++)
			if (strcmp(t, names[i]) == 0)
				col[i] = k;
	for (int i = 0; i < NCOLS; i++)
		if (col[i] < 0)
			return -1;
	size_t cap = 0;
	while (fgets(line, sizeof line, f)) {
		char *tok[32];
		int nt = 0;
		for (char *t = strtok(line, " \t\n"); t && nt < 32; t = strtok(NULL, " \t\n"))
			tok[nt++] = t;
		int need = 0;
		for (int i = 0; i < NCOLS; i++)
			if (col[i] >= need)
				need = col[i] + 1;
		if (nt < need)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct hi_sysv *ns = realloc(*out, cap * sizeof *ns);
			if (!ns) {
				free(*out);
				*out = NULL;
				*n = 0;
				return -1;
			}
			*out = ns;
		}
		struct hi_sysv *s = &(*out)[(*n)++];
		s->key = strtoll(tok[col[KEY]], NULL, 10);
		s->shmid = strtoll(tok[col[SHMID]], NULL, 10);
		s->size = strtoull(tok[col[SIZE]], NULL, 10);
		s->cpid = (pid_t)strtol(tok[col[CPID]], NULL, 10);
		s->lpid = (pid_t)strtol(tok[col[LPID]], NULL, 10);
		s->nattch = strtoull(tok[col[NATTCH]], NULL, 10);
		s->mode = (unsigned)strtoul(tok[col[PERMS]], NULL, 8);	/* "%4o" */
		s->removed = (s->mode & SYSV_SHM_DEST) != 0;
	}
	return 0;
}

const struct hi_sysv *hi_sysv_find(const struct hi_sysv *sv, size_t n, uint64_t shmid)
{
	for (size_t k = 0; k < n; k++)
		if (sv[k].shmid >= 0 && (uint64_t)sv[k].shmid == shmid)
			return &sv[k];
	return NULL;
}

/* The object's size: the file behind a mapping (map_files follows it even
 * when deleted, as a memfd always is), else its path in the target's
 * root.  */
static void segment_size(pid_t pid, const struct hi_vma *v, struct hi_shmseg *g)
{
	char path[4200];
	struct stat st;
	snprintf(path, sizeof path, "/proc/%d/map_files/%llx-%llx", (int)pid, (unsigned long long)v->start,
		 (unsigned long long)v->end);
	int ok = stat(path, &st) == 0 && st.st_ino == v->inode;
	if (!ok && !v->deleted && v->path[0] == '/') {
		snprintf(path, sizeof path, "/proc/%d/root%s", (int)pid, v->path);
		ok = stat(path, &st) == 0 && st.st_ino == v->inode;
	}
	if (ok) {
		g->size = (uint64_t)st.st_size;
		g->size_known = 1;
	}
}

static int add_peer(struct hi_shmseg *g, pid_t pid, const char *comm)
{
	/* Processes come one at a time: a repeat is the last one added.  */
	if (g->npeers && g->peers[g->npeers - 1].pid == pid)
		return 0;
	if (g->npeers >= MAX_PEERS)
		return 0;
	if (g->npeers == g->peers_cap) {
		size_t nc = g->peers_cap ? g->peers_cap * 2 : 8;
		struct hi_shm_peer *np = realloc(g->peers, nc * sizeof *np);
		if (!np)
			return -1;
		g->peers = np;
		g->peers_cap = nc;
	}
	g->peers[g->npeers].pid = pid;
	snprintf(g->peers[g->npeers].comm, sizeof g->peers[g->npeers].comm, "%s", comm);
	g->npeers++;
	return 0;
}

/* The segment of SI that is mapping (MAJ:MIN, INODE, KIND, NAME), or
 * NULL.  Names must agree only on the internal shm mount (see
 * hi_shm_add_peers): a /dev/shm file may have another path in another
 * mount namespace.  */
static struct hi_shmseg *seg_find(const struct hi_shminfo *si, unsigned maj, unsigned min, uint64_t inode,
				  enum hi_shmkind kind, const char *name)
{
	struct hi_vma key = { .inode = inode, .major = maj, .minor = min };
	uint64_t *slot = u64map_get(&si->index, hi_vma_file_key(&key));
	for (size_t i = slot ? (size_t)*slot : SIZE_MAX; i != SIZE_MAX; i = si->segs[i].next) {
		struct hi_shmseg *g = &si->segs[i];
		if (g->inode == inode && g->major == maj && g->minor == min && g->kind == kind &&
		    (kind == HI_SHM_POSIX || strcmp(g->name, name) == 0))
			return g;
	}
	return NULL;
}

int hi_shm_add_peers(struct hi_shminfo *si, pid_t pid, const char *comm, FILE *f)
{
	char line[4352], name[64] = "?";
	int any = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long long a, b, off, inode;
		unsigned maj, min;
		char perms[8];
		int n = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &a, &b, perms, &off, &maj, &min, &inode, &n) != 7 ||
		    strlen(perms) != 4)
			continue;
		char *path = line + n;
		size_t len = strcspn(path, "\n");
		static const char deleted[] = " (deleted)";
		if (len >= sizeof deleted - 1 && memcmp(path + len - (sizeof deleted - 1), deleted, sizeof deleted - 1) == 0)
			len -= sizeof deleted - 1;
		path[len] = '\0';
		enum hi_shmkind kind = hi_shmkind_of(path, perms[3] == 's');
		struct hi_shmseg *g = kind ? seg_find(si, maj, min, inode, kind, path) : NULL;
		if (!g)
			continue;
		if (!any && !comm) {
			char cpath[64];
			snprintf(cpath, sizeof cpath, "/proc/%d/comm", (int)pid);
			FILE *c = fopen(cpath, "re");
			if (c) {
				if (fgets(name, sizeof name, c))
					name[strcspn(name, "\n")] = '\0';
				fclose(c);
			}
		}
		any = 1;
		if (add_peer(g, pid, comm ? comm : name) < 0)
			return -1;
	}
	return any;
}

/* Every other process whose maps hold one of the segments.  */
static int find_peers(pid_t pid, struct hi_shminfo *si)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	struct dirent *e;
	pid_t self = getpid();
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid_t p = (pid_t)atoi(e->d_name);
		if (p == pid || p == self)
			continue;
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/maps", (int)p);
		FILE *f = fopen(path, "re");
		if (!f) {
			si->unreadable += errno != ENOENT;
			continue;
		}
		int rc = hi_shm_add_peers(si, p, NULL, f);
		fclose(f);
		if (rc < 0) {
			closedir(d);
			return -1;
		}
		si->scanned++;
	}
	closedir(d);
	return 0;
}

/* Does PID see the SysV segments heapinspect sees?  */
static int same_ipc_ns(pid_t pid)
{
	char a[64], b[64], pa[64];
	snprintf(pa, sizeof pa, "/proc/%d/ns/ipc", (int)pid);
	ssize_t na = readlink("/proc/self/ns/ipc", a, sizeof a - 1), nb = readlink(pa, b, sizeof b - 1);
	return !(na > 0 && nb > 0 && (na != nb || memcmp(a, b, (size_t)na) != 0));
}

int hi_sysv_read(pid_t pid, struct hi_sysv **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!same_ipc_ns(pid))
		return 0;
	FILE *f = fopen("/proc/sysvipc/shm", "re");
	if (!f)
		return 0;
	int rc = hi_sysv_parse(f, out, n);
	fclose(f);
	return rc < 0 ? 0 : 1;
}

int hi_shm_segments(pid_t pid, const struct hi_maps *maps, struct hi_shminfo *si)
{
	memset(si, 0, sizeof *si);
	u64map_init(&si->index);
	size_t cap = 0;
	for (size_t i = 0; i < maps->n; i++) {
		const struct hi_vma *v = &maps->v[i];
		if (v->cls != HI_MC_SHM)
			continue;
		struct hi_shmseg *g = seg_find(si, v->major, v->minor, v->inode, v->shm, v->path);
		if (!g) {
			if (si->n == cap) {
				cap = cap ? cap * 2 : 16;
				struct hi_shmseg *ns = realloc(si->segs, cap * sizeof *ns);
				if (!ns)
					goto oom;
				si->segs = ns;
			}
			g = &si->segs[si->n];
			memset(g, 0, sizeof *g);
			if (!(g->name = strdup(v->path)))
				goto oom;
			si->n++;
			g->kind = v->shm;
			g->major = v->major;
			g->minor = v->minor;
			g->inode = v->inode;
			g->deleted = v->deleted;
			g->next = SIZE_MAX;
			segment_size(pid, v, g);
			uint64_t key = hi_vma_file_key(v), *slot = u64map_get(&si->index, key);
			if (slot)
				g->next = (size_t)*slot;
			if (u64map_put(&si->index, key, si->n - 1) < 0)
				goto oom;
		}
		g->mapped.size += v->end - v->start;
		g->mapped.rss += v->rss;
		g->mapped.pss += v->pss;
		g->mapped.swap += v->swap;
		g->mapped.parts++;
	}
	return 0;
oom:
	hi_shm_free(si);
	hi_error("out of memory listing shared-memory segments; free some memory and retry");
	return -1;
}

int hi_shm_collect(pid_t pid, const struct hi_maps *maps, struct hi_shminfo *si)
{
	if (hi_shm_segments(pid, maps, si) < 0)
		return -1;
	/* SysV: a mapping's inode is the segment's shmid.  */
	si->sysv_elsewhere = !same_ipc_ns(pid);
	struct hi_sysv *sv;
	size_t nsv;
	if (hi_sysv_read(pid, &sv, &nsv) > 0) {
		for (size_t i = 0; i < si->n; i++) {
			struct hi_shmseg *g = &si->segs[i];
			const struct hi_sysv *e = g->kind == HI_SHM_SYSV ? hi_sysv_find(sv, nsv, g->inode) : NULL;
			if (!e)
				continue;
			g->sysv = *e;
			g->have_sysv = 1;
			g->size = e->size;
			g->size_known = 1;
			g->deleted = e->removed;
		}
		free(sv);
	}
	if (si->n && find_peers(pid, si) < 0)
		goto oom;
	struct statvfs vfs;
	snprintf(si->devshm, sizeof si->devshm, "/proc/%d/root/dev/shm", (int)pid);
	if (statvfs(si->devshm, &vfs) == 0) {
		si->have_devshm = 1;
		si->devshm_size = (uint64_t)vfs.f_blocks * vfs.f_frsize;
		si->devshm_free = (uint64_t)vfs.f_bfree * vfs.f_frsize;
		si->devshm_avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	}
	return 0;
oom:
	hi_shm_free(si);
	hi_error("out of memory listing shared-memory segments; free some memory and retry");
	return -1;
}

void hi_shm_free(struct hi_shminfo *si)
{
	for (size_t i = 0; i < si->n; i++) {
		free(si->segs[i].name);
		free(si->segs[i].peers);
	}
	free(si->segs);
	u64map_free(&si->index);
	memset(si, 0, sizeof *si);
}
