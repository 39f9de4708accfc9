/* core.c: ELF core files read as memory images (see core.h).
 *
 * The core is mapped privately and its PT_LOAD data served straight from
 * the mapping; the parts of file-backed mappings it lacks come from the
 * files, each mapped privately once.  Only cores of this machine's kind
 * are read (64-bit, little-endian, this machine's e_machine): their
 * prstatus and prpsinfo are this machine's <sys/procfs.h> structs.  */
#include "config.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/procfs.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/error.h"
#include "mem/core.h"

#ifndef NT_FILE
#define NT_FILE 0x46494c45
#endif
#ifndef NT_SIGINFO
#define NT_SIGINFO 0x53494749
#endif
#ifndef NT_GNU_BUILD_ID
#define NT_GNU_BUILD_ID 3
#endif
#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#else
#define HOST_MACHINE EM_NONE
#endif

/* One piece of memory: LEN bytes at ADDR, read from DATA.  */
struct piece {
	uint64_t addr, len;
	unsigned char *data;
};

/* A PT_LOAD: the mapping [vaddr, vaddr+memsz), of which the core holds
 * HELD bytes at DATA.  */
struct seg {
	uint64_t vaddr, memsz, held;
	int readable;		/* PF_R: a mapping the process could read */
	unsigned char *data;
};

/* An NT_FILE entry: [start, end) maps FILE from offset OFF.  */
struct fmap {
	uint64_t start, end, off;
	size_t file;
};

struct reader {
	const char *path, *who;
	unsigned char *map;
	size_t size;
	struct seg *segs;
	size_t nsegs;
	struct fmap *fmaps;
	size_t nfmaps;
	uint64_t entry;		/* AT_ENTRY, 0 if unknown */
	uint64_t page;		/* the page size NT_FILE gives */
	unsigned char *zeros;	/* a page of them: a file's last page past its end */
	struct hi_core *core;
};

static int is_elf(const char *path)
{
	unsigned char m[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, m, 4);
	close(fd);
	return n == 4 && !memcmp(m, ELFMAG, SELFMAG);
}

static void release(struct hi_image *img)
{
	struct hi_core *c = img->core;
	if (!c)
		return;
	for (size_t i = 0; i < c->nfiles; i++) {
		free(c->files[i].name);
		free(c->files[i].path);
	}
	free(c->files);
	free(c->tids);
	free(c);
	img->core = NULL;
}

/* ---- the core's own memory, before any file is added ---- */

static int seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;
	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

/* LEN bytes at ADDR from what the core itself holds: 0, or -1.  */
static int core_read(const struct reader *r, uint64_t addr, void *dst, size_t len)
{
	size_t lo = 0, hi = r->nsegs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->segs[mid].vaddr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -1;
	const struct seg *s = &r->segs[lo - 1];
	uint64_t off = addr - s->vaddr;
	if (off >= s->held || len > s->held - off)
		return -1;
	memcpy(dst, s->data + off, len);
	return 0;
}

/* ---- notes ---- */

/* The next note of NOTES[0, LEN) at *AT: its header, name and
 * description, and *AT moved past it.  1; 0 at the end; -1 when it runs
 * past LEN.  */
static int next_note(const unsigned char *notes, uint64_t len, uint64_t *at, Elf64_Nhdr *nh, const char **name,
		     const unsigned char **desc)
{
	if (len - *at < sizeof *nh)
		return 0;
	memcpy(nh, notes + *at, sizeof *nh);
	*at += sizeof *nh;
	uint64_t n = ((uint64_t)nh->n_namesz + 3) & ~3ull, d = ((uint64_t)nh->n_descsz + 3) & ~3ull;
	if (n > len - *at || d > len - *at - n)
		return -1;
	*name = (const char *)notes + *at;
	*desc = notes + *at + n;
	*at += n + d;
	return 1;
}

/* The GNU build id among the notes NOTES[0, LEN): its bytes and length,
 * or 0.  */
