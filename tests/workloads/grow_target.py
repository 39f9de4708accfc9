"""A target for tests/watch.py: a planted population that grows on command.

    grow_target.py N

Plants N instances of a class whose name needs quoting in CSV and escaping
in XML, then prints "ready" and the truth, and obeys one command a line on
stdin:

  grow    append N more instances; print "done" and the truth

The truth is "count=C bytes=B rss=R": C instances, B the sum of their
sys.getsizeof, R the resident set in bytes as /proc/self/status says
(VmRSS), each measured after the growth, right before answering.
EOF on stdin ends the process.  Nothing here knows about heapinspect.
"""
import sys

N = int(sys.argv[1])
Leak = type('Leak, "quoted" <&>', (), {})
LEAKS = []


def truth():
    size = sum(map(sys.getsizeof, LEAKS))
    rss = -1
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                rss = int(line.split()[1]) * 1024
    return 'count=%d bytes=%d rss=%d' % (len(LEAKS), size, rss)


def grow():
    LEAKS.extend([Leak() for _ in range(N)])


grow()
print('ready', truth(), flush=True)
while True:
    line = sys.stdin.readline()
    if not line:
        break
    if line.split() == ['grow']:
        grow()
        print('done', truth(), flush=True)
    else:
        print('done error: unknown command %r' % line, flush=True)
