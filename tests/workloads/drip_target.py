"""A target for tests/live.py: a leak that drips by itself.

    drip_target.py COUNTFILE RATE

Every 0.1 s it keeps RATE / 10 more Drip objects (20 empty slots each,
nothing else allocated), then writes how many it keeps to COUNTFILE
(replaced whole).  Prints "ready" first; EOF on stdin ends it.  Nothing
here knows about heapinspect.
"""
import os
import sys
import threading
import time


class Drip:
    __slots__ = tuple('s%d' % i for i in range(20))


def watch_stdin():
    sys.stdin.read()
    os._exit(0)


path, rate = sys.argv[1], int(sys.argv[2])
DRIPS = []
threading.Thread(target=watch_stdin, daemon=True).start()
print('ready', flush=True)
while True:
    DRIPS.extend([Drip() for _ in range(rate // 10)])
    with open(path + '.tmp', 'w') as f:
        f.write('%d %d\n' % (len(DRIPS), sys.getsizeof(DRIPS[0])))
    os.replace(path + '.tmp', path)
    time.sleep(0.1)
