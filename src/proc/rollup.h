/* rollup.h: a process's memory totals, from /proc/PID/smaps_rollup.
 *
 * The kernel (4.14+) sums every mapping's smaps lines into one record:
 * what `watch` samples next to each census.  Reading it needs no stop and
 * no ptrace, only the right to read the target's /proc (the same rights
 * as tracing it).  Classifying mappings one by one is procmaps.c's job
 * (the `memory` command); this one keeps the totals both use.  */
#ifndef HI_ROLLUP_H
#define HI_ROLLUP_H
#include <stdint.h>
#include <sys/types.h>

/* Fields of smaps_rollup, in bytes (the file says kB, meaning KiB).  */
struct hi_rollup {
	uint64_t rss;		/* Rss: resident, shared pages counted whole */
	uint64_t pss;		/* Pss: resident, shared pages divided among their users */
	uint64_t pss_anon;	/* Pss_Anon (5.7+) */
	uint64_t pss_file;	/* Pss_File (5.7+) */
	uint64_t pss_shmem;	/* Pss_Shmem (5.7+) */
	uint64_t anonymous;	/* Anonymous: private and shared anonymous pages */
	uint64_t swap;		/* Swap: swapped out */
	uint64_t swap_pss;	/* SwapPss */
	unsigned have;		/* HI_ROLLUP_* bits: which fields the file had */
};

enum {
	HI_ROLLUP_RSS = 1 << 0,
	HI_ROLLUP_PSS = 1 << 1,
	HI_ROLLUP_PSS_ANON = 1 << 2,
	HI_ROLLUP_PSS_FILE = 1 << 3,
	HI_ROLLUP_ANONYMOUS = 1 << 4,
	HI_ROLLUP_SWAP = 1 << 5,
	HI_ROLLUP_SWAP_PSS = 1 << 6,
	HI_ROLLUP_PSS_SHMEM = 1 << 7,
};

/* Parse the text of an smaps_rollup file (the header line, then
 * "Name:   123 kB" lines; unknown names are skipped).  Returns 0, or -1
 * with hi_errmsg() set when Rss and Pss are not both there (a process
 * without memory: a zombie, a kernel thread) or a value is malformed.  */
int hi_rollup_parse(const char *text, struct hi_rollup *r);

/* Read and parse the file at PATH (a sample file, in the unit tests).  */
int hi_rollup_read_path(const char *path, struct hi_rollup *r);

/* Read /proc/PID/smaps_rollup.  Returns 0, or -1 with hi_errmsg() set,
 * naming WHO ("pid 1234"), with the class HI_E_GONE when the process has
 * exited and HI_E_PERM when reading is refused.  */
int hi_rollup_read(pid_t pid, struct hi_rollup *r, const char *who);

#endif