static size_t find_build_id(const unsigned char *notes, size_t len, const unsigned char **id)
{
	uint64_t at = 0;
	Elf64_Nhdr nh;
	const char *name;
	const unsigned char *desc;
	while (next_note(notes, len, &at, &nh, &name, &desc) > 0)
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && !memcmp(name, "GNU", 4) && nh.n_descsz > 0 &&
		    nh.n_descsz <= 64) {
			*id = desc;
			return nh.n_descsz;
		}
	return 0;
}

static int parse_file_note(struct reader *r, const unsigned char *d, uint64_t n)
{
	uint64_t count, page;
	if (n < 16)
		return -1;
	memcpy(&count, d, 8);
	memcpy(&page, d + 8, 8);
	if (count > (n - 16) / 24 || !page || (page & (page - 1)) || page > (1u << 20))
		return -1;
	r->page = page;
	const unsigned char *names = d + 16 + count * 24, *end = d + n;
	if (!(r->fmaps = calloc(count ? count : 1, sizeof *r->fmaps)) ||
	    !(r->core->files = calloc(count ? count : 1, sizeof *r->core->files)))
		return -2;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t e[3];
		memcpy(e, d + 16 + i * 24, 24);
		const unsigned char *nul = memchr(names, '\0', (size_t)(end - names));
		if (!nul || e[1] <= e[0] || e[2] > UINT64_MAX / page)
			return -1;
		const char *name = (const char *)names;
		names = nul + 1;
		size_t f = 0;
		while (f < r->core->nfiles && strcmp(r->core->files[f].name, name))
			f++;
		if (f == r->core->nfiles) {
			if (!(r->core->files[f].name = strdup(name)))
				return -2;
			r->core->nfiles++;
		}
		struct hi_core_file *cf = &r->core->files[f];
		if (e[2] == 0 && (!cf->base || e[0] < cf->base))
			cf->base = e[0];
		r->fmaps[r->nfmaps++] = (struct fmap){ e[0], e[1], e[2] * page, f };
	}
	return 0;
}

/* Read the notes of the PT_NOTE segment at [off, off+len).  0; -1 when
 * they are corrupt; -2 out of memory.  */
static int parse_notes(struct reader *r, uint64_t off, uint64_t len)
{
	uint64_t at = 0;
	Elf64_Nhdr nh;
	const char *nm;
	const unsigned char *d;
	int more;
	while ((more = next_note(r->map + off, len, &at, &nh, &nm, &d)) > 0) {
		uint64_t n = nh.n_descsz;
		int is_core = nh.n_namesz == 5 && !memcmp(nm, "CORE", 5);
		if (nh.n_namesz == 4 && !memcmp(nm, "GDB", 4))
			snprintf(r->core->writer, sizeof r->core->writer, "gdb");
		if (!is_core)
			continue;
		if (nh.n_type == NT_PRSTATUS && n >= offsetof(prstatus_t, pr_pid) + sizeof(pid_t)) {
			pid_t tid;
			short sig;
			memcpy(&tid, d + offsetof(prstatus_t, pr_pid), sizeof tid);
			memcpy(&sig, d + offsetof(prstatus_t, pr_cursig), sizeof sig);
			pid_t *t = realloc(r->core->tids, (size_t)(r->core->nthreads + 1) * sizeof *t);
			if (!t)
				return -2;
			r->core->tids = t;
			t[r->core->nthreads++] = tid;
			if (r->core->nthreads == 1 && sig > 0 && sig < 128)
				r->core->signal = sig;
		} else if (nh.n_type == NT_PRPSINFO && n >= offsetof(prpsinfo_t, pr_psargs) + 80) {
			memcpy(&r->core->pid, d + offsetof(prpsinfo_t, pr_pid), sizeof r->core->pid);
			snprintf(r->core->command, sizeof r->core->command, "%.16s",
				 (const char *)d + offsetof(prpsinfo_t, pr_fname));
			snprintf(r->core->args, sizeof r->core->args, "%.80s",
				 (const char *)d + offsetof(prpsinfo_t, pr_psargs));
		} else if (nh.n_type == NT_AUXV) {
			for (uint64_t i = 0; i + 16 <= n; i += 16) {
				uint64_t kv[2];
				memcpy(kv, d + i, 16);
				if (kv[0] == AT_ENTRY)
					r->entry = kv[1];
			}
		} else if (nh.n_type == NT_FILE && !r->fmaps) {
			int rc = parse_file_note(r, d, n);
			if (rc < 0)
				return rc;
		}
	}
	return more;
}

