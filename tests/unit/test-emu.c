/* test-emu.c: the emulator (emu.h) on hand-made memory: a traverse
 * function's visits, writes undone after a call, and every way a call
 * ends early: a system call, the budget, data that is not code, memory
 * that cannot be read, and an abort inside the engine.  */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "emu/emu.h"
#include "mem/mem.h"
#include "suites.h"

#define CODE 0x400000ull
#define DATA 0x500000ull
#define PAGE 4096

/* At CODE: the functions below, at these offsets.  */
enum { F_TRAVERSE = 0, F_WRITE = 0x100, F_READ = 0x140, F_SYSCALL = 0x180, F_LOOP = 0x1c0, F_ABORT = 0x200,
       F_CALLS_ABORT = 0x240 };

static const unsigned char traverse_code[] = {
	0x53,			/* push rbx */
	0x41, 0x54,		/* push r12 */
	0x48, 0x89, 0xfb,	/* mov rbx, rdi: the object */
	0x49, 0x89, 0xf4,	/* mov r12, rsi: visit */
	0x48, 0x8b, 0x7b, 0x10, /* mov rdi, [rbx+16] */
	0x31, 0xf6,		/* xor esi, esi */
	0x41, 0xff, 0xd4,	/* call r12 */
	0x48, 0x8b, 0x7b, 0x18, /* mov rdi, [rbx+24] */
	0x31, 0xf6,		/* xor esi, esi */
	0x41, 0xff, 0xd4,	/* call r12 */
	0x31, 0xc0,		/* xor eax, eax */
	0x41, 0x5c,		/* pop r12 */
	0x5b,			/* pop rbx */
	0xc3,			/* ret */
};
/* mov qword [rdi], 42; mov rax, [rdi]; ret */
static const unsigned char write_code[] = { 0x48, 0xc7, 0x07, 0x2a, 0, 0, 0, 0x48, 0x8b, 0x07, 0xc3 };
static const unsigned char read_code[] = { 0x48, 0x8b, 0x07, 0xc3 };	/* mov rax, [rdi]; ret */
static const unsigned char syscall_code[] = { 0x0f, 0x05, 0xc3 };
static const unsigned char loop_code[] = { 0xeb, 0xfe };		/* jmp . */
/* call F_ABORT (a native that aborts); ret */
static const unsigned char calls_abort_code[] = { 0xe8, 0xbb, 0xff, 0xff, 0xff, 0xc3 };

static struct hi_mem *make_image(void)
{
	static unsigned char code[PAGE], data[PAGE];
	memset(code, 0xcc, sizeof code);
	memcpy(code + F_TRAVERSE, traverse_code, sizeof traverse_code);
	memcpy(code + F_WRITE, write_code, sizeof write_code);
	memcpy(code + F_READ, read_code, sizeof read_code);
	memcpy(code + F_SYSCALL, syscall_code, sizeof syscall_code);
	memcpy(code + F_LOOP, loop_code, sizeof loop_code);
	code[F_ABORT] = 0xc3;
	memcpy(code + F_CALLS_ABORT, calls_abort_code, sizeof calls_abort_code);
	memset(data, 0, sizeof data);
	uint64_t first = 0x7f0000001000ull, second = 0x7f0000002000ull, old = 7;
	memcpy(data + 16, &first, 8);
	memcpy(data + 24, &second, 8);
	memcpy(data + 64, &old, 8);
	memcpy(data + 128, traverse_code, sizeof traverse_code);	/* code, but in data */
	struct hi_mem *m = hi_mem_open_image();
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_FATAL(hi_mem_image_add(m, CODE, code, sizeof code) == 0);
	CU_ASSERT_FATAL(hi_mem_image_add(m, DATA, data, sizeof data) == 0);
	return m;
}

static int is_code(uint64_t addr, void *arg)
{
	(void)arg;
	return addr >= CODE && addr < CODE + PAGE;
}

struct visits {
	uint64_t v[8];
	int n;
};

static void collect(uint64_t obj, void *arg)
{
	struct visits *vs = arg;
	if (vs->n < 8)
		vs->v[vs->n++] = obj;
}

