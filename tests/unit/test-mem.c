/* test-mem.c: the chunked reader on memory images: ranges, chunk and page
 * boundaries, holes, integer and string helpers, wrap-around, the cache
 * and its statistics.  */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "mem/mem.h"
#include "suites.h"

#define PAGE ((uint64_t)4096)
#define CHUNK ((uint64_t)HI_CHUNK_SIZE)

/* Each image below lives at its own chunk-aligned base. */
#define BASE ((uint64_t)0x7f0000000000ull)

/* Content of the image at address A: differs from page to page and chunk
 * to chunk, so a read from the wrong place shows.  */
static unsigned char pat(uint64_t a)
{
	return (unsigned char)(a ^ (a >> 9) ^ (a >> 17) ^ 0x5a);
}

static int add_range(struct hi_mem *m, uint64_t addr, uint64_t len)
{
	unsigned char *buf = malloc(len);
	if (!buf)
		return -1;
	for (uint64_t i = 0; i < len; i++)
		buf[i] = pat(addr + i);
	int r = hi_mem_image_add(m, addr, buf, len);
	free(buf);
	return r;
}

/* Read LEN bytes at ADDR: 1 if the read succeeds with the image's
 * bytes, 0 if it fails, -1 if it succeeds with wrong bytes.  */
static int read_ok(struct hi_mem *m, uint64_t addr, size_t len)
{
	unsigned char *buf = malloc(len);
	if (!buf)
		return -1;
	int r = hi_mem_read(m, addr, buf, len);
	int good = 1;
	for (size_t i = 0; r == 0 && i < len; i++)
		if (buf[i] != pat(addr + i)) {
			good = 0;
			break;
		}
	free(buf);
	return r != 0 ? 0 : good ? 1 : -1;
}

static struct hi_mem *image(void)
{
	struct hi_mem *m = hi_mem_open_image();
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	return m;
}

static void reads_inside_a_range(void)
{
	struct hi_mem *m = image();
	CU_ASSERT_EQUAL_FATAL(add_range(m, BASE, 3 * PAGE), 0);
	CU_ASSERT_EQUAL(read_ok(m, BASE, 8), 1);
	CU_ASSERT_EQUAL(read_ok(m, BASE + 1000, 100), 1);
	CU_ASSERT_EQUAL(read_ok(m, BASE + PAGE - 4, 8), 1);	/* across a page */
	CU_ASSERT_EQUAL(read_ok(m, BASE, 3 * PAGE), 1);
	CU_ASSERT_EQUAL(read_ok(m, BASE + 3 * PAGE - 1, 1), 1);
	/* hi_mem_u64 assembles the bytes in host order. */
	uint64_t v = 0, want = 0;
	for (int i = 7; i >= 0; i--)
		want = want << 8 | pat(BASE + 16 + i);
	CU_ASSERT_EQUAL(hi_mem_u64(m, BASE + 16, &v), 0);
	CU_ASSERT_EQUAL(v, want);
	/* Just past the end, and a read reaching past it. */
	CU_ASSERT_EQUAL(read_ok(m, BASE + 3 * PAGE, 1), 0);
	CU_ASSERT_EQUAL(read_ok(m, BASE + 3 * PAGE - 4, 8), 0);
	CU_ASSERT_EQUAL(hi_mem_target_gone(m), 0);
	hi_mem_close(m);
}

static void reads_across_chunks(void)
{
	const uint64_t b = BASE + 16 * CHUNK;
	struct hi_mem *m = image();
	CU_ASSERT_EQUAL_FATAL(add_range(m, b + CHUNK - 2 * PAGE, 4 * PAGE), 0);
	CU_ASSERT_EQUAL(read_ok(m, b + CHUNK - 8, 16), 1);
	CU_ASSERT_EQUAL(hi_mem_stats(m)->chunk_fills, 2);
	hi_mem_close(m);

	/* One read spanning three whole chunks and parts of two more. */
	const uint64_t c = BASE + 32 * CHUNK;
	m = image();
	CU_ASSERT_EQUAL_FATAL(add_range(m, c, 5 * CHUNK), 0);
	CU_ASSERT_EQUAL(read_ok(m, c + 100, 4 * CHUNK - 200), 1);
	CU_ASSERT_EQUAL(hi_mem_stats(m)->chunk_fills, 4);
	CU_ASSERT_EQUAL(read_ok(m, c, 5 * CHUNK), 1);
	CU_ASSERT_EQUAL(hi_mem_stats(m)->chunk_fills, 5);
	hi_mem_close(m);
}

