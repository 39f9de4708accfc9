/* loop.h: noticing that a chain of pointers read from the target (a
 * deque's blocks, a list of thread states) has come back on itself,
 * without remembering every node: Brent's method keeps one node and
 * compares each next one with it, moving the kept node to the current
 * one after 1, 2, 4, ... steps.  A loop of L nodes entered after T is
 * seen within T + 2L steps.  */
#ifndef HI_LOOP_H
#define HI_LOOP_H
#include <stdint.h>

struct hi_loop {
	uint64_t kept;
	uint64_t power, steps;
};

#define HI_LOOP_INIT { 0, 1, 0 }

/* Is NODE (nonzero) one met before on this chain?  1 means a loop.  */
static inline int hi_loop_seen(struct hi_loop *lp, uint64_t node)
{
	if (node == lp->kept)
		return 1;
	if (++lp->steps == lp->power) {
		lp->kept = node;
		lp->power *= 2;
		lp->steps = 0;
	}
	return 0;
}

#endif
