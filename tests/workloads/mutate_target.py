"""A target whose heap other threads keep changing (tests/consistent.py).

Three threads mutate shared containers without pause: one replaces the
values of a 20,000-key dict with new instances, lists, dicts, strs and
tuples; one grows and shrinks lists (resizing their item arrays) and a
set; one builds and drops small object graphs (a deque of nodes with
__dict__s and slots).  Each counts its rounds.  Prints "ready", then
answers every line on stdin with "rounds=N errors=E"; EOF ends it.
"""
import collections
import sys
import threading

errors = []
rounds = [0, 0, 0]


class Node:
    def __init__(self, i):
        self.i = i
        self.name = 'node-%d' % i
        self.kids = []


class Slotted:
    __slots__ = ('a', 'b')

    def __init__(self, a, b):
        self.a = a
        self.b = b


table = {i: Node(i) for i in range(20000)}
lists = [list(range(i % 50)) for i in range(2000)]
bag = set()
chain = collections.deque()


def guard(fn):
    def run():
        try:
            fn()
        except BaseException as e:
            errors.append(repr(e))
    return run


def replace(i):
    """Round I of the replacer: key K always gets the same kind."""
    k = (i * 7919) % 20000
    r = i % 5
    if r == 0:
        table[k] = Node(i)
    elif r == 1:
        table[k] = [i, str(i), (i, i + 1)]
    elif r == 2:
        table[k] = {'i': i, 's': 'v%d' % i}
    elif r == 3:
        table[k] = 'value-%d' % i * (1 + i % 7)
    else:
        table[k] = (Slotted(i, [i]), i)


def build(i):
    """Round I of the builder: a Node with three kids, the oldest dropped."""
    n = Node(i)
    n.kids = [Node(i + j) for j in range(3)]
    chain.append(n)
    if len(chain) > 500:
        chain.popleft()


def replacer():
    i = 20000
    while True:
        replace(i)
        i += 1
        if i % 1000 == 0:
            rounds[0] += 1


def resizer():
    i = 0
    while True:
        lst = lists[i % 2000]
        if len(lst) > 200:
            del lst[10:]
        else:
            lst.extend(range(i % 13))
        if i % 3:
            bag.add(('t', i % 5000))
        else:
            bag.discard(('t', (i - 1) % 5000))
        i += 1
        if i % 1000 == 0:
            rounds[1] += 1


def builder():
    i = 500
    while True:
        build(i)
        i += 1
        if i % 100 == 0:
            rounds[2] += 1


# Steady state before the threads start and before "ready": every key
# replaced once (4,000 Nodes among them) and the chain full (2,000 Nodes),
# so that a census at any instant sees 6,000 Nodes at least.  Without
# this a census taken soon after "ready" saw the chain still filling.
for i in range(20000):
    replace(i)
for i in range(500):
    build(i)
for fn in (replacer, resizer, builder):
    threading.Thread(target=guard(fn), daemon=True).start()
print('ready', flush=True)
for line in sys.stdin:
    print('rounds=%d errors=%d' % (sum(rounds), len(errors)), flush=True)
