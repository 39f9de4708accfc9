/* mem.c: the bounded, cached reader of target memory (see mem.h).  */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>
#include "util/error.h"
#include "mem/mem.h"
#include "util/u64map.h"

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
	int mapped;		/* 1 mmap'd (a snapshot's), 2 borrowed (an image
				 * file's, unmapped by its owner), 0 malloc'd */
	size_t maplen;		/* bytes mapped, when mapped (>= len) */
};

struct hi_mem {
	struct hi_mem_memo memo;	/* first: see mem.h */
	pid_t pid;		/* 0 for an image */
	int memfd;		/* /proc/PID/mem once we fell back, else -1 */
	int use_pread;
	int gone;		/* last read failed with ESRCH */
	int direct;		/* an image read straight from its ranges (a
				 * snapshot); other images go through the cache,
				 * which the unit tests exercise that way */
	struct hi_mem *fallback;	/* a snapshot's live reader, for what it
					 * did not copy: read-only mappings
					 * (tp_name strings), which cannot change */
	uint64_t (*ro)[2];	/* ranges read live: read-only mappings, and
				 * swapped-out pages: [start, end) */
	size_t nro;
	uint64_t (*zero)[2];	/* ranges never touched: read as zeros, sorted */
	size_t nzero;
	struct hi_snap_stats snap;	/* what a snapshot took */
	struct u64map index;	/* chunk number + 1 -> index into chunks */
	struct chunk **chunks;	/* buffers, kept across stops and reused */
	size_t nchunks;		/* holding data now */
	size_t nalloc;		/* allocated */
	size_t maxchunks;	/* the cache's bound */
	size_t hand;		/* clock hand for eviction */
	struct image_range *ranges;
	size_t nranges;
	void **owned;		/* mappings that borrowed ranges lie in */
	size_t *ownedlen, nowned;
	struct hi_mem_stats stats;
	/* The chunk read last: most reads land next to the one before.  */
	struct chunk *last;
	/* Then a direct-mapped table in front of the index: a walk through a
	 * mixed heap hops between a few hundred pools.  Entries are checked
	 * against the chunk's base, so eviction needs no bookkeeping.  */
	struct chunk *recent[256];
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
	size_t at = m->nranges;
	while (at > 0 && m->ranges[at - 1].addr > addr) {
		m->ranges[at] = m->ranges[at - 1];
		at--;
	}
	m->ranges[at] = (struct image_range){ addr, len, copy };
	m->nranges++;
	hi_mem_invalidate(m);
	return 0;
}

static struct image_range *find_range(struct hi_mem *m, uint64_t addr);

int hi_mem_image_borrow(struct hi_mem *m, uint64_t addr, unsigned char *data, size_t len)
{
	if (!len || addr + len < addr)
		return -1;
	if (m->nranges && m->ranges[m->nranges - 1].addr + m->ranges[m->nranges - 1].len > addr)
		return -1;	/* out of order, or overlapping */
	struct image_range *nr = realloc(m->ranges, (m->nranges + 1) * sizeof *nr);
	if (!nr)
		return -1;
	m->ranges = nr;
	m->ranges[m->nranges++] = (struct image_range){ addr, len, data, 2, len };
	m->direct = 1;
	hi_mem_invalidate(m);
	return 0;
}

size_t hi_mem_image_nranges(const struct hi_mem *m)
{
	return m->nranges;
}

const unsigned char *hi_mem_image_range(const struct hi_mem *m, size_t i, uint64_t *addr, size_t *len)
{
	if (i >= m->nranges)
		return NULL;
	*addr = m->ranges[i].addr;
	*len = m->ranges[i].len;
	return m->ranges[i].data;
}

unsigned char *hi_mem_image_ptr(struct hi_mem *m, uint64_t addr, size_t len)
{
	struct image_range *r = find_range(m, addr);
	if (!r || len > r->len - (addr - r->addr))
		return NULL;
	return r->data + (addr - r->addr);
}

uint64_t hi_mem_image_bytes(const struct hi_mem *m)
{
	uint64_t n = 0;
	for (size_t i = 0; i < m->nranges; i++)
		n += m->ranges[i].len;
	return n;
}

