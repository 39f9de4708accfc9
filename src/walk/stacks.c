/* stacks.c: every thread's Python stack (stacks.h).  */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "python/kind.h"
#include "python/lines.h"
#include "python/member.h"
#include "python/preview.h"
#include "python/typetable.h"
#include "util/error.h"
#include "walk/roots.h"
#include "walk/stacks.h"

#define MAX_THREADS 100000

struct collect {
	struct hi_py *py;
	struct hi_thread_stack *t;
	size_t cap, max;
	int oom;
	unsigned flags;
	size_t lcap;		/* of the last frame's locals */
};

/* A local of the last frame added.  */
static void add_local(const char *name, uint64_t value, void *arg)
{
	struct collect *c = arg;
	struct hi_py *py = c->py;
	struct hi_frame_line *fl = &c->t->frames[c->t->nframes - 1];
	if (fl->nlocals == c->lcap) {
		size_t ncap = c->lcap ? 2 * c->lcap : 8;
		struct hi_local *nl = realloc(fl->locals, ncap * sizeof *nl);
		if (!nl) {
			c->oom = 1;
			return;
		}
		fl->locals = nl;
		c->lcap = ncap;
	}
	struct hi_type *t = hi_py_type(py, hi_py_type_of(py, value));
	/* A cell variable: what the cell holds.  */
	if (t && t->family == HI_B_CELL && t->desc >= 0 && py->desc_off[t->desc][0] != HI_ABSENT) {
		uint64_t inner = 0;
		if (hi_mem_u64(py->mem, value + py->desc_off[t->desc][0], &inner) < 0 || !inner)
			return;	/* an empty cell: not bound */
		value = inner;
		t = hi_py_type(py, hi_py_type_of(py, value));
	}
	struct hi_local *lv = &fl->locals[fl->nlocals++];
	snprintf(lv->name, sizeof lv->name, "%s", name);
	lv->addr = value;
	snprintf(lv->type, sizeof lv->type, "%s", t ? hi_kind_type_name(py, t) : "?");
	lv->preview[0] = '\0';
	struct hi_preview pv;
	if (t && hi_preview(py, value, t, &pv) == 0)
		hi_preview_format(&pv, lv->preview, sizeof lv->preview);
}

/* One frame: its code, and where in it (a byte offset; -1 before its
 * first instruction).  */
static void add_frame(struct collect *c, uint64_t code, int64_t lasti)
{
	struct hi_py *py = c->py;
	const struct hi_layout *l = &py->l;
	struct hi_thread_stack *t = c->t;
	if (t->nframes >= c->max) {
		t->truncated = 1;
		return;
	}
	if (t->nframes == c->cap) {
		size_t ncap = c->cap ? 2 * c->cap : 32;
		struct hi_frame_line *nf = realloc(t->frames, ncap * sizeof *nf);
		if (!nf) {
			c->oom = 1;
			return;
		}
		t->frames = nf;
		c->cap = ncap;
	}
	struct hi_frame_line *fl = &t->frames[t->nframes++];
	uint64_t s;
	fl->locals = NULL;
	fl->nlocals = 0;
	c->lcap = 0;
	snprintf(fl->file, sizeof fl->file, "?");
	snprintf(fl->func, sizeof fl->func, "?");
	fl->line = -1;
	if (!code || !hi_py_is(py, code, HI_B_CODE)) {
		fl->qualname[0] = '\0';
		return;
	}
	if (hi_member_ptr(py->mem, code, l->co_filename, &s) == 0)
		hi_py_str(py, s, fl->file, sizeof fl->file);
	if (hi_member_ptr(py->mem, code, l->co_name, &s) == 0)
		hi_py_str(py, s, fl->func, sizeof fl->func);
	snprintf(fl->qualname, sizeof fl->qualname, "%s", fl->func);
	if (hi_has(l->co_qualname) && hi_member_ptr(py->mem, code, l->co_qualname, &s) == 0)
		hi_py_str(py, s, fl->qualname, sizeof fl->qualname);
	fl->line = hi_py_code_line(py, code, lasti);
}

