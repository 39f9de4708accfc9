/* cmd-memory.c: `memory`, the whole address space against what Python
 * objects account for.  */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "memory/arena.h"
#include "cmd/cmd.h"
#include "report/emit.h"
#include "util/error.h"
#include "walk/heap.h"
#include "memory/memmap.h"
#include "proc/procmaps.h"
#include "report/report.h"
#include "report/view.h"
#include "memory/shmseg.h"


/* Items shown under a class in the table.  */
#define TABLE_ITEMS 5

struct memreport {
	struct hi_rollup rollup;
	struct hi_memmap map;
	struct hi_pymalloc pm;
	int have_pm;
	char pm_error[512];
	uint64_t objects, object_bytes;
};

static uint64_t unexplained(const struct memreport *r)
{
	return r->rollup.rss > r->object_bytes ? r->rollup.rss - r->object_bytes : 0;
}

/* Everything read while the target is stopped for the census, after
 * it: pymalloc's state, the mappings and their contents.  One stop for
 * the whole command.  */
struct stopped_arg {
	struct hi_app *app;
	const struct hi_obmalloc_layout *ol;
	int have_ol;
	struct memreport *r;
};

static int read_stopped(struct hi_py *py, void *arg)
{
	struct stopped_arg *a = arg;
	struct hi_app *app = a->app;
	const struct hi_obmalloc_layout *ol = a->ol;
	int have_ol = a->have_ol;
	struct memreport *r = a->r;
	struct hi_session *s = &app->session;
	struct hi_maps maps = { 0 };
	uint64_t *sps = NULL;
	struct hi_pagemap *pagemap = NULL;
	int rc = -1;
	(void)py;
	if (have_ol) {
		if (hi_pymalloc_read(&s->py, ol, &r->pm, s->who) == 0)
			r->have_pm = 1;
		else if (hi_errclass() == HI_E_GONE)
			goto out;
		else
			snprintf(r->pm_error, sizeof r->pm_error, "%s", hi_errmsg());
	}
	if (hi_rollup_read(s->target.reader, &r->rollup, s->who) < 0 || hi_maps_read(s->target.reader, "smaps", &maps, s->who) < 0)
		goto out;
	hi_maps_classify(&maps);
	int nsps = hi_proc_thread_sps(s->pid, &sps);
	pagemap = hi_pagemap_open(s->target.reader);
	struct hi_memmap_input in = {
		.maps = &maps,
		.mem = s->mem,
		.pagemap = pagemap,
		.arenas = r->have_pm ? (const uint64_t(*)[2])r->pm.ranges : NULL,
		.narenas = r->have_pm ? r->pm.nranges : 0,
		.sps = sps,
		.nsps = nsps > 0 ? (size_t)nsps : 0,
		.stack_limit = hi_proc_stack_limit(s->pid),
	};
	if ((rc = hi_memmap_build(&in, &r->map)) < 0)
		hi_error_prefix("%s", s->who);
out:
	hi_pagemap_close(pagemap);
	free(sps);
	hi_maps_free(&maps);
	return rc;
}

/* SysV segments removed (IPC_RMID) but still attached, from
 * /proc/sysvipc/shm: their mappings' names cannot say.  */
static void mark_removed(pid_t pid, struct hi_memmap *mm)
{
	struct hi_sysv *sv;
	size_t n;
	if (hi_sysv_read(pid, &sv, &n) <= 0)
		return;
	for (size_t i = 0; i < mm->nitems; i++) {
		struct hi_mitem *it = &mm->items[i];
		const struct hi_sysv *e = it->shm == HI_SHM_SYSV ? hi_sysv_find(sv, n, it->inode) : NULL;
		if (e)
			it->deleted = e->removed;
	}
	free(sv);
}

/* ---- the description ---- */

static void emit_total(struct hi_emit *e, const struct hi_mtotal *t)
{
	hi_emit_u64(e, "size", t->size);
	hi_emit_u64(e, "rss", t->rss);
	hi_emit_u64(e, "pss", t->pss);
	hi_emit_u64(e, "swap", t->swap);
	hi_emit_u64(e, "parts", t->parts);
}