/* ---- the files ---- */

/* The build id of the ELF file mapped at MAP (SIZE bytes): its note's
 * bytes, and the address its first PT_LOAD asks for (*VADDR); its
 * length, or 0.  *NOTE_VADDR and *NOTE_LEN: where the note segment
 * holding it lies, relative to the file's addresses.  */
static size_t file_build_id(const unsigned char *map, size_t size, const unsigned char **id, uint64_t *vaddr,
			    uint64_t *note_vaddr, uint64_t *note_len)
{
	Elf64_Ehdr eh;
	if (size < sizeof eh)
		return 0;
	memcpy(&eh, map, sizeof eh);
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > size ||
	    (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > size - eh.e_phoff)
		return 0;
	int have_load = 0;
	size_t n = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, map + eh.e_phoff + i * sizeof ph, sizeof ph);
		if (ph.p_type == PT_LOAD && !have_load) {
			have_load = 1;
			*vaddr = ph.p_align > 1 && !(ph.p_align & (ph.p_align - 1)) ? ph.p_vaddr & ~(ph.p_align - 1) : ph.p_vaddr;
		}
		if (ph.p_type == PT_NOTE && !n && ph.p_offset <= size && ph.p_filesz <= size - ph.p_offset &&
		    (n = find_build_id(map + ph.p_offset, ph.p_filesz, id))) {
			*note_vaddr = ph.p_vaddr;
			*note_len = ph.p_filesz;
		}
	}
	return have_load ? n : 0;
}

/* Is file F, mapped at MAP, the build the process had mapped?  Compares
 * its build id with the one in the core's copy of its note (which the
 * core holds when it holds the ELF header page).  */
static enum hi_core_file_state check_build(const struct reader *r, const struct hi_core_file *f,
					   const unsigned char *map, size_t size, int *elf)
{
	const unsigned char *id;
	uint64_t vaddr = 0, note_vaddr = 0, note_len = 0;
	*elf = size >= SELFMAG && !memcmp(map, ELFMAG, SELFMAG);
	size_t n = *elf ? file_build_id(map, size, &id, &vaddr, &note_vaddr, &note_len) : 0;
	if (!n || !f->base)
		return HI_CORE_FILE_UNCHECKED;
	/* Where the process had the note: the module's bias plus its
	 * address in the file (an executable's bias is 0).  */
	Elf64_Ehdr eh;
	memcpy(&eh, map, sizeof eh);
	uint64_t bias = eh.e_type == ET_DYN ? f->base - vaddr : 0;
	unsigned char notes[4096];
	if (note_len > sizeof notes || core_read(r, bias + note_vaddr, notes, (size_t)note_len) < 0)
		return HI_CORE_FILE_UNCHECKED;
	const unsigned char *cid;
	size_t cn = find_build_id(notes, (size_t)note_len, &cid);
	if (!cn)
		return HI_CORE_FILE_UNCHECKED;
	return cn == n && !memcmp(cid, id, n) ? HI_CORE_FILE_SAME : HI_CORE_FILE_OTHER;
}

/* Map file F (or EXE in its place), if the core lacks any of its pages,
 * and it is the build the process ran.  Its mapping and size in *MAP,
 * *SIZE (NULL when not to be read).  0, or -1 out of memory.  */
