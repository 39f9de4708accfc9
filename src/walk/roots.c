/* roots.c: the walk's roots besides the GC lists: every thread's running
 * frames (see roots.h).  */
#include "config.h"
#include "python/member.h"
#include "util/addrset.h"
#include "util/interrupt.h"
#include <stdio.h>
#include <string.h>
#include "walk/labels.h"
#include "walk/referents.h"
#include "walk/roots.h"

/* Bounds on what is read from the target: beyond them memory is garbage. */
#define MAX_FRAMES 1000000

/* Call FN for each thread state of INTERP and each of its running frames
 * (ts, f, 0 for an interpreter frame of 3.11+, or 1 for a frame object of
 * 3.8-3.10, whose f_back chain is not walked here), innermost first.
 * Returns the number of frames.  */

/* The running frames of the thread state TS, as each_frame gives them;
 * SEEN guards against loops.  */
static unsigned long frames_of(struct hi_py *py, uint64_t ts, struct hi_addrset *seen, hi_frame_fn fn, void *arg)
{
	const struct hi_layout *l = &py->l;
	unsigned long frames = 0;
	uint64_t f = 0;
	if (hi_has(l->ts_current_frame)) {	/* 3.13 */
		hi_mem_u64(py->mem, ts + l->ts_current_frame.off, &f);
	} else if (hi_has(l->ts_frame)) {	/* <= 3.10: a frame object */
		if (hi_mem_u64(py->mem, ts + l->ts_frame.off, &f) == 0 && f) {
			fn(py, ts, f, 1, arg);
			frames++;
		}
		f = 0;
	} else if (hi_has(l->ts_cframe)) {	/* 3.11, 3.12 */
		uint64_t cf;
		if (hi_mem_u64(py->mem, ts + l->ts_cframe.off, &cf) == 0 && cf)
			hi_member_ptr(py->mem, cf, l->cframe_current, &f);
	}
	for (int n = 0; f && frames < MAX_FRAMES && !hi_interrupted() && hi_addrset_add(seen, f) == 1; n++) {
		int64_t owner = -1;
		hi_member_int(py->mem, f, l->iframe_owner, &owner);
		if (owner != l->owned_by_cstack || l->owned_by_cstack < 0) {
			fn(py, ts, f, 0, arg);
			frames++;
		}
		if (hi_member_ptr(py->mem, f, l->iframe_previous, &f) < 0)
			break;
	}
	return frames;
}

static unsigned long each_frame(struct hi_py *py, uint64_t interp, hi_frame_fn fn, void *arg)
{
	const struct hi_layout *l = &py->l;
	uint64_t ts;
	unsigned long frames = 0;
	/* Thread states and frames seen: a list that loops back (corrupt
	 * memory) ends there instead of running forever.  */
	struct hi_addrset seen;
	if (!hi_has(l->is_threads_head) || hi_mem_u64(py->mem, interp + l->is_threads_head.off, &ts) < 0)
		return 0;
	hi_addrset_init(&seen);
	for (int nts = 0; ts && nts < 100000 && hi_addrset_add(&seen, ts) == 1; nts++) {
		frames += frames_of(py, ts, &seen, fn, arg);
		if (hi_mem_u64(py->mem, ts + l->ts_next.off, &ts) < 0)
			break;
	}
	hi_addrset_free(&seen);
	return frames;
}

unsigned long hi_thread_frames(struct hi_py *py, uint64_t ts, hi_frame_fn fn, void *arg)
{
	struct hi_addrset seen;
	hi_addrset_init(&seen);
	unsigned long n = frames_of(py, ts, &seen, fn, arg);
	hi_addrset_free(&seen);
	return n;
}

struct refs_of_frames {
	hi_ref_fn fn;
	void *arg;
};

static void frame_refs(struct hi_py *py, uint64_t ts, uint64_t f, int object, void *arg)
{
	struct refs_of_frames *r = arg;
	(void)ts;
	if (object)
		r->fn(f, r->arg);	/* its f_back chain follows from it */
	else
		hi_iframe_referents(py, f, r->fn, r->arg);
}