static struct hi_emu *setup(struct hi_mem **m)
{
	*m = make_image();
	if (!hi_emu_available()) {
		hi_unit_skip("built without Unicorn");
		return NULL;
	}
	struct hi_emu *e = hi_emu_new(*m, is_code, NULL);
	CU_ASSERT_PTR_NOT_NULL(e);
	return e;
}

static void traverse_visits_what_the_function_visits(void)
{
	struct hi_mem *m;
	struct hi_emu *e = setup(&m);
	if (e) {
		struct visits vs = { { 0 }, 0 };
		uint64_t ret = 1;
		CU_ASSERT_EQUAL(hi_emu_traverse(e, CODE + F_TRAVERSE, DATA, collect, &vs, 1000, &ret), HI_EMU_RETURNED);
		CU_ASSERT_EQUAL(ret, 0);
		CU_ASSERT_EQUAL(vs.n, 2);
		CU_ASSERT_EQUAL(vs.v[0], 0x7f0000001000ull);
		CU_ASSERT_EQUAL(vs.v[1], 0x7f0000002000ull);
	}
	hi_emu_free(e);
	hi_mem_close(m);
}

static void writes_are_undone_after_the_call(void)
{
	struct hi_mem *m;
	struct hi_emu *e = setup(&m);
	if (e) {
		uint64_t a[1] = { DATA + 64 }, ret = 0, mem = 0;
		CU_ASSERT_EQUAL(hi_emu_call(e, CODE + F_WRITE, a, 1, 1000, &ret, NULL, 0), HI_EMU_RETURNED);
		CU_ASSERT_EQUAL(ret, 42);	/* the call saw its write */
		CU_ASSERT_EQUAL(hi_emu_call(e, CODE + F_READ, a, 1, 1000, &ret, NULL, 0), HI_EMU_RETURNED);
		CU_ASSERT_EQUAL(ret, 7);	/* the next did not */
		CU_ASSERT(hi_mem_u64(m, DATA + 64, &mem) == 0 && mem == 7);
		CU_ASSERT(hi_emu_stats(e)->pages_restored >= 1);
	}
	hi_emu_free(e);
	hi_mem_close(m);
}

static void calls_end_early(void)
{
	struct hi_mem *m;
	struct hi_emu *e = setup(&m);
	if (e) {
		uint64_t a[1] = { 0xdead0000ull }, ret = 0;
		CU_ASSERT_EQUAL(hi_emu_call(e, CODE + F_SYSCALL, NULL, 0, 1000, &ret, NULL, 0), HI_EMU_SYSCALL);
		CU_ASSERT_EQUAL(hi_emu_call(e, CODE + F_LOOP, NULL, 0, 10000, &ret, NULL, 0), HI_EMU_BUDGET);
		/* The same bytes in data are not run.  */
		CU_ASSERT_EQUAL(hi_emu_call(e, DATA + 128, NULL, 0, 1000, &ret, NULL, 0), HI_EMU_FAULT);
		/* Unreadable memory.  */
		CU_ASSERT_EQUAL(hi_emu_call(e, CODE + F_READ, a, 1, 1000, &ret, NULL, 0), HI_EMU_FAULT);
		/* And it still works.  */
		a[0] = DATA + 64;
		CU_ASSERT_EQUAL(hi_emu_call(e, CODE + F_READ, a, 1, 1000, &ret, NULL, 0), HI_EMU_RETURNED);
		CU_ASSERT_EQUAL(ret, 7);
	}
	hi_emu_free(e);
	hi_mem_close(m);
}

static uint64_t aborting_native(struct hi_emu *e, const uint64_t *args, void *user, int *ok)
{
	(void)e, (void)args, (void)user, (void)ok;
	abort();	/* as Unicorn's "tcg fatal error" does */
}

static uint64_t native_41(struct hi_emu *e, const uint64_t *args, void *user, int *ok)
{
	(void)e, (void)args, (void)user, (void)ok;
	return 41;
}