static int open_file(struct reader *r, struct hi_image *img, size_t fi, const char *exe, unsigned char **map,
		     size_t *size)
{
	struct hi_core_file *f = &r->core->files[fi];
	*map = NULL;
	*size = 0;
	char path[4200];
	size_t nl = strlen(f->name);
	static const char deleted[] = " (deleted)";
	if (exe && (int)fi == r->core->exe)
		snprintf(path, sizeof path, "%s", exe);
	else if (nl > sizeof deleted - 1 && !strcmp(f->name + nl - (sizeof deleted - 1), deleted))
		snprintf(path, sizeof path, "%.*s", (int)(nl - (sizeof deleted - 1)), f->name);
	else
		snprintf(path, sizeof path, "%s", f->name);
	if (!(f->path = strdup(path)))
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
		if (fd >= 0)
			close(fd);
		f->state = HI_CORE_FILE_MISSING;
		return 0;
	}
	/* Private and writable, as the core's own mapping: the fuzzer may
	 * change what it reads, and the file is not.  */
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		f->state = HI_CORE_FILE_MISSING;
		return 0;
	}
	if (hi_mem_image_own(img->mem, m, (size_t)st.st_size) < 0) {
		munmap(m, (size_t)st.st_size);
		return -1;
	}
	f->state = check_build(r, f, m, (size_t)st.st_size, &f->elf);
	if (f->state == HI_CORE_FILE_OTHER)
		return 0;
	*map = m;
	*size = (size_t)st.st_size;
	return 0;
}

static size_t img_nranges(const struct hi_image *img)
{
	return hi_mem_image_nranges(img->mem);
}

static void range_of(const struct hi_image *img, size_t i, uint64_t *a, uint64_t *b)
{
	size_t len = 0;
	hi_mem_image_range(img->mem, i, a, &len);
	*b = *a + len;
}

static uint64_t range_end(const struct hi_image *img, size_t i)
{
	uint64_t a, b;
	range_of(img, i, &a, &b);
	return b;
}

static int piece_cmp(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

struct pieces {
	struct piece *p;
	size_t n, cap;
};

static int add_piece(struct pieces *ps, uint64_t addr, uint64_t len, unsigned char *data)
{
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 256;
		struct piece *np = realloc(ps->p, cap * sizeof *np);
		if (!np)
			return -1;
		ps->p = np;
		ps->cap = cap;
	}
	ps->p[ps->n++] = (struct piece){ addr, len, data };
	return 0;
}

/* Add what the file mapping FM reads at [a, b): from the file at MAP
 * (SIZE bytes); past the file's end, to the end of its page, zeros (as
 * the process reads them).  0, or -1 out of memory.  */