unsigned long hi_thread_roots(struct hi_py *py, uint64_t interp, hi_ref_fn fn, void *arg)
{
	struct refs_of_frames r = { fn, arg };
	return each_frame(py, interp, frame_refs, &r);
}

/* ---- named roots ---- */

struct named {
	hi_root_fn fn;
	void *arg;
	const char *prefix;
	uint64_t active;	/* threading._active, or 0 */
};

struct find_tid {
	struct hi_py *py;
	char want[32];
	uint64_t thread;
};

static int find_tid_entry(uint64_t key, uint64_t value, void *arg)
{
	struct find_tid *f = arg;
	char repr[HI_LABEL_MAX];
	hi_short_repr(f->py, key, repr);
	if (strcmp(repr, f->want))
		return 0;
	f->thread = value;
	return 1;
}

int hi_thread_name(struct hi_py *py, uint64_t active, uint64_t tid, char *buf, size_t size)
{
	struct find_tid f = { py, "", 0 };
	buf[0] = '\0';
	if (!active)
		return -1;
	snprintf(f.want, sizeof f.want, "%llu", (unsigned long long)tid);
	hi_py_dict_foreach(py, active, find_tid_entry, &f);
	uint64_t name = f.thread ? hi_getattr(py, f.thread, "_name") : 0;
	return name && hi_py_str(py, name, buf, size) > 0 ? 0 : -1;
}

/* ' "NAME"', the name threading gave thread TID (its Thread's _name),
 * into BUF, or "".  */
static void thread_name(struct hi_py *py, const struct named *nm, uint64_t tid, char *buf, size_t size)
{
	char text[64];
	buf[0] = '\0';
	if (hi_thread_name(py, nm->active, tid, text, sizeof text) == 0)
		snprintf(buf, size, " \"%s\"", text);
}

uint64_t hi_threading_active(struct hi_py *py, uint64_t interp)
{
	const struct hi_layout *l = &py->l;
	uint64_t modules = 0, threading, active = 0;
	if (hi_has(l->is_modules))
		hi_mem_u64(py->mem, interp + l->is_modules.off, &modules);
	if (!modules || !hi_py_is(py, modules, HI_B_DICT) || !(threading = hi_py_dict_get_str(py, modules, "threading")))
		return 0;
	active = hi_getattr(py, threading, "_active");
	return active && hi_py_is(py, active, HI_B_DICT) ? active : 0;
}

static int64_t tuple_len(struct hi_py *py, uint64_t t)
{
	int64_t n;
	if (!t || !hi_py_is(py, t, HI_B_TUPLE) || hi_member_int(py->mem, t, py->l.ob_size, &n) < 0 || n < 0 ||
	    n > 100000)
		return 0;
	return n;
}

/* The I-th name of the names tuples NAMES[0..NT) taken end to end.  */
static int local_name(struct hi_py *py, const uint64_t *names, int nt, int64_t i, char *buf, size_t size)
{
	for (int k = 0; k < nt; k++) {
		int64_t n = tuple_len(py, names[k]);
		uint64_t s;
		if (i < n)
			return hi_mem_u64(py->mem, names[k] + py->l.tuple_items.off + (uint64_t)i * 8, &s) == 0 &&
			       hi_py_str(py, s, buf, size) > 0 ? 0 : -1;
		i -= n;
	}
	return -1;
}

