/* emu.c: see emu.h.
 *
 * The emulated address space is the target's, filled on demand: a fetch,
 * read or write of an unmapped page maps it (the 256 KiB around it when
 * the reader has all of it) with the reader's bytes, read and execute
 * only.  A write to such a page is allowed on a private copy, noted, and
 * the page is put back as the target had it when the call ends, so calls
 * do not see each other's writes.  heapinspect's own pages (a stack, a
 * page of sentinel instructions, a thread-local block of zeroes, put
 * back like the target's pages, and a scratch block for objects natives
 * make) live in a range no Linux process maps
 * below its executable: 16 TiB.  */
#include "config.h"
#include <fcntl.h>
#include <setjmp.h>
#include <sys/resource.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "emu/emu.h"
#include "util/infile.h"

static const char *const end_names[HI_EMU_NENDS] = {
	"returned", "fault", "budget", "syscall", "invalid", "error",
};

const char *hi_emu_end_name(enum hi_emu_end end)
{
	return end < HI_EMU_NENDS ? end_names[end] : "?";
}

#ifdef HAVE_UNICORN
#include <unicorn/unicorn.h>

#define PAGE 4096ull
#define BLOCK (256 * 1024ull)
#define PRIV_BASE 0x100000000000ull	/* 16 TiB */
#define STACK_SIZE (256 * 1024ull)
#define STACK_TOP (PRIV_BASE + STACK_SIZE)
#define SENTINELS (STACK_TOP + PAGE)	/* a page of ret instructions */
#define RETURN_ADDR SENTINELS		/* where a call returns to */
#define VISIT_ADDR (SENTINELS + 16)	/* the visit function */
#define TLS_BASE (SENTINELS + 3 * PAGE)	/* %fs: zeroes around it */
#define TLS_SIZE (64 * 1024ull)
#define TLS_FS (TLS_BASE + TLS_SIZE / 2)	/* the thread pointer */
#define TLS_BLOCK 2048ull	/* dynamic blocks, from TLS_BASE up */
#define TLS_NBLOCKS 8
#define SCRATCH (TLS_BASE + TLS_SIZE)	/* objects natives make */
#define SCRATCH_SIZE (64 * 1024ull)
#define PRIV_END (SCRATCH + SCRATCH_SIZE)
#define MAX_DIRTY 256
#define MAX_NATIVES 64
#define MAX_PATCHES 5	/* the TCB's, and 4 for callers */

struct hi_emu {
	struct hi_mem *mem;
	hi_emu_is_code_fn is_code;
	void *is_code_arg;
	uc_engine *uc;
	unsigned long long generation;	/* of MEM when the pages were read */
	struct hi_emu_stats stats;
	/* The call under way.  */
	enum hi_emu_end end;
	uint64_t blocks, budget;	/* basic blocks entered, and allowed */
	struct sigaction old_abort;	/* SIGABRT's action before the engine */
	uint64_t dirty[MAX_DIRTY];	/* pages written, to put back */
	int ndirty, dirty_overflow;
	uint64_t scratch_used;	/* bytes of the scratch block handed out */
	hi_emu_visit_fn visit;
	void *visit_arg;
	struct native {
		uint64_t addr;
		hi_emu_native_fn fn;
		void *user;
	} natives[MAX_NATIVES];
	int nnatives;
	struct patch {
		uint64_t addr, value;
	} patches[MAX_PATCHES];	/* words the emulator sees other than 0 */
	int npatches;
	unsigned char buf[BLOCK];
};

int hi_emu_available(void)
{
	return 1;
}

static int is_private(uint64_t addr)
{
	return addr >= PRIV_BASE && addr < PRIV_END;
}

/* The System V integer argument registers, in order.  */
static const int argregs[6] = { UC_X86_REG_RDI, UC_X86_REG_RSI, UC_X86_REG_RDX,
				UC_X86_REG_RCX, UC_X86_REG_R8,	UC_X86_REG_R9 };

/* The patches within [LO, HI), whose bytes BUF holds, applied where the
 * word is 0.  */
