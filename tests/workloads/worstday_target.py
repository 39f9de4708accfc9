"""A target for tests/worstday.py: the days a target can have.

Prints "ready", then obeys one command per line on stdin, answering one
line after each:

  park PATH MS   load PATH (tests/libpark.so) with ctypes and, in a new
                 thread, call park(MS): that thread waits MS ms in the
                 kernel (state D, a vfork parent); answers "parked TID"
                 once it is there, then the thread prints nothing and
                 lives on, sleeping, when park returns
  big N          keep N small objects (N tuples of a str and a list)
  exec PROGRAM   replace this program with PROGRAM running this file
                 (execve: same pid, new program)
  orphan         go on reading commands in a new thread, and end the
                 main thread (pthread_exit): the process lives on with
                 its main thread a zombie; answers "orphaned" once it is
  longname N     make N instances of a class whose name has 300+
                 characters, each holding a str of 1,000 characters;
                 answers "made COUNT STRBYTES": the instances the
                 target's gc finds, and sys.getsizeof of their strs
  sparse GIB     map GIB GiB of anonymous memory and touch one page of
                 it (untouched pages hold nothing: a copy must skip them);
                 answers "sparse"
  corrupt        turn off the gc and corrupt, with ctypes, objects no code
                 of this process touches again: a deque whose first block
                 links to itself with a length of 2^31; a list whose items
                 pointer goes to 16 GiB of untouched memory, 2^31 long; a
                 str whose length says 2^39; and the thread-state list,
                 made to loop back to its head (a second thread sleeps
                 meanwhile); answers "corrupted"
  restore        undo all of it; answers "restored"
  ping           answer "pong"

EOF on stdin ends the process.  Nothing here knows about heapinspect.
"""
import ctypes
import gc
import mmap
import os
import sys
import threading
import time

keep = []


def parker(lib, ms, started):
    started.append(threading.get_native_id())
    lib.park(ms)
    while True:
        time.sleep(1)


saved = []   # (address, original word) of what corrupt() changed


def poke(addr, value):
    """Set the word at ADDR, remembering the old value for restore."""
    word = ctypes.c_ssize_t.from_address(addr)
    saved.append((addr, word.value))
    word.value = value


def restore():
    for addr, value in reversed(saved):
        ctypes.c_ssize_t.from_address(addr).value = value
    del saved[:]


def corrupt():
    try:
        corrupt_all()
    except BaseException:
        restore()   # never leave a corrupt heap to the exit's gc
        raise


def corrupt_all():
    api = ctypes.pythonapi
    for name in ('PyInterpreterState_Head', 'PyInterpreterState_ThreadHead', 'PyThreadState_Next'):
        getattr(api, name).restype = ctypes.c_void_p
    api.PyInterpreterState_ThreadHead.argtypes = [ctypes.c_void_p]
    api.PyThreadState_Next.argtypes = [ctypes.c_void_p]
    gc.disable()    # the gc would walk these objects and never return
    import collections
    d = collections.deque(range(100))
    # PyVarObject header (24 bytes), then leftblock; a block is leftlink,
    # 64 items, rightlink (the same from 3.8 to 3.13).
    block = ctypes.c_void_p.from_address(id(d) + 24).value
    poke(block + 8 + 64 * 8, block)
    poke(id(d) + 16, 1 << 31)
    area = mmap.mmap(-1, 16 << 30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    start = ctypes.addressof(ctypes.c_char.from_buffer(area))
    lst = [1, 2, 3]
    # ob_size at 16, ob_item at 24, allocated at 32.
    poke(id(lst) + 24, start)
    poke(id(lst) + 32, 1 << 31)
    poke(id(lst) + 16, 1 << 31)
    st = ''.join(['not', 'interned', str(os.getpid())])
    poke(id(st) + 16, 1 << 39)    # PyASCIIObject: refcnt, type, length
    keep.extend([d, lst, st, area])
    # A thread that sleeps while its state is in the list; the last state
    # made to point back at the first.
    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
    head = api.PyInterpreterState_ThreadHead(api.PyInterpreterState_Head())
    last = head
    while api.PyThreadState_Next(last):
        last = api.PyThreadState_Next(last)
    poke(last + 8, head)    # struct _ts: prev, next


def thread_state(tid):
    try:
        with open('/proc/self/task/%d/stat' % tid) as f:
            return f.read().rsplit(')', 1)[1].split()[0]
    except OSError:
        return ''


def orphaned():
    while thread_state(os.getpid()) != 'Z':
        time.sleep(0.001)
    print('orphaned', flush=True)
    loop()


def main():
    print('ready', flush=True)
    loop()
    restore()   # the exit's gc must not meet what corrupt() did


def loop():
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == 'park':
            lib = ctypes.CDLL(words[1])
            started = []
            threading.Thread(target=parker, args=(lib, int(words[2]), started), daemon=True).start()
            while not started:
                time.sleep(0.001)
            while thread_state(started[0]) != 'D':
                time.sleep(0.001)
            print('parked %d' % started[0], flush=True)
        elif words[0] == 'big':
            keep.extend(('k%d' % i, [i]) for i in range(int(words[1])))
            print('done', flush=True)
        elif words[0] == 'exec':
            sys.stdout.flush()
            os.execv(words[1], [words[1], os.path.abspath(__file__)])
        elif words[0] == 'orphan' and threading.current_thread() is threading.main_thread():
            threading.Thread(target=orphaned).start()
            # ctypes lets the GIL go around the call, so the new thread
            # runs on while this one ends.
            ctypes.CDLL(None).pthread_exit(None)
        elif words[0] == 'longname':
            # Generated class names (pydantic generics) reach this length.
            cls = type('Generic' + 'X' * 300, (), {})
            objs = [cls() for _ in range(int(words[1]))]
            for i, o in enumerate(objs):
                o.s = 'v' * 1000 + str(i)
            keep.append(objs)
            count = sum(1 for o in gc.get_objects() if type(o) is cls)
            print('made %d %d' % (count, sum(sys.getsizeof(o.s) for o in objs)), flush=True)
        elif words[0] == 'sparse':
            m = mmap.mmap(-1, int(words[1]) << 30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
            m[12345] = 1
            keep.append(m)
            print('sparse', flush=True)
        elif words[0] == 'corrupt':
            corrupt()
            print('corrupted', flush=True)
        elif words[0] == 'restore':
            restore()
            print('restored', flush=True)
        elif words[0] == 'ping':
            print('pong', flush=True)


main()
