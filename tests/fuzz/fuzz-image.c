/* fuzz-image.c: libFuzzer harness for the walker, over a mutated image.
 *
 * The base is a real memory image of a small Python process (written by
 * `dump`, or a core file of it, named by HEAPINSPECT_FUZZ_IMAGE).  A fuzz input is a list of
 * patches to that image, aimed at the places a walk trusts: words at and
 * around the objects on the GC lists (headers, type pointers, sizes, item
 * pointers, the GC links before them).  Each run applies the patches,
 * takes a census (by kind, or by type with identity keys as `setrel`
 * records them) of what the patched objects reach, at most MAX_OBJECTS of
 * them, then restores the bytes.  Aiming at objects keeps mutations where
 * they matter, and bounding the walk keeps a run to milliseconds even
 * under the sanitizers.  An input whose first byte is 0xff starts from the
 * GC lists and the threads' frames instead, as `heap` does (bounded too).
 *
 * Input: records of 12 bytes, at most MAX_PATCHES of them:
 *   u16 object   which GC object (modulo their number)
 *   u8  word     which word, from 4 words before the object (GC header,
 *                3.11+'s managed dict slots) to 40 after it
 *   u8  how      what to write (enum below)
 *   u64 value    the operand
 * The first byte of the input, when odd, selects the by-type census.  */
#include "config.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "census/census.h"
#include "util/error.h"
#include "walk/gcwalk.h"
#include "walk/heap.h"
#include "walk/labels.h"
#include "mem/core.h"
#include "mem/image.h"
#include "python/numpy.h"
#include "python/pyobj.h"
#include "util/u64map.h"

#define MAX_PATCHES 64
#define MAX_OBJECTS 600
#define WORDS_BEFORE 4
#define WORDS_SPAN 44

enum how {
	RAW,		/* the 8 bytes of value */
	POINTER,	/* another GC object, plus a small signed delta */
	SMALL,		/* a small signed integer (counts, sizes, indexes) */
	LOW32,		/* only the low 4 bytes */
	BYTE,		/* only the low byte */
	SAME_WORD,	/* the same word of another object (type confusion) */
	HUGE,		/* a huge count or size */
	SELF,		/* a pointer to this very object (cycles) */
	NHOW
};

static struct {
	struct hi_image *img;
	struct hi_dbg *dbg;
	struct hi_py py;
	uint64_t *objs;
	unsigned char *is_type;	/* objs[i] is a type object */
	size_t nobjs, cap;
	struct hi_gcinfo info;
} F;

static int collect(uint64_t obj, int interp, void *arg)
{
	(void)interp;
	(void)arg;
	if (F.nobjs == F.cap) {
		size_t cap = F.cap ? F.cap * 2 : 4096;
		uint64_t *n = realloc(F.objs, cap * sizeof *n);
		if (!n)
			return 1;
		F.objs = n;
		F.cap = cap;
	}
	F.objs[F.nobjs++] = obj;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *path = getenv("HEAPINSPECT_FUZZ_IMAGE");
	if (!path) {
		fprintf(stderr, "fuzz-image: set HEAPINSPECT_FUZZ_IMAGE to an image written by `dump FILE`, or a core file\n");
		exit(2);
	}
	if (!(F.img = hi_core_or_image_open(path, NULL, "fuzz")) || !(F.dbg = hi_core_or_image_debuginfo(F.img, "fuzz")) ||
	    hi_py_init(&F.py, F.dbg, F.img->mem, "fuzz") < 0 || hi_gc_walk(&F.py, &F.info, -1, collect, NULL, "fuzz") < 0 ||
	    F.nobjs == 0) {
		fprintf(stderr, "fuzz-image: %s\n", hi_errmsg());
		exit(2);
	}
	if (!(F.is_type = calloc(F.nobjs, 1)))
		exit(2);
	size_t ntypes = 0;
	for (size_t i = 0; i < F.nobjs; i++)
		ntypes += F.is_type[i] = hi_py_type(&F.py, F.objs[i]) != NULL;
	hi_py_reset(&F.py);
	hi_np_reset(&F.py);
	fprintf(stderr, "fuzz-image: %s: CPython %s, %zu objects on the GC lists, %zu of them types\n", path,
		F.py.version, F.nobjs, ntypes);
	return 0;
}

struct saved {
	unsigned char *at;
	unsigned char old[8];
	size_t len;
};