static void apply_patches(struct hi_emu *e, unsigned char *buf, uint64_t lo, uint64_t hi)
{
	for (int i = 0; i < e->npatches; i++) {
		uint64_t a = e->patches[i].addr, w;
		if (a < lo || a + 8 > hi)
			continue;
		memcpy(&w, buf + (a - lo), 8);
		if (!w)
			memcpy(buf + (a - lo), &e->patches[i].value, 8);
	}
}

/* Is the page at ADDR mapped in the engine already?  */
static int mapped(struct hi_emu *e, uint64_t addr)
{
	unsigned char b;
	return uc_mem_read(e->uc, addr, &b, 1) == UC_ERR_OK;
}

/* The permissions the target's page at ADDR gets: read, and execute
 * only when it is code of a module.  */
static uint32_t page_perms(struct hi_emu *e, uint64_t addr)
{
	return e->is_code && e->is_code(addr, e->is_code_arg) ? UC_PROT_READ | UC_PROT_EXEC
							      : UC_PROT_READ | UC_PROT_WRITE;
}

/* Map the target's page(s) around ADDR: the whole 256 KiB block when it
 * reads whole, none of it is mapped yet and it is all code or all data,
 * else the run of pages around ADDR that can be mapped as one.  */
static int map_target(struct hi_emu *e, uint64_t addr)
{
	uint64_t block = addr & ~(BLOCK - 1), page = addr & ~(PAGE - 1);
	if (is_private(addr) || (addr >> 47))
		return -1;
	uint32_t perms = page_perms(e, block);
	int same = 1;
	for (uint64_t p = block + PAGE; same && p < block + BLOCK; p += PAGE)
		same = page_perms(e, p) == perms;
	if (same && !is_private(block) && !is_private(block + BLOCK - 1) &&
	    hi_mem_read(e->mem, block, e->buf, BLOCK) == 0 && uc_mem_map(e->uc, block, BLOCK, perms) == UC_ERR_OK) {
		apply_patches(e, e->buf, block, block + BLOCK);
		uc_mem_write(e->uc, block, e->buf, BLOCK);
		e->stats.pages_mapped += BLOCK / PAGE;
		return 0;
	}
	/* Else the run of pages around ADDR, within the block, that read
	 * whole, are not mapped yet and have ADDR's permissions: one region
	 * (Unicorn's cost of a mapping grows with how many it holds).  */
	perms = page_perms(e, page);
	if (hi_mem_read(e->mem, page, e->buf + (page - block), PAGE) < 0)
		return -1;
	uint64_t lo = page, hi = page + PAGE;
	while (lo > block && !is_private(lo - PAGE) && !mapped(e, lo - PAGE) && page_perms(e, lo - PAGE) == perms &&
	       hi_mem_read(e->mem, lo - PAGE, e->buf + (lo - PAGE - block), PAGE) == 0)
		lo -= PAGE;
	while (hi < block + BLOCK && !is_private(hi) && !mapped(e, hi) && page_perms(e, hi) == perms &&
	       hi_mem_read(e->mem, hi, e->buf + (hi - block), PAGE) == 0)
		hi += PAGE;
	if (uc_mem_map(e->uc, lo, hi - lo, perms) != UC_ERR_OK)
		return -1;
	apply_patches(e, e->buf + (lo - block), lo, hi);
	uc_mem_write(e->uc, lo, e->buf + (lo - block), hi - lo);
	e->stats.pages_mapped += (hi - lo) / PAGE;
	return 0;
}

static bool on_unmapped(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value, void *user)
{
	struct hi_emu *e = user;
	(void)type;
	(void)value;
	if (map_target(e, addr) < 0) {
		e->end = HI_EMU_FAULT;
		e->stats.fault_addr = addr;
		uc_reg_read(uc, UC_X86_REG_RIP, &e->stats.fault_pc);
		return false;
	}
	/* An access running into the next page faults again there.  */
	(void)size;
	return true;
}

/* A write: allowed on the emulator's copy of the page, and the page
 * noted to be put back after the call (heapinspect's stack excepted). */
