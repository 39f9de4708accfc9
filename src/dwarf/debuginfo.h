/* debuginfo.h: what the target's own debug information says.
 *
 * Finds, among the modules mapped into a process (or in one ELF file, for
 * tests), the one that defines _PyRuntime: libpython in shared builds, the
 * python executable in static ones.  Answers symbol addresses (relocated to
 * where the module is loaded) and struct layouts from its DWARF: sizes and
 * member offsets, looked up by name.  Every layout heapinspect uses comes
 * from here; there are no per-version offset tables.
 *
 * Debug info is found the standard way (embedded, build-id files under
 * /usr/lib/debug as Debian's -dbg packages install them, .gnu_debuglink,
 * debuginfod when DEBUGINFOD_URLS is set), including DWZ alt files.  */
#ifndef HI_DEBUGINFO_H
#define HI_DEBUGINFO_H
#include <stdint.h>
#include <sys/types.h>
#include "dwarf/dwindex.h"

struct hi_dbg;

/* Report the modules of live process PID and find its Python.  Returns NULL
 * with hi_errmsg() set: not a CPython process, too old a CPython, no debug
 * information (naming the package to install).  */
struct hi_dbg *hi_dbg_open_pid(pid_t pid);

/* Open one ELF file (libpython or a static python) at load address 0. */
struct hi_dbg *hi_dbg_open_file(const char *path);

/* The DWARF of another module mapped into PYTHON's process (opened with
 * hi_dbg_open_pid): the first whose file name contains NAME, as an
 * extension module's ("_multiarray_umath").  The process's modules are
 * listed afresh, so a module loaded after attaching is found.  Symbols and
 * layouts are then that module's.  Returns NULL with hi_errmsg() set when
 * no such module is mapped or it has no debug information (class
 * HI_E_NODEBUG), or PYTHON is not a live process.  */
struct hi_dbg *hi_dbg_open_module(const struct hi_dbg *python, const char *name);

/* Open one ELF file's DWARF whatever it describes (no _PyRuntime needed):
 * for tests.  NULL with hi_errmsg() set.  */
struct hi_dbg *hi_dbg_open_elf(const char *path);
/* Open the Python module PATH as if loaded at BASE (what
 * hi_dbg_python_base said of the live process) into a process running
 * EXE, for reading a saved memory image.  WHO prefixes errors.  NULL with
 * hi_errmsg() set.  */
struct hi_dbg *hi_dbg_open_loaded(const char *path, uint64_t base, const char *exe, const char *who);

/* One module of a process that is not there to ask (a core file's):
 * NAME as the process knew it, PATH the file to read for it, and BASE,
 * where its first mapping began.  */
struct hi_dbg_module {
	const char *name, *path;
	uint64_t base;
};
/* Report MODS, the modules of a process that is not live, and find its
 * Python among them as hi_dbg_open_pid does; EXE is its executable.
 * Files that are not ELF are left out.  hi_dbg_open_module then finds
 * extension modules among MODS too.  NULL with hi_errmsg() set (WHO
 * prefixes it).  */
struct hi_dbg *hi_dbg_open_modules(const struct hi_dbg_module *mods, size_t n, const char *exe, const char *who);

/* Where the Python module starts in the process (its lowest address). */
uint64_t hi_dbg_python_base(const struct hi_dbg *d);
/* The addresses it spans, [*LO, *HI).  */
void hi_dbg_python_span(const struct hi_dbg *d, uint64_t *lo, uint64_t *hi);

/* Copy the Python module's GNU build id into OUT (at most MAX bytes);
 * returns its length, 0 if it has none.  */
size_t hi_dbg_build_id(const struct hi_dbg *d, unsigned char *out, size_t max);

void hi_dbg_close(struct hi_dbg *d);

/* Paths: the module holding the Python runtime, the main executable (NULL
 * for a file), and the file the DWARF was read from.  Owned by D.  */