static int fuzz_label(const char *label, uint64_t ref, void *arg)
{
	(void)arg;
	(void)ref;
	if (strlen(label) >= HI_LABEL_MAX)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct saved saved[MAX_PATCHES];
	uint64_t roots[MAX_PATCHES];
	size_t nsaved = 0, nroots = 0;
	int types_changed = 0;
	for (size_t at = 0; at + 12 <= size && nsaved < MAX_PATCHES; at += 12) {
		uint16_t oi;
		uint64_t value;
		memcpy(&oi, data + at, 2);
		memcpy(&value, data + at + 4, 8);
		uint8_t word = data[at + 2] % WORDS_SPAN, how = data[at + 3] % NHOW;
		uint64_t obj = F.objs[oi % F.nobjs];
		types_changed |= F.is_type[oi % F.nobjs];
		uint64_t addr = obj - WORDS_BEFORE * 8 + (uint64_t)word * 8;
		uint64_t w;
		size_t len = 8;
		switch (how) {
		case RAW: w = value; break;
		case POINTER: w = F.objs[(value & 0xffff) % F.nobjs] + (uint64_t)(int64_t)(int8_t)(value >> 16); break;
		case SMALL: w = (uint64_t)((int64_t)(value % 512) - 256); break;
		case LOW32: w = value; len = 4; break;
		case BYTE: w = value; len = 1; break;
		case SAME_WORD: {
			uint64_t other = F.objs[(value & 0xffff) % F.nobjs] - WORDS_BEFORE * 8 + (uint64_t)word * 8;
			const unsigned char *p = hi_mem_image_ptr(F.img->mem, other, 8);
			if (!p)
				continue;
			memcpy(&w, p, 8);
			break;
		}
		case HUGE: w = ((uint64_t)1 << 62) | value; break;
		default: w = obj; break;
		}
		unsigned char *p = hi_mem_image_ptr(F.img->mem, addr, len);
		if (!p)
			continue;
		saved[nsaved].at = p;
		saved[nsaved].len = len;
		memcpy(saved[nsaved].old, p, len);
		nsaved++;
		memcpy(p, &w, len);	/* little-endian: the low LEN bytes */
		roots[nroots++] = obj;
	}
	if (!nroots && size >= 2)
		roots[nroots++] = F.objs[(data[0] | data[1] << 8) % F.nobjs];
	hi_mem_invalidate(F.img->mem);
	/* The type cache holds what was read of type objects (and which
	 * addresses are not types).  It is kept from run to run, as a live
	 * census keeps it for one stop, unless this run patches a type or
	 * the cache has grown large: then it starts afresh.  */
	if (types_changed || F.py.type_index.len > 8192) {
		hi_py_reset(&F.py);
		hi_np_reset(&F.py);
	}

	int by_type = size > 0 && (data[0] & 1);
	struct hi_keyset record;
	hi_keyset_init(&record);
	struct hi_heap_opts opts = { by_type ? HI_BY_TYPE : HI_BY_KIND, NULL, by_type ? &record : NULL,
				     roots, nroots, MAX_OBJECTS };
	if (size > 0 && data[0] == 0xff)
		opts.nroots = 0;	/* the GC lists and frames, still bounded */
	/* The reference graph, its named roots and paths, and the labels
	 * of what the first objects hold, as path and referents read them. */
	struct hi_heapgraph graph;
	hi_heapgraph_init(&graph);
	if (size > 0 && (data[0] & 2))
		opts.graph = &graph;
	struct hi_census c;
	struct hi_gcinfo *info = malloc(sizeof *info);
	struct hi_heap_diag diag;
	hi_census_init(&c, by_type ? "type" : "kind");
	if (info && hi_heap_census(&F.py, &opts, &c, info, &diag, "fuzz") == 0) {
		/* What a report would do with it: every row sorted, and the
		 * counts adding up.  */
		size_t n = 0;
		struct hi_row *rows = hi_census_sorted(&c, &n);
		uint64_t objects = 0;
		for (size_t i = 0; rows && i < n; i++)
			objects += rows[i].count;
		if (rows && objects != c.objects)
			abort();
		free(rows);
		if (opts.graph && hi_heapgraph_finish(&graph) == 0) {
			if (!hi_heapgraph_paths(&graph) || !hi_heapgraph_referrers(&graph))
				abort();	/* out of memory on a bounded graph */
			for (uint32_t v = 0; v < graph.n && v < 64; v++) {
				char label[HI_LABEL_MAX];
				struct hi_type *t = hi_py_type(&F.py, hi_py_type_of(&F.py, graph.addr[v]));
				if (t)
					hi_labelled_referents(&F.py, graph.addr[v], t, fuzz_label, NULL);
				hi_short_repr(&F.py, graph.addr[v], label);
				for (uint64_t k = graph.refs.first[v]; k < graph.refs.first[v + 1] && k < graph.refs.first[v] + 4; k++)
					hi_ref_label(&F.py, graph.addr[v], graph.addr[graph.refs.to[k]], label);
			}
		}
	}
	hi_heapgraph_free(&graph);
	free(info);
	hi_census_free(&c);
	if (by_type && hi_keyset_seal(&record) == 0) {	/* as setrel seals it: then looked up */
		uint64_t key;
		for (size_t i = 0; i < record.n; i++)
			if (!hi_keyset_get(&record, record.v[i].addr, &key) || key != record.v[i].key)
				abort();
	}
	hi_keyset_free(&record);
	if (types_changed) {	/* no patched type outlives its run */
		hi_py_reset(&F.py);
		hi_np_reset(&F.py);
	}

	/* Undo, newest first: patches may overlap.  */
	while (nsaved--)
		memcpy(saved[nsaved].at, saved[nsaved].old, saved[nsaved].len);
	return 0;
}
