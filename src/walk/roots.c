/* roots.c: the walk's roots besides the GC lists: every thread's running
 * frames (see roots.h).  */
#include "config.h"
#include "python/member.h"
#include "util/addrset.h"
#include "util/interrupt.h"
#include "walk/referents.h"
#include "walk/roots.h"

/* Bounds on what is read from the target: beyond them memory is garbage. */
#define MAX_FRAMES 1000000

unsigned long hi_thread_roots(struct hi_py *py, uint64_t interp, hi_ref_fn fn, void *arg)
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
		uint64_t f = 0;
		if (hi_has(l->ts_current_frame)) {	/* 3.13 */
			hi_mem_u64(py->mem, ts + l->ts_current_frame.off, &f);
		} else if (hi_has(l->ts_frame)) {	/* <= 3.10: a frame object */
			if (hi_mem_u64(py->mem, ts + l->ts_frame.off, &f) == 0 && f) {
				fn(f, arg);	/* its f_back chain follows from it */
				frames++;
			}
			f = 0;
		} else if (hi_has(l->ts_cframe)) {	/* 3.11, 3.12 */
			uint64_t cf;
			if (hi_mem_u64(py->mem, ts + l->ts_cframe.off, &cf) == 0 && cf)
				hi_member_ptr(py->mem, cf, l->cframe_current, &f);
		}
		for (int n = 0; f && frames < MAX_FRAMES && !hi_interrupted() && hi_addrset_add(&seen, f) == 1; n++) {
			int64_t owner = -1;
			hi_member_int(py->mem, f, l->iframe_owner, &owner);
			if (owner != l->owned_by_cstack || l->owned_by_cstack < 0) {
				hi_iframe_referents(py, f, fn, arg);
				frames++;
			}
			if (hi_member_ptr(py->mem, f, l->iframe_previous, &f) < 0)
				break;
		}
		if (hi_mem_u64(py->mem, ts + l->ts_next.off, &ts) < 0)
			break;
	}
	hi_addrset_free(&seen);
	return frames;
}
