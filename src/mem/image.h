/* image.h: a saved memory image of a Python process.
 *
 * `dump FILE` writes what a census reads: the stopped target's resident
 * writable mappings and the read-only mappings of its loaded code, plus
 * where its Python module was loaded and that module's build id.  Reading
 * the file back gives a memory reader (mem.h) and debug information
 * (debuginfo.h) as if the process were still there, so every command runs
 * on it unchanged; the fuzzer feeds mutated images to the walker this way.
 *
 * The file is untrusted input: every length, offset and address in it is
 * checked before use.  The format is described in doc/design.md.  */
#ifndef HI_IMAGE_H
#define HI_IMAGE_H
#include <stdint.h>
#include <sys/types.h>
#include "dwarf/debuginfo.h"
#include "mem/mem.h"

struct hi_image {
	pid_t pid;		/* the process it was taken from */
	int64_t taken;		/* when, seconds since the epoch */
	char module[4096];	/* its Python module (the process's view) */
	char exe[4096];		/* its executable */
	char version[32];	/* "3.11.7" */
	uint64_t base;		/* where the module was loaded */
	unsigned char build_id[64];
	size_t build_id_len;
	struct hi_mem *mem;	/* reads the saved ranges */
	void *map;		/* the file, mapped privately */
	size_t maplen;
	/* An ELF core file (core.h), not heapinspect's own format, and what
	 * frees what it adds; and how messages name the file: "an image" or
	 * "a core file".  */
	struct hi_core *core;
	void (*release)(struct hi_image *img);
	const char *what;
	char *path;		/* the file read */
};

/* Save SNAP, a copy of the memory of process PID (hi_snap_take with
 * HI_SNAP_RODATA), whose Python module DBG describes and whose version
 * is VERSION, to PATH.  The file is written unnamed (O_TMPFILE) and
 * named PATH once complete, so that nothing is left behind should
 * heapinspect be killed meanwhile; on a file system without O_TMPFILE,
 * under PATH.tmpPID, then renamed.  The target need not be stopped: the
 * copy was taken while it was.  Returns the bytes of memory saved, or -1
 * with hi_errmsg() set.  */
int64_t hi_image_save(const struct hi_mem *snap, pid_t pid, const struct hi_dbg *dbg, const char *version,
		      const char *path);

/* Read PATH.  Returns a new image, or NULL with hi_errmsg() set (WHO
 * prefixes it).  An ELF core file is read by core.h.  */
struct hi_image *hi_image_open(const char *path, const char *who);

/* Open the debug information the image needs (its module, as loaded).  */
struct hi_dbg *hi_image_debuginfo(const struct hi_image *img, const char *who);

void hi_image_close(struct hi_image *img);

#endif
