/* fuzz-core.c: libFuzzer harness for the ELF core reader (mem/core.c).
 *
 * The base is a real core file (gcore's, named by HEAPINSPECT_FUZZ_CORE).
 * A fuzz input patches the parts the reader parses: the ELF header and
 * program headers at the start of the file, and the notes (NT_PRSTATUS,
 * NT_PRPSINFO, NT_AUXV, NT_FILE: counts, addresses, offsets, names),
 * wherever the program headers say they are; then it may cut the file
 * short.  Each run writes the patched core to a memory file, reads it as
 * `heapinspect core` does (notes, segments, the mapped files it lacks,
 * their build ids), reads a few words of its memory, and closes it.
 *
 * Input: records of 4 bytes, at most MAX_PATCHES of them:
 *   u8  region   even: the file's first HEAD bytes; odd: the notes
 *   u8  value    the byte written
 *   u16 offset   where, within the region (modulo its size)
 * and, when the input's length is 2 more than a multiple of 4, a last
 * u16: the file is cut to that many 64ths of its length.  */
#define _GNU_SOURCE
#include "config.h"
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mem/core.h"
#include "mem/image.h"
#include "util/error.h"

#define MAX_PATCHES 64
#define HEAD 4096

static unsigned char *base;
static size_t size;
static size_t notes_off, notes_len;	/* the first PT_NOTE, within the file */
static unsigned char *work;
static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *p = getenv("HEAPINSPECT_FUZZ_CORE");
	struct stat st;
	int in = p ? open(p, O_RDONLY) : -1;
	if (in < 0 || fstat(in, &st) < 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		fprintf(stderr, "fuzz-core: set HEAPINSPECT_FUZZ_CORE to a core file (gcore PID writes one)\n");
		exit(2);
	}
	size = (size_t)st.st_size;
	base = malloc(size);
	work = malloc(size);
	if (!base || !work || read(in, base, size) != (ssize_t)size)
		exit(2);
	close(in);
	Elf64_Ehdr eh;
	memcpy(&eh, base, sizeof eh);
	for (unsigned i = 0; i < eh.e_phnum && eh.e_phoff + (i + 1) * sizeof(Elf64_Phdr) <= size; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, base + eh.e_phoff + i * sizeof ph, sizeof ph);
		if (ph.p_type == PT_NOTE && ph.p_offset < size && ph.p_filesz <= size - ph.p_offset) {
			notes_off = ph.p_offset;
			notes_len = ph.p_filesz;
			break;
		}
	}
	if (!notes_len) {
		fprintf(stderr, "fuzz-core: %s has no notes: not a core\n", p);
		exit(2);
	}
	if ((fd = memfd_create("fuzz-core", 0)) < 0)
		exit(2);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	fprintf(stderr, "fuzz-core: %s: %zu bytes, %zu of notes at %zu\n", p, size, notes_len, notes_off);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	memcpy(work, base, size);
	size_t len = size, at = 0;
	for (int k = 0; at + 4 <= n && k < MAX_PATCHES; at += 4, k++) {
		uint16_t off;
		memcpy(&off, data + at + 2, 2);
		if (data[at] & 1)
			work[notes_off + off % notes_len] = data[at + 1];
		else
			work[off % (size < HEAD ? size : HEAD)] = data[at + 1];
	}
	if (n % 4 == 2) {
		uint16_t cut;
		memcpy(&cut, data + n - 2, 2);
		len = size / 64 * (cut % 65);
		if (len > size)
			len = size;
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, work, len, 0) != (ssize_t)len)
		abort();
	struct hi_image *img = hi_core_or_image_open(path, NULL, "fuzz");
	if (img) {
		/* A few reads across what it holds: the start of each range. */
		size_t nr = hi_mem_image_nranges(img->mem);
		for (size_t i = 0; i < nr && i < 64; i++) {
			uint64_t a, w;
			size_t l;
			hi_mem_image_range(img->mem, i, &a, &l);
			hi_mem_read(img->mem, a, &w, sizeof w);
			hi_mem_read(img->mem, a + l - 1, &w, 1);
		}
		hi_image_close(img);
	} else if (!hi_errmsg()[0]) {
		abort();	/* refused without saying why */
	}
	hi_error_clear();
	return 0;
}