int hi_frame_each_local(struct hi_py *py, uint64_t f, int object, hi_local_fn fn, void *arg)
{
	const struct hi_layout *l = &py->l;
	uint64_t code = 0, names[3] = { 0, 0, 0 }, slots;
	int nt;
	int64_t n = 0;
	if (object) {	/* 3.8-3.10: a frame object */
		if (hi_member_ptr(py->mem, f, l->f_code, &code) < 0)
			return -1;
		hi_member_ptr(py->mem, code, l->co_varnames, &names[0]);
		hi_member_ptr(py->mem, code, l->co_cellvars, &names[1]);
		hi_member_ptr(py->mem, code, l->co_freevars, &names[2]);
		nt = 3;
		slots = f + l->f_localsplus.off;
	} else {
		if (hi_member_ptr(py->mem, f, l->iframe_code, &code) < 0 ||
		    hi_member_ptr(py->mem, code, l->co_localsplusnames, &names[0]) < 0)
			return -1;
		nt = 1;
		slots = f + l->iframe_localsplus.off;
	}
	if (!hi_py_is(py, code, HI_B_CODE))
		return -1;
	for (int k = 0; k < nt; k++)
		n += tuple_len(py, names[k]);
	for (int64_t i = 0; i < n; i++) {
		uint64_t v;
		char name[64];
		if (hi_mem_u64(py->mem, slots + (uint64_t)i * 8, &v) < 0 || !v ||
		    local_name(py, names, nt, i, name, sizeof name) < 0)
			continue;
		fn(name, v, arg);
	}
	return 0;
}

struct local_root {
	struct named *nm;
	const char *who;
};

static void name_local(const char *name, uint64_t value, void *arg)
{
	struct local_root *lr = arg;
	char root[300];
	snprintf(root, sizeof root, "%s local '%s'", lr->who, name);
	lr->nm->fn(value, root, lr->nm->arg);
}

/* Each local, cell and free variable of a running frame: a root named
 * 'thread TID "NAME" func() local 'x''.  */
static void frame_locals(struct hi_py *py, uint64_t ts, uint64_t f, int object, void *arg)
{
	struct named *nm = arg;
	const struct hi_layout *l = &py->l;
	uint64_t code = 0, tid = 0;
	if (object == 1) {	/* 3.8-3.10: frame objects, walked down f_back */
		for (int depth = 0; f && depth < MAX_FRAMES; depth++) {
			frame_locals(py, ts, f, 2, arg);
			if (hi_member_ptr(py->mem, f, l->f_back, &f) < 0)
				break;
		}
		return;
	}
	if (hi_member_ptr(py->mem, f, object == 2 ? l->f_code : l->iframe_code, &code) < 0 ||
	    !hi_py_is(py, code, HI_B_CODE))
		return;
	char func[64] = "?", who[160], tname[80];
	uint64_t co_name;
	if (hi_member_ptr(py->mem, code, l->co_name, &co_name) == 0)
		hi_py_str(py, co_name, func, sizeof func);
	hi_member_uint(py->mem, ts, l->ts_thread_id, &tid);
	thread_name(py, nm, tid, tname, sizeof tname);
	snprintf(who, sizeof who, "%sthread %llu%s %s()", nm->prefix, (unsigned long long)tid, tname, func);
	struct local_root lr = { nm, who };
	hi_frame_each_local(py, f, object == 2, name_local, &lr);
}

struct module_roots {
	struct hi_py *py;
	struct named *nm;
};

static int module_entry(uint64_t key, uint64_t value, void *arg)
{
	struct module_roots *m = arg;
	char name[200], root[260];
	if (hi_py_str(m->py, key, name, sizeof name) <= 0)
		return 0;
	snprintf(root, sizeof root, "%s%s", m->nm->prefix, name);
	m->nm->fn(value, root, m->nm->arg);
	return 0;
}

void hi_named_roots(struct hi_py *py, uint64_t interp, const char *prefix, hi_root_fn fn, void *arg)
{
	const struct hi_layout *l = &py->l;
	struct named nm = { fn, arg, prefix, 0 };
	uint64_t modules = 0;
	if (hi_has(l->is_modules))
		hi_mem_u64(py->mem, interp + l->is_modules.off, &modules);
	if (modules && hi_py_is(py, modules, HI_B_DICT)) {
		char root[100];
		snprintf(root, sizeof root, "%ssys.modules", prefix);
		fn(modules, root, arg);
		struct module_roots m = { py, &nm };
		hi_py_dict_foreach(py, modules, module_entry, &m);
		nm.active = hi_threading_active(py, interp);
	}
	each_frame(py, interp, frame_locals, &nm);
}
