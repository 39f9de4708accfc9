"""A target for tests/stacks.py: threads parked at known places.

Threads: one 1000 calls deep, waiting on an Event; one inside a generator
that a function is driving (the generator's frame is on the stack); one
in a coroutine mid-await, the awaited coroutine waiting; one in a C call
(time.sleep); one spinning in a tight loop, holding the GIL as it can.
Once all are parked, the main thread writes the truth to argv[1] (JSON):
for each thread ident, its name and its frames innermost first as
sys._current_frames() and traceback.extract_stack() give them (the main
thread's innermost frame at the line where it then waits), and for the
spinning thread the lines of its loop; and each thread's innermost
frame's locals (name, type, length of a str, list or dict).  Prints "ready", waits for a line
on stdin.  Nothing here knows about heapinspect.
"""
import asyncio
import json
import sys
import threading
import time
import traceback

ev = threading.Event()
stop = False
parked = threading.Barrier(6)


def deep(n):
    if n == 0:
        parked.wait()
        ev.wait()
        return
    deep(n - 1)


def counter():
    parked.wait()
    yield 1
    ev.wait()
    yield 2


def drive():
    for _ in counter():
        pass


async def inner():
    parked.wait()
    ev.wait()


async def outer():
    await inner()


def in_coroutine():
    asyncio.run(outer())


def in_c_call():
    label = 'c-call-label'
    numbers = [1, 2, 3]
    table = {'k': numbers}
    parked.wait()
    time.sleep(3600)


def spin():
    x = 0
    parked.wait()
    while not stop:  # spin: first
        x += 1
        x %= 1000  # spin: last
    return x


threads = [threading.Thread(target=deep, args=(1000,), name='deep', daemon=True),
           threading.Thread(target=drive, name='generator', daemon=True),
           threading.Thread(target=in_coroutine, name='coroutine', daemon=True),
           threading.Thread(target=in_c_call, name='c-call', daemon=True),
           threading.Thread(target=spin, name='spinner', daemon=True)]
sys.setrecursionlimit(5000)
for t in threads:
    t.start()
parked.wait()
time.sleep(0.5)  # each is past the barrier, at its place


def locals_of(frame):
    """The innermost frame's locals: name -> (type name, length or None)."""
    return {k: [type(v).__name__, len(v) if isinstance(v, (str, list, dict)) else None]
            for k, v in frame.f_locals.items()}


def frames_of(frame):
    return [[f.filename, f.lineno, f.name] for f in reversed(traceback.extract_stack(frame))]


def marked(mark):
    """The lines of this file that end with the comment MARK."""
    with open(__file__) as f:
        return [i + 1 for i, ln in enumerate(f) if ln.rstrip().endswith('# ' + mark)]


def park():
    here = frames_of(sys._getframe())
    here[0][1] = marked('park: here')[0]  # where it waits, below
    truth = {'%d' % t.ident: {'name': t.name, 'frames': frames_of(sys._current_frames()[t.ident]),
                              'locals': locals_of(sys._current_frames()[t.ident])}
             for t in threads}
    truth['%d' % threading.get_ident()] = {'name': 'MainThread', 'frames': here}
    truth['spin'] = {'thread': '%d' % threads[4].ident, 'lines': marked('spin: first') + marked('spin: last')}
    with open(sys.argv[1], 'w') as f:
        json.dump(truth, f)
    print('ready', flush=True)
    sys.stdin.readline()  # park: here


park()
stop = True
