/* emucall.c: see emucall.h.  */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "python/emucall.h"

/* The most a native string function touches: more is a fault.  */
#define MAX_NATIVE_BYTES (16u << 20)

enum { F_MEMSET, F_MEMCPY, F_MEMMOVE, F_MEMPCPY, F_STRLEN, F_STRNLEN, F_MEMCMP, F_BCMP, F_STRCMP, F_MALLOC,
       F_CALLOC, F_REALLOC, F_FREE, F_NFUNCS, F_TLS_GET_ADDR = F_NFUNCS };
static const char *const libc_names[] = { "memset", "memcpy",	"memmove", "mempcpy", "strlen",
					  "strnlen", "memcmp",	"bcmp",	   "strcmp",  "malloc",
					  "calloc", "realloc", "free",	   "__tls_get_addr", NULL };

static uint64_t n_memset(struct hi_emu *e, const uint64_t *a, void *user, int *ok)
{
	(void)user;
	unsigned char buf[4096];
	uint64_t n = a[2];
	if (n > MAX_NATIVE_BYTES) {
		*ok = 0;
		return 0;
	}
	memset(buf, (int)(a[1] & 0xff), sizeof buf);
	for (uint64_t done = 0; done < n;) {
		size_t k = n - done < sizeof buf ? (size_t)(n - done) : sizeof buf;
		if (hi_emu_write(e, a[0] + done, buf, k) < 0) {
			*ok = 0;
			return 0;
		}
		done += k;
	}
	return a[0];
}

/* memcpy and memmove (all of the source is read before writing), and
 * mempcpy (USER non-NULL: returns the end).  */
static uint64_t n_memmove(struct hi_emu *e, const uint64_t *a, void *user, int *ok)
{
	uint64_t n = a[2];
	unsigned char *buf = n <= MAX_NATIVE_BYTES ? malloc(n ? n : 1) : NULL;
	if (!buf || hi_emu_read(e, a[1], buf, n) < 0 || hi_emu_write(e, a[0], buf, n) < 0)
		*ok = 0;
	free(buf);
	return user ? a[0] + n : a[0];
}

/* strlen, and strnlen with USER non-NULL.  */
static uint64_t n_strlen(struct hi_emu *e, const uint64_t *a, void *user, int *ok)
{
	uint64_t max = user ? a[1] : MAX_NATIVE_BYTES, n = 0;
	unsigned char buf[256];
	while (n < max) {
		/* Not past the page: the next one may not exist.  */
		size_t k = 4096 - ((a[0] + n) & 4095);
		if (k > sizeof buf)
			k = sizeof buf;
		if (k > max - n)
			k = (size_t)(max - n);
		if (hi_emu_read(e, a[0] + n, buf, k) < 0) {
			*ok = 0;
			return 0;
		}
		unsigned char *z = memchr(buf, 0, k);
		if (z)
			return n + (uint64_t)(z - buf);
		n += k;
	}
	if (!user)
		*ok = 0;	/* no end within bounds */
	return n;
}

/* memcmp and bcmp.  */
static uint64_t n_memcmp(struct hi_emu *e, const uint64_t *a, void *user, int *ok)
{
	(void)user;
	unsigned char x[256], y[256];
	for (uint64_t done = 0; done < a[2];) {
		size_t k = a[2] - done < sizeof x ? (size_t)(a[2] - done) : sizeof x;
		if (a[2] > MAX_NATIVE_BYTES || hi_emu_read(e, a[0] + done, x, k) < 0 ||
		    hi_emu_read(e, a[1] + done, y, k) < 0) {
			*ok = 0;
			return 0;
		}
		int c = memcmp(x, y, k);
		if (c)
			return (uint64_t)(int64_t)(c < 0 ? -1 : 1);
		done += k;
	}
	return 0;
}