static void an_abort_costs_the_engine_not_the_process(void)
{
	struct hi_mem *m;
	struct hi_emu *e = setup(&m);
	if (e) {
		uint64_t ret = 0, a[1] = { DATA + 64 };
		CU_ASSERT_EQUAL(hi_emu_add_native(e, CODE + F_ABORT, aborting_native, NULL), 0);
		CU_ASSERT_EQUAL(hi_emu_call(e, CODE + F_CALLS_ABORT, NULL, 0, 1000, &ret, NULL, 0), HI_EMU_ERROR);
		CU_ASSERT_EQUAL(hi_emu_stats(e)->aborts, 1);
		CU_ASSERT_EQUAL(hi_emu_call(e, CODE + F_READ, a, 1, 1000, &ret, NULL, 0), HI_EMU_RETURNED);
		CU_ASSERT_EQUAL(ret, 7);
	}
	hi_emu_free(e);
	hi_mem_close(m);
}

static void natives_answer_and_return(void)
{
	struct hi_mem *m;
	struct hi_emu *e = setup(&m);
	if (e) {
		uint64_t ret = 0;
		CU_ASSERT_EQUAL(hi_emu_add_native(e, CODE + F_ABORT, native_41, NULL), 0);
		CU_ASSERT_EQUAL(hi_emu_call(e, CODE + F_CALLS_ABORT, NULL, 0, 1000, &ret, NULL, 0), HI_EMU_RETURNED);
		CU_ASSERT_EQUAL(ret, 41);
		CU_ASSERT_EQUAL(hi_emu_stats(e)->natives, 1);
	}
	hi_emu_free(e);
	hi_mem_close(m);
}

/* A patched word is what emulated code reads where the target has 0
 * (a thread state a waiting thread left NULL), never where it holds a
 * value; it survives the written page being put back and the target
 * running again; the target's memory is not touched.  */
static void patches_show_where_the_target_has_zero(void)
{
	struct hi_mem *m;
	struct hi_emu *e = setup(&m);
	if (e) {
		uint64_t ret = 0, mem = 1, zero[1] = { DATA + 72 }, set[1] = { DATA + 64 };
		CU_ASSERT_EQUAL(hi_emu_patch(e, DATA + 72, 99), 0);
		CU_ASSERT_EQUAL(hi_emu_patch(e, DATA + 64, 98), 0);
		CU_ASSERT_EQUAL(hi_emu_call(e, CODE + F_READ, zero, 1, 1000, &ret, NULL, 0), HI_EMU_RETURNED);
		CU_ASSERT_EQUAL(ret, 99);
		CU_ASSERT_EQUAL(hi_emu_call(e, CODE + F_READ, set, 1, 1000, &ret, NULL, 0), HI_EMU_RETURNED);
		CU_ASSERT_EQUAL(ret, 7);
		/* A call writes the page; after it is put back, still 99.  */
		CU_ASSERT_EQUAL(hi_emu_call(e, CODE + F_WRITE, set, 1, 1000, &ret, NULL, 0), HI_EMU_RETURNED);
		CU_ASSERT_EQUAL(hi_emu_call(e, CODE + F_READ, zero, 1, 1000, &ret, NULL, 0), HI_EMU_RETURNED);
		CU_ASSERT_EQUAL(ret, 99);
		/* The target ran: its data pages are read again, patched.  */
		hi_mem_invalidate(m);
		CU_ASSERT_EQUAL(hi_emu_call(e, CODE + F_READ, zero, 1, 1000, &ret, NULL, 0), HI_EMU_RETURNED);
		CU_ASSERT_EQUAL(ret, 99);
		CU_ASSERT(hi_mem_u64(m, DATA + 72, &mem) == 0 && mem == 0);
	}
	hi_emu_free(e);
	hi_mem_close(m);
}

int hi_suite_emu(void)
{
	CU_pSuite s = CU_add_suite("emu", NULL, NULL);
	if (!s || !CU_add_test(s, "traverse reports what the function visits", traverse_visits_what_the_function_visits) ||
	    !CU_add_test(s, "writes are undone after the call", writes_are_undone_after_the_call) ||
	    !CU_add_test(s, "syscall, budget, data and unreadable memory end a call", calls_end_early) ||
	    !CU_add_test(s, "natives answer and return to the caller", natives_answer_and_return) ||
	    !CU_add_test(s, "patches show where the target has zero", patches_show_where_the_target_has_zero) ||
	    !CU_add_test(s, "an abort in the engine costs the engine, not the process",
			 an_abort_costs_the_engine_not_the_process))
		return -1;
	return 0;
}