/* Pages 0, 2 and 3 of a chunk mapped, page 1 and pages 4.. not.  */
static void unmapped_page_fails_neighbours_read(void)
{
	const uint64_t c = BASE + 48 * CHUNK;
	struct hi_mem *m = image();
	CU_ASSERT_EQUAL_FATAL(add_range(m, c, PAGE), 0);
	CU_ASSERT_EQUAL_FATAL(add_range(m, c + 2 * PAGE, 2 * PAGE), 0);
	CU_ASSERT_EQUAL(read_ok(m, c + PAGE + 8, 8), 0);
	CU_ASSERT_EQUAL(read_ok(m, c + PAGE - 8, 16), 0);	/* into the hole */
	CU_ASSERT_EQUAL(read_ok(m, c + 2 * PAGE - 8, 16), 0);	/* out of it */
	CU_ASSERT_EQUAL(read_ok(m, c, PAGE), 1);
	CU_ASSERT_EQUAL(read_ok(m, c + 2 * PAGE, 2 * PAGE), 1);
	CU_ASSERT_EQUAL(read_ok(m, c + 4 * PAGE - 8, 8), 1);
	CU_ASSERT_EQUAL(read_ok(m, c + 4 * PAGE, 8), 0);
	CU_ASSERT_EQUAL(read_ok(m, c + CHUNK - 8, 8), 0);
	/* A failed read leaves the cache good for the next. */
	CU_ASSERT_EQUAL(read_ok(m, c + 8, 8), 1);
	const struct hi_mem_stats *st = hi_mem_stats(m);
	CU_ASSERT_EQUAL(st->chunk_fills, 1);
	CU_ASSERT_EQUAL(st->faults, 5);
	CU_ASSERT_EQUAL(st->fallback, 0);
	hi_mem_close(m);
}

static void ranges_starting_mid_chunk(void)
{
	const uint64_t d = BASE + 64 * CHUNK;
	struct hi_mem *m = image();
	CU_ASSERT_EQUAL_FATAL(add_range(m, d + 5 * PAGE, 4 * PAGE), 0);
	CU_ASSERT_EQUAL(read_ok(m, d + 5 * PAGE, 8), 1);
	CU_ASSERT_EQUAL(read_ok(m, d + 5 * PAGE - 1, 2), 0);
	CU_ASSERT_EQUAL(read_ok(m, d + 9 * PAGE - 8, 8), 1);
	CU_ASSERT_EQUAL(read_ok(m, d + 9 * PAGE, 1), 0);
	CU_ASSERT_EQUAL(read_ok(m, d, 1), 0);

	/* Starting late in one chunk and running into the next. */
	const uint64_t e = BASE + 80 * CHUNK;
	CU_ASSERT_EQUAL_FATAL(add_range(m, e + CHUNK - PAGE, 2 * PAGE), 0);
	CU_ASSERT_EQUAL(read_ok(m, e + CHUNK - PAGE, 2 * PAGE), 1);
	CU_ASSERT_EQUAL(read_ok(m, e + CHUNK - 4, 8), 1);
	CU_ASSERT_EQUAL(read_ok(m, e + CHUNK - PAGE - 1, 1), 0);
	CU_ASSERT_EQUAL(read_ok(m, e + CHUNK + PAGE, 1), 0);
	hi_mem_close(m);
}

/* hi_mem_image_add takes any [addr, addr+len); every byte of it must
 * read back, page-aligned or not.  */
static void unaligned_range_reads(void)
{
	const uint64_t f = BASE + 96 * CHUNK;
	struct hi_mem *m = image();
	/* A small object in the middle of a page. */
	CU_ASSERT_EQUAL_FATAL(add_range(m, f + 0x100, 100), 0);
	CU_ASSERT_EQUAL(read_ok(m, f + 0x100, 100), 1);
	CU_ASSERT_EQUAL(read_ok(m, f + 0x100 + 96, 4), 1);
	CU_ASSERT_EQUAL(read_ok(m, f + 0x100 + 96, 8), 0);
	/* Starting on a page, ending inside it. */
	CU_ASSERT_EQUAL_FATAL(add_range(m, f + 4 * PAGE, 100), 0);
	CU_ASSERT_EQUAL(read_ok(m, f + 4 * PAGE, 100), 1);
	/* Ending inside the page after a whole page. */
	CU_ASSERT_EQUAL_FATAL(add_range(m, f + 8 * PAGE, PAGE + 100), 0);
	CU_ASSERT_EQUAL(read_ok(m, f + 9 * PAGE - 8, 16), 1);
	hi_mem_close(m);
}