static void on_write(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value, void *user)
{
	struct hi_emu *e = user;
	(void)uc, (void)type, (void)value;
	uint64_t first = addr & ~(PAGE - 1), last = (addr + (uint64_t)(size > 0 ? size - 1 : 0)) & ~(PAGE - 1);
	for (uint64_t p = first; p <= last; p += PAGE) {
		if (p >= PRIV_BASE && p < STACK_TOP)
			continue;
		int seen = 0;
		for (int i = e->ndirty; i-- > 0 && !seen;)
			seen = e->dirty[i] == p;
		if (seen)
			continue;
		if (e->ndirty >= MAX_DIRTY) {
			e->dirty_overflow = 1;
			continue;
		}
		e->dirty[e->ndirty++] = p;
	}
}

static void on_code(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
	struct hi_emu *e = user;
	(void)size;
	uint64_t rdi = 0;
	uc_reg_read(uc, UC_X86_REG_RDI, &rdi);
	if (addr == VISIT_ADDR) {
		/* visit(obj, arg): hand OBJ over and return 0; the ret at
		 * VISIT_ADDR goes back to the caller.  */
		if (e->visit && rdi)
			e->visit(rdi, e->visit_arg);
		uint64_t zero = 0;
		uc_reg_write(uc, UC_X86_REG_RAX, &zero);
		return;
	}
	for (int i = 0; i < e->nnatives; i++)
		if (addr == e->natives[i].addr) {
			uint64_t args[6], rax, sp, ra;
			int ok = 1;
			for (int k = 0; k < 6; k++)
				uc_reg_read(uc, argregs[k], &args[k]);
			rax = e->natives[i].fn(e, args, e->natives[i].user, &ok);
			uc_reg_read(uc, UC_X86_REG_RSP, &sp);
			if (!ok || uc_mem_read(uc, sp, &ra, 8) != UC_ERR_OK) {
				if (e->end == HI_EMU_RETURNED)
					e->end = HI_EMU_FAULT;
				uc_emu_stop(uc);
				return;
			}
			/* Return to the caller, as the function's ret would. */
			sp += 8;
			uc_reg_write(uc, UC_X86_REG_RAX, &rax);
			uc_reg_write(uc, UC_X86_REG_RSP, &sp);
			uc_reg_write(uc, UC_X86_REG_RIP, &ra);
			e->stats.natives++;
			return;
		}
}

/* The budget, counted by basic block: Unicorn's instruction count would
 * call a hook on every instruction, which costs more than the code run. */
static void on_block(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
	struct hi_emu *e = user;
	(void)addr, (void)size;
	if (++e->blocks > e->budget) {
		e->end = HI_EMU_BUDGET;
		uc_emu_stop(uc);
	}
}

static void on_syscall(uc_engine *uc, void *user)
{
	struct hi_emu *e = user;
	e->end = HI_EMU_SYSCALL;
	uc_reg_read(uc, UC_X86_REG_RIP, &e->stats.syscall_pc);
	uc_emu_stop(uc);
}

static void on_interrupt(uc_engine *uc, uint32_t intno, void *user)
{
	struct hi_emu *e = user;
	(void)intno;
	e->end = HI_EMU_SYSCALL;
	uc_emu_stop(uc);
}

static void on_abort(int sig);

static void close_engine(struct hi_emu *e)
{
	if (e->uc) {
		uc_close(e->uc);
		sigaction(SIGABRT, &e->old_abort, NULL);
	}
	e->uc = NULL;
}

