/* cmd-shm.c: `shm`, the shared memory the target maps and who shares it. */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "report/emit.h"
#include "util/error.h"
#include "proc/procmaps.h"
#include "report/report.h"
#include "memory/shmseg.h"


static void emit_shm(struct hi_emit *e, pid_t pid, const struct hi_shminfo *si)
{
	hi_emit_object(e, NULL);
	hi_emit_i64(e, "pid", pid);
	hi_emit_list(e, "segments");
	for (size_t i = 0; i < si->n; i++) {
		const struct hi_shmseg *g = &si->segs[i];
		hi_emit_object(e, NULL);
		hi_emit_str(e, "name", g->name);
		hi_emit_str(e, "kind", hi_shmkind_name(g->kind));
		hi_emit_bool(e, "deleted", g->deleted);
		char dev[32];
		snprintf(dev, sizeof dev, "%02x:%02x", g->major, g->minor);
		hi_emit_str(e, "device", dev);
		hi_emit_u64(e, "inode", g->inode);
		if (g->size_known)
			hi_emit_u64(e, "size", g->size);
		hi_emit_u64(e, "mapped", g->mapped.size);
		hi_emit_u64(e, "rss", g->mapped.rss);
		hi_emit_u64(e, "pss", g->mapped.pss);
		hi_emit_u64(e, "swap", g->mapped.swap);
		hi_emit_u64(e, "mappings", g->mapped.parts);
		if (g->have_sysv) {
			hi_emit_object(e, "sysv");
			hi_emit_i64(e, "key", g->sysv.key);
			hi_emit_i64(e, "shmid", g->sysv.shmid);
			hi_emit_u64(e, "size", g->sysv.size);
			hi_emit_u64(e, "nattch", g->sysv.nattch);
			hi_emit_i64(e, "cpid", g->sysv.cpid);
			hi_emit_i64(e, "lpid", g->sysv.lpid);
			hi_emit_bool(e, "removed", g->sysv.removed);
			hi_emit_end(e);
		}
		hi_emit_list(e, "peers");
		for (size_t k = 0; k < g->npeers; k++) {
			hi_emit_object(e, NULL);
			hi_emit_i64(e, "pid", g->peers[k].pid);
			hi_emit_str(e, "comm", g->peers[k].comm);
			hi_emit_end(e);
		}
		hi_emit_end(e);
		hi_emit_end(e);
	}
	hi_emit_end(e);
	hi_emit_u64(e, "processes_scanned", (uint64_t)si->scanned);
	hi_emit_u64(e, "processes_unreadable", (uint64_t)si->unreadable);
	hi_emit_bool(e, "sysv_other_namespace", si->sysv_elsewhere);
	if (si->have_devshm) {
		hi_emit_object(e, "devshm");
		hi_emit_str(e, "path", si->devshm);
		hi_emit_u64(e, "size", si->devshm_size);
		hi_emit_u64(e, "used", si->devshm_size - si->devshm_free);
		hi_emit_u64(e, "free", si->devshm_free);
		hi_emit_u64(e, "available", si->devshm_avail);
		hi_emit_end(e);
	}
	hi_emit_end(e);
}

