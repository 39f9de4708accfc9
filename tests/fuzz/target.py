"""The heap the fuzzer mutates: small (a walk takes about a millisecond)
but with one or more of every shape the walker decodes.  Run with -S -I so
that site's objects do not swell it.  Prints "ready" and waits on stdin.
The C types no decoder knows (array, BytesIO, itertools, partial) are
followed and sized by their own code in the emulator: mutations reach it
too."""
import array
import collections
import functools
import io
import itertools
import sys
import threading


class Plain:
    def __init__(self, i):
        self.i = i
        self.name = 'p%d' % i


class Slotted:
    __slots__ = ('a', 'b')

    def __init__(self, a):
        self.a = a
        self.b = (a, str(a))


class DictSub(dict):
    pass


def gen(n):
    for i in range(n):
        yield i


def closure(x):
    def inner():
        return x
    return inner


keep = [
    [Plain(i) for i in range(20)],
    [Slotted(i) for i in range(10)],
    {i: str(i) * (i % 7) for i in range(50)},
    {(1, 2): 'tuple key', 3.5: 'float key', None: b'bytes'},
    DictSub(a=1, b=[1, 2, 3]),
    set(range(40)), frozenset('abc'),
    collections.deque(range(30)), collections.OrderedDict(x=1, y=2),
    'ascii', 'latin-\xe9', 'bmp-\u20ac', 'astral-\U0001F600',
    2 ** 200, -(2 ** 70), 3.25, 1 + 2j, bytearray(b'x' * 100), b'y' * 50,
    gen(5), closure(42), [[[]]], (None, True, False, Ellipsis),
    array.array('d', range(40)), array.array('b', b'abc'), io.BytesIO(b'z' * 80), io.StringIO('text'),
    itertools.islice([Plain(99), 'x'], 1), itertools.chain([1], (2,)), functools.partial(max, [3], key=abs),
]
it = gen(10)
next(it)
keep.append(it)
started = threading.Event()


def worker():
    local = [Plain(-1), {'in': 'thread'}]
    started.set()
    sys.stdin.readline()
    return local


t = threading.Thread(target=worker, daemon=True)
t.start()
started.wait()
print('ready', flush=True)
sys.stdin.readline()
