"""A target for tests/refs.py: objects kept alive by planted holders.

Plants, each of its own class so that a kind names exactly one population:

  Entry       300   module global -> instance attribute -> dict -> list
                    (__main__.REGISTRY.by_id['group'][i])
  Cached      200   a class attribute (__main__.Config.CACHE[i])
  Closed      150   a closure's cell (__main__.COUNTER.__closure__[0]
                    .cell_contents[i])
  ThreadHeld  120   a local of a running thread's frame (thread "holder",
                    worker(), local 'mine')
  Garbage      40   20 pairs of instances that refer to each other and to
                    nothing else: garbage only the cyclic collector frees
                    (the collector is disabled)
  Slot         80   held in a __slots__ attribute of a holder in a
                    module-level tuple (__main__.SLOTTED[0].held[i])

and, where numpy imports, a view of 10 items of an array of 1000 floats
that nothing else holds (__main__.VIEW.base): gc.get_referents does not
report a view's base, heapinspect must.

Then computes, from inside and by Python's own means only, what
heapinspect must find from outside, and writes it as JSON to argv[1]:

  - for each planted kind, its count and the shape of the shortest path
    from a named root to each of its objects, found by a breadth-first
    search of the process's own objects: the roots are the modules of
    sys.modules (named by their key, in its order) and then the locals of
    every thread's running frames; an object's references are its
    gc.get_referents(), named by what holds them (a list's or tuple's
    index, a dict's key, an instance's or class's attribute, a closure
    cell's contents), with a module's or instance's or class's __dict__
    entries written as attributes.  Shapes write every subscript as [*];
    "" when no root reaches the objects;
  - for one object of each kind, its id() and its whole path;
  - the referrers of each planted kind, from gc.get_referrers(): each
    referrer's kind (its class, or "dict of X" for an instance's __dict__,
    "dict (no owner)" for another dict) and the reference's label shape,
    with how many references; and heapy's byrcs of each kind, how many
    of its objects have each set of referrer kinds;
  - the retained size of each planted holder (REGISTRY, its by_id dict,
    Config.CACHE, COUNTER, SLOTTED and its item, the thread's list, one
    Entry, one Garbage): the bytes of every object that nothing would reach any more
    without it, by the definition, on the process's own reference graph
    (closure_target's: gc.get_referents plus what heapy follows), from
    the named roots and what C code holds (an object no named root
    reaches whose sys.getrefcount exceeds the references the graph
    has to it, as the cyclic collector itself tells them apart).

Prints "ready" and waits for EOF on stdin.  Nothing here knows about
heapinspect.
"""
import gc
import json
import os
import sys
import threading
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import closure_target as ct  # noqa: E402  (R(o), sizes and frames as the census tests compute them)

gc.disable()
ct.probe_all()


class Registry:
    pass


class Entry:
    def __init__(self, i):
        self.name = 'entry-%d' % i


class Cached:
    pass


class Closed:
    pass


class ThreadHeld:
    pass


class Garbage:
    pass


class Slot:
    pass


class Slotted:
    __slots__ = ('held',)


class Config:
    CACHE = [Cached() for _ in range(200)]


REGISTRY = Registry()
REGISTRY.by_id = {}
REGISTRY.by_id['group'] = [Entry(i) for i in range(300)]


def make_counter():
    held = [Closed() for _ in range(150)]

    def counter():
        return len(held)
    return counter


COUNTER = make_counter()

SLOTTED = (Slotted(),)
SLOTTED[0].held = [Slot() for _ in range(80)]

try:
    import numpy as np
except ImportError:
    np = None
if np is not None:
    VIEW = np.arange(1000.0)[10:20]   # the base: 8000 bytes only the view keeps


def plant_garbage(n):
    for _ in range(n):
        a, b = Garbage(), Garbage()
        a.other = b
        b.other = a


plant_garbage(20)

started = threading.Event()
stop = threading.Event()


def worker():
    mine = [ThreadHeld() for _ in range(120)]
    started.set()
    stop.wait()
    return mine


holder = threading.Thread(target=worker, name='holder', daemon=True)
holder.start()
started.wait()

PLANTED = {'__main__.Entry': Entry, '__main__.Cached': Cached, '__main__.Closed': Closed,
           '__main__.ThreadHeld': ThreadHeld, '__main__.Garbage': Garbage, '__main__.Slot': Slot}


CELL = type(COUNTER.__closure__[0])


def key_repr(k):
    return ascii(k) if isinstance(k, str) else repr(k)