static int file_piece(struct reader *r, struct hi_image *img, struct pieces *ps, const struct fmap *fm, uint64_t a,
		      uint64_t b, unsigned char *map, size_t size, struct hi_core_file *f)
{
	uint64_t fo = fm->off + (a - fm->start);
	if (fo < fm->off || fo >= size)
		return 0;
	uint64_t len = b - a;
	if (len > size - fo)
		len = size - fo;
	f->bytes += len;
	if (add_piece(ps, a, len, map + fo) < 0)
		return -1;
	uint64_t end = a + len, tail = (r->page - (end & (r->page - 1))) & (r->page - 1);
	if (tail > b - end)
		tail = b - end;
	if (!tail)
		return 0;
	if (!r->zeros) {
		void *z = mmap(NULL, (size_t)r->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (z == MAP_FAILED)
			return -1;
		if (hi_mem_image_own(img->mem, z, (size_t)r->page) < 0) {
			munmap(z, (size_t)r->page);
			return -1;
		}
		r->zeros = z;
	}
	return add_piece(ps, end, tail, r->zeros);
}

/* Every piece of memory: the core's own, then what files add where the
 * core has nothing.  Borrowed by the image in address order.  0, -1 out
 * of memory.  */
static int build_memory(struct reader *r, struct hi_image *img, const char *exe)
{
	struct hi_core *c = r->core;
	size_t nf = c->nfiles ? c->nfiles : 1;
	unsigned char **maps = calloc(nf, sizeof *maps);
	size_t *sizes = calloc(nf, sizeof *sizes);
	int *tried = calloc(nf, sizeof *tried);
	struct pieces ps = { 0 };
	int rc = -1;
	if (!maps || !sizes || !tried)
		goto out;
	for (size_t i = 0; i < r->nsegs; i++)
		if (r->segs[i].held && add_piece(&ps, r->segs[i].vaddr, r->segs[i].held, r->segs[i].data) < 0)
			goto out;
	size_t ncore = ps.n;
	/* Every file mapped from its start is checked, needed or not: its
	 * symbols and DWARF are read from it.  */
	for (size_t f = 0; f < c->nfiles; f++)
		if (c->files[f].base) {
			tried[f] = 1;
			if (open_file(r, img, f, exe, &maps[f], &sizes[f]) < 0)
				goto out;
		}
	for (size_t k = 0; k < r->nfmaps; k++) {
		const struct fmap *fm = &r->fmaps[k];
		/* The parts of [start, end) no core piece holds: from the
		 * first core piece that ends past START.  */
		size_t lo = 0, hi = ncore;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (ps.p[mid].addr + ps.p[mid].len <= fm->start)
				lo = mid + 1;
			else
				hi = mid;
		}
		uint64_t a = fm->start;
		for (size_t i = lo; i <= ncore && a < fm->end; i++) {
			uint64_t pa = i < ncore ? ps.p[i].addr : fm->end, pe = i < ncore ? ps.p[i].addr + ps.p[i].len : fm->end;
			uint64_t b = pa < fm->end ? pa : fm->end;
			if (b > a) {
				size_t f = fm->file;
				if (!tried[f]) {
					tried[f] = 1;
					if (open_file(r, img, f, exe, &maps[f], &sizes[f]) < 0)
						goto out;
				}
				if (maps[f] && file_piece(r, img, &ps, fm, a, b, maps[f], sizes[f], &c->files[f]) < 0)
					goto out;
			}
			if (pe > a)
				a = pe;
		}
	}
	for (size_t f = 0; f < c->nfiles; f++)
		if (!tried[f])
			c->files[f].state = HI_CORE_FILE_UNUSED;
	qsort(ps.p, ps.n, sizeof *ps.p, piece_cmp);
	uint64_t end = 0;
	for (size_t i = 0; i < ps.n; i++) {
		const struct piece *p = &ps.p[i];
		if (p->addr < end)	/* NT_FILE entries that overlap: corrupt */
			continue;
		if (hi_mem_image_borrow(img->mem, p->addr, p->data, (size_t)p->len) < 0)
			continue;
		end = p->addr + p->len;
		if (p->data >= r->map && p->data < r->map + r->size)
			c->from_core += p->len;
		else
			c->from_files += p->len;
	}
	/* What a readable segment spans that no piece holds (a mapping the
	 * process could not read, as a guard page, is not missing).  */
	for (size_t i = 0, j = 0; i < r->nsegs; i++) {
		const struct seg *s = &r->segs[i];
		if (!s->readable)
			continue;
		uint64_t held = 0, end = s->vaddr + s->memsz;
		while (j < img_nranges(img) && range_end(img, j) <= s->vaddr)
			j++;
		for (size_t k = j; k < img_nranges(img); k++) {
			uint64_t a, b;
			range_of(img, k, &a, &b);
			if (a >= end)
				break;
			held += (b < end ? b : end) - (a > s->vaddr ? a : s->vaddr);
		}
		c->missing += s->memsz - held;
	}
	rc = 0;
out:
	free(maps);
	free(sizes);
	free(tried);
	free(ps.p);
	return rc;
}

/* ---- opening ---- */

static int fail(struct reader *r, const char *msg)
{
	hi_error("%s: %s %s", r->who, r->path, msg);
	return -1;
}