static void uint_zero_extends(void)
{
	const uint64_t g = BASE + 112 * CHUNK;
	unsigned char page[4096] = { 0 };
	for (int i = 0; i < 8; i++)
		page[64 + i] = (unsigned char)(0x81 + i);
	struct hi_mem *m = image();
	CU_ASSERT_EQUAL_FATAL(hi_mem_image_add(m, g, page, sizeof page), 0);
	/* Little-endian, as the target is: it runs on this machine. */
	uint64_t v;
	v = 0xdead;
	CU_ASSERT_EQUAL(hi_mem_uint(m, g + 64, 1, &v), 0);
	CU_ASSERT_EQUAL(v, 0x81);
	v = 0xdead;
	CU_ASSERT_EQUAL(hi_mem_uint(m, g + 64, 2, &v), 0);
	CU_ASSERT_EQUAL(v, 0x8281);
	v = 0xdead;
	CU_ASSERT_EQUAL(hi_mem_uint(m, g + 64, 4, &v), 0);
	CU_ASSERT_EQUAL(v, 0x84838281ull);
	v = 0xdead;
	CU_ASSERT_EQUAL(hi_mem_uint(m, g + 64, 8, &v), 0);
	CU_ASSERT_EQUAL(v, 0x8887868584838281ull);
	v = 0xdead;
	CU_ASSERT_EQUAL(hi_mem_uint(m, g + 65, 2, &v), 0);	/* unaligned */
	CU_ASSERT_EQUAL(v, 0x8382);
	int64_t iv;
	CU_ASSERT_EQUAL(hi_mem_i64(m, g + 64, &iv), 0);
	CU_ASSERT(iv < 0);
	/* Past the page, or straddling its end. */
	CU_ASSERT_EQUAL(hi_mem_uint(m, g + PAGE, 1, &v), -1);
	CU_ASSERT_EQUAL(hi_mem_uint(m, g + PAGE - 4, 8, &v), -1);
	hi_mem_close(m);
}