/* A fresh engine with heapinspect's own pages.  0 or -1.  */
static int open_engine_said(struct hi_emu *e)
{
	uc_hook h;
	static unsigned char rets[PAGE];
	memset(rets, 0xc3, sizeof rets);	/* ret */
	if (uc_open(UC_ARCH_X86, UC_MODE_64, &e->uc) != UC_ERR_OK) {
		e->uc = NULL;
		return -1;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_abort;
	sa.sa_flags = SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGABRT, &sa, &e->old_abort);
	uint64_t fs = TLS_FS;
	if (uc_mem_map(e->uc, PRIV_BASE, STACK_SIZE, UC_PROT_READ | UC_PROT_WRITE) != UC_ERR_OK ||
	    uc_mem_map(e->uc, SENTINELS, PAGE, UC_PROT_READ | UC_PROT_EXEC) != UC_ERR_OK ||
	    uc_mem_write(e->uc, SENTINELS, rets, PAGE) != UC_ERR_OK ||
	    uc_mem_map(e->uc, TLS_BASE, TLS_SIZE, UC_PROT_READ | UC_PROT_WRITE) != UC_ERR_OK ||
	    uc_mem_map(e->uc, SCRATCH, SCRATCH_SIZE, UC_PROT_READ | UC_PROT_WRITE) != UC_ERR_OK ||
	    uc_reg_write(e->uc, UC_X86_REG_FS_BASE, &fs) != UC_ERR_OK ||
	    uc_mem_write(e->uc, fs, &fs, 8) != UC_ERR_OK ||	/* the TCB points to itself */
	    uc_hook_add(e->uc, &h, UC_HOOK_MEM_UNMAPPED, (void *)on_unmapped, e, 1, 0) != UC_ERR_OK ||
	    uc_hook_add(e->uc, &h, UC_HOOK_MEM_WRITE, (void *)on_write, e, 1, 0) != UC_ERR_OK ||
	    uc_hook_add(e->uc, &h, UC_HOOK_BLOCK, (void *)on_block, e, 1, 0) != UC_ERR_OK ||
	    uc_hook_add(e->uc, &h, UC_HOOK_INSN, (void *)on_syscall, e, 1, 0, UC_X86_INS_SYSCALL) != UC_ERR_OK ||
	    uc_hook_add(e->uc, &h, UC_HOOK_INSN, (void *)on_syscall, e, 1, 0, UC_X86_INS_SYSENTER) != UC_ERR_OK ||
	    uc_hook_add(e->uc, &h, UC_HOOK_INTR, (void *)on_interrupt, e, 1, 0) != UC_ERR_OK ||
	    uc_hook_add(e->uc, &h, UC_HOOK_CODE, (void *)on_code, e, VISIT_ADDR, VISIT_ADDR) != UC_ERR_OK) {
		close_engine(e);
		return -1;
	}
	for (int i = 0; i < e->nnatives; i++)
		if (uc_hook_add(e->uc, &h, UC_HOOK_CODE, (void *)on_code, e, e->natives[i].addr, e->natives[i].addr) !=
		    UC_ERR_OK) {
			close_engine(e);
			return -1;
		}
	e->generation = hi_mem_stats(e->mem)->generation;
	return 0;
}

/* Unicorn 2.0 reserves 1 GiB of address space for its translations, and
 * when it cannot (ulimit -v) QEMU prints a line and calls exit(1).  So an
 * engine is made only when the address-space limit leaves room for it.  */
#define ENGINE_ROOM (1200ull << 20)
static int room_for_engine(void)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_AS, &r) < 0 || r.rlim_cur == RLIM_INFINITY)
		return 1;
	unsigned long long kb = hi_proc_kb("/proc/self/status", "VmSize:");
	return kb && (uint64_t)r.rlim_cur > kb * 1024 + ENGINE_ROOM;
}

/* The same, checked and quiet: heapinspect says what failed itself, in
 * one line (-v).  */
static int open_engine(struct hi_emu *e)
{
	if (!room_for_engine())
		return -1;
	int saved = dup(2), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved >= 0 && null >= 0)
		dup2(null, 2);
	int rc = open_engine_said(e);
	if (saved >= 0 && null >= 0)
		dup2(saved, 2);
	if (saved >= 0)
		close(saved);
	if (null >= 0)
		close(null);
	return rc;
}

uint64_t hi_emu_tls_block(struct hi_emu *e, uint64_t module, size_t len)
{
	(void)e;
	if (len > TLS_BLOCK)
		return 0;
	return TLS_BASE + (module % TLS_NBLOCKS) * TLS_BLOCK;
}

int hi_emu_add_native(struct hi_emu *e, uint64_t addr, hi_emu_native_fn fn, void *user)
{
	uc_hook h;
	for (int i = 0; i < e->nnatives; i++)
		if (e->natives[i].addr == addr)
			return 0;
	if (e->nnatives >= MAX_NATIVES || !e->uc ||
	    uc_hook_add(e->uc, &h, UC_HOOK_CODE, (void *)on_code, e, addr, addr) != UC_ERR_OK)
		return -1;
	e->natives[e->nnatives++] = (struct native){ addr, fn, user };
	return 0;
}