static int read_core(struct reader *r, struct hi_image *img, const char *exe)
{
	Elf64_Ehdr eh;
	if (r->size < sizeof eh)
		return fail(r, "is truncated (shorter than an ELF header)");
	memcpy(&eh, r->map, sizeof eh);
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return fail(r, "is not a 64-bit little-endian ELF file; heapinspect reads cores of this machine's kind");
	if (eh.e_type != ET_CORE) {
		hi_error("%s: %s is an ELF file but not a core (its type is %u); give a core file, or run the program and attach to it",
			 r->who, r->path, (unsigned)eh.e_type);
		return -1;
	}
	if (eh.e_machine != HOST_MACHINE)
		return fail(r, "is a core of another machine; read it on a machine of its kind");
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > r->size ||
	    (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > r->size - eh.e_phoff)
		return fail(r, "is truncated or corrupt (its program headers lie outside the file)");
	if (!(r->segs = calloc(eh.e_phnum ? eh.e_phnum : 1, sizeof *r->segs)))
		return fail(r, "cannot be read: out of memory");
	int notes = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, r->map + eh.e_phoff + i * sizeof ph, sizeof ph);
		if (ph.p_type == PT_NOTE) {
			if (ph.p_offset > r->size || ph.p_filesz > r->size - ph.p_offset)
				return fail(r, "is truncated: its notes lie past its end; the core was cut short while written");
			int rc = parse_notes(r, ph.p_offset, ph.p_filesz);
			if (rc == -2)
				return fail(r, "cannot be read: out of memory");
			if (rc < 0)
				return fail(r, "is corrupt (a note runs past its segment)");
			notes++;
		} else if (ph.p_type == PT_LOAD && ph.p_memsz) {
			if (ph.p_vaddr + ph.p_memsz < ph.p_vaddr)
				return fail(r, "is corrupt (a segment wraps around the address space)");
			struct seg *s = &r->segs[r->nsegs++];
			uint64_t held = ph.p_filesz < ph.p_memsz ? ph.p_filesz : ph.p_memsz;
			uint64_t avail = ph.p_offset < r->size ? r->size - ph.p_offset : 0;
			s->vaddr = ph.p_vaddr;
			s->readable = (ph.p_flags & PF_R) != 0;
			s->memsz = ph.p_memsz;
			s->held = held < avail ? held : avail;
			s->data = r->map + (ph.p_offset < r->size ? ph.p_offset : 0);
			r->core->truncated += held - s->held;
		}
	}
	if (!notes)
		return fail(r, "has no notes: it is not a process's core");
	if (!r->fmaps)
		return fail(r, "lacks the note of mapped files (NT_FILE) that says where the modules were; "
			       "write it with gcore or a kernel of 3.7 or newer");
	qsort(r->segs, r->nsegs, sizeof *r->segs, seg_cmp);
	for (size_t i = 1; i < r->nsegs; i++)
		if (r->segs[i].vaddr < r->segs[i - 1].vaddr + r->segs[i - 1].memsz)
			return fail(r, "is corrupt (two segments overlap)");
	/* The executable: the file whose mapping holds the entry point, else
	 * the first one mapped from its start.  */
	r->core->exe = -1;
	for (size_t k = 0; k < r->nfmaps && r->core->exe < 0; k++)
		if (r->entry && r->entry >= r->fmaps[k].start && r->entry < r->fmaps[k].end)
			r->core->exe = (int)r->fmaps[k].file;
	for (size_t k = 0; k < r->nfmaps && r->core->exe < 0; k++)
		if (r->fmaps[k].off == 0)
			r->core->exe = (int)r->fmaps[k].file;
	if (!r->core->writer[0])
		snprintf(r->core->writer, sizeof r->core->writer, "kernel");
	if (r->core->pid > 0)
		img->pid = r->core->pid;
	else if (r->core->nthreads)
		img->pid = r->core->tids[0];
	if (!(img->mem = hi_mem_open_image()) || build_memory(r, img, exe) < 0)
		return fail(r, "cannot be read: out of memory");
	return 0;
}