const char *hi_dbg_python_path(const struct hi_dbg *d);
const char *hi_dbg_exe_path(const struct hi_dbg *d);
const char *hi_dbg_debug_path(const struct hi_dbg *d);
/* The file of the DWARF's answers kept for this build (dwcache.h), NULL
 * when the cache is off; and whether the DWARF itself was read (else the
 * cached answers stood in for it).  */
const char *hi_dbg_cache_file(const struct hi_dbg *d);
int hi_dbg_dwarf_read(const struct hi_dbg *d);

/* Where the layouts come from: the DWARF, read now; the answers it gave
 * an earlier attach to this build (dwcache.h); or a layout pack
 * (pack.h), of this very build (*SAME_BUILD) or another of the same
 * version and kind, named by hi_dbg_pack_file.  */
enum { HI_LAYOUT_DWARF, HI_LAYOUT_CACHE, HI_LAYOUT_PACK };
int hi_dbg_layout_source(const struct hi_dbg *d);
/* The same in a word: "dwarf", "cache" or "pack".  */
const char *hi_dbg_layout_source_name(const struct hi_dbg *d);
const char *hi_dbg_pack_file(const struct hi_dbg *d, const char **version, int *same_build);

/* The identity of the Python module's build, as a layout pack records
 * it (pack.h), read from the module's file: the version from Py_Version
 * (3.11+; before, only the minor, from the file name), the build kind
 * from the symbols only such builds define, pointer size, machine and
 * build id.  */
struct hi_pack_id;
struct hi_dwcache;
void hi_dbg_identify(struct hi_dbg *d, struct hi_pack_id *id);

/* Every question put so far and its answer, for saving as a layout pack
 * (pack.h).  */
const struct hi_dwcache *hi_dbg_answers(const struct hi_dbg *d);
size_t hi_dbg_answer_count(const struct hi_dbg *d);

/* When a question was put that neither the cached answers nor the DWARF
 * could answer (hi_dbg_missed, dwindex.h): -1 with hi_errmsg() saying
 * which, from which cache, and the remedies (class HI_E_NODEBUG); else
 * 0.  */
int hi_dbg_refuse_missed(const struct hi_dbg *d, const char *who);
/* "3.11" as read from the module name, or "" if it does not say.  */
const char *hi_dbg_name_version(const struct hi_dbg *d);

/* Is ADDR in the code (an executable section) of a module of the
 * process?  What the emulator may run.  For an image, whose modules other
 * than Python's are not known, an address outside every known module may
 * be code too (1).  */
int hi_dbg_is_code(struct hi_dbg *d, uint64_t addr);

/* For every slot (GOT entry) of every module of the process through which
 * it calls or takes one of the functions NAMES (NULL-terminated), call
 * FN with the name's index and the slot's address; what the slot holds
 * (read from the target) is where that function is.  */
typedef void (*hi_dbg_import_fn)(int name, uint64_t slot, void *arg);
void hi_dbg_each_import(struct hi_dbg *d, const char *const *names, hi_dbg_import_fn fn, void *arg);

/* Address (relocated) and size of a symbol of the Python module.  A
 * static that link-time optimization renamed (deque_type.lto_priv.0 on
 * Debian) is found by its own name when exactly one such local exists.
 * Returns 0, or -1 if absent or ambiguous.  */
int hi_dbg_symbol(struct hi_dbg *d, const char *name, uint64_t *addr, uint64_t *size);

/* A thread-local variable NAME of the Python module: its offset in the
 * module's TLS block, and the addresses the module spans (its code
 * finds the block through a tls_index in that range).  0, or -1.  */
int hi_dbg_tls_symbol(struct hi_dbg *d, const char *name, uint64_t *offset, uint64_t *lo, uint64_t *hi);

/* The process D was opened on, or 0 for a file.  */
pid_t hi_dbg_pid(const struct hi_dbg *d);
/* Were all the modules of a process that is not live reported (a core's,
 * hi_dbg_open_modules)?  Then hi_dbg_open_module finds them.  */
int hi_dbg_modules_known(const struct hi_dbg *d);

/* Seconds spent indexing DWARF, for `info -v` and benchmarks.  */
double hi_dbg_index_seconds(const struct hi_dbg *d);

#endif
