/* mem.c: the bounded, cached reader of target memory (see mem.h).  */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include "error.h"
#include "mem.h"
#include "u64map.h"

#define PAGE 4096
#define PAGES_PER_CHUNK (HI_CHUNK_SIZE / PAGE)

struct chunk {
	uint64_t base;
	uint16_t valid;		/* bit i: page i of the chunk is readable */
	uint8_t used;		/* clock bit: read since the hand last passed */
	unsigned char data[HI_CHUNK_SIZE];
};

struct image_range {
	uint64_t addr;
	size_t len;
	unsigned char *data;
};

struct hi_mem {
	struct hi_mem_memo memo;	/* first: see mem.h */
	pid_t pid;		/* 0 for an image */
	int memfd;		/* /proc/PID/mem once we fell back, else -1 */
	int use_pread;
	int gone;		/* last read failed with ESRCH */
	struct u64map index;	/* chunk number + 1 -> index into chunks */
	struct chunk **chunks;	/* buffers, kept across stops and reused */
	size_t nchunks;		/* holding data now */
	size_t nalloc;		/* allocated */
	size_t maxchunks;	/* the cache's bound */
	size_t hand;		/* clock hand for eviction */
	struct image_range *ranges;
	size_t nranges;
	struct hi_mem_stats stats;
	/* The chunk read last: most reads land next to the one before.  */
	struct chunk *last;
};

static size_t cache_bound(void)
{
	const char *e = getenv("HEAPINSPECT_CACHE_MB");
	long mb = e ? atol(e) : HI_CACHE_MB_DEFAULT;
	if (mb < 1)
		mb = 1;
	size_t n = (size_t)mb * (1 << 20) / HI_CHUNK_SIZE;
	return n < 4 ? 4 : n;	/* the clock never evicts the chunk in use */
}

_Static_assert(PAGES_PER_CHUNK <= 16, "valid mask too narrow");

struct hi_mem *hi_mem_open_pid(pid_t pid)
{
	struct hi_mem *m = calloc(1, sizeof *m);
	if (!m) {
		hi_error("pid %d: out of memory", (int)pid);
		return NULL;
	}
	m->pid = pid;
	m->memfd = -1;
	m->maxchunks = cache_bound();
	u64map_init(&m->index);
	return m;
}

struct hi_mem *hi_mem_open_image(void)
{
	struct hi_mem *m = calloc(1, sizeof *m);
	if (!m) {
		hi_error("out of memory");
		return NULL;
	}
	m->memfd = -1;
	m->maxchunks = cache_bound();
	u64map_init(&m->index);
	return m;
}

int hi_mem_image_add(struct hi_mem *m, uint64_t addr, const void *data, size_t len)
{
	struct image_range *nr = realloc(m->ranges, (m->nranges + 1) * sizeof *nr);
	if (!nr)
		return -1;
	m->ranges = nr;
	unsigned char *copy = malloc(len ? len : 1);
	if (!copy)
		return -1;
	memcpy(copy, data, len);
	m->ranges[m->nranges++] = (struct image_range){ addr, len, copy };
	hi_mem_invalidate(m);
	return 0;
}

void hi_mem_invalidate(struct hi_mem *m)
{
	m->memo.data = NULL;
	m->last = NULL;
	m->nchunks = 0;
	m->hand = 0;
	u64map_clear(&m->index);
}

void hi_mem_close(struct hi_mem *m)
{
	if (!m)
		return;
	hi_mem_invalidate(m);
	for (size_t i = 0; i < m->nalloc; i++)
		free(m->chunks[i]);
	free(m->chunks);
	u64map_free(&m->index);
	for (size_t i = 0; i < m->nranges; i++)
		free(m->ranges[i].data);
	free(m->ranges);
	if (m->memfd >= 0)
		close(m->memfd);
	free(m);
}

const struct hi_mem_stats *hi_mem_stats(const struct hi_mem *m)
{
	return &m->stats;
}

int hi_mem_target_gone(const struct hi_mem *m)
{
	return m->gone;
}

/* Copy what the image holds of [addr, addr+len) into dst; returns the
 * length of the readable prefix.  */
static size_t image_fill(struct hi_mem *m, uint64_t addr, unsigned char *dst, size_t len)
{
	size_t done = 0;
	while (done < len) {
		uint64_t a = addr + done;
		size_t i;
		for (i = 0; i < m->nranges; i++)
			if (a >= m->ranges[i].addr && a - m->ranges[i].addr < m->ranges[i].len)
				break;
		if (i == m->nranges)
			break;
		size_t off = a - m->ranges[i].addr;
		size_t n = m->ranges[i].len - off;
		if (n > len - done)
			n = len - done;
		memcpy(dst + done, m->ranges[i].data + off, n);
		done += n;
	}
	return done;
}

/* One raw read from the live process.  Returns bytes read (possibly short)
 * or -1.  Switches to /proc/PID/mem for good on ENOSYS/EPERM.  */
