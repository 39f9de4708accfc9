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
#include "report/view.h"
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
	hi_emit_str(e, "devshm_path", si->devshm);
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

/* ---- the table, from the description ---- */

static const char *bytes_at(Tcl_Obj *v, const char *key, char buf[24])
{
	return hi_view_get(v, key) ? hi_fmt_bytes((uint64_t)hi_view_int(v, key), buf) : "?";
}

static void segment_line(FILE *o, Tcl_Obj *g)
{
	char a[24], b[24], c[24], d[24], name[200];
	const char *kind = hi_view_str(g, "kind");
	int deleted = (int)hi_view_int(g, "deleted");
	/* A memfd is always "deleted"; a SysV segment so is removed
	 * (IPC_RMID: SHM_DEST) and lives until its last detach.  */
	snprintf(name, sizeof name, "%s%s", hi_view_str(g, "name"),
		 !deleted || !strcmp(kind, "memfd") ? "" : !strcmp(kind, "sysv") ? " (removed)" : " (deleted)");
	fprintf(o, " %-32s %-6s %10s %10s %10s %10s  ", name, !strcmp(kind, "shared-anonymous") ? "anon" : kind,
		bytes_at(g, "size", a), bytes_at(g, "mapped", b), bytes_at(g, "rss", c), bytes_at(g, "pss", d));
	Tcl_Obj **pv;
	int npeers = hi_view_list(g, "peers", &pv);
	if (!npeers)
		fputs("(no other process)", o);
	for (int k = 0; k < npeers && k < 8; k++)
		fprintf(o, "%s%" PRId64 " (%s)", k ? ", " : "", hi_view_int(pv[k], "pid"), hi_view_str(pv[k], "comm"));
	if (npeers > 8)
		fprintf(o, " and %d more", npeers - 8);
	fputc('\n', o);
	if (hi_view_get(g, "sysv"))
		fprintf(o, "   SysV key 0x%08llx shmid %" PRId64 ": %s, %" PRId64 " attached, created by pid %" PRId64
			   ", last used by pid %" PRId64 "\n",
			(unsigned long long)(uint32_t)hi_view_int(g, "sysv.key"), hi_view_int(g, "sysv.shmid"),
			bytes_at(g, "sysv.size", a), hi_view_int(g, "sysv.nattch"), hi_view_int(g, "sysv.cpid"),
			hi_view_int(g, "sysv.lpid"));
}

static void shm_before(FILE *o, Tcl_Obj *v, int all)
{
	(void)all;
	char a[24], b[24], c[24];
	int pid = (int)hi_view_int(v, "pid");
	Tcl_Obj **sv;
	int n = hi_view_list(v, "segments", &sv);
	if (!n) {
		fprintf(o, "pid %d maps no shared memory (no /dev/shm file, SysV segment, memfd or shared anonymous memory)\n",
			pid);
	} else {
		fprintf(o, "Shared memory mapped by pid %d:\n", pid);
		fprintf(o, " %-32s %-6s %10s %10s %10s %10s  %s\n", "Segment", "Kind", "Size", "Mapped", "Resident",
			"PSS", "Also mapped by");
		for (int i = 0; i < n; i++)
			segment_line(o, sv[i]);
		int64_t unreadable = hi_view_int(v, "processes_unreadable");
		if (unreadable)
			fprintf(o, " (the maps of %" PRId64 " process%s could not be read: %s)\n", unreadable,
				unreadable == 1 ? "" : "es",
				geteuid() ? "run as root to see every sharer" : "not allowed even to root");
		if (hi_view_int(v, "sysv_other_namespace"))
			fputs(" (the target is in another IPC namespace: SysV details not shown)\n", o);
	}
	if (hi_view_get(v, "devshm")) {
		uint64_t size = (uint64_t)hi_view_int(v, "devshm.size"), used = (uint64_t)hi_view_int(v, "devshm.used");
		fprintf(o, "/dev/shm as pid %d sees it: %s, %s used (%.0f%%), %s available\n", pid, hi_fmt_bytes(size, a),
			hi_fmt_bytes(used, b), size ? 100.0 * (double)used / (double)size : 0.0,
			bytes_at(v, "devshm.available", c));
	} else {
		fprintf(o, "/dev/shm: none in pid %d's filesystem (or %s cannot be read)\n", pid,
			hi_view_str(v, "devshm_path"));
	}
}

static const char *const shm_csv[] = { "name", "kind", "size", "mapped", "rss", "pss", "swap", "peers", NULL };

/* The segments are drawn with their peers and SysV details under them. */
static const struct hi_view shm_view = { "segments", shm_csv, NULL, NULL, NULL, shm_before, NULL };

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
		hi_error("%s: %s has no /proc/PID/maps for shm to list segments from; run shm on the live process",
			 s->who, s->image->what);
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
	struct hi_result r;
	rc = hi_cmd_begin(app, &r, format, "shm", &shm_view, 0);
	if (rc == TCL_OK) {
		emit_shm(r.e, s->pid, &si);
		hi_cmd_end(app, &r);
	}
	hi_shm_free(&si);
	return rc;
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