struct hi_image *hi_core_open(const char *path, const char *exe, const char *who)
{
	struct hi_image *img = calloc(1, sizeof *img);
	struct reader r = { .path = path, .who = who };
	if (!img || !(r.core = img->core = calloc(1, sizeof *img->core))) {
		hi_error("%s: out of memory", who);
		free(img);
		return NULL;
	}
	img->what = "a core file";
	img->release = release;
	if (!(img->path = strdup(path))) {
		hi_error("%s: out of memory", who);
		hi_image_close(img);
		return NULL;
	}
	img->map = MAP_FAILED;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		hi_error("%s: cannot open %s: %s", who, path, strerror(errno));
		goto fail;
	}
	img->taken = (int64_t)st.st_mtime;
	img->maplen = (size_t)st.st_size;
	img->map = mmap(NULL, img->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	fd = -1;
	if (img->map == MAP_FAILED) {
		hi_error("%s: cannot map %s: %s", who, path, strerror(errno));
		goto fail;
	}
	r.map = img->map;
	r.size = img->maplen;
	if (read_core(&r, img, exe) < 0)
		goto fail;
	const struct hi_core *c = img->core;
	if (c->exe >= 0) {
		snprintf(img->exe, sizeof img->exe, "%s", c->files[c->exe].path ? c->files[c->exe].path : c->files[c->exe].name);
	}
	free(r.segs);
	free(r.fmaps);
	return img;
fail:
	if (fd >= 0)
		close(fd);
	free(r.segs);
	free(r.fmaps);
	hi_image_close(img);
	return NULL;
}

struct hi_dbg *hi_core_debuginfo(const struct hi_image *img, const char *who)
{
	const struct hi_core *c = img->core;
	struct hi_dbg_module *mods = calloc(c->nfiles ? c->nfiles : 1, sizeof *mods);
	size_t n = 0;
	if (!mods) {
		hi_error("%s: out of memory", who);
		return NULL;
	}
	/* Python's own module first: of another build, or missing, it is
	 * the reason nothing can be read.  */
	for (size_t i = 0; i < c->nfiles; i++) {
		const struct hi_core_file *f = &c->files[i];
		const char *b = strrchr(f->name, '/');
		b = b ? b + 1 : f->name;
		int pythonish = strstr(b, "python") != NULL;
		if (!f->base || !pythonish)
			continue;
		if (f->state == HI_CORE_FILE_OTHER || f->state == HI_CORE_FILE_MISSING) {
			if (f->state == HI_CORE_FILE_OTHER)
				hi_error("%s: %s is not the build the core was written by (its build id differs); read the core where it was written, or give that build's executable: heapinspect core FILE EXECUTABLE",
					 who, f->path);
			else
				hi_error("%s: %s, which the process had mapped, cannot be opened here; read the core where it was written, or give the executable: heapinspect core FILE EXECUTABLE",
					 who, f->path ? f->path : f->name);
			hi_error_class(HI_E_NODEBUG);
			free(mods);
			return NULL;
		}
	}
	for (size_t i = 0; i < c->nfiles; i++) {
		const struct hi_core_file *f = &c->files[i];
		if (!f->base || f->state == HI_CORE_FILE_OTHER || f->state == HI_CORE_FILE_MISSING)
			continue;
		mods[n++] = (struct hi_dbg_module){ f->name, f->path ? f->path : f->name, f->base };
	}
	struct hi_dbg *d = hi_dbg_open_modules(mods, n, img->exe, who);
	free(mods);
	return d;
}

struct hi_image *hi_core_or_image_open(const char *path, const char *exe, const char *who)
{
	if (is_elf(path))
		return hi_core_open(path, exe, who);
	if (exe) {
		hi_error("%s: %s is not a core file; an executable goes with a core file only", who, path);
		hi_error_class(HI_E_USAGE);
		return NULL;
	}
	return hi_image_open(path, who);
}

struct hi_dbg *hi_core_or_image_debuginfo(const struct hi_image *img, const char *who)
{
	return img->core ? hi_core_debuginfo(img, who) : hi_image_debuginfo(img, who);
}