static void emit_report(struct hi_emit *e, struct hi_app *app, const struct memreport *r)
{
	hi_emit_object(e, NULL);
	hi_emit_i64(e, "pid", app->session.pid);
	hi_emit_str(e, "python", app->session.py.version);
	hi_emit_object(e, "rollup");
	hi_emit_u64(e, "rss", r->rollup.rss);
	hi_emit_u64(e, "pss", r->rollup.pss);
	hi_emit_u64(e, "pss_anon", r->rollup.pss_anon);
	hi_emit_u64(e, "pss_file", r->rollup.pss_file);
	hi_emit_u64(e, "pss_shmem", r->rollup.pss_shmem);
	hi_emit_u64(e, "swap", r->rollup.swap);
	hi_emit_end(e);
	hi_emit_list(e, "classes");
	for (int c = 0; c < HI_MC_COUNT; c++) {
		hi_emit_object(e, NULL);
		hi_emit_str(e, "class", hi_mclass_key(c));
		hi_emit_str(e, "label", hi_mclass_label(c));
		emit_total(e, &r->map.cls[c]);
		size_t n;
		const struct hi_mitem **items = hi_memmap_items(&r->map, c, &n);
		hi_emit_list(e, "items");
		for (size_t i = 0; items && i < n; i++) {
			hi_emit_object(e, NULL);
			hi_emit_str(e, "name", items[i]->name);
			if (items[i]->shm)
				hi_emit_str(e, "kind", hi_shmkind_name(items[i]->shm));
			hi_emit_bool(e, "deleted", items[i]->deleted);
			emit_total(e, &items[i]->t);
			hi_emit_end(e);
		}
		hi_emit_end(e);
		free(items);
		hi_emit_end(e);
	}
	hi_emit_end(e);
	hi_emit_object(e, "total");
	emit_total(e, &r->map.total);
	hi_emit_end(e);
	hi_emit_bool(e, "measured", r->map.measured);
	hi_emit_bool(e, "bounded", r->map.bounded);
	hi_emit_u64(e, "threads", r->map.threads);
	hi_emit_u64(e, "unscanned", r->map.unscanned);
	hi_emit_object(e, "census");
	hi_emit_u64(e, "objects", r->objects);
	hi_emit_u64(e, "size", r->object_bytes);
	hi_emit_end(e);
	hi_emit_object(e, "pymalloc");
	if (r->have_pm) {
		const struct hi_pymalloc *pm = &r->pm;
		uint64_t used = 0, avail = 0;
		for (uint32_t i = 0; i < pm->nclasses; i++) {
			used += pm->cls[i].used;
			avail += pm->cls[i].avail;
		}
		hi_emit_u64(e, "arena_size", pm->arena_size);
		hi_emit_u64(e, "pool_size", pm->pool_size);
		hi_emit_u64(e, "alignment", pm->alignment);
		hi_emit_u64(e, "arenas", pm->arenas);
		hi_emit_u64(e, "arena_bytes", pm->arenas * pm->arena_size);
		hi_emit_u64(e, "pools_used", pm->pools_used);
		hi_emit_u64(e, "pools_unused", pm->pools_unused);
		hi_emit_u64(e, "blocks_used", used);
		hi_emit_u64(e, "blocks_free", avail);
		hi_emit_u64(e, "used_bytes", pm->used_bytes);
		hi_emit_u64(e, "free_bytes", pm->avail_bytes);
		hi_emit_u64(e, "unused_pool_bytes", pm->unused_bytes);
		hi_emit_u64(e, "header_bytes", pm->header_bytes);
		hi_emit_u64(e, "quantization_bytes", pm->quantization_bytes);
		hi_emit_u64(e, "alignment_bytes", pm->alignment_bytes);
		hi_emit_u64(e, "bad_arenas", pm->bad_arenas);
		hi_emit_u64(e, "bad_pools", pm->bad_pools);
		hi_emit_list(e, "size_classes");
		for (uint32_t i = 0; i < pm->nclasses; i++) {
			hi_emit_object(e, NULL);
			hi_emit_u64(e, "index", i);
			hi_emit_u64(e, "size", pm->cls[i].size);
			hi_emit_u64(e, "pools", pm->cls[i].pools);
			hi_emit_u64(e, "used", pm->cls[i].used);
			hi_emit_u64(e, "free", pm->cls[i].avail);
			hi_emit_end(e);
		}
		hi_emit_end(e);
	} else {
		hi_emit_str(e, "error", r->pm_error);
	}
	hi_emit_end(e);
	hi_emit_u64(e, "unexplained", unexplained(r));
	hi_emit_end(e);
}

