/* core.h: an ELF core file read as a memory image.
 *
 * A core written by gdb's gcore or by the kernel holds the process's
 * memory as PT_LOAD segments and, in its notes, its threads (NT_PRSTATUS),
 * its command (NT_PRPSINFO), its auxiliary vector and the files it had
 * mapped (NT_FILE).  What the core leaves out of a file-backed mapping
 * (gcore omits unwritten file mappings, the kernel their pages beyond the
 * ELF header, per /proc/PID/coredump_filter) is read from the mapped file,
 * once the file is shown to be the build the process ran (its GNU build
 * id, read from the core's copy of its ELF header); anything else the core
 * lacks is not readable, so a census skips it and says so.
 *
 * The result is a struct hi_image (image.h): every command that runs on
 * an image runs on a core.  The file is untrusted input: every offset,
 * size and count in it is checked before use.  */
#ifndef HI_CORE_H
#define HI_CORE_H
#include <stdint.h>
#include <sys/types.h>
#include "dwarf/debuginfo.h"
#include "mem/image.h"

/* What became of one file the process had mapped.  */
enum hi_core_file_state {
	HI_CORE_FILE_SAME,	/* read; its build id is the process's */
	HI_CORE_FILE_UNCHECKED,	/* read; the core has no build id to check it by */
	HI_CORE_FILE_MISSING,	/* not found here, or not readable */
	HI_CORE_FILE_OTHER,	/* another build than the process's: not read */
	HI_CORE_FILE_UNUSED,	/* the core holds all of its pages */
};

struct hi_core_file {
	char *name;		/* as the process saw it */
	char *path;		/* the file read in its place */
	uint64_t base;		/* its mapping at offset 0, or 0 */
	int elf;		/* an ELF file */
	enum hi_core_file_state state;
	uint64_t bytes;		/* bytes of memory read from it */
};

struct hi_core {
	char writer[16];	/* "gdb" or "kernel" */
	pid_t pid;		/* NT_PRPSINFO's, 0 when it has none */
	int nthreads;
	pid_t *tids;		/* NT_PRSTATUS's, one a thread */
	int signal;		/* what killed it, 0 when none (gcore) */
	char command[17];	/* NT_PRPSINFO's */
	char args[81];
	uint64_t from_core;	/* bytes of memory the core holds */
	uint64_t from_files;	/* read from mapped files */
	uint64_t missing;	/* in a mapping, but neither in the core nor a file */
	uint64_t truncated;	/* of which the core's own end cut off */
	struct hi_core_file *files;
	size_t nfiles;
	int exe;		/* index of the executable among FILES, or -1 */
};

/* Read PATH, an ELF core file or an image (image.h), whichever it is;
 * EXE as for hi_core_open (only with a core).  NULL with hi_errmsg() set
 * (WHO prefixes it).  */
struct hi_image *hi_core_or_image_open(const char *path, const char *exe, const char *who);
/* The debug information of either (hi_core_debuginfo, or
 * hi_image_debuginfo).  */
struct hi_dbg *hi_core_or_image_debuginfo(const struct hi_image *img, const char *who);

/* Read the core at PATH into a new image (its core member set); EXE,
 * when not NULL, is read in place of the executable the core names.
 * NULL with hi_errmsg() set (WHO prefixes it).  */
struct hi_image *hi_core_open(const char *path, const char *exe, const char *who);

/* The debug information of the process the core was taken of: its
 * modules as they were loaded, the Python one found among them.  */
struct hi_dbg *hi_core_debuginfo(const struct hi_image *img, const char *who);


#endif