static uint64_t n_strcmp(struct hi_emu *e, const uint64_t *a, void *user, int *ok)
{
	(void)user;
	for (uint64_t i = 0; i < MAX_NATIVE_BYTES; i++) {
		unsigned char x, y;
		if (hi_emu_read(e, a[0] + i, &x, 1) < 0 || hi_emu_read(e, a[1] + i, &y, 1) < 0) {
			*ok = 0;
			return 0;
		}
		if (x != y)
			return (uint64_t)(int64_t)(x < y ? -1 : 1);
		if (!x)
			return 0;
	}
	*ok = 0;
	return 0;
}

/* malloc and its kin, from the call's scratch memory (zeroes, 64 KiB a
 * call): the C library's malloc would grow its arena with a system call,
 * which ends the call.  Each block starts with its size, for realloc;
 * free does nothing (the scratch goes with the call).  Out of scratch,
 * NULL, as malloc says it.  */
static uint64_t scratch_alloc(struct hi_emu *e, uint64_t n, int *ok)
{
	uint64_t at = n < (1u << 20) ? hi_emu_scratch(e, (size_t)n + 16) : 0;
	if (at && hi_emu_write(e, at, &n, 8) < 0)
		*ok = 0;
	return at ? at + 16 : 0;
}

static uint64_t n_malloc(struct hi_emu *e, const uint64_t *a, void *user, int *ok)
{
	(void)user;
	return scratch_alloc(e, a[0], ok);
}

static uint64_t n_calloc(struct hi_emu *e, const uint64_t *a, void *user, int *ok)
{
	(void)user;
	if (a[1] && a[0] > UINT64_MAX / a[1])
		return 0;
	return scratch_alloc(e, a[0] * a[1], ok);	/* scratch starts zeroed */
}

/* realloc of a block of the target's malloc: its size is read from the
 * chunk header before it (glibc's layout); of a scratch block, from its
 * own header.  */
static uint64_t n_realloc(struct hi_emu *e, const uint64_t *a, void *user, int *ok)
{
	(void)user;
	uint64_t p = a[0], n = a[1], old = 0;
	if (!p)
		return scratch_alloc(e, n, ok);
	int mine = hi_emu_is_scratch(e, p);
	if (hi_emu_read(e, p - (mine ? 16 : 8), &old, 8) < 0) {
		*ok = 0;
		return 0;
	}
	if (!mine)	/* size | flags, the header included */
		old = (old & ~7ull) > 16 ? (old & ~7ull) - 16 : 0;
	uint64_t at = scratch_alloc(e, n, ok), k = old < n ? old : n;
	unsigned char *buf = at && k <= MAX_NATIVE_BYTES ? malloc(k ? k : 1) : NULL;
	if (at && (!buf || hi_emu_read(e, p, buf, k) < 0 || hi_emu_write(e, at, buf, k) < 0))
		*ok = 0;
	free(buf);
	return at;
}

static uint64_t n_free(struct hi_emu *e, const uint64_t *a, void *user, int *ok)
{
	(void)e, (void)a, (void)user, (void)ok;
	return 0;
}

/* PyLong_FromSsize_t and its kin: an int object of V, made in the
 * emulator's scratch memory with the target's layout (3.12+: lv_tag).
 * What a C __sizeof__ returns is read back from it (pysize.c).  The
 * reference count is large, so that a Py_DECREF never frees it.  */
static uint64_t make_int(struct hi_emu *e, struct hi_py *py, uint64_t mag, int negative, int *ok)
{
	const struct hi_layout *l = &py->l;
	unsigned char obj[96] = { 0 };
	uint32_t digits[3];
	int n = 0;
	for (uint64_t m = mag; m; m >>= 30)
		digits[n++] = (uint32_t)(m & 0x3fffffff);
	uint64_t size = l->long_digit.off + 4 * (uint64_t)(n ? n : 1), at = hi_emu_scratch(e, size);
	int64_t refcnt = 1 << 30, tag;
	if (!at || size > sizeof obj || !py->builtin_addr[HI_B_INT]) {
		*ok = 0;
		return 0;
	}
	memcpy(obj + l->ob_refcnt.off, &refcnt, 8);
	memcpy(obj + l->ob_type.off, &py->builtin_addr[HI_B_INT], 8);
	if (hi_has(l->long_lv_tag)) {
		tag = ((int64_t)n << 3) | (!n ? 1 : negative ? 2 : 0);
		memcpy(obj + l->long_lv_tag.off, &tag, 8);
	} else {
		tag = negative ? -n : n;
		memcpy(obj + l->ob_size.off, &tag, 8);
	}
	memcpy(obj + l->long_digit.off, digits, 4 * (size_t)n);
	if (hi_emu_write(e, at, obj, size) < 0) {
		*ok = 0;
		return 0;
	}
	return at;
}

