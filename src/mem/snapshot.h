/* snapshot.h: a copy of a stopped process's memory, to walk after it
 * resumes (heap -copy) or to save (dump).  */
#ifndef HI_SNAPSHOT_H
#define HI_SNAPSHOT_H
#include <stdint.h>
#include <sys/types.h>
#include "mem/mem.h"

/* Copy the memory of live process PID that can hold Python objects (the
 * pages present in RAM of its writable, private mappings, from
 * /proc/PID/smaps and pagemap) into an image, so it can be read after the process resumes.  With
 * HI_SNAP_RODATA, also the read-only mappings of loaded code (where static
 * types keep their names), so that the image stands alone; without it,
 * the image reads those from the live process.  At most MAX bytes (0: no
 * bound); beyond it, NULL and hi_errmsg() say so.  The process must be
 * stopped.  Returns the image, or NULL with hi_errmsg() set.  */
#define HI_SNAP_RODATA 1u
struct hi_mem *hi_mem_snapshot(pid_t pid, uint64_t max, unsigned flags);

#endif
