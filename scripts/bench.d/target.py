"""A benchmark target for scripts/bench.

    target.py KIND N

KIND julia: two lists of N/2 complex numbers (the julia example scaled).
KIND mixed: N objects split between class instances, their dicts' values,
strs and lists.  A thread ticks every millisecond and records the longest
gap it sees, so a pause can be measured from inside.  Commands on stdin,
one per line, answered on stdout:

    reset          forget the longest gap
    gap            print the longest gap since reset, in ms
    census         time gc.get_objects() + gc.get_referents() over everything
                   (the in-process reference), print objects and seconds
    heapy          time heapy's warm hp.heap() (a first call, then the one
                   timed), print seconds, or n/a when guppy3 does not import
    quit
"""
import gc
import os
import sys
import threading
import time

kind, n = sys.argv[1], int(sys.argv[2])

if kind == 'julia':
    half = n // 2
    zs = [complex(i * 1e-6, -i * 1e-6) for i in range(half)]
    cs = [complex(-0.62772, -0.42193) for _ in range(half)]
else:
    class Item:
        def __init__(self, i):
            self.name = 'item-%d' % i
            self.tags = [i]
    # Each Item brings about 4 objects: itself, (3.8-3.10 its dict), a str,
    # a list and an int.
    items = [Item(i) for i in range(n // 4)]

gc.collect()
lock = threading.Lock()
longest = [0.0]


def tick():
    last = time.monotonic()
    while True:
        time.sleep(0.001)
        now = time.monotonic()
        with lock:
            longest[0] = max(longest[0], now - last)
        last = now


threading.Thread(target=tick, daemon=True).start()
print('ready %d' % os.getpid(), flush=True)
for line in sys.stdin:
    cmd = line.strip()
    if cmd == 'reset':
        with lock:
            longest[0] = 0.0
        print('ok', flush=True)
    elif cmd == 'gap':
        with lock:
            print('%.3f' % (longest[0] * 1e3), flush=True)
    elif cmd == 'census':
        t0 = time.perf_counter()
        seen = set()
        stack = gc.get_objects()
        for o in stack:
            seen.add(id(o))
        count = 0
        while stack:
            o = stack.pop()
            count += 1
            for r in gc.get_referents(o):
                if id(r) not in seen:
                    seen.add(id(r))
                    stack.append(r)
        dt = time.perf_counter() - t0
        del seen, stack
        print('%d %.4f' % (count, dt), flush=True)
    elif cmd == 'heapy':
        try:
            from guppy import hpy
        except ImportError:
            print('n/a', flush=True)
            continue
        hp = hpy()
        hp.heap()
        t0 = time.perf_counter()
        h = hp.heap()
        dt = time.perf_counter() - t0
        del h, hp
        gc.collect()
        print('%.4f' % dt, flush=True)
    elif cmd == 'quit':
        break