static void print_table(FILE *o, pid_t pid, const struct hi_shminfo *si)
{
	char a[24], b[24], c[24], d[24];
	if (!si->n) {
		fprintf(o, "pid %d maps no shared memory (no /dev/shm file, SysV segment, memfd or shared anonymous memory)\n",
			(int)pid);
	} else {
		fprintf(o, "Shared memory mapped by pid %d:\n", (int)pid);
		fprintf(o, " %-32s %-6s %10s %10s %10s %10s  %s\n", "Segment", "Kind", "Size", "Mapped", "Resident",
			"PSS", "Also mapped by");
		for (size_t i = 0; i < si->n; i++) {
			const struct hi_shmseg *g = &si->segs[i];
			char name[200];
			/* A memfd is always "deleted"; a SysV segment so is removed
			 * (IPC_RMID: SHM_DEST) and lives until its last detach.  */
			snprintf(name, sizeof name, "%s%s", g->name,
				 !g->deleted || g->kind == HI_SHM_MEMFD ? ""
				 : g->kind == HI_SHM_SYSV	      ? " (removed)"
								      : " (deleted)");
			fprintf(o, " %-32s %-6s %10s %10s %10s %10s  ", name,
				g->kind == HI_SHM_ANON ? "anon" : hi_shmkind_name(g->kind),
				g->size_known ? hi_fmt_bytes(g->size, a) : "?", hi_fmt_bytes(g->mapped.size, b),
				hi_fmt_bytes(g->mapped.rss, c), hi_fmt_bytes(g->mapped.pss, d));
			if (!g->npeers)
				fputs("(no other process)", o);
			for (size_t k = 0; k < g->npeers && k < 8; k++)
				fprintf(o, "%s%d (%s)", k ? ", " : "", (int)g->peers[k].pid, g->peers[k].comm);
			if (g->npeers > 8)
				fprintf(o, " and %zu more", g->npeers - 8);
			fputc('\n', o);
			if (g->have_sysv)
				fprintf(o, "   SysV key 0x%08llx shmid %lld: %s, %llu attached, created by pid %d, last used by pid %d\n",
					(unsigned long long)(uint32_t)g->sysv.key, (long long)g->sysv.shmid,
					hi_fmt_bytes(g->sysv.size, a), (unsigned long long)g->sysv.nattch, (int)g->sysv.cpid,
					(int)g->sysv.lpid);
		}
		if (si->unreadable)
			fprintf(o, " (the maps of %d process%s could not be read: %s)\n", si->unreadable,
				si->unreadable == 1 ? "" : "es",
				geteuid() ? "run as root to see every sharer" : "not allowed even to root");
		if (si->sysv_elsewhere)
			fputs(" (the target is in another IPC namespace: SysV details not shown)\n", o);
	}
	if (si->have_devshm) {
		uint64_t used = si->devshm_size - si->devshm_free;
		fprintf(o, "/dev/shm as pid %d sees it: %s, %s used (%.0f%%), %s available\n", (int)pid,
			hi_fmt_bytes(si->devshm_size, a), hi_fmt_bytes(used, b),
			si->devshm_size ? 100.0 * used / si->devshm_size : 0.0, hi_fmt_bytes(si->devshm_avail, c));
	} else {
		fprintf(o, "/dev/shm: none in pid %d's filesystem (or %s cannot be read)\n", (int)pid, si->devshm);
	}
}

static const struct hi_argspec shm_args[] = {
	{ "-format", HI_ARG_CHOICE, "F", hi_formats, .help = "table, json, csv, or tcl (a dict)" },
	{ NULL },
};
enum { O_FORMAT };

static int shm_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	int format = a->v[O_FORMAT].choice;
	struct hi_session *s = &app->session;
	if (!s->attached) {
		hi_error("not attached to a process; use: attach PID");
		return hi_cmd_fail(interp);
	}
	if (s->image) {
		hi_error("%s: an image has no /proc/PID/maps for shm to list segments from; run shm on the live process",
			 s->who);
		return hi_cmd_fail(interp);
	}
	struct hi_maps maps;
	struct hi_shminfo si;
	if (hi_maps_read(s->pid, "smaps", &maps, s->who) < 0)
		return hi_cmd_fail(interp);
	hi_maps_classify(&maps);
	int rc = hi_shm_collect(s->pid, &maps, &si);
	hi_maps_free(&maps);
	if (rc < 0) {
		hi_error_prefix("%s", s->who);
		return hi_cmd_fail(interp);
	}
	if (format == HI_F_TABLE) {
		print_table(app->out, s->pid, &si);
	} else {
		static const char *const columns[] = { "name", "kind", "size", "mapped", "rss", "pss", "swap", "peers", NULL };
		struct hi_emit *e = hi_cmd_emitter(app, format, "shm", "segments", columns);
		if (!e) {
			rc = -1;
		} else {
			emit_shm(e, s->pid, &si);
			hi_cmd_emitted(app, e);
		}
	}
	hi_shm_free(&si);
	return rc < 0 ? hi_cmd_fail(interp) : TCL_OK;
}

const struct hi_cmd hi_cmd_shm = {
	"shm", "the shared memory the target maps, who else maps it, and /dev/shm's free space", shm_args,
	"Lists each shared-memory segment the target maps (/dev/shm files from\n"
	"shm_open and multiprocessing.shared_memory, SysV segments, memfds, shared\n"
	"anonymous memory): its size, how much the target maps and has resident,\n"
	"and the other processes that map it (found by device and inode in every\n"
	"/proc/PID/maps heapinspect may read; for SysV, memfd and shared anonymous\n"
	"memory, by name too).  SysV segments add key, shmid, attach count and\n"
	"removal (IPC_RMID) from /proc/sysvipc/shm.  Last, the size and free space of\n"
	"/dev/shm as the target sees it (a container's own, through\n"
	"/proc/PID/root): docker gives a container 64 MB unless --shm-size says\n"
	"otherwise.  Reads only /proc: the target is not stopped.\n",
	shm_run, HI_CMD_OUT,
};