static uint64_t n_long_signed(struct hi_emu *e, const uint64_t *a, void *user, int *ok)
{
	int64_t v = (int64_t)a[0];
	return make_int(e, user, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, ok);
}

static uint64_t n_long_unsigned(struct hi_emu *e, const uint64_t *a, void *user, int *ok)
{
	return make_int(e, user, a[0], 0, ok);
}

/* The main thread's state: the last of the main interpreter's threads
 * (newest first), 0 if none can be read.  */
static uint64_t main_tstate(struct hi_py *py)
{
	uint64_t interp = hi_py_main_interp(py), ts = 0, next;
	if (!interp || !hi_has(py->l.is_threads_head) || hi_mem_u64(py->mem, interp + py->l.is_threads_head.off, &ts) < 0)
		return 0;
	for (int i = 0; ts && i < 100000; i++) {
		if (hi_mem_u64(py->mem, ts + py->l.ts_next.off, &next) < 0 || !next)
			return ts;
		ts = next;
	}
	return 0;
}

/* __tls_get_addr(ti): the thread-local variable a general-dynamic access
 * asks for (a shared libpython's _Py_tss_tstate on 3.12+), in a private
 * block per TLS module.  The emulated thread is the main thread of the
 * main interpreter: its thread state is what _Py_tss_tstate holds there
 * (what _PyThreadState_GET() and _PyInterpreterState_GET() find).  Every
 * other thread-local variable reads as zero, as in a new thread.  */
static uint64_t n_tls_get_addr(struct hi_emu *e, const uint64_t *a, void *user, int *ok)
{
	struct hi_py *py = user;
	uint64_t ti[2];
	if (hi_emu_read(e, a[0], ti, sizeof ti) < 0) {
		*ok = 0;
		return 0;
	}
	uint64_t block = hi_emu_tls_block(e, ti[0], ti[1] + 8);
	if (!block) {
		*ok = 0;
		return 0;
	}
	if (py->tls_learning && a[0] >= py->tls_lo && a[0] < py->tls_hi) {
		py->tls_off = ti[1];
		py->tls_learning = 0;
	}
	if (ti[1] == py->tls_off && a[0] >= py->tls_lo && a[0] < py->tls_hi) {
		if (!py->emu_tstate || hi_emu_write(e, block + ti[1], &py->emu_tstate, 8) < 0) {
			*ok = 0;
			return 0;
		}
	}
	return block + ti[1];
}

static const struct {
	hi_emu_native_fn fn;
	int flag;	/* the USER argument: non-NULL or not */
} libc_natives[F_NFUNCS] = {
	[F_MEMSET] = { n_memset, 0 }, [F_MEMCPY] = { n_memmove, 0 }, [F_MEMMOVE] = { n_memmove, 0 },
	[F_MEMPCPY] = { n_memmove, 1 }, [F_STRLEN] = { n_strlen, 0 }, [F_STRNLEN] = { n_strlen, 1 },
	[F_MEMCMP] = { n_memcmp, 0 }, [F_BCMP] = { n_memcmp, 0 }, [F_STRCMP] = { n_strcmp, 0 },
	[F_MALLOC] = { n_malloc, 0 }, [F_CALLOC] = { n_calloc, 0 }, [F_REALLOC] = { n_realloc, 0 },
	[F_FREE] = { n_free, 0 },
};