static ssize_t live_read(struct hi_mem *m, uint64_t addr, void *dst, size_t len);

int hi_mem_image_adopt(struct hi_mem *m, uint64_t addr, unsigned char *buf, size_t len, size_t maplen)
{
	struct image_range *nr = realloc(m->ranges, (m->nranges + 1) * sizeof *nr);
	if (!nr)
		return -1;
	m->ranges = nr;
	m->ranges[m->nranges++] = (struct image_range){ addr, len, buf, 1, maplen };
	return 0;
}

int hi_mem_image_own(struct hi_mem *m, void *base, size_t len)
{
	void **no = realloc(m->owned, (m->nowned + 1) * sizeof *no);
	size_t *nl = no ? realloc(m->ownedlen, (m->nowned + 1) * sizeof *nl) : NULL;
	if (no)
		m->owned = no;
	if (!nl)
		return -1;
	m->ownedlen = nl;
	m->owned[m->nowned] = base;
	m->ownedlen[m->nowned++] = len;
	return 0;
}

void hi_mem_make_snapshot(struct hi_mem *img, struct hi_mem *live, uint64_t (*ro)[2], size_t nro,
			  uint64_t (*zero)[2], size_t nzero, const struct hi_snap_stats *st)
{
	img->zero = zero;
	img->nzero = nzero;
	img->direct = 1;
	img->fallback = live;
	img->ro = ro;
	img->nro = nro;
	img->snap = *st;
}

ssize_t hi_mem_read_uncached(struct hi_mem *m, uint64_t addr, void *dst, size_t len)
{
	return live_read(m, addr, dst, len);
}

struct hi_mem *hi_mem_cache_image(const struct hi_mem *m)
{
	struct hi_mem *img = hi_mem_open_image();
	if (!img)
		return NULL;
	for (size_t i = 0; i < m->nchunks; i++) {
		const struct chunk *c = m->chunks[i];
		/* Each run of readable pages, as one range.  */
		for (unsigned p = 0; p < PAGES_PER_CHUNK;) {
			if (!(c->valid & (1u << p))) {
				p++;
				continue;
			}
			unsigned q = p;
			while (q < PAGES_PER_CHUNK && (c->valid & (1u << q)))
				q++;
			if (hi_mem_image_add(img, c->base + (uint64_t)p * PAGE, c->data + (size_t)p * PAGE,
					     (size_t)(q - p) * PAGE) < 0) {
				hi_mem_close(img);
				return NULL;
			}
			p = q;
		}
	}
	return img;
}

void hi_mem_invalidate(struct hi_mem *m)
{
	m->memo.data = NULL;
	m->last = NULL;
	memset(m->recent, 0, sizeof m->recent);
	m->nchunks = 0;
	m->hand = 0;
	u64map_clear(&m->index);
	m->stats.generation++;
}

void hi_mem_close(struct hi_mem *m)
{
	if (!m)
		return;
	hi_mem_invalidate(m);
	for (size_t i = 0; i < m->nalloc; i++)
		munmap(m->chunks[i], sizeof *m->chunks[i]);
	free(m->chunks);
	u64map_free(&m->index);
	for (size_t i = 0; i < m->nranges; i++) {
		if (m->ranges[i].mapped == 1)
			munmap(m->ranges[i].data, m->ranges[i].maplen);
		else if (!m->ranges[i].mapped)
			free(m->ranges[i].data);
	}
	free(m->ranges);
	for (size_t i = 0; i < m->nowned; i++)
		munmap(m->owned[i], m->ownedlen[i]);
	free(m->owned);
	free(m->ownedlen);
	free(m->ro);
	free(m->zero);
	hi_mem_close(m->fallback);
	if (m->memfd >= 0)
		close(m->memfd);
	free(m);
}

const struct hi_snap_stats *hi_mem_snapshot_stats(const struct hi_mem *m)
{
	return &m->snap;
}

const struct hi_mem_stats *hi_mem_stats(const struct hi_mem *m)
{
	return &m->stats;
}

