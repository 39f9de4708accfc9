/* pack.h: layout packs, the DWARF's answers saved for a CPython build.
 *
 * A pack is what the DWARF of one CPython build answered to every
 * question heapinspect asks of it (struct sizes, member offsets, enum
 * values; and the build's own addresses of statics and local symbols),
 * with the identity of that build: its version, build kind (debug,
 * free-threaded, trace-refs), pointer size, machine and build id.  It is
 * written by `layout save` from a build that has its DWARF, never by
 * hand, and read when a target's Python has no debug information: the
 * stripped builds of container images, standalone builds and distro
 * Pythons without their -dbg package.
 *
 * A pack of the target's own build (the same build id: a stripped copy
 * of a build that was saved) is used whole.  A pack of another build of
 * the same version and kind gives the layouts only: addresses are the
 * build's own, and are left out.  Either way the Python layer checks the
 * pack against the target before trusting it (python/validate.h).
 *
 * The file is text: a header of "key value" lines ending with "--", then
 * one question a line, its fields and its answer separated by tabs, in
 * sorted order so that packs diff well.  */
#ifndef HI_PACK_H
#define HI_PACK_H
#include <stddef.h>

struct hi_dwcache;

enum {
	HI_PACK_DEBUG = 1,		/* Py_DEBUG (Py_REF_DEBUG's symbols) */
	HI_PACK_FREETHREADED = 2,	/* Py_GIL_DISABLED */
	HI_PACK_TRACEREFS = 4,		/* Py_TRACE_REFS */
};

struct hi_pack_id {
	char version[32];	/* "3.11.7"; "3.9" when only the minor is known */
	unsigned flags;		/* HI_PACK_* */
	unsigned ptr_size;	/* bytes */
	unsigned machine;	/* ELF e_machine */
	char build_id[129];	/* hex, "" when the module has none */
};

/* "release", "debug", "free-threaded", "free-threaded debug", with
 * " trace-refs" added when it applies.  */
void hi_pack_kind(unsigned flags, char *out, size_t size);

/* "3.11.7", "3.13.0rc2": a PY_VERSION_HEX (Py_Version) in words.  */
void hi_pack_version(unsigned hex, char *out, size_t size);

/* "x86_64" for EM_X86_64, else "machine N".  */
const char *hi_pack_machine(unsigned machine, char *buf, size_t size);

/* Write the answers in ANSWERS, with identity ID, to PATH (a new file
 * renamed over the old).  FROM says where the answers came from.  0, or
 * -1 with hi_errmsg() set (WHO prefixes it).  */
int hi_pack_write(const char *path, const struct hi_pack_id *id, const char *from,
		  const struct hi_dwcache *answers, const char *who);

/* Read the pack at PATH: its identity into ID and its answers into a new
 * table (hi_dwcache_new).  Answers that hold the saved build's own
 * addresses (statics, symbols, thread-locals) are kept only when
 * BUILD_ID is the pack's; *SAME_BUILD says whether it was.  NULL with
 * hi_errmsg() set.  */
struct hi_dwcache *hi_pack_read(const char *path, const char *build_id, struct hi_pack_id *id, int *same_build,
				const char *who);

/* Find the pack for the build WANT describes: HEAPINSPECT_LAYOUT when
 * set (the pack to use, whatever it says); else, in the directories of
 * HEAPINSPECT_LAYOUT_PATH (colon-separated), $XDG_DATA_HOME/heapinspect/
 * layouts (~/.local/share/...) and the installed ones, a pack of the same
 * build id, or else one of the same version, kind, pointer size and
 * machine (when WANT knows only the minor version, the one version of
 * that minor the packs hold).  Its path into PATH: 0; or -1 with
 * hi_errmsg() set, saying what was looked for and where.  */
int hi_pack_find(const struct hi_pack_id *want, char *path, size_t size, const char *who);

/* The directories searched, colon-separated, for messages.  */
const char *hi_pack_dirs(void);

#endif