/* ---- the table and the CSV, from the description ---- */

#define U(v, path) ((uint64_t)hi_view_int((v), (path)))

static void table_row(FILE *o, const char *name, Tcl_Obj *t, const char *note)
{
	char a[24], b[24], c[24];
	fprintf(o, " %-34s %10s %10s %10s %6" PRIu64 "%s%s\n", name, hi_fmt_bytes(U(t, "size"), a),
		hi_fmt_bytes(U(t, "rss"), b), hi_fmt_bytes(U(t, "pss"), c), U(t, "parts"), note ? "  " : "",
		note ? note : "");
}

/* A class's first items: shared memory and files, by name.  */
static void class_items(FILE *o, Tcl_Obj *cls)
{
	Tcl_Obj **items;
	int n = hi_view_list(cls, "items", &items);
	for (int i = 0; i < n && i < TABLE_ITEMS; i++) {
		char name[128], note[64];
		const char *nm = hi_view_str(items[i], "name"), *kind = hi_view_str(items[i], "kind");
		size_t len = strlen(nm);
		/* Long paths keep their end: the file's name.  */
		snprintf(name, sizeof name, "  %s%s", len > 31 ? "..." : "", len > 31 ? nm + len - 29 : nm);
		/* A memfd is always "deleted"; a deleted SysV segment is one
		 * removed (IPC_RMID: SHM_DEST, see mark_removed) that lives
		 * until its last detach.  */
		const char *gone = !hi_view_int(items[i], "deleted") || !strcmp(kind, "memfd") ? ""
				   : !strcmp(kind, "sysv")					 ? "removed"
												 : "deleted";
		snprintf(note, sizeof note, "%s%s%s", kind, *kind && *gone ? ", " : "", gone);
		table_row(o, name, items[i], note[0] ? note : NULL);
	}
	if (n > TABLE_ITEMS)
		fprintf(o, "   (%d more)\n", n - TABLE_ITEMS);
}

