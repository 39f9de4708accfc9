/* snapshot.h: a copy of a stopped process's memory, to walk after it
 * resumes (heap's default, when the copy fits) or to save (dump).
 *
 * In two steps, so that the target waits only for the copy itself:
 * hi_snap_prepare, while the process runs, plans what to copy and makes
 * the destination ready (allocated, huge-page backed where the kernel
 * allows, every page faulted in); hi_snap_take, while it is stopped,
 * plans again from /proc (cheap: maps and the kernel's pagemap scan, not
 * smaps), copies into that destination with few large process_vm_readv
 * calls on two threads, and returns the image.  */
#ifndef HI_SNAPSHOT_H
#define HI_SNAPSHOT_H
#include <stdint.h>
#include <sys/types.h>
#include "mem/mem.h"

/* What a copy takes of live process PID: the pages present in RAM of its
 * writable, private mappings (from /proc/PID/maps and pagemap); with
 * HI_SNAP_RODATA also the read-only mappings of loaded code (where static
 * types keep their names), so that the image stands alone; without it the
 * image reads those, and swapped-out pages, from the live process.  */
#define HI_SNAP_RODATA 1u

struct hi_snap;

/* Plan a copy of running process PID and make its destination ready.  At
 * most MAX bytes (0: no bound): beyond it, NULL with *OVER = 1 and
 * hi_errmsg() saying so.  NULL with *OVER = 0 on other errors.  */
struct hi_snap *hi_snap_prepare(pid_t pid, uint64_t max, unsigned flags, int *over);

/* The bytes the plan made ready for.  */
uint64_t hi_snap_planned(const struct hi_snap *s);

/* Copy, now that the process is stopped, into S's destination (and new
 * buffers for what grew since S was planned); S is used up.  Returns the
 * image, or NULL with hi_errmsg() set.  */
struct hi_mem *hi_snap_take(struct hi_snap *s);

void hi_snap_free(struct hi_snap *s);

#endif