def labelled(o):
    """(label, referent) for what O holds, as heapinspect must name it."""
    out = []
    if isinstance(o, (list, tuple)):
        out += [('[%d]' % i, x) for i, x in enumerate(o)]
    elif isinstance(o, dict):
        for k, v in o.items():
            out.append(('[%s]' % key_repr(k), v))
    elif isinstance(o, types.ModuleType):
        for k, v in vars(o).items():
            if v is not globals().get('HOLD'):   # the truth machinery's, not a holder
                out.append(('.%s' % k, v))
    elif isinstance(o, CELL):
        try:
            out.append(('.cell_contents', o.cell_contents))
        except ValueError:
            pass
    elif isinstance(o, types.FunctionType):
        if o.__closure__ is not None:
            out.append(('.__closure__', o.__closure__))
    elif np is not None and isinstance(o, np.ndarray):
        if o.base is not None:
            out.append(('.base', o.base))
    elif isinstance(o, type):
        for k, v in vars(o).items():
            out.append(('.%s' % k, v))
    else:
        for k in getattr(type(o), '__slots__', ()):
            if hasattr(o, k):
                out.append(('.%s' % k, getattr(o, k)))
        d = getattr(o, '__dict__', None)
        if isinstance(d, dict):
            for k, v in d.items():
                out.append(('.%s' % k, v))
    return out


def shape(path):
    """Every subscript as [*] (labels are ascii() reprs: quotes escaped)."""
    out, i = [], 0
    while i < len(path):
        c = path[i]
        if c != '[':
            out.append(c)
            i += 1
            continue
        j = i + 1
        if j < len(path) and path[j] in '\'"':
            q = path[j]
            j += 1
            while j < len(path) and path[j] != q:
                j += 2 if path[j] == '\\' else 1
            j += 1
        while j < len(path) and path[j] != ']':
            j += 1
        out.append('[*]')
        i = j + 1
    return ''.join(out)


def roots(machinery):
    """(name, object) of every named root, in heapinspect's order: the
    modules, then every running frame's locals (but the truth machinery's,
    whose code's ids are in MACHINERY: gone when heapinspect looks)."""
    out = [('sys.modules', sys.modules)]
    out += [(name, m) for name, m in list(sys.modules.items())]
    threads = {t.ident: t.name for t in threading.enumerate()}
    for tid, frame in sys._current_frames().items():
        f = frame
        while f is not None:
            if f.f_code.co_name != '<module>' and id(f.f_code) not in machinery:
                who = 'thread %d "%s" %s()' % (tid, threads.get(tid, ''), f.f_code.co_name)
                for name, value in f.f_locals.items():
                    out.append(('%s local \'%s\'' % (who, name), value))
            f = f.f_back
    return out


def path_of(parent, i):
    if i not in parent:
        return ''
    parts = []
    while i is not None:
        up, label = parent[i]
        parts.append(label)
        i = up
    return ''.join(reversed(parts))


def kind_of_referrer(r):
    """heapy's kind of a planted object's referrer."""
    if type(r) is dict:
        for x in gc.get_referrers(r):
            if not isinstance(x, (dict, list, tuple, types.FrameType)) and getattr(x, '__dict__', None) is r:
                return 'dict of %s.%s' % (type(x).__module__, type(x).__qualname__)
        return 'dict (no owner)'
    t = type(r)
    return '%s.%s' % (t.__module__, t.__qualname__) if t.__module__ != 'builtins' else t.__qualname__


def referrers_of(objs, skip):
    rows = {}
    for o in objs:
        for r in gc.get_referrers(o):
            if id(r) in skip or isinstance(r, types.FrameType):
                continue
            # (No comprehension here: before 3.12 it would hold O in a
            # cell, a referrer of its own.)
            for label, x in labelled(r):
                if x is o:
                    key = (kind_of_referrer(r), shape(label))
                    rows[key] = rows.get(key, 0) + 1
                    break
    return [{'kind': k, 'reference': lab, 'count': n} for (k, lab), n in sorted(rows.items())]


def rcs_of(objs, skip):
    """heapy's byrcs of OBJS: how many have each set of referrer kinds."""
    rows = {}
    for o in objs:
        kinds = set()
        for r in gc.get_referrers(o):
            if id(r) not in skip and not isinstance(r, types.FrameType):
                kinds.add(kind_of_referrer(r))
        key = ', '.join(sorted(kinds)) or '<Nothing>'
        rows[key] = rows.get(key, 0) + 1
    return rows


def compute(path):
    """The answers, into PATH (None: only look at everything once: looking
    at an instance's __dict__ makes it exist on 3.11+, so labels are worked
    out once before the answers are taken, and the answers describe the
    heap as it stays)."""
    groups = {}
    for kind, cls in PLANTED.items():
        groups[kind] = [o for o in gc.get_objects() if type(o) is cls]
    parent = {}
    queue = []
    for name, obj in roots(ct._MACHINERY):
        if id(obj) not in parent:
            parent[id(obj)] = (None, name)
            queue.append(obj)
    head = 0
    while head < len(queue):
        o = queue[head]
        head += 1
        for label, x in labelled(o):
            if id(x) not in parent:
                parent[id(x)] = (id(o), label)
                queue.append(x)
    skip = {id(groups), id(queue), id(HOLD)} | {id(v) for v in groups.values()}
    truth = {}
    for kind, objs in groups.items():
        shapes = {}
        for o in objs:
            s = shape(path_of(parent, id(o)))
            shapes[s] = shapes.get(s, 0) + 1
        first = min(objs, key=id)
        truth[kind] = {'count': len(objs), 'paths': shapes,
                       'example': {'address': id(first), 'path': path_of(parent, id(first))},
                       'referrers': referrers_of(objs, skip), 'rcs': rcs_of(objs, skip)}
    if np is not None:
        truth['numpy'] = {'base': id(VIEW.base), 'path': path_of(parent, id(VIEW.base))}
    return truth