/* ALL: with pymalloc's size classes (-classes).  */
static void memory_table(FILE *o, Tcl_Obj *v, int all)
{
	char a[24], b[24], c[24], what[64];
	fprintf(o, "Memory of pid %d (CPython %s): RSS %s, PSS %s, swap %s (smaps_rollup)\n", (int)hi_view_int(v, "pid"),
		hi_view_str(v, "python"), hi_fmt_bytes(U(v, "rollup.rss"), a), hi_fmt_bytes(U(v, "rollup.pss"), b),
		hi_fmt_bytes(U(v, "rollup.swap"), c));
	fprintf(o, " %-34s %10s %10s %10s %6s\n", "Mapped as", "Size", "RSS", "PSS", "Parts");
	Tcl_Obj **cls;
	int ncls = hi_view_list(v, "classes", &cls);
	for (int k = 0; k < ncls; k++) {
		const char *key = hi_view_str(cls[k], "class");
		table_row(o, hi_view_str(cls[k], "label"), cls[k], NULL);
		if (!strcmp(key, hi_mclass_key(HI_MC_SHM)) || !strcmp(key, hi_mclass_key(HI_MC_FILE)))
			class_items(o, cls[k]);
	}
	table_row(o, "total", hi_view_get(v, "total"), NULL);
	fprintf(o, " What Python accounts for\n");
	fprintf(o, " %-34s %10s   %" PRIu64 " objects\n", "live objects (as heap counts them)",
		hi_fmt_bytes(U(v, "census.size"), a), U(v, "census.objects"));
	Tcl_Obj *pm = hi_view_get(v, "pymalloc");
	int have_pm = pm && !hi_view_get(pm, "error");
	if (have_pm) {
		uint64_t total = U(pm, "arena_bytes");
		snprintf(what, sizeof what, "%" PRIu64 " x %s", U(pm, "arenas"), hi_fmt_bytes(U(pm, "arena_size"), b));
		fprintf(o, " %-34s %10s   %s\n", "pymalloc arenas", hi_fmt_bytes(total, a), what);
		fprintf(o, " %-34s %10s   %.1f%% of the arenas\n", "  in blocks in use",
			hi_fmt_bytes(U(pm, "used_bytes"), a), total ? 100.0 * (double)U(pm, "used_bytes") / (double)total : 0.0);
		fprintf(o, " %-34s %10s\n", "  in free blocks of used pools", hi_fmt_bytes(U(pm, "free_bytes"), a));
		snprintf(what, sizeof what, "%" PRIu64 " x %s", U(pm, "pools_unused"), hi_fmt_bytes(U(pm, "pool_size"), b));
		fprintf(o, " %-34s %10s   %s\n", "  in unused pools", hi_fmt_bytes(U(pm, "unused_pool_bytes"), a), what);
		fprintf(o, " %-34s %10s\n", "  pool headers, rounding, alignment",
			hi_fmt_bytes(U(pm, "header_bytes") + U(pm, "quantization_bytes") + U(pm, "alignment_bytes"), a));
	} else {
		fprintf(o, " pymalloc arenas: not read: %s\n", hi_view_str(pm, "error"));
	}
	fprintf(o, " %-34s %10s   RSS minus live objects\n", "not explained by Python objects",
		hi_fmt_bytes(U(v, "unexplained"), a));
	if (all && have_pm) {
		fprintf(o, " pymalloc size classes\n  class   size   pools   blocks in use   free blocks\n");
		Tcl_Obj **sc;
		int n = hi_view_list(pm, "size_classes", &sc);
		for (int i = 0; i < n; i++)
			if (U(sc[i], "pools"))
				fprintf(o, "  %5" PRIu64 "  %5" PRIu64 "  %6" PRIu64 "  %14" PRIu64 "  %12" PRIu64 "\n",
					U(sc[i], "index"), U(sc[i], "size"), U(sc[i], "pools"), U(sc[i], "used"),
					U(sc[i], "free"));
	}
	if (U(v, "unscanned"))
		fprintf(o, " (%s of anonymous address space was not searched for malloc's chunks: past the bound on"
			" the pause, 4 GiB of headers read or 64 GiB of pagemap examined)\n",
			hi_fmt_bytes(U(v, "unscanned"), a));
	if (!hi_view_int(v, "measured") && hi_view_int(v, "bounded"))
		fputs(" (past the bound on pagemap work, some mappings shared by classes were split in proportion to size)\n",
		      o);
	else if (!hi_view_int(v, "measured"))
		fputs(" (pagemap unreadable: mappings shared by classes were split in proportion to size, and malloc's chunks not searched)\n",
		      o);
}

/* One CSV line: SIZE RSS PSS SWAP COUNT from the fields of T that are
 * there (0 for the rest), or from COUNT_KEY for the count.  */
static void csv_row(FILE *o, const char *section, const char *key, const char *name, Tcl_Obj *t,
		    const char *size_key, const char *count_key)
{
	fprintf(o, "%s,%s,", section, key);
	hi_csv_field(o, name);
	fprintf(o, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", U(t, size_key), U(t, "rss"),
		U(t, "pss"), U(t, "swap"), count_key ? U(t, count_key) : 0);
}

/* The CSV: one line per class, item, total and what Python accounts
 * for, each under its section.  */
static void memory_csv(FILE *o, Tcl_Obj *v, int all)
{
	(void)all;
	fputs("section,key,name,size,rss,pss,swap,count\n", o);
	csv_row(o, "rollup", "rollup", "smaps_rollup", hi_view_get(v, "rollup"), "-", NULL);
	Tcl_Obj **cls, **items;
	int ncls = hi_view_list(v, "classes", &cls);
	for (int k = 0; k < ncls; k++) {
		const char *key = hi_view_str(cls[k], "class");
		csv_row(o, "class", key, hi_view_str(cls[k], "label"), cls[k], "size", "parts");
		int n = hi_view_list(cls[k], "items", &items);
		for (int i = 0; i < n; i++)
			csv_row(o, "item", key, hi_view_str(items[i], "name"), items[i], "size", "parts");
	}
	csv_row(o, "total", "total", "total", hi_view_get(v, "total"), "size", "parts");
	csv_row(o, "python", "objects", "live objects", hi_view_get(v, "census"), "size", "objects");
	Tcl_Obj *pm = hi_view_get(v, "pymalloc");
	if (pm && !hi_view_get(pm, "error")) {
		csv_row(o, "python", "pymalloc_arenas", "pymalloc arenas", pm, "arena_bytes", "arenas");
		csv_row(o, "python", "pymalloc_used", "in blocks in use", pm, "used_bytes", NULL);
		csv_row(o, "python", "pymalloc_free", "in free blocks of used pools", pm, "free_bytes", NULL);
		csv_row(o, "python", "pymalloc_unused_pools", "in unused pools", pm, "unused_pool_bytes", "pools_unused");
	}
	csv_row(o, "python", "unexplained", "not explained by Python objects", v, "unexplained", NULL);
}

