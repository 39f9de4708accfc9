/* emu.h: the target's own machine code, run on a copy of its memory.
 *
 * CPython says how to find an object's references (its type's
 * tp_traverse) and size (a C __sizeof__), but heapinspect must never run
 * code in the target.  Here that code runs in a CPU emulator (Unicorn)
 * instead: its instructions and data are fetched page by page from the
 * reader (mem.h: the stopped target or its copy), every write lands in a
 * private page that is put back as the target had it once the call ends,
 * a system call, an interrupt or an invalid instruction ends the call,
 * and so does a budget of basic blocks entered.  Nothing can reach the target.
 *
 * x86-64 only.  Built without Unicorn, hi_emu_new returns NULL and every
 * caller keeps its own rule.  */
#ifndef HI_EMU_H
#define HI_EMU_H
#include <stddef.h>
#include <stdint.h>
#include "mem/mem.h"

struct hi_emu;

/* Is an emulator built in?  */
int hi_emu_available(void);

/* An emulator reading through MEM, or NULL (none built in, or out of
 * memory).  It notices itself when MEM's contents change (the target
 * ran).  IS_CODE(ADDR, ARG) says whether the target's page at ADDR may be
 * run: only code of its modules is, never data (a garbage function
 * pointer then ends the call as a fault).  */
typedef int (*hi_emu_is_code_fn)(uint64_t addr, void *arg);
struct hi_emu *hi_emu_new(struct hi_mem *mem, hi_emu_is_code_fn is_code, void *arg);
void hi_emu_free(struct hi_emu *e);

enum hi_emu_end {
	HI_EMU_RETURNED,	/* the function returned */
	HI_EMU_FAULT,		/* it touched memory the reader cannot read */
	HI_EMU_BUDGET,		/* it ran out of instructions */
	HI_EMU_SYSCALL,		/* it made a system call or an interrupt */
	HI_EMU_INVALID,		/* an instruction the emulator refused */
	HI_EMU_ERROR,		/* the emulator failed (out of memory, or it
				 * aborted: the engine is then discarded) */
	HI_EMU_NENDS
};

/* "returned", "fault", ...: for -v.  */
const char *hi_emu_end_name(enum hi_emu_end end);

/* Call FN with up to 6 integer arguments ARGS (System V), entering at
 * most BUDGET basic blocks (a loop's every turn is one).  Returning gives HI_EMU_RETURNED with *RET = rax,
 * and RETLEN bytes at rax as the call left them (an object it made) in
 * RETBUF (HI_EMU_FAULT if they cannot be read).  */
enum hi_emu_end hi_emu_call(struct hi_emu *e, uint64_t fn, const uint64_t *args, int nargs, uint64_t budget,
			    uint64_t *ret, void *retbuf, size_t retlen);

/* LEN bytes of heapinspect's own emulated memory for the call under way
 * (a native's result: an int object PyLong_FromSsize_t makes), 0 when
 * the 64 KiB block is used up.  Handed out afresh by every call.  */
uint64_t hi_emu_scratch(struct hi_emu *e, size_t len);
/* From now on the emulated code sees VALUE in the word at ADDR (in the
 * target's memory) wherever the target has 0 there: what a stopped
 * process lends no call (3.8-3.11's current thread state, which a thread
 * waiting without the GIL leaves NULL).  0, or -1 (at most 4).  */
int hi_emu_patch(struct hi_emu *e, uint64_t addr, uint64_t value);

/* Is ADDR in that block?  */
int hi_emu_is_scratch(const struct hi_emu *e, uint64_t addr);

/* A private, zeroed block of LEN bytes (at most 2 KiB) standing for the
 * dynamic thread-local block of TLS module MODULE (what __tls_get_addr
 * would find), the same for every call; 0 if none.  Emulated writes to
 * it are undone after each call, like every other write.  */
uint64_t hi_emu_tls_block(struct hi_emu *e, uint64_t module, size_t len);

/* Call a tp_traverse, FN(OBJ, visit, NULL): every object it visits goes
 * to VISIT (the emulated visit returns 0, so traversal goes on).  Returns
 * as hi_emu_call; *RET is what FN returned.  */
typedef void (*hi_emu_visit_fn)(uint64_t obj, void *arg);
enum hi_emu_end hi_emu_traverse(struct hi_emu *e, uint64_t fn, uint64_t obj, hi_emu_visit_fn visit, void *arg,
				uint64_t budget, uint64_t *ret);

/* A function the emulated code may call that runs here instead, natively
 * (the C library's string functions, whose AVX-512 variants no emulator
 * runs; a function the caller answers itself).  FN gets the six argument
 * registers and returns rax, or sets *OK to 0 to end the call as a fault.
 * It reads and writes the emulated memory with hi_emu_read/hi_emu_write. */
struct hi_emu;
typedef uint64_t (*hi_emu_native_fn)(struct hi_emu *e, const uint64_t *args, void *user, int *ok);

/* From now on, a call to ADDR runs FN (USER its argument) and returns to
 * its caller.  0, or -1 when out of room (64 natives).  */
int hi_emu_add_native(struct hi_emu *e, uint64_t addr, hi_emu_native_fn fn, void *user);

/* LEN bytes of the emulated memory at ADDR, as the call under way sees
 * them, into BUF; or BUF into that memory (a private copy of the target's
 * pages, put back after the call).  0, or -1 if unreadable.  */
int hi_emu_read(struct hi_emu *e, uint64_t addr, void *buf, size_t len);
int hi_emu_write(struct hi_emu *e, uint64_t addr, const void *buf, size_t len);

/* What the emulator did, for -v and benchmarks.  */
struct hi_emu_stats {
	unsigned long long calls, blocks_budgeted;
	unsigned long long ends[HI_EMU_NENDS];
	unsigned long long pages_mapped, pages_restored;
	unsigned long long natives;	/* calls answered natively */
	unsigned long long aborts;	/* engines lost to an abort inside */
	/* The last call that faulted: the address it could not read, and
	 * the instruction that tried (for -v).  */
	uint64_t fault_addr, fault_pc;
	uint64_t syscall_pc;	/* the last system call met */
};
const struct hi_emu_stats *hi_emu_stats(const struct hi_emu *e);

#endif
