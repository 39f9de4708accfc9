"""A target for the relative-baseline tests (tests/baseline.py).

Plants known populations, prints "ready", then obeys one command per line
on stdin, printing one line starting with "done" after each:

  grow       allocate exactly 1000 new instances of Grown and 2000 new,
             unique strs (kept alive)
  free       delete all 300 instances of Doomed
  reuse N    free N instances of Alpha and at once allocate N instances of
             Beta, which has the same basic size, so that the allocator
             hands the freed addresses to the Betas; prints
             "done reused=K", K being how many Betas sit at a freed
             Alpha's address
  floats N   replace the first N floats of a list by N new floats with
             different values, one by one, so that each new float tends to
             take the address of the one freed just before; prints
             "done reused=K", K as above
  counts     print "done" and the live populations, for debugging

With --bulk N the heap also holds about N objects that never change
(instances with a str, a list and an int each), so that the same
sequence runs against a large baseline.

EOF on stdin ends the process.  Nothing here knows about heapinspect.
"""
import sys


class Grown:
    pass


class Doomed:
    pass


class Alpha:
    __slots__ = ('value',)

    def __init__(self, value):
        self.value = value


class Beta:
    """Alpha's twin: same slots, so the same basic size."""
    __slots__ = ('value',)

    def __init__(self, value):
        self.value = value


assert Alpha.__basicsize__ == Beta.__basicsize__

GROWN = []
STRS = []
DOOMED = [Doomed() for _ in range(300)]
ALPHA = [Alpha(None) for _ in range(1000)]
BETA = []
FLOATS = [i + 0.25 for i in range(1000)]
ROUND = [0]


def grow():
    ROUND[0] += 1
    r = ROUND[0]
    GROWN.extend([Grown() for _ in range(1000)])
    STRS.extend(['churn-%d-%d-%s' % (r, i, 'x' * (i % 7)) for i in range(2000)])
    return 'done'


def free():
    del DOOMED[:]
    return 'done'


def reuse(n):
    victims = ALPHA[-n:]
    del ALPHA[-n:]
    freed = set(id(v) for v in victims)
    del victims            # the Alphas die here ...
    BETA.extend([Beta(None) for _ in range(n)])   # ... and Betas take their places
    reused = sum(1 for b in BETA[-n:] if id(b) in freed)
    del freed
    return 'done reused=%d' % reused


def floats(n):
    ROUND[0] += 1
    bump = 1000.0 * ROUND[0]
    old = set(id(f) for f in FLOATS[:n])
    for i in range(n):
        # The new float exists before the old one is released, so it takes
        # the address freed by the previous iteration.
        FLOATS[i] = FLOATS[i] + bump
    reused = sum(1 for f in FLOATS[:n] if id(f) in old)
    del old
    return 'done reused=%d' % reused


def counts():
    return 'done grown=%d strs=%d doomed=%d alpha=%d beta=%d floats=%d' % (
        len(GROWN), len(STRS), len(DOOMED), len(ALPHA), len(BETA), len(FLOATS))


def obey(line):
    words = line.split()
    if words == ['grow']:
        return grow()
    if words == ['free']:
        return free()
    if len(words) == 2 and words[0] == 'reuse':
        return reuse(int(words[1]))
    if len(words) == 2 and words[0] == 'floats':
        return floats(int(words[1]))
    if words == ['counts']:
        return counts()
    return 'done error: unknown command %r' % line


class Ballast:
    def __init__(self, i):
        self.name = 'ballast-%d' % i
        self.tags = [i]
        self.n = i * 1000003


BALLAST = []
if '--bulk' in sys.argv:
    BALLAST = [Ballast(i) for i in range(int(sys.argv[sys.argv.index('--bulk') + 1]) // 4)]

print('ready', flush=True)
while True:
    line = sys.stdin.readline()
    if not line:
        break
    reply = obey(line)
    print(reply, flush=True)
    del reply