/* Map what [ADDR, ADDR+LEN) lacks; with WRITE, note its pages to be put
 * back (a native's writes bypass the write hook).  Code is not written.
 * 0 or -1.  */
static int touch(struct hi_emu *e, uint64_t addr, size_t len, int write)
{
	if (!len)
		return 0;
	if (addr + len < addr)
		return -1;
	for (uint64_t p = addr & ~(PAGE - 1); p < addr + len; p += PAGE) {
		if (!mapped(e, p) && map_target(e, p) < 0)
			return -1;
		if (write) {
			if (!is_private(p) && !(page_perms(e, p) & UC_PROT_WRITE))
				return -1;
			on_write(e->uc, UC_MEM_WRITE, p, 1, 0, e);
			if (e->dirty_overflow)
				return -1;
		}
	}
	return 0;
}

int hi_emu_read(struct hi_emu *e, uint64_t addr, void *buf, size_t len)
{
	return touch(e, addr, len, 0) == 0 && uc_mem_read(e->uc, addr, buf, len) == UC_ERR_OK ? 0 : -1;
}

int hi_emu_write(struct hi_emu *e, uint64_t addr, const void *buf, size_t len)
{
	return touch(e, addr, len, 1) == 0 && uc_mem_write(e->uc, addr, buf, len) == UC_ERR_OK ? 0 : -1;
}

struct hi_emu *hi_emu_new(struct hi_mem *mem, hi_emu_is_code_fn is_code, void *arg)
{
	struct hi_emu *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->mem = mem;
	e->is_code = is_code;
	e->is_code_arg = arg;
	/* The TCB points to itself, whenever its page is put back.  */
	e->patches[e->npatches++] = (struct patch){ TLS_FS, TLS_FS };
	if (open_engine(e) < 0) {
		free(e);
		return NULL;
	}
	return e;
}

void hi_emu_free(struct hi_emu *e)
{
	if (!e)
		return;
	close_engine(e);
	free(e);
}

/* Put the pages the call wrote back as the target has them.  */
static int restore_dirty(struct hi_emu *e)
{
	int rc = 0;
	for (int i = 0; i < e->ndirty; i++) {
		uint64_t p = e->dirty[i];
		if (is_private(p))	/* heapinspect's own: zeroes, patched */
			memset(e->buf, 0, PAGE);
		int unread = !is_private(p) && hi_mem_read(e->mem, p, e->buf, PAGE) < 0;
		if (!unread)
			apply_patches(e, e->buf, p, p + PAGE);
		if (unread || uc_mem_write(e->uc, p, e->buf, PAGE) != UC_ERR_OK) {
			rc = -1;	/* unmap it: read again when next needed */
			uc_mem_unmap(e->uc, p, PAGE);
		}
		e->stats.pages_restored++;
	}
	e->ndirty = 0;
	return rc;
}

/* The emulation under way, for the SIGABRT handler: Unicorn aborts the
 * process on some code it cannot translate, and heapinspect must not die
 * of what the target's memory holds.  */
static sigjmp_buf *abort_jump;

