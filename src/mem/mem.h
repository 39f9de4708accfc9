/* mem.h: every read of target memory goes through here.
 *
 * Reads are served from a cache of 64 KiB chunks, each filled by one bulk
 * read, so walking a heap costs one system call per chunk, not per word.
 * The cache is only valid while the target is stopped: hi_mem_invalidate()
 * drops it when the target resumes.
 *
 * Backends: a live process (process_vm_readv, falling back to pread on
 * /proc/PID/mem when the syscall is missing or forbidden) or a memory image
 * (a list of address ranges held in this process, for tests and saved
 * images).  Nothing here can write to the target.  */
#ifndef HI_MEM_H
#define HI_MEM_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#define HI_CHUNK_SHIFT 16
#define HI_CHUNK_SIZE ((size_t)1 << HI_CHUNK_SHIFT)
/* Cached chunks at most, unless HEAPINSPECT_CACHE_MB says otherwise: the
 * cache bounds heapinspect's memory, whatever the size of the heap.  */
#define HI_CACHE_MB_DEFAULT 32

struct hi_mem;

/* The first member of struct hi_mem: the chunk read last, when all of it
 * is readable, so that the inline readers below need no call.  */
struct hi_mem_memo {
	uint64_t base;
	const unsigned char *data;	/* NULL: go the slow way */
	uint64_t len;			/* bytes at DATA */
};

struct hi_mem_stats {
	unsigned long long chunk_fills;	/* bulk reads issued */
	unsigned long long bytes_read;	/* bytes brought in */
	unsigned long long faults;	/* reads that hit unmapped memory */
	int fallback;			/* 1 when reading /proc/PID/mem */
	unsigned long long live_reads;	/* a snapshot's reads of what it did
					 * not copy, from the live process */
	unsigned long long zero_reads;	/* a snapshot's reads of pages never
					 * touched, answered with zeros */
	unsigned long long evictions;	/* chunks dropped for the cache's bound */
	unsigned long long generation;	/* hi_mem_invalidate calls: what was
					 * read before may have changed */
};

/* Open a reader on a live process.  Returns NULL with hi_errmsg() set. */
struct hi_mem *hi_mem_open_pid(pid_t pid);

/* What a snapshot took: the size of the mappings it looked at, the bytes
 * it copied (their present pages, and small gaps between them), and the
 * bytes that were swapped out (read live when needed, or, in an image
 * to be saved, left out).  */
struct hi_snap_stats {
	uint64_t mapped, copied, swapped;
	int over;	/* the copy would have passed its bound */
	/* How it was taken: the destination made ready before the stop
	 * (bytes, and whether huge pages were asked for), what grew since
	 * and was copied into buffers allocated while stopped, the ranges
	 * copied and the system calls that copied them; the seconds spent
	 * making the destination ready (the target running), then, stopped,
	 * planning again and copying.  */
	uint64_t prepared, grown, ranges, calls;
	uint64_t proc_mem;	/* bytes copied through /proc/PID/mem, where
				 * process_vm_readv is not allowed */
	int huge;
	double prepare_s, plan_s, copy_s;
};
const struct hi_snap_stats *hi_mem_snapshot_stats(const struct hi_mem *m);

/* For the snapshot copier (snapshot.h): take over BUF, MAPLEN bytes
 * mmap'd of which LEN were read, as the range at ADDR of image M
 * (unmapped when M is closed).  0, or -1 when out of memory.  */
int hi_mem_image_adopt(struct hi_mem *m, uint64_t addr, unsigned char *buf, size_t len, size_t maplen);

/* Make image M own the mapping [BASE, BASE+LEN), unmapped when M is
 * closed: one destination that ranges added by hi_mem_image_borrow lie
 * in.  0, or -1 when out of memory.  */
int hi_mem_image_own(struct hi_mem *m, void *base, size_t len);

/* Make image IMG a snapshot: read straight from its ranges; what it
 * lacks from LIVE (which it then owns) when the address is in one of the
 * NRO ranges RO, and as zeros when it is in one of the NZERO ranges ZERO
 * (anonymous memory whose pages were never touched when the copy was
 * taken, as the process would read them).  RO and ZERO are malloc'd and
 * owned too; ZERO is sorted.  ST is what it took.  */
void hi_mem_make_snapshot(struct hi_mem *img, struct hi_mem *live, uint64_t (*ro)[2], size_t nro,
			  uint64_t (*zero)[2], size_t nzero, const struct hi_snap_stats *st);

/* LEN bytes at ADDR of the process M reads, uncached, by whichever way
 * this machine allows (process_vm_readv, else /proc/PID/mem).  The bytes
 * read, or -1 with errno set.  */
ssize_t hi_mem_read_uncached(struct hi_mem *m, uint64_t addr, void *dst, size_t len);