int hi_mem_target_gone(const struct hi_mem *m)
{
	/* A snapshot reads what it did not copy from the live process.  */
	return m->gone || (m->fallback && m->fallback->gone);
}

/* Copy what the image holds of [addr, addr+len) into dst; returns the
 * length of the readable prefix.  */
static size_t image_fill(struct hi_mem *m, uint64_t addr, unsigned char *dst, size_t len)
{
	size_t done = 0;
	while (done < len) {
		uint64_t a = addr + done;
		const struct image_range *r = find_range(m, a);	/* ranges are sorted */
		if (!r)
			break;
		size_t off = a - r->addr;
		size_t n = r->len - off;
		if (n > len - done)
			n = len - done;
		memcpy(dst + done, r->data + off, n);
		done += n;
	}
	return done;
}

/* The zero range holding ADDR, or NULL.  */
static const uint64_t *zero_range(const struct hi_mem *m, uint64_t addr)
{
	size_t lo = 0, hi = m->nzero;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (addr < m->zero[mid][0])
			hi = mid;
		else if (addr >= m->zero[mid][1])
			lo = mid + 1;
		else
			return m->zero[mid];
	}
	return NULL;
}

/* A snapshot's read of what one range does not hold whole: piece by
 * piece from its ranges, zeros for pages never touched, and the live
 * process for the ranges it may read (read-only mappings, swapped-out
 * pages).  0, or -1 when some byte is none of these.  */