static ssize_t live_read(struct hi_mem *m, uint64_t addr, void *dst, size_t len)
{
	if (!m->use_pread) {
		struct iovec local = { dst, len };
		struct iovec remote = { (void *)(uintptr_t)addr, len };
		ssize_t n = process_vm_readv(m->pid, &local, 1, &remote, 1, 0);
		if (n >= 0)
			return n;
		if (errno != ENOSYS && errno != EPERM) {
			if (errno == ESRCH)
				m->gone = 1;
			return -1;
		}
		/* Blocked (seccomp in containers) or absent: fall back. */
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/mem", (int)m->pid);
		m->memfd = open(path, O_RDONLY | O_CLOEXEC);
		if (m->memfd < 0)
			return -1;
		m->use_pread = 1;
		m->stats.fallback = 1;
	}
	ssize_t n = pread(m->memfd, dst, len, (off_t)addr);
	if (n < 0 && errno == ESRCH)
		m->gone = 1;
	return n;
}

/* A buffer for a new chunk: an unused one, a new one while under the
 * bound, else the clock's victim (evicted from the index).  */
static struct chunk *take_buffer(struct hi_mem *m, size_t *slot)
{
	if (m->nchunks < m->nalloc) {
		*slot = m->nchunks++;
		return m->chunks[*slot];
	}
	if (m->nalloc < m->maxchunks) {
		struct chunk **nc = realloc(m->chunks, (m->nalloc + 1) * sizeof *nc);
		struct chunk *c = malloc(sizeof *c);
		if (!nc || !c) {
			free(c);
			if (nc)
				m->chunks = nc;
			return NULL;
		}
		m->chunks = nc;
		m->chunks[m->nalloc++] = c;
		*slot = m->nchunks++;
		return c;
	}
	for (;;) {
		struct chunk *c = m->chunks[m->hand];
		size_t at = m->hand;
		m->hand = (m->hand + 1) % m->nchunks;
		if (c->used && c != m->last) {
			c->used = 0;
			continue;
		}
		if (c == m->last)
			continue;
		u64map_del(&m->index, (c->base >> HI_CHUNK_SHIFT) + 1);
		*slot = at;
		return c;
	}
}

static struct chunk *fill_chunk(struct hi_mem *m, uint64_t base)
{
	size_t slot;
	struct chunk *c = take_buffer(m, &slot);
	if (!c)
		return NULL;
	c->base = base;
	c->used = 1;
	c->valid = 0;
	size_t got;
	if (m->pid) {
		ssize_t n = live_read(m, base, c->data, HI_CHUNK_SIZE);
		got = n > 0 ? (size_t)n : 0;
	} else {
		got = image_fill(m, base, c->data, HI_CHUNK_SIZE);
	}
	m->stats.chunk_fills++;
	if (got == HI_CHUNK_SIZE) {
		c->valid = 0xffff;
	} else {
		/* The chunk straddles unmapped memory: find readable pages one by
		 * one (a mapping may start in the middle of the chunk).  */
		size_t fullpages = got / PAGE;
		for (size_t p = 0; p < fullpages; p++)
			c->valid |= 1u << p;
		for (size_t p = fullpages; p < PAGES_PER_CHUNK; p++) {
			size_t n;
			if (m->pid) {
				ssize_t r = live_read(m, base + p * PAGE, c->data + p * PAGE, PAGE);
				n = r > 0 ? (size_t)r : 0;
			} else {
				n = image_fill(m, base + p * PAGE, c->data + p * PAGE, PAGE);
			}
			if (n == PAGE)
				c->valid |= 1u << p;
		}
	}
	m->stats.bytes_read += HI_CHUNK_SIZE;
	if (u64map_put(&m->index, (base >> HI_CHUNK_SHIFT) + 1, slot) < 0)
		return NULL;
	return c;
}

int hi_mem_read_slow(struct hi_mem *m, uint64_t addr, void *dst, size_t len)
{
	unsigned char *out = dst;
	if (addr + len < addr)
		return -1;	/* wraps around */
	while (len) {
		uint64_t base = addr & ~(uint64_t)(HI_CHUNK_SIZE - 1);
		size_t off = addr - base;
		size_t n = HI_CHUNK_SIZE - off;
		if (n > len)
			n = len;
		struct chunk *c;
		if (m->last && m->last->base == base) {
			c = m->last;
		} else {
			uint64_t *slot = u64map_get(&m->index, (base >> HI_CHUNK_SHIFT) + 1);
			if (slot)
				c = m->chunks[*slot];
			else if (!(c = fill_chunk(m, base)))
				return -1;
			c->used = 1;
			m->last = c;
			m->memo.base = base;
			m->memo.data = c->valid == 0xffff ? c->data : NULL;
		}
		if (c->valid != 0xffff) {
			unsigned first = off / PAGE, last = (off + n - 1) / PAGE;
			for (unsigned p = first; p <= last; p++)
				if (!(c->valid & (1u << p))) {
					/* A live page is all or nothing; an image range
					 * may cover part of a page: ask it exactly.  */
					if (!m->pid && image_fill(m, addr, out, n) == n)
						goto next;
					m->stats.faults++;
					return -1;
				}
		}
		memcpy(out, c->data + off, n);
next:
		out += n;
		addr += n;
		len -= n;
	}
	return 0;
}

ssize_t hi_mem_cstr(struct hi_mem *m, uint64_t addr, char *buf, size_t max)
{
	for (size_t i = 0; i < max; i++) {
		if (hi_mem_read(m, addr + i, &buf[i], 1) < 0)
			return -1;
		if (buf[i] == '\0')
			return (ssize_t)i;
	}
	if (max)
		buf[max - 1] = '\0';
	return -1;
}
