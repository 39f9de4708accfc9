/* emu.h: the target's own machine code, run on a copy of its memory.
 *
 * CPython says how to find an object's references (its type's
 * tp_traverse) and size (a C __sizeof__), but heapinspect must never run
 * code in the target.  Here that code runs in a CPU emulator (Unicorn)
 * instead: its instructions and data are fetched page by page from the
 * reader (mem.h: the stopped target or its copy), every write lands in a
 * private page that is put back as the target had it once the call ends,
 * a system call, an interrupt or an invalid instruction ends the call,
 * and so does a budget of instructions.  Nothing can reach the target.
 *
 * x86-64 only.  Built without Unicorn, hi_emu_new returns NULL and every
 * caller keeps its own rule.  */
#ifndef HI_EMU_H
#define HI_EMU_H
#include <stdint.h>
#include "mem/mem.h"

struct hi_emu;

/* Is an emulator built in?  */
int hi_emu_available(void);

/* An emulator reading through MEM, or NULL (none built in, or out of
 * memory).  It notices itself when MEM's contents change (the target
 * ran).  */
struct hi_emu *hi_emu_new(struct hi_mem *mem);
void hi_emu_free(struct hi_emu *e);

enum hi_emu_end {
	HI_EMU_RETURNED,	/* the function returned */
	HI_EMU_STOPPED,		/* it reached a stop (hi_emu_call) */
	HI_EMU_FAULT,		/* it touched memory the reader cannot read */
	HI_EMU_BUDGET,		/* it ran out of instructions */
	HI_EMU_SYSCALL,		/* it made a system call or an interrupt */
	HI_EMU_INVALID,		/* an instruction the emulator refused */
	HI_EMU_ERROR,		/* the emulator failed (out of memory, ...) */
	HI_EMU_NENDS
};

/* "returned", "fault", ...: for -v.  */
const char *hi_emu_end_name(enum hi_emu_end end);

/* Call FN with up to 6 integer arguments ARGS (System V), for at most
 * BUDGET instructions.  Reaching one of the NSTOPS addresses STOPS ends
 * the call there (HI_EMU_STOPPED, *STOP its index, *RET the first
 * argument it was given: a function the caller intercepts, such as
 * PyLong_FromSsize_t); returning gives HI_EMU_RETURNED with *RET = rax. */
enum hi_emu_end hi_emu_call(struct hi_emu *e, uint64_t fn, const uint64_t *args, int nargs, const uint64_t *stops,
			    int nstops, uint64_t budget, uint64_t *ret, int *stop);

/* Call a tp_traverse, FN(OBJ, visit, NULL): every object it visits goes
 * to VISIT (the emulated visit returns 0, so traversal goes on).  Returns
 * as hi_emu_call; *RET is what FN returned.  */
typedef void (*hi_emu_visit_fn)(uint64_t obj, void *arg);
enum hi_emu_end hi_emu_traverse(struct hi_emu *e, uint64_t fn, uint64_t obj, hi_emu_visit_fn visit, void *arg,
				uint64_t budget, uint64_t *ret);

/* What the emulator did, for -v and benchmarks.  */
struct hi_emu_stats {
	unsigned long long calls, instructions_budgeted;
	unsigned long long ends[HI_EMU_NENDS];
	unsigned long long pages_mapped, pages_restored;
};
const struct hi_emu_stats *hi_emu_stats(const struct hi_emu *e);

#endif