static void cstr_reads_terminated_strings(void)
{
	const uint64_t p = BASE + 128 * CHUNK;
	unsigned char page[4096];
	memset(page, 'x', sizeof page);
	memcpy(page, "hello", 6);
	page[16] = '\0';
	memcpy(page + 2000, "a\xc3\xa9", 4);
	memcpy(page + sizeof page - 3, "abc", 3);	/* no NUL before the end */
	struct hi_mem *m = image();
	CU_ASSERT_EQUAL_FATAL(hi_mem_image_add(m, p, page, sizeof page), 0);
	char buf[64];
	CU_ASSERT_EQUAL(hi_mem_cstr(m, p, buf, sizeof buf), 5);
	CU_ASSERT_STRING_EQUAL(buf, "hello");
	/* MAX counts the NUL: 6 holds "hello", 5 does not. */
	CU_ASSERT_EQUAL(hi_mem_cstr(m, p, buf, 6), 5);
	CU_ASSERT_STRING_EQUAL(buf, "hello");
	/* Longer strings are cut to fit: a type's name may be any length. */
	CU_ASSERT_EQUAL(hi_mem_cstr(m, p, buf, 5), 4);
	CU_ASSERT_STRING_EQUAL(buf, "hell");
	CU_ASSERT_EQUAL(hi_mem_cstr(m, p + 16, buf, sizeof buf), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
	/* "xxx..." runs 4096-17 bytes without a NUL: cut to 63. */
	CU_ASSERT_EQUAL(hi_mem_cstr(m, p + 17, buf, sizeof buf), 63);
	CU_ASSERT_EQUAL(strspn(buf, "x"), 63);
	/* A cut never splits a UTF-8 character: "a\xc3\xa9" in 3 is "a". */
	CU_ASSERT_EQUAL(hi_mem_cstr(m, p + 2000, buf, 3), 1);
	CU_ASSERT_STRING_EQUAL(buf, "a");
	CU_ASSERT_EQUAL(hi_mem_cstr(m, p + 2000, buf, 4), 3);
	/* Runs into unmapped memory before any NUL. */
	CU_ASSERT_EQUAL(hi_mem_cstr(m, p + PAGE - 3, buf, sizeof buf), -1);
	CU_ASSERT_EQUAL(hi_mem_cstr(m, p + PAGE, buf, sizeof buf), -1);
	CU_ASSERT_EQUAL(hi_mem_cstr(m, 0x1000, buf, sizeof buf), -1);
	hi_mem_close(m);
}

static void wrap_around_fails(void)
{
	const uint64_t top = UINT64_MAX - PAGE + 1;	/* the last page */
	struct hi_mem *m = image();
	CU_ASSERT_EQUAL_FATAL(add_range(m, 0, PAGE), 0);
	CU_ASSERT_EQUAL_FATAL(add_range(m, top, PAGE), 0);
	CU_ASSERT_EQUAL(read_ok(m, top, 8), 1);
	CU_ASSERT_EQUAL(read_ok(m, UINT64_MAX - 15, 8), 1);
	CU_ASSERT_EQUAL(read_ok(m, 0, 8), 1);
	/* Both ends are mapped, but a read does not continue at 0. */
	CU_ASSERT_EQUAL(read_ok(m, UINT64_MAX - 3, 8), 0);
	CU_ASSERT_EQUAL(read_ok(m, UINT64_MAX, 2), 0);
	char buf[16];
	/* volatile: the compiler need not see (and warn about) the copy of
	 * SIZE_MAX bytes that the wrap check refuses.  */
	volatile size_t huge = SIZE_MAX;
	CU_ASSERT_EQUAL(hi_mem_read(m, 8, buf, huge), -1);
	hi_mem_close(m);
}

static void invalidate_then_reread(void)
{
	const uint64_t i = BASE + 144 * CHUNK;
	struct hi_mem *m = image();
	const struct hi_mem_stats *st = hi_mem_stats(m);
	CU_ASSERT_EQUAL_FATAL(add_range(m, i, PAGE), 0);
	CU_ASSERT_EQUAL(read_ok(m, i, 8), 1);
	CU_ASSERT_EQUAL(read_ok(m, i + 8, 8), 1);
	CU_ASSERT_EQUAL(st->chunk_fills, 1);
	hi_mem_invalidate(m);
	CU_ASSERT_EQUAL(read_ok(m, i + 8, 8), 1);
	CU_ASSERT_EQUAL(st->chunk_fills, 2);

	/* A hole cached as unreadable is forgotten once the image grows. */
	CU_ASSERT_EQUAL(read_ok(m, i + PAGE, 8), 0);
	CU_ASSERT_EQUAL_FATAL(add_range(m, i + PAGE, PAGE), 0);
	CU_ASSERT_EQUAL(read_ok(m, i + PAGE, 8), 1);
	hi_mem_invalidate(m);
	CU_ASSERT_EQUAL(read_ok(m, i + PAGE - 4, 8), 1);
	/* Invalidating twice, or with nothing cached, is harmless. */
	hi_mem_invalidate(m);
	hi_mem_invalidate(m);
	CU_ASSERT_EQUAL(read_ok(m, i, 2 * PAGE), 1);
	hi_mem_close(m);
}

static void stats_count_fills_per_chunk(void)
{
	const uint64_t j = BASE + 160 * CHUNK;
	struct hi_mem *m = image();
	const struct hi_mem_stats *st = hi_mem_stats(m);
	CU_ASSERT_EQUAL_FATAL(add_range(m, j, 2 * CHUNK), 0);
	CU_ASSERT_EQUAL(st->chunk_fills, 0);
	uint64_t v;
	int ok = 1;
	for (uint64_t off = 0; off + 8 <= CHUNK; off += 64)
		ok &= hi_mem_u64(m, j + off, &v) == 0;
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL(st->chunk_fills, 1);
	CU_ASSERT_EQUAL(st->bytes_read, CHUNK);
	CU_ASSERT_EQUAL(hi_mem_u64(m, j + CHUNK, &v), 0);
	CU_ASSERT_EQUAL(hi_mem_u64(m, j + 2 * CHUNK - 8, &v), 0);
	CU_ASSERT_EQUAL(st->chunk_fills, 2);
	CU_ASSERT_EQUAL(st->bytes_read, 2 * CHUNK);
	CU_ASSERT_EQUAL(st->faults, 0);
	/* An unmapped chunk costs one fill, and each failed read a fault. */
	CU_ASSERT_EQUAL(hi_mem_u64(m, j + 2 * CHUNK, &v), -1);
	CU_ASSERT_EQUAL(hi_mem_u64(m, j + 2 * CHUNK + 8, &v), -1);
	CU_ASSERT_EQUAL(st->chunk_fills, 3);
	CU_ASSERT_EQUAL(st->faults, 2);
	CU_ASSERT_EQUAL(st->fallback, 0);
	hi_mem_close(m);
}

int hi_suite_mem(void)
{
	CU_pSuite s = CU_add_suite("mem", NULL, NULL);
	if (!s ||
	    !CU_add_test(s, "reads inside a range", reads_inside_a_range) ||
	    !CU_add_test(s, "reads across chunks", reads_across_chunks) ||
	    !CU_add_test(s, "an unmapped page fails, its neighbours read", unmapped_page_fails_neighbours_read) ||
	    !CU_add_test(s, "ranges starting mid-chunk", ranges_starting_mid_chunk) ||
	    !CU_add_test(s, "ranges not page-aligned read",
			 unaligned_range_reads) ||
	    !CU_add_test(s, "hi_mem_uint zero-extends 1, 2, 4, 8 bytes", uint_zero_extends) ||
	    !CU_add_test(s, "hi_mem_cstr reads terminated strings", cstr_reads_terminated_strings) ||
	    !CU_add_test(s, "reads wrapping around the address space fail", wrap_around_fails) ||
	    !CU_add_test(s, "invalidate then re-read", invalidate_then_reread) ||
	    !CU_add_test(s, "stats count one fill per chunk", stats_count_fills_per_chunk))
		return -1;
	return 0;
}