static int snapshot_fill(struct hi_mem *m, uint64_t addr, unsigned char *out, size_t len)
{
	size_t done = 0;
	while (done < len) {
		uint64_t a = addr + done;
		size_t want = len - done, n = image_fill(m, a, out + done, want);
		if (n) {
			done += n;
			continue;
		}
		size_t i = 0;
		while (m->fallback && i < m->nro && !(a >= m->ro[i][0] && a < m->ro[i][1]))
			i++;
		if (m->fallback && i < m->nro) {
			n = m->ro[i][1] - a < want ? (size_t)(m->ro[i][1] - a) : want;
			m->stats.live_reads++;
			if (hi_mem_read(m->fallback, a, out + done, n) < 0)
				return -1;
			done += n;
			continue;
		}
		const uint64_t *z = zero_range(m, a);
		if (!z)
			return -1;
		/* Zeros up to the zero range's end or the next copied range.  */
		uint64_t end = z[1];
		size_t lo = 0, hi = m->nranges;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (m->ranges[mid].addr <= a)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < m->nranges && m->ranges[lo].addr < end)
			end = m->ranges[lo].addr;
		n = end - a < want ? (size_t)(end - a) : want;
		memset(out + done, 0, n);
		m->stats.zero_reads++;
		done += n;
	}
	return 0;
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
		/* Each buffer is its own mapping, so that closing the reader (a
		 * detach) gives the memory back to the system, which malloc
		 * would keep for chunks of this size.  */
		struct chunk **nc = realloc(m->chunks, (m->nalloc + 1) * sizeof *nc);
		struct chunk *c = mmap(NULL, sizeof *c, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (!nc || c == MAP_FAILED) {
			if (c != MAP_FAILED)
				munmap(c, sizeof *c);
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
		m->stats.evictions++;
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

/* The image range holding ADDR (ranges are kept sorted), or NULL.  */
static struct image_range *find_range(struct hi_mem *m, uint64_t addr)
{
	size_t lo = 0, hi = m->nranges;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		struct image_range *r = &m->ranges[mid];
		if (addr < r->addr)
			hi = mid;
		else if (addr - r->addr >= r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

int hi_mem_read_slow(struct hi_mem *m, uint64_t addr, void *dst, size_t len)
{
	unsigned char *out = dst;
	if (addr + len < addr)
		return -1;	/* wraps around */
	if (m->direct) {
		/* A snapshot: straight from its ranges, remembering the last. */
		struct image_range *r = find_range(m, addr);
		if (r && len <= r->len - (addr - r->addr)) {
			memcpy(out, r->data + (addr - r->addr), len);
			m->memo.base = r->addr;
			m->memo.data = r->data;
			m->memo.len = r->len;
			return 0;
		}
		if (snapshot_fill(m, addr, out, len) == 0)	/* spans ranges */
			return 0;
		m->stats.faults++;
		return -1;
	}
	while (len) {
		uint64_t base = addr & ~(uint64_t)(HI_CHUNK_SIZE - 1);
		size_t off = addr - base;
		size_t n = HI_CHUNK_SIZE - off;
		if (n > len)
			n = len;
		struct chunk *c;
		unsigned r = (unsigned)(base >> HI_CHUNK_SHIFT) & 255;
		if (m->last && m->last->base == base) {
			c = m->last;
		} else {
			c = m->recent[r];
			if (!c || c->base != base) {
				uint64_t *slot = u64map_get(&m->index, (base >> HI_CHUNK_SHIFT) + 1);
				if (slot)
					c = m->chunks[*slot];
				else if (!(c = fill_chunk(m, base)))
					return -1;
				m->recent[r] = c;
			}
			c->used = 1;
			m->last = c;
			m->memo.base = base;
			m->memo.data = c->valid == 0xffff ? c->data : NULL;
			m->memo.len = HI_CHUNK_SIZE;
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

size_t hi_mem_gather(struct hi_mem *m, const uint64_t *addrs, size_t n, size_t len, void *dst,
		     unsigned char *ok)
{
	unsigned char *out = dst;
	size_t good = 0, i = 0;
	memset(ok, 0, n);
	while (i < n) {
		if (!m->pid || m->use_pread) {
			/* An image, or /proc/PID/mem: piece by piece.  */
			size_t got;
			if (m->pid) {
				ssize_t r = live_read(m, addrs[i], out + i * len, len);
				got = r > 0 ? (size_t)r : 0;
			} else {
				got = image_fill(m, addrs[i], out + i * len, len);
			}
			ok[i] = got == len && addrs[i] + len >= addrs[i];
			good += ok[i];
			i++;
			continue;
		}
		struct iovec local[1024], remote[1024];
		size_t k = n - i < 1024 ? n - i : 1024;
		for (size_t j = 0; j < k; j++) {
			local[j] = (struct iovec){ out + (i + j) * len, len };
			remote[j] = (struct iovec){ (void *)(uintptr_t)addrs[i + j], len };
		}
		ssize_t r = process_vm_readv(m->pid, local, k, remote, k, 0);
		if (r < 0 && (errno == ENOSYS || errno == EPERM)) {
			/* live_read falls back to /proc/PID/mem for good.  */
			ssize_t x = live_read(m, addrs[i], out + i * len, len);
			ok[i] = x == (ssize_t)len;
			good += ok[i];
			i++;
			continue;
		}
		if (r < 0) {
			if (errno == ESRCH) {
				m->gone = 1;
				return good;
			}
			r = 0;	/* the first piece is unreadable */
		}
		/* The call stops at the first piece it cannot read whole.  */
		size_t whole = (size_t)r / len;
		for (size_t j = 0; j < whole; j++)
			ok[i + j] = 1;
		good += whole;
		m->stats.bytes_read += (unsigned long long)r;
		i += whole < k ? whole + 1 : k;
	}
	return good;
}

ssize_t hi_mem_cstr(struct hi_mem *m, uint64_t addr, char *buf, size_t max)
{
	if (!max)
		return -1;
	for (size_t i = 0; i + 1 < max; i++) {
		if (hi_mem_read(m, addr + i, &buf[i], 1) < 0)
			return -1;
		if (buf[i] == '\0')
			return (ssize_t)i;
	}
	/* Longer than BUF: cut, and drop a UTF-8 sequence the cut splits. */
	size_t n = max - 1, k = n;
	while (k > 0 && ((unsigned char)buf[k - 1] & 0xc0) == 0x80)
		k--;
	if (k > 0) {
		unsigned char lead = (unsigned char)buf[k - 1];
		size_t len = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
		if (k - 1 + len > n)
			n = k - 1;
	}
	buf[n] = '\0';
	return (ssize_t)n;
}
