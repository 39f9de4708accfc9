/* numpy.h: numpy's arrays, read from target memory.
 *
 * numpy's extension module (_multiarray_umath) is a shared object of its
 * own, usually without debug information, so its types are known by name:
 * typetable.c gives the static type named "numpy.ndarray" the family
 * HI_B_NDARRAY, and its subclasses inherit it through tp_base.  The
 * layouts of PyArrayObject_fields and PyArray_Descr come from numpy's
 * DWARF when the module has any, else from numpy's public ABI (the table
 * at the top of numpy.c: the one place heapinspect writes a layout down,
 * allowed because numpy keeps these fields stable for compiled
 * extensions).  PyArray_Descr changed in numpy 2 (elsize became an
 * npy_intp after a new flags word): numpy.__version__, read from the
 * target, picks the variant, and each descriptor read is validated.
 *
 * ndarray has no tp_traverse: gc.get_referents(a) is empty, so every
 * gc-based tool misses an array's base (the array a view keeps alive) and
 * its dtype.  heapinspect follows both (referents.c).  */
#ifndef HI_NUMPY_H
#define HI_NUMPY_H
#include <stddef.h>
#include <stdint.h>
#include "python/pyobj.h"

/* numpy 2 allows 64 dimensions (NPY_MAXDIMS), numpy 1 32.  */
#define HI_NP_MAXDIMS 64
/* PyArrayObject_fields.flags: the array owns (frees) its data.  */
#define HI_NP_OWNDATA 0x0004

/* Where each field lives; offsets in bytes, sizes of the integers.  */
struct hi_np_layout {
	char source[300];	/* where the layout came from, for people */
	char version[32];	/* numpy.__version__ if readable, else "" */
	int major;		/* its major number, 0 if unknown */
	int from_dwarf;
	int abi;		/* without DWARF: the public ABI of numpy 1 or 2 */
	char no_dwarf[240];	/* without DWARF: why */
	uint32_t data, nd, dimensions, strides, base, descr, flags;
	uint32_t end;		/* a valid ndarray type's tp_basicsize is at least this */
	/* PyArray_Descr */
	uint32_t d_kind, d_type, d_byteorder, d_elsize, d_elsize_size;
	int descr_known;	/* 0: the numpy 1/2 variant is still to be decided */
	int version_pending;	/* numpy.__version__ not read yet */
	int dwarf_looked;	/* 0: made during a pause, from the public ABI,
				 * before numpy's DWARF was looked for */
	/* Descriptors read during this stop: arrays share a few dtypes.  */
	struct { uint64_t addr, elsize; char kind, type, byteorder; } descr_memo[64];
};

struct hi_np_array {
	uint64_t addr, data, base, descr;
	int nd;
	int flags;
	int owned;		/* flags & NPY_ARRAY_OWNDATA */
	char kind, type, byteorder;	/* the dtype's characters */
	uint64_t itemsize;	/* descr->elsize */
	uint64_t nbytes;	/* itemsize * product(dims) */
	int64_t dims[HI_NP_MAXDIMS];
};

/* numpy's layout for PY's target, learned on first use (the target must
 * be stopped, or PY read a copy).  It never looks for debug information:
 * what hi_np_prepare found, else numpy's public ABI until the next
 * hi_np_prepare looks.  NULL when out of memory; then arrays are sized by
 * the default rule and not followed.  */
const struct hi_np_layout *hi_np_layout(struct hi_py *py);
void hi_np_free(struct hi_py *py);

/* Forget what was read during the last stop (hi_py_reset calls it).  */
void hi_np_reset(struct hi_py *py);

/* Before stopping the target: if numpy's module is mapped and its DWARF
 * not yet looked for, look now (milliseconds, or a debuginfod query), so
 * that the pause does not pay for it; a layout made from the public ABI
 * during an earlier pause gives way to what is found.  Refused (counted
 * in py->np_refused, nothing looked up) while py->paused: the one way
 * into dwfl is closed while the target is stopped.  */
void hi_np_prepare(struct hi_py *py);

/* The public-ABI layout of numpy MAJOR (1 or 2): what hi_np_layout falls
 * back to without DWARF.  Exposed for the unit test that checks it
 * against DWARF compiled from numpy's real headers.  */
void hi_np_layout_fallback(struct hi_np_layout *l, int major);

/* The layout from a module's DWARF (numpy's, or a test's object file).
 * Returns 0, or -1 when it does not describe both structs.  */
int hi_np_layout_dwarf(struct hi_np_layout *l, struct hi_dbg *d);

/* Decode the array OBJ of type T (family HI_B_NDARRAY).  Returns 0, or -1
 * when its memory does not add up (then A is unspecified).  */
int hi_np_array(struct hi_py *py, uint64_t obj, const struct hi_type *t, struct hi_np_array *a);

/* sys.getsizeof(OBJ) before the GC header: numpy's array_sizeof,
 * tp_basicsize + 2 * nd * sizeof(npy_intp), plus nbytes when the array
 * owns its data.  tp_basicsize alone when the array cannot be read
 * (counted in py->bad_reads).  */
uint64_t hi_np_sizeof(struct hi_py *py, uint64_t obj, const struct hi_type *t);

/* Report OBJ's base and descr (what no tp_traverse reports).  */
void hi_np_refs(struct hi_py *py, uint64_t obj, const struct hi_type *t, void (*fn)(uint64_t, void *), void *arg);

/* Python's repr of A's shape into BUF: "(3, 4)", "(10,)", "()".  */
void hi_np_shape_str(const struct hi_np_array *a, char *buf, size_t size);

/* numpy.__version__ of PY's target into BUF, or -1 when numpy is not
 * imported (not in sys.modules) or it cannot be read.  */
int hi_np_version(struct hi_py *py, char *buf, size_t size);

#endif