static const struct hi_view memory_view = { .before = memory_table, .csv_draw = memory_csv };

static const struct hi_argspec memory_args[] = {
	{ "-classes", HI_ARG_FLAG, .help = "also list pymalloc's size classes: pools, blocks in use,\n"
					   "free blocks" },
	{ "-format", HI_ARG_CHOICE, "F", hi_formats, .help = "table, json, csv, or tcl (a dict)" },
	{ NULL },
};
enum { O_CLASSES, O_FORMAT };

static int memory_run(struct hi_app *app, Tcl_Interp *interp, const struct hi_args *a)
{
	int format = a->v[O_FORMAT].choice, classes = a->v[O_CLASSES].set;
	if (app->session.image) {
		hi_error("%s: %s has no /proc/PID/smaps for memory to account for; run memory on the live process",
			 app->session.who, app->session.image->what);
		return hi_cmd_fail(interp);
	}
	struct memreport *r = calloc(1, sizeof *r);
	if (!r) {
		hi_error("%s: out of memory for the memory report; free some memory and retry", app->session.who);
		return hi_cmd_fail(interp);
	}
	/* The census, then the rest in the same stop: the mappings and
	 * arenas are read right after the objects they hold.  */
	struct hi_obmalloc_layout ol;
	int have_ol = hi_layout_obmalloc(&ol, app->session.dbg, app->session.who) == 0;
	if (!have_ol)
		snprintf(r->pm_error, sizeof r->pm_error, "%s", hi_errmsg());
	struct hi_census c;
	hi_census_init(&c, "kind");
	struct hi_heap_opts o = { HI_BY_KIND, NULL, NULL };
	struct stopped_arg sa = { app, &ol, have_ol, r };
	if (hi_cmd_walk(app, &o, HI_WALK_INPLACE, &c, read_stopped, &sa) != TCL_OK) {
		hi_census_free(&c);
		hi_memmap_free(&r->map);
		hi_pymalloc_free(&r->pm);
		free(r);
		return TCL_ERROR;
	}
	r->objects = c.objects;
	r->object_bytes = c.size;
	hi_census_free(&c);
	mark_removed(app->session.pid, &r->map);
	if (app->verbose)
		fprintf(stderr, "heapinspect: %s: census, pymalloc, %zu mappings' classes and pagemap read in a pause of %.1f ms\n",
			app->session.who, (size_t)r->map.total.parts, app->session.target.last_pause * 1e3);
	struct hi_result res;
	int rc = hi_cmd_begin(app, &res, format, "memory", &memory_view, classes);
	if (rc == TCL_OK) {
		emit_report(res.e, app, r);
		hi_cmd_end(app, &res);
	}
	hi_memmap_free(&r->map);
	hi_pymalloc_free(&r->pm);
	free(r);
	return rc;
}

const struct hi_cmd hi_cmd_memory = {
	"memory", "where the process's memory is (RSS, PSS by kind of mapping) against what Python objects hold",
	memory_args,
	"Reconciles the resident memory of the target (/proc/PID/smaps and\n"
	"smaps_rollup) by kind of mapping: pymalloc arenas, malloc's [heap],\n"
	"thread arenas and mmap'd chunks, thread stacks, executables and\n"
	"libraries, mapped files, shared memory (by name) and other anonymous\n"
	"memory; then what Python accounts for: the live objects (the census of\n"
	"'heap'), pymalloc's arenas (blocks in use and free, unused pools), and\n"
	"the rest, not explained by Python objects (a C library's malloc, a\n"
	"mapped file, shared memory...).  MEMORY ACCOUNTING in the manual says\n"
	"how mappings shared by several kinds are split.  The target is stopped\n"
	"once, for the census and then its arenas and mappings.\n",
	memory_run, HI_CMD_OUT,
};