struct import_ctx {
	struct hi_py *py;
	struct hi_emu *e;
};

static void on_import(int name, uint64_t slot, void *arg)
{
	struct import_ctx *c = arg;
	uint64_t fn;
	static int flag = 1;
	if (name < 0 || name > F_TLS_GET_ADDR || hi_mem_u64(c->py->mem, slot, &fn) < 0 || !fn)
		return;
	if (name == F_TLS_GET_ADDR) {
		hi_emu_add_native(c->e, fn, n_tls_get_addr, c->py);
		return;
	}
	hi_emu_add_native(c->e, fn, libc_natives[name].fn, libc_natives[name].flag ? &flag : NULL);
}

static int is_code(uint64_t addr, void *arg)
{
	return hi_dbg_is_code(arg, addr);
}

/* 3.12+ without a symbol for _Py_tss_tstate (a stripped build read with
 * another build's layout pack): where in the module's TLS block it is,
 * learned by running the exported _PyThreadState_GetCurrent once, whose
 * only thread-local access is to it: the offset its __tls_get_addr asks
 * for.  It must then return the main thread's state, or nothing is
 * learned.  */
static void learn_tls(struct hi_py *py)
{
	uint64_t fn, ret = 0;
	if (hi_dbg_symbol(py->dbg, "_PyThreadState_GetCurrent", &fn, NULL) < 0 || !py->emu_tstate)
		return;
	py->tls_lo = py->module_lo;
	py->tls_hi = py->module_hi;
	py->tls_learning = 1;
	enum hi_emu_end end = hi_emu_call(py->emu, fn, NULL, 0, 10000, &ret, NULL, 0);
	py->tls_learning = 0;
	if (end != HI_EMU_RETURNED || ret != py->emu_tstate)
		py->tls_off = UINT64_MAX;
}

struct hi_emu *hi_py_emu(struct hi_py *py)
{
	if (py->emu || py->emu_off)
		return py->emu;
	py->emu = hi_emu_new(py->mem, is_code, py->dbg);
	if (!py->emu) {
		py->emu_off = 2;	/* could not start: said under -v */
		return NULL;
	}
	struct import_ctx c = { py, py->emu };
	if (hi_dbg_tls_symbol(py->dbg, "_Py_tss_tstate", &py->tls_off, &py->tls_lo, &py->tls_hi) < 0)
		py->tls_off = UINT64_MAX;
	/* The emulated code runs as the main thread, which holds the GIL:
	 * where the current thread state is (3.12+: _Py_tss_tstate; before,
	 * _PyRuntime.gilstate.tstate_current, NULL while the thread waits
	 * without the GIL), it finds the main thread's.  */
	py->emu_tstate = main_tstate(py);
	if (py->emu_tstate && hi_has(py->l.rt_tstate_current))
		hi_emu_patch(py->emu, py->runtime + py->l.rt_tstate_current.off, py->emu_tstate);
	hi_dbg_each_import(py->dbg, libc_names, on_import, &c);
	uint64_t addr;
	static const char *const signed_from[] = { "PyLong_FromSsize_t", "PyLong_FromLong", "PyLong_FromLongLong" };
	static const char *const unsigned_from[] = { "PyLong_FromSize_t", "PyLong_FromUnsignedLong",
						     "PyLong_FromUnsignedLongLong" };
	for (int i = 0; i < 3; i++) {
		if (hi_dbg_symbol(py->dbg, signed_from[i], &addr, NULL) == 0)
			hi_emu_add_native(py->emu, addr, n_long_signed, py);
		if (hi_dbg_symbol(py->dbg, unsigned_from[i], &addr, NULL) == 0)
			hi_emu_add_native(py->emu, addr, n_long_unsigned, py);
	}
	if (py->tls_off == UINT64_MAX && !hi_has(py->l.rt_tstate_current))
		learn_tls(py);
	return py->emu;
}
