"""A target for tests/growth.py: a steady leak and a cache that fills up.

Prints "ready" and the truth, then obeys one command a line on stdin:

  step    leak LEAK more Leaked objects (kept for ever), and put CACHE
          more Cached objects into a cache bounded at CAP (the oldest
          evicted beyond it); print "done" and the truth

The truth is "leaked=N cached=M leaked_bytes=B cached_bytes=C": how many
of each are alive, and the sum of their sys.getsizeof.  The cache
grows faster than the leak at first (CACHE > LEAK a step), then stops:
by the growth over the whole run it is the larger, by its growth lately
it is nothing.  EOF on stdin ends the process.  Nothing here knows about
heapinspect.
"""
import collections
import sys

LEAK, CACHE, CAP = 1000, 4000, 12000


class Leaked:
    __slots__ = ('n',)

    def __init__(self, n):
        self.n = n


class Cached:
    __slots__ = ('key',)

    def __init__(self, key):
        self.key = key


LEAKS = []
CACHED = collections.OrderedDict()
made = 0


def step():
    global made
    LEAKS.extend(Leaked(0) for _ in range(LEAK))
    for _ in range(CACHE):
        made += 1
        CACHED[made] = Cached(made)
        if len(CACHED) > CAP:
            CACHED.popitem(last=False)


def truth():
    return 'leaked=%d cached=%d leaked_bytes=%d cached_bytes=%d' % (
        len(LEAKS), len(CACHED), sum(map(sys.getsizeof, LEAKS)), sum(map(sys.getsizeof, CACHED.values())))


print('ready', truth(), flush=True)
for line in sys.stdin:
    if line.strip() == 'step':
        step()
        print('done', truth(), flush=True)