static void on_abort(int sig)
{
	if (abort_jump)
		siglongjmp(*abort_jump, 1);
	/* Not in the emulator: abort as if heapinspect had no handler.  */
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The target ran: what its data pages held is stale, and they go (read
 * again when next touched).  Its code stays, and so does what Unicorn
 * translated of it: a new engine would read and translate it all again
 * (most of an emulated census's cost).  0, or -1 to start afresh.  */
static int forget_data(struct hi_emu *e)
{
	uc_mem_region *r = NULL;
	uint32_t n = 0;
	if (uc_mem_regions(e->uc, &r, &n) != UC_ERR_OK)
		return -1;
	int rc = 0;
	for (uint32_t i = 0; i < n && rc == 0; i++)
		if (!is_private(r[i].begin) && !(r[i].perms & UC_PROT_EXEC) &&
		    uc_mem_unmap(e->uc, r[i].begin, r[i].end - r[i].begin + 1) != UC_ERR_OK)
			rc = -1;
	uc_free(r);
	e->generation = hi_mem_stats(e->mem)->generation;
	return rc;
}

/* uc_emu_start with SIGABRT caught: 0, or -1 when the engine aborted.
 * The handler is installed with the engine (SA_NODEFER: a jump out of
 * it leaves SIGABRT unblocked, so no signal mask is saved per call).  */
static int guarded_start(struct hi_emu *e, uint64_t fn, uc_err *err)
{
	sigjmp_buf jb;
	if (sigsetjmp(jb, 0)) {
		abort_jump = NULL;
		return -1;
	}
	abort_jump = &jb;
	*err = uc_emu_start(e->uc, fn, RETURN_ADDR, 0, 0);
	abort_jump = NULL;
	return 0;
}

static enum hi_emu_end run(struct hi_emu *e, uint64_t fn, const uint64_t *args, int nargs, uint64_t budget,
			   uint64_t *ret, void *retbuf, size_t retlen)
{
	if (e->uc && hi_mem_stats(e->mem)->generation != e->generation && forget_data(e) < 0)
		close_engine(e);
	if (!e->uc) {
		if (open_engine(e) < 0)
			return HI_EMU_ERROR;
	}
	e->stats.calls++;
	e->stats.blocks_budgeted += budget;
	e->blocks = 0;
	e->budget = budget;
	e->end = HI_EMU_RETURNED;
	e->ndirty = 0;
	e->dirty_overflow = 0;
	e->scratch_used = 0;
	/* The stack: 16-byte aligned before the call pushes its return. */
	uint64_t sp = STACK_TOP - 64, ra = RETURN_ADDR, zero = 0;
	uc_mem_write(e->uc, sp, &ra, 8);
	uc_reg_write(e->uc, UC_X86_REG_RSP, &sp);
	uc_reg_write(e->uc, UC_X86_REG_RBP, &zero);
	uc_reg_write(e->uc, UC_X86_REG_RAX, &zero);
	for (int i = 0; i < 6; i++)
		uc_reg_write(e->uc, argregs[i], i < nargs ? &args[i] : &zero);
	uc_err err;
	if (guarded_start(e, fn, &err) < 0) {
		/* The engine aborted (QEMU's "tcg fatal error" on code it could
		 * not translate): its state is lost, and so is the engine; a
		 * fresh one serves the next call.  */
		e->uc = NULL;
		sigaction(SIGABRT, &e->old_abort, NULL);
		e->stats.aborts++;
		e->stats.ends[HI_EMU_ERROR]++;
		e->ndirty = 0;
		return HI_EMU_ERROR;
	}
	enum hi_emu_end end = e->end;
	if (end == HI_EMU_RETURNED) {
		uint64_t rip = 0;
		uc_reg_read(e->uc, UC_X86_REG_RIP, &rip);
		if (err == UC_ERR_INSN_INVALID)
			end = HI_EMU_INVALID;
		else if (err == UC_ERR_READ_UNMAPPED || err == UC_ERR_WRITE_UNMAPPED || err == UC_ERR_FETCH_UNMAPPED ||
			 err == UC_ERR_FETCH_PROT || err == UC_ERR_READ_PROT || err == UC_ERR_WRITE_PROT)
			end = HI_EMU_FAULT;
		else if (err != UC_ERR_OK)
			end = HI_EMU_ERROR;
		else if (rip != RETURN_ADDR)
			end = HI_EMU_ERROR;	/* stopped, but not by a hook */
	}
	if (end == HI_EMU_RETURNED) {
		uc_reg_read(e->uc, UC_X86_REG_RAX, ret);
		/* What it returned points to, before the writes are undone. */
		if (retlen && (!*ret || uc_mem_read(e->uc, *ret, retbuf, retlen) != UC_ERR_OK))
			end = HI_EMU_FAULT;
	}
	if (restore_dirty(e) < 0 && end == HI_EMU_RETURNED)
		end = HI_EMU_ERROR;
	if (e->dirty_overflow)	/* pages written that cannot be put back */
		close_engine(e);
	e->stats.ends[end]++;
	return end;
}

enum hi_emu_end hi_emu_call(struct hi_emu *e, uint64_t fn, const uint64_t *args, int nargs, uint64_t budget,
			    uint64_t *ret, void *retbuf, size_t retlen)
{
	if (nargs > 6)
		return HI_EMU_ERROR;
	e->visit = NULL;
	return run(e, fn, args, nargs, budget, ret, retbuf, retlen);
}

int hi_emu_patch(struct hi_emu *e, uint64_t addr, uint64_t value)
{
	if (e->npatches >= MAX_PATCHES || (addr & 7))
		return -1;
	e->patches[e->npatches++] = (struct patch){ addr, value };
	uint64_t w = 0;
	if (e->uc && mapped(e, addr) && uc_mem_read(e->uc, addr, &w, 8) == UC_ERR_OK && !w)
		uc_mem_write(e->uc, addr, &value, 8);
	return 0;
}

int hi_emu_is_scratch(const struct hi_emu *e, uint64_t addr)
{
	(void)e;
	return addr >= SCRATCH && addr < SCRATCH + SCRATCH_SIZE;
}

uint64_t hi_emu_scratch(struct hi_emu *e, size_t len)
{
	len = (len + 15) & ~(size_t)15;
	if (len > SCRATCH_SIZE - e->scratch_used)
		return 0;
	uint64_t at = SCRATCH + e->scratch_used;
	e->scratch_used += len;
	return at;
}

enum hi_emu_end hi_emu_traverse(struct hi_emu *e, uint64_t fn, uint64_t obj, hi_emu_visit_fn visit, void *arg,
				uint64_t budget, uint64_t *ret)
{
	uint64_t args[3] = { obj, VISIT_ADDR, 0 };
	e->visit = visit;
	e->visit_arg = arg;
	enum hi_emu_end end = run(e, fn, args, 3, budget, ret, NULL, 0);
	e->visit = NULL;
	return end;
}

const struct hi_emu_stats *hi_emu_stats(const struct hi_emu *e)
{
	return &e->stats;
}

#else /* !HAVE_UNICORN */

struct hi_emu {
	struct hi_emu_stats stats;
};

int hi_emu_available(void)
{
	return 0;
}

struct hi_emu *hi_emu_new(struct hi_mem *mem, hi_emu_is_code_fn is_code, void *arg)
{
	(void)mem, (void)is_code, (void)arg;
	return NULL;
}

void hi_emu_free(struct hi_emu *e)
{
	(void)e;
}

enum hi_emu_end hi_emu_call(struct hi_emu *e, uint64_t fn, const uint64_t *args, int nargs, uint64_t budget,
			    uint64_t *ret, void *retbuf, size_t retlen)
{
	(void)e, (void)fn, (void)args, (void)nargs, (void)budget, (void)ret, (void)retbuf, (void)retlen;
	return HI_EMU_ERROR;
}

int hi_emu_is_scratch(const struct hi_emu *e, uint64_t addr)
{
	(void)e, (void)addr;
	return 0;
}

int hi_emu_patch(struct hi_emu *e, uint64_t addr, uint64_t value)
{
	(void)e, (void)addr, (void)value;
	return -1;
}

uint64_t hi_emu_scratch(struct hi_emu *e, size_t len)
{
	(void)e, (void)len;
	return 0;
}

enum hi_emu_end hi_emu_traverse(struct hi_emu *e, uint64_t fn, uint64_t obj, hi_emu_visit_fn visit, void *arg,
				uint64_t budget, uint64_t *ret)
{
	(void)e, (void)fn, (void)obj, (void)visit, (void)arg, (void)budget, (void)ret;
	return HI_EMU_ERROR;
}

const struct hi_emu_stats *hi_emu_stats(const struct hi_emu *e)
{
	return &e->stats;
}

int hi_emu_add_native(struct hi_emu *e, uint64_t addr, hi_emu_native_fn fn, void *user)
{
	(void)e, (void)addr, (void)fn, (void)user;
	return -1;
}

int hi_emu_read(struct hi_emu *e, uint64_t addr, void *buf, size_t len)
{
	(void)e, (void)addr, (void)buf, (void)len;
	return -1;
}

int hi_emu_write(struct hi_emu *e, uint64_t addr, const void *buf, size_t len)
{
	(void)e, (void)addr, (void)buf, (void)len;
	return -1;
}

uint64_t hi_emu_tls_block(struct hi_emu *e, uint64_t module, size_t len)
{
	(void)e, (void)module, (void)len;
	return 0;
}

#endif
