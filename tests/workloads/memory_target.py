"""A target for the memory and shm tests.

Plants memory of known size in every class `memory` reports, each page
touched so it is resident:

  - a 64 MiB POSIX shared-memory segment (multiprocessing.shared_memory),
    mapped also by a second process (this script with --peer NAME); a
    1 MiB SysV segment (shmget, removed at once so it cannot leak), a
    2 MiB SysV segment with a key, kept (removed on exit; the test removes
    it too should this process be killed), a 1 MiB memfd and 1 MiB of
    shared anonymous memory, all mapped shared;
  - a 100 MiB data file, mmap'd read-only, unlinked, and read through;
  - 200 MiB from C's malloc (ctypes: libc.malloc + memset), which no
    Python object accounts for, and 16 MiB of small mallocs made by a
    second thread (so they live in one of malloc's thread arenas), which
    then waits;
  - Python objects: 200,000 small strs, tuples and floats in pymalloc.

Then it writes what it planted as JSON to argv[1], and the output of
sys._debugmallocstats() (pymalloc's own arena, pool and block counts) to
argv[1] + ".mallocstats", prints "ready" and waits for a line on stdin (or
EOF) before cleaning up.  Nothing here knows what heapinspect prints.
"""
import ctypes
import json
import mmap
import os
import subprocess
import sys
import tempfile
import threading

MiB = 1 << 20
PAGE = mmap.PAGESIZE


def touch(buf, size):
    for off in range(0, size, PAGE):
        buf[off] = 1


def peer(name):
    """Map the segment /dev/shm/NAME and touch it, then wait."""
    fd = os.open('/dev/shm/' + name, os.O_RDWR)
    size = os.fstat(fd).st_size
    m = mmap.mmap(fd, size)
    os.close(fd)
    s = 0
    for off in range(0, size, PAGE):
        s += m[off]
    print('ready', flush=True)
    sys.stdin.readline()
    m.close()


def main():
    truth_path = sys.argv[1]
    from multiprocessing import shared_memory

    shm = shared_memory.SharedMemory(create=True, size=64 * MiB)
    touch(shm.buf, shm.size)

    libc = ctypes.CDLL(None, use_errno=True)
    # SysV: attach, then mark for removal; Linux keeps it while attached.
    libc.shmget.restype = ctypes.c_int
    libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
    libc.shmat.restype = ctypes.c_void_p
    libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
    libc.shmctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
    sysv_id = libc.shmget(0, MiB, 0o1000 | 0o600)  # IPC_PRIVATE, IPC_CREAT
    sysv_addr = libc.shmat(sysv_id, None, 0) if sysv_id >= 0 else None
    if sysv_addr in (None, ctypes.c_void_p(-1).value):
        sysv_id = -1
    else:
        ctypes.memset(sysv_addr, 7, MiB)
        libc.shmctl(sysv_id, 0, None)  # IPC_RMID
    # One not removed: a key of our own (IPC_CREAT | IPC_EXCL), kept.
    kept_id, kept_key = -1, 0
    for k in range(64):
        key = 0x48490000 + ((os.getpid() + k) & 0xffff)
        kept_id = libc.shmget(key, 2 * MiB, 0o3000 | 0o600)
        if kept_id >= 0:
            kept_key = key
            break
    kept_addr = libc.shmat(kept_id, None, 0) if kept_id >= 0 else None
    if kept_addr in (None, ctypes.c_void_p(-1).value):
        if kept_id >= 0:
            libc.shmctl(kept_id, 0, None)
        kept_id = -1
    else:
        ctypes.memset(kept_addr, 9, 2 * MiB)
    shared_anon = mmap.mmap(-1, MiB)  # MAP_SHARED: /dev/zero
    touch(shared_anon, MiB)
    memfd = os.memfd_create('heapinspect-test')
    os.ftruncate(memfd, MiB)
    memfd_map = mmap.mmap(memfd, MiB)
    touch(memfd_map, MiB)

    fd, data_path = tempfile.mkstemp(prefix='heapinspect-memory-', suffix='.dat',
                                     dir=os.environ.get('HI_DATA_DIR'))
    chunk = bytes(range(256)) * (MiB // 256)
    for _ in range(100):
        os.write(fd, chunk)
    data = mmap.mmap(fd, 100 * MiB, prot=mmap.PROT_READ)
    os.close(fd)
    os.unlink(data_path)  # the mapping keeps it: nothing to leak if killed
    total = 0
    for off in range(0, 100 * MiB, PAGE):
        total += data[off]

    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.memset.restype = ctypes.c_void_p
    libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
    c_size = 200 * MiB
    c_block = libc.malloc(c_size)
    libc.memset(c_block, 0x5a, c_size)

    # Small blocks from another thread: malloc gives that thread an arena
    # of its own.  The thread stays, so its stack does too.
    thread_blocks = []
    filled = threading.Event()
    stop = threading.Event()

    def in_thread():
        for _ in range(4096):
            p = libc.malloc(4096)
            libc.memset(p, 0x3c, 4096)
            thread_blocks.append(p)
        filled.set()
        stop.wait()
    worker = threading.Thread(target=in_thread, name='mallocs', daemon=True)
    worker.start()
    filled.wait()

    objects = [('obj%d' % i, (i, float(i))) for i in range(200000)]

    other = subprocess.Popen([sys.executable, os.path.abspath(__file__), '--peer', shm.name],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, universal_newlines=True)
    line = other.stdout.readline()
    if line.strip() != 'ready':
        raise SystemExit('the peer did not start')

    truth = {
        'version': '%d.%d.%d' % sys.version_info[:3],
        'shm_name': shm.name, 'shm_size': shm.size, 'peer_pid': other.pid,
        'data_path': data_path, 'data_size': 100 * MiB,
        'malloc_addr': c_block, 'malloc_size': c_size,
        'objects': len(objects),
        'thread_malloc': 4096 * 4096,
        'threads': len(os.listdir('/proc/self/task')),
        'sysv_shmid': sysv_id, 'sysv_size': MiB, 'memfd_name': '/memfd:heapinspect-test', 'memfd_size': MiB,
        'sysv_kept_shmid': kept_id, 'sysv_kept_key': kept_key, 'sysv_kept_size': 2 * MiB,
        'shared_anon_size': MiB,
    }
    with open(truth_path, 'w') as f:
        json.dump(truth, f)
    # pymalloc's own statistics, last, so nothing allocates after them
    # but the "ready" line.
    with open(truth_path + '.mallocstats', 'w') as f:
        saved = os.dup(2)
        os.dup2(f.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    print('ready', flush=True)
    sys.stdin.readline()

    stop.set()
    worker.join()
    other.stdin.close()
    other.wait()
    data.close()
    shm.close()
    shm.unlink()
    memfd_map.close()
    os.close(memfd)
    shared_anon.close()
    if kept_id >= 0:
        libc.shmctl(kept_id, 0, None)  # IPC_RMID
    libc.free(ctypes.c_void_p(c_block))


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--peer':
        peer(sys.argv[2])
    else:
        main()