/* A new image holding what the cache of M holds now: every readable
 * page of every chunk read since the last hi_mem_invalidate (dump
 * -census: what one census read, and nothing else).  Complete only when
 * hi_mem_stats(M)->evictions has not grown meanwhile.  NULL when out of
 * memory.  */
struct hi_mem *hi_mem_cache_image(const struct hi_mem *m);

/* Bytes an image holds.  */
uint64_t hi_mem_image_bytes(const struct hi_mem *m);

/* Open a reader on an image: an empty set of ranges, filled by
 * hi_mem_image_add.  */
struct hi_mem *hi_mem_open_image(void);

/* Add [addr, addr+len) with contents DATA (copied).  Ranges must not
 * overlap.  Returns 0 or -1 (out of memory).  */
int hi_mem_image_add(struct hi_mem *m, uint64_t addr, const void *data, size_t len);

/* Add [addr, addr+len) read from DATA itself, which the caller keeps
 * alive (and may change, as the fuzzer does) until hi_mem_close.  Ranges
 * must come in address order without overlap.  The image is then read
 * straight from its ranges, without the cache.  Returns 0 or -1.  */
int hi_mem_image_borrow(struct hi_mem *m, uint64_t addr, unsigned char *data, size_t len);

/* The ranges of an image, in address order: range I's address, length
 * and contents (NULL past the last).  */
size_t hi_mem_image_nranges(const struct hi_mem *m);
const unsigned char *hi_mem_image_range(const struct hi_mem *m, size_t i, uint64_t *addr, size_t *len);

/* Where LEN bytes at ADDR live inside an image, or NULL if no one range
 * holds them all.  For tools that alter an image (the fuzzer); call
 * hi_mem_invalidate after changing it.  */
unsigned char *hi_mem_image_ptr(struct hi_mem *m, uint64_t addr, size_t len);

void hi_mem_close(struct hi_mem *m);

/* Read LEN bytes at ADDR into DST.  Returns 0, or -1 if any byte is not
 * readable (unmapped, or the process is gone); then DST is unspecified.
 * Does not touch hi_errmsg(): callers add context.  */
int hi_mem_read_slow(struct hi_mem *m, uint64_t addr, void *dst, size_t len);

static inline int hi_mem_read(struct hi_mem *m, uint64_t addr, void *dst, size_t len)
{
	const struct hi_mem_memo *mm = (const struct hi_mem_memo *)m;
	uint64_t off = addr - mm->base;
	if (mm->data && off < mm->len && len <= mm->len - off) {
		memcpy(dst, mm->data + off, len);
		return 0;
	}
	return hi_mem_read_slow(m, addr, dst, len);
}

/* Read N small pieces of LEN bytes each, the i-th at ADDRS[i], into DST
 * + i*LEN, past the cache (one vectored system call per 1024 pieces):
 * for headers scattered over much memory (pymalloc pools, malloc chunks),
 * where filling whole chunks would read all of it.  OK[i] becomes 1 if
 * piece i was read whole, else 0.  Returns how many were.  */
size_t hi_mem_gather(struct hi_mem *m, const uint64_t *addrs, size_t n, size_t len, void *dst,
		     unsigned char *ok);

/* Drop all cached contents (the target ran).  */
void hi_mem_invalidate(struct hi_mem *m);

const struct hi_mem_stats *hi_mem_stats(const struct hi_mem *m);

/* Did the last failed read fail because the process is gone?  */
int hi_mem_target_gone(const struct hi_mem *m);

static inline int hi_mem_u64(struct hi_mem *m, uint64_t addr, uint64_t *out)
{
	return hi_mem_read(m, addr, out, 8);
}

static inline int hi_mem_i64(struct hi_mem *m, uint64_t addr, int64_t *out)
{
	return hi_mem_read(m, addr, out, 8);
}

/* Read an unsigned integer of SIZE bytes (1, 2, 4 or 8), zero-extended. */
static inline int hi_mem_uint(struct hi_mem *m, uint64_t addr, size_t size, uint64_t *out)
{
	switch (size) {
	case 1: { uint8_t v; if (hi_mem_read(m, addr, &v, 1) < 0) return -1; *out = v; return 0; }
	case 2: { uint16_t v; if (hi_mem_read(m, addr, &v, 2) < 0) return -1; *out = v; return 0; }
	case 4: { uint32_t v; if (hi_mem_read(m, addr, &v, 4) < 0) return -1; *out = v; return 0; }
	case 8: return hi_mem_read(m, addr, out, 8);
	default: return -1;
	}
}

/* Read a NUL-terminated string into BUF (MAX bytes), cut to MAX-1 bytes
 * (at a UTF-8 character's boundary) when longer.  Returns the length
 * stored, or -1 if memory became unreadable before its end or the cut.  */
ssize_t hi_mem_cstr(struct hi_mem *m, uint64_t addr, char *buf, size_t max);

#endif
