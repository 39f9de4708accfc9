/* shmseg.h: the shared-memory segments a process maps, and who else does.
 *
 * Segments are its mappings of /dev/shm files (shm_open), SysV segments
 * ("/SYSV<key>"), memfds and shared anonymous memory, one per device and
 * inode.  Each gets the object's own size where /proc lets us see it (the
 * file through /proc/PID/map_files or the target's root; SysV from
 * /proc/sysvipc/shm), what this process maps of it and has resident, and
 * the other processes whose maps name the same device and inode.  And the
 * size and free space of /dev/shm as the target sees it, through
 * /proc/PID/root (a container's own /dev/shm).  Only /proc is read: the
 * target need not be stopped.  */
#ifndef HI_SHMSEG_H
#define HI_SHMSEG_H
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "memory/memmap.h"
#include "proc/procmaps.h"
#include "util/u64map.h"

struct hi_shm_peer {
	pid_t pid;
	char comm[32];
};

struct hi_sysv {
	int64_t key, shmid;
	uint64_t size, nattch;
	pid_t cpid, lpid;
	unsigned mode;		/* the perms column: permissions, SHM_DEST, SHM_LOCKED */
	int removed;		/* SHM_DEST: IPC_RMID'd, alive until its last detach */
};

struct hi_shmseg {
	char *name;
	enum hi_shmkind kind;
	unsigned major, minor;
	uint64_t inode;
	int deleted;		/* a /dev/shm file unlinked; a SysV segment removed */
	uint64_t size;		/* the object's size, if size_known */
	int size_known;
	struct hi_mtotal mapped;	/* in the target: mapped, rss, pss, swap, mappings */
	int have_sysv;		/* a SysV segment found in /proc/sysvipc/shm */
	struct hi_sysv sysv;
	struct hi_shm_peer *peers;
	size_t npeers, peers_cap;
	size_t next;		/* the segment before with the same file key, or SIZE_MAX */
};

struct hi_shminfo {
	struct hi_shmseg *segs;
	size_t n;
	int unreadable;		/* processes whose maps could not be read */
	int scanned;		/* processes whose maps were read */
	int sysv_elsewhere;	/* the target is in another IPC namespace */
	int have_devshm;
	char devshm[64];	/* the path looked at */
	uint64_t devshm_size, devshm_free, devshm_avail;
	struct u64map index;	/* hi_vma_file_key -> the last segment with it */
};

/* Parse /proc/sysvipc/shm.  Returns 0 (malloc'd *OUT, *N entries) or -1. */
int hi_sysv_parse(FILE *f, struct hi_sysv **out, size_t *n);

/* /proc/sysvipc/shm, if PID shares heapinspect's IPC namespace (the file
 * shows the reader's): 1 (malloc'd *OUT, *N entries), or 0 if PID is in
 * another namespace or the file cannot be read.  */
int hi_sysv_read(pid_t pid, struct hi_sysv **out, size_t *n);

/* The entry of OUT[0..N) with shmid SHMID (a SysV mapping's inode), or
 * NULL.  */
const struct hi_sysv *hi_sysv_find(const struct hi_sysv *sv, size_t n, uint64_t shmid);

/* The segments among MAPS (classified) of PID, with sizes and peers.
 * Returns 0, or -1 with hi_errmsg() set (out of memory).  */
int hi_shm_collect(pid_t pid, const struct hi_maps *maps, struct hi_shminfo *out);

/* hi_shm_collect's first step: the segments among MAPS and their sizes,
 * no SysV details, peers or /dev/shm.  */
int hi_shm_segments(pid_t pid, const struct hi_maps *maps, struct hi_shminfo *out);

/* Add process PID as a peer of each segment of SI that its maps text F
 * names: the same device and inode, the same kind, and for SysV, memfd
 * and shared anonymous memory, the same name (those live on the kernel's
 * internal shm mount, where a SysV shmid and another's inode number can
 * be equal; and shmid 0 is a segment too).  COMM is PID's name, or NULL
 * to read it from /proc when a segment matches.  Returns 1 if any did,
 * 0 if none, -1 if out of memory.  */
int hi_shm_add_peers(struct hi_shminfo *si, pid_t pid, const char *comm, FILE *f);
void hi_shm_free(struct hi_shminfo *si);

#endif