static void on_frame(struct hi_py *py, uint64_t ts, uint64_t f, int object, void *arg)
{
	struct collect *c = arg;
	const struct hi_layout *l = &py->l;
	uint64_t code = 0;
	(void)ts;
	if (object) {
		/* 3.8-3.10: frame objects down f_back; f_lasti counts bytes,
		 * in 3.10 code units (its line table came with that).  */
		int units = hi_has(l->co_linetable) ? 2 : 1;
		for (size_t depth = 0; f && depth <= c->max && !c->oom; depth++) {
			int64_t lasti = -1;
			hi_member_ptr(py->mem, f, l->f_code, &code);
			hi_member_int(py->mem, f, l->f_lasti, &lasti);
			add_frame(c, code, lasti < 0 ? -1 : lasti * units);
			if ((c->flags & HI_STACKS_LOCALS) && !c->t->truncated && !c->oom)
				hi_frame_each_local(py, f, 1, add_local, c);
			if (hi_member_ptr(py->mem, f, l->f_back, &f) < 0)
				break;
		}
		return;
	}
	/* 3.11+: the last instruction started, a pointer into the code's
	 * own bytecode (prev_instr; 3.13 instr_ptr).  */
	uint64_t instr = 0;
	int64_t lasti = -1;
	hi_member_ptr(py->mem, f, l->iframe_code, &code);
	if (code && hi_member_ptr(py->mem, f, l->iframe_instr, &instr) == 0 && hi_has(l->co_code_adaptive))
		lasti = (int64_t)(instr - (code + l->co_code_adaptive.off));
	add_frame(c, code, lasti);
	if ((c->flags & HI_STACKS_LOCALS) && !c->t->truncated && !c->oom)
		hi_frame_each_local(py, f, 0, add_local, c);
}

/* Who holds the GIL of the interpreter at INTERP: the thread state that
 * took it last, if it is taken now; 0 if it is free; UINT64_MAX when it
 * cannot be told.  */
static uint64_t gil_holder(struct hi_py *py, uint64_t interp)
{
	const struct hi_layout *l = &py->l;
	uint64_t gil = 0, locked, holder;
	if (hi_has(l->is_gil))
		hi_mem_u64(py->mem, interp + l->is_gil.off, &gil);	/* 3.12+ */
	else if (hi_has(l->rt_gil))
		gil = py->runtime + l->rt_gil.off;
	if (!gil || !hi_has(l->gil_locked) || !hi_has(l->gil_last_holder) ||
	    hi_member_uint(py->mem, gil, l->gil_locked, &locked) < 0 ||
	    hi_member_uint(py->mem, gil, l->gil_last_holder, &holder) < 0)
		return UINT64_MAX;
	return locked ? holder : 0;
}

int hi_stacks_read(struct hi_py *py, struct hi_stacks *s, size_t max_frames, unsigned flags, const char *who)
{
	const struct hi_layout *l = &py->l;
	uint64_t interps[HI_MAX_INTERPS];
	size_t cap = 0;
	memset(s, 0, sizeof *s);
	int n = hi_py_interps(py, interps, HI_MAX_INTERPS, who);
	if (n < 0)
		return -1;
	/* The main interpreter (the list's last) first.  */
	for (int k = n - 1; k >= 0; k--) {
		int64_t id = -1;
		uint64_t ts = 0, active = hi_threading_active(py, interps[k]), holder = gil_holder(py, interps[k]);
		if (hi_has(l->is_id))
			hi_member_int(py->mem, interps[k], l->is_id, &id);
		if (!hi_has(l->is_threads_head) || hi_mem_u64(py->mem, interps[k] + l->is_threads_head.off, &ts) < 0)
			continue;
		for (int nts = 0; ts && nts < MAX_THREADS; nts++) {
			if (s->n == cap) {
				size_t ncap = cap ? 2 * cap : 16;
				struct hi_thread_stack *nt = realloc(s->threads, ncap * sizeof *nt);
				if (!nt)
					goto oom;
				s->threads = nt;
				cap = ncap;
			}
			struct hi_thread_stack *t = &s->threads[s->n++];
			memset(t, 0, sizeof *t);
			t->interp = id;
			t->gil = holder == UINT64_MAX ? -1 : holder == ts;
			hi_member_uint(py->mem, ts, l->ts_thread_id, &t->tid);
			if (hi_has(l->ts_native_thread_id))
				hi_member_uint(py->mem, ts, l->ts_native_thread_id, &t->native);
			hi_thread_name(py, active, t->tid, t->name, sizeof t->name);
			struct collect c = { py, t, 0, max_frames, 0, flags, 0 };
			hi_thread_frames(py, ts, on_frame, &c);
			if (c.oom)
				goto oom;
			uint64_t next;
			if (hi_mem_u64(py->mem, ts + l->ts_next.off, &next) < 0 || next == ts)
				break;
			ts = next;
		}
	}
	return 0;
oom:
	hi_stacks_free(s);
	hi_error("%s: out of memory reading the threads' stacks", who);
	return -1;
}

void hi_stacks_free(struct hi_stacks *s)
{
	for (size_t i = 0; i < s->n; i++) {
		for (size_t k = 0; k < s->threads[i].nframes; k++)
			free(s->threads[i].frames[k].locals);
		free(s->threads[i].frames);
	}
	free(s->threads);
	memset(s, 0, sizeof *s);
}