def retained_truth(holders):
    """HOLDERS: name -> object id.  Each one's retained size (see above).
    Nothing here holds an object but NODES, so that reference counts tell
    what C code holds."""
    referents = ct.make_referents()
    objs = gc.get_objects()
    frames = ct.thread_frames()
    nodes, index, adj, sizes = [], {}, [], []
    blocked = {id(HOLD)}  # the truth machinery's: walked into, never out of
    skip = {id(objs), id(frames), id(nodes), id(index), id(adj), id(sizes), id(holders)}
    stack = []
    for o in objs + frames:
        if id(o) not in skip and id(o) not in index and not (isinstance(o, types.FrameType) and
                                                              id(o.f_code) in ct._MACHINERY):
            index[id(o)] = len(nodes)
            nodes.append(o)
            stack.append(o)
    del objs, frames
    adj = [None] * len(nodes)
    while stack:
        o = stack.pop()
        t = type(o)
        out = []
        refs = referents(o, t) if t.__flags__ & ct.HAVE_GC or t is types.CodeType else []
        if np is not None and isinstance(o, np.ndarray):  # what heapinspect follows and gc does not
            refs += [x for x in (o.base, o.dtype) if x is not None]
        if refs:
            for r in refs:
                if id(r) in skip or (isinstance(r, types.FrameType) and id(r.f_code) in ct._MACHINERY):
                    continue
                j = index.get(id(r))
                if j is None:
                    j = index[id(r)] = len(nodes)
                    nodes.append(r)
                    adj.append(None)
                    stack.append(r)
                out.append(j)
        adj[index[id(o)]] = out
    o = r = out = refs = None
    n = len(nodes)
    for o in nodes:
        c = ct.c_level_sizeof(type(o))
        sizes.append(c(o) if c else sys.getsizeof(o))
    o = None
    indegree = [0] * n
    for out in adj:
        for j in out:
            indegree[j] += 1
    out = None

    def reach(starts, avoid):
        seen = bytearray(n)
        todo = [i for i in starts if i != avoid]
        for i in todo:
            seen[i] = 1
        while todo:
            i = todo.pop()
            if id(nodes[i]) in blocked:
                continue
            for j in adj[i]:
                if not seen[j] and j != avoid:
                    seen[j] = 1
                    todo.append(j)
        return seen

    named = []
    for name, x in roots(ct._MACHINERY):
        if id(x) in index:
            named.append(index[id(x)])
    x = None
    reached = reach(named, None)
    # References the graph does not show (C code's): the reference count,
    # less this function's list and getrefcount's argument.
    held = [i for i in range(n) if not reached[i] and sys.getrefcount(nodes[i]) - 2 > indegree[i]]
    starts = named + held
    alive = reach(starts, None)
    out = {}
    for name, h in holders.items():
        i = index[h]
        without = reach(starts, i)
        out[name] = {'address': h, 'retained': sum(sizes[j] for j in range(n) if alive[j] and not without[j])}
    nodes.clear()  # no cycle through this frame may keep them
    return out


def holders():
    """The planted holders' ids, by name."""
    held = next(o for o in gc.get_objects() if type(o) is ThreadHeld)
    mine = next(r for r in gc.get_referrers(held) if type(r) is list and len(r) == 120)
    out = {'REGISTRY': id(REGISTRY), 'REGISTRY.by_id': id(REGISTRY.by_id), 'Config.CACHE': id(Config.CACHE),
           'COUNTER': id(COUNTER), 'SLOTTED': id(SLOTTED), 'SLOTTED[0]': id(SLOTTED[0]), 'mine': id(mine),
           'an Entry': id(REGISTRY.by_id['group'][0]), 'a Garbage': id(HOLD[0])}
    if np is not None:
        out['VIEW'] = id(VIEW)
    return out


# The truth machinery leaves cycles of its own (frame objects of its
# calls, which hold what they looked at): collected before and after, the
# planted garbage held meanwhile, and only it, so that it stays.
ct._MACHINERY |= {id(f.__code__) for f in (compute, roots, referrers_of, rcs_of, kind_of_referrer, labelled,
                                          shape, path_of, retained_truth, holders)}
HOLD = [o for o in gc.get_objects() if type(o) is Garbage]
compute(None)
gc.collect()
TRUTH = compute(sys.argv[1])
gc.collect()
TRUTH['retained'] = retained_truth(holders())
gc.collect()
del HOLD
with open(sys.argv[1], 'w') as f:
    json.dump(TRUTH, f, indent=1, sort_keys=True)
del f
print('ready', flush=True)
sys.stdin.read()
stop.set()
