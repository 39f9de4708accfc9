"""A target for the closure tests: every object reachable from the roots.

Plants known populations, then computes from inside the process the census
heapinspect is meant to take from outside: the closure of the roots under
"referents", each object counted once, sized with sys.getsizeof and named
by heapy's rules.  Writes it as JSON to argv[1], prints "ready" and waits
for a line on stdin (or EOF) before exiting.

    closure_target.py TRUTH.json            the main workload
    closure_target.py TRUTH.json --julia    only the julia example's two
                                            lists of 1,000,000 complex each
    ... --small                             every population a fiftieth
                                            (at least 3): for the small
                                            images of tests/data/images
    ... --twice                             compute the truth twice and fail
                                            unless both agree (self-check)
    closure_target.py TRUTH.json --ext DIR  the C extension tests/ext/hiext.c,
                                            built into DIR (see plant_ext),
                                            instead of the main workload
    closure_target.py TRUTH.json --asyncio  an asyncio service: an event loop in
                                            a thread, 2000 pending tasks,
                                            queues (see plant_asyncio)
    closure_target.py TRUTH.json --pandas   pandas DataFrames (plant_pandas)
    closure_target.py TRUTH.json --sqlalchemy  an ORM session (plant_sqlalchemy)
    closure_target.py TRUTH.json --stdlib   the standard library's C types
                                            that real programs hold (see
                                            plant_stdlib), instead of the
                                            main workload

Roots: every object on the GC lists (gc.get_objects() after gc.collect(),
gc.disable(), gc.unfreeze()) plus every frame of every thread
(sys._current_frames() and the f_back chains, walked once before collecting
so that 3.11+ has frame objects for them), minus this file's own truth
machinery (its frames and containers).

Referents R(o): gc.get_referents(o), plus
  - code objects: the object fields Python does not traverse (co_consts,
    co_names, co_filename, co_name, the line and exception tables, and
    co_code/co_varnames/co_freevars/co_cellvars before 3.11).  On 3.11+
    also co_localsplusnames and co_localspluskinds, which Python does not
    expose: found by probing this process's own memory (/proc/self/mem) with
    probe functions whose local names are known, never by a hard-coded
    offset;
  - types, as heapy follows them (guppy3's type_traverse): static types
    too, which gc.get_referents leaves alone: their __mro__, __bases__,
    __base__ and tp_dict when the type holds it (3.12+ keep a static
    built-in type's dict in the interpreter: tp_dict is NULL, and the dict
    is on the GC lists); and heap types' ht_name, ht_qualname and ht_slots
    (the sorted, mangled __slots__ names, a tuple of its own: its offset
    is probed with a class whose slots are known);
  - 3.11+ frames still executing (every thread's frames): gc.get_referents
    gives nothing for them (frame_traverse stops unless the frame object owns
    its data), while 3.8-3.10 give code, globals, builtins, locals, cells,
    free variables and f_back.  The same is added here by reading the
    interpreter frame (layout probed like the code fields): f_back, the code,
    globals, builtins, the function, f_locals and the fast locals, cells and
    free variables (not the value stack, which 3.8-3.10 skip too);
  - 3.11+ instances with a managed __dict__ that exists: the dict (3.13
    visits the inline values instead while they stay valid, so a
    materialized dict holding only atoms would be unreachable).
Nothing else: a dict whose keys are all str does not traverse its keys, and
weakrefs do not own their referents.

Sizes: sys.getsizeof of each object when the walk first meets it (before
the walk holds what it references: 3.12's BytesIO leaves a buffer out of
its size while another reference to it exists).  A class whose
__sizeof__ is Python code (pandas') is sized by its nearest C-level
__sizeof__ plus sys.getsizeof's own header: heapinspect runs no Python.

Kinds: heapy_kinds.kind_of_type; an exact dict is "dict of <owner kind>"
when some object holds it in its own __dict__ slot (read from memory, so no
managed dict gets created; for a type, tp_dict, empty on 3.12+ for static built-in types),
the lowest-addressed owner winning, else "dict (no owner)".

Populations planted (see plant() and the "planted" table in the JSON):
  5000 Plain (plain attributes: a str, an int, a small int), 3000 Slotted
  (__slots__ holding two unique floats each: 6000 floats reachable only
  through slots), 2000 Dicted (__dict__ materialized), strs of each kind
  (ASCII, Latin-1, BMP, astral; 1000 each, built at run time), huge ints,
  bytes, nested tuples, a dict of 100,000 int -> int entries, a dict of 5000
  str keys (the keys are not referents), a set of 50,000 strs, frozensets,
  1000 closures whose cells hold a bytearray each, 300 generators suspended
  mid-iteration each holding a range, and three threads each blocked at the
  bottom of a 200-deep recursion whose every level holds a unique complex
  and float.
"""
import ctypes
import gc
import json
import operator
import os
import sys
import threading
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from heapy_kinds import kind_of_type  # noqa: E402

PY = sys.version_info[:2]
PS = ctypes.sizeof(ctypes.c_void_p)
HEAPTYPE = 1 << 9
HAVE_GC = 1 << 14
MANAGED_DICT = 1 << 4 if PY >= (3, 11) else 0
MANAGED_WEAKREF = 1 << 3 if PY >= (3, 12) else 0


class ProbeFailed(Exception):
    pass


def fail(msg):
    """Fail loudly: the message goes to stderr and, for the test driver
    (which may read stderr too early), into the truth file."""
    sys.stderr.write('closure_target: %s\n' % msg)
    sys.stderr.flush()
    if __name__ == '__main__' and len(sys.argv) > 1:
        with open(sys.argv[1], 'w') as f:
            f.write('closure_target failed: %s\n' % msg)
    os._exit(3)


# ---------------------------------------------------------------------------
# Reading this process's memory: an unmapped address is an OSError, never a
# crash.

_MEM = os.open('/proc/self/mem', os.O_RDONLY)


def read(addr, n):
    if addr <= 0 or addr >= 1 << 63:
        return None
    try:
        b = os.pread(_MEM, n, addr)
    except (OSError, OverflowError, ValueError):
        return None
    return b if len(b) == n else None


def word(addr):
    b = read(addr, PS)
    return None if b is None else int.from_bytes(b, sys.byteorder)


def words(addr, n):
    b = read(addr, n * PS)
    if b is None:
        return None
    # (Not struct.unpack: its cache of Struct objects would grow on the GC
    # lists during the census.)
    return memoryview(b).cast('P').tolist()


def obj_at(ptr, want_type=None):
    """The object at address PTR (a strong reference held elsewhere)."""
    t = word(ptr + PS)
    if not t or (want_type is not None and t != id(want_type)):
        raise ProbeFailed('no %s at %#x (ob_type %s)' % (want_type.__name__ if want_type else 'object', ptr, t))
    # An int, not a c_void_p: cast() would tie a c_void_p to its result in
    # a reference cycle, and the GC is off during the census.
    return ctypes.cast(ptr, ctypes.py_object).value


# ---------------------------------------------------------------------------
# Probes.  Each probe function's local names are written here, so the
# expected contents of co_localsplusnames (3.11+: varnames, then cell
# variables that are not arguments, then free variables) are known without
# asking the code object (co_varnames is computed on 3.11+, and caching it
# mutates the code object on 3.12).

def _probe_outer_1():
    zq1_free = [1]

    def zq1_probe(zq1_arg):
        zq1_local = zq1_arg
        zq1_cell = zq1_local

        def zq1_inner():
            return zq1_cell
        return zq1_free, zq1_inner
    return zq1_probe, ('zq1_arg', 'zq1_local', 'zq1_inner', 'zq1_cell', 'zq1_free')


def _probe_outer_2():
    zq2_free_a = [1]
    zq2_free_b = [2]

    def zq2_probe(zq2_x, zq2_y, zq2_z):
        zq2_cell_a = zq2_x
        zq2_cell_b = zq2_y

        def zq2_inner():
            return zq2_cell_a, zq2_cell_b
        return zq2_free_a, zq2_free_b, zq2_inner, zq2_z
    return zq2_probe, ('zq2_x', 'zq2_y', 'zq2_z', 'zq2_inner', 'zq2_cell_a', 'zq2_cell_b',
                       'zq2_free_a', 'zq2_free_b')


def _probe_outer_3():
    def zq3_probe(zq3_p, zq3_q=None, *zq3_rest, **zq3_kw):
        zq3_sum = zq3_p
        return zq3_sum, zq3_q, zq3_rest, zq3_kw
    return zq3_probe, ('zq3_p', 'zq3_q', 'zq3_rest', 'zq3_kw', 'zq3_sum')


def _localsplus_at(code, off, names=None):
    """(names tuple, kinds bytes) at offset OFF of CODE, or None."""
    w = word(id(code) + off)
    k = word(id(code) + off + PS)
    if not w or not k or word(w + PS) != id(tuple) or word(k + PS) != id(bytes):
        return None
    n = word(w + 2 * PS)
    if n is None or n > 100000 or word(k + 2 * PS) != n:
        return None
    if names is not None:
        if n != len(names) or words(w + 3 * PS, n) != [id(sys.intern(s)) for s in names]:
            return None
    return w, k


def probe_code_layout():
    """Offset in a code object of co_localsplusnames (co_localspluskinds is
    the next word); None before 3.11, where co_varnames & co are fields."""
    if PY < (3, 11):
        return None
    probes = [_probe_outer_1(), _probe_outer_2(), _probe_outer_3()]
    code, names = probes[0][0].__code__, probes[0][1]
    found = [off for off in range(0, sys.getsizeof(code) - PS, PS) if _localsplus_at(code, off, names)]
    if len(found) != 1:
        raise ProbeFailed('co_localsplusnames not found in %r (candidates %s)' % (code, found))
    off = found[0]
    for fn, names in probes[1:]:
        if not _localsplus_at(fn.__code__, off, names):
            raise ProbeFailed('co_localsplusnames offset %d does not hold for %r' % (off, fn.__code__))
    return off


def _frame_probe_a(zf_a, zf_b, zf_c):
    fr = sys._getframe()
    try:
        return _find_frame_layout(fr, (zf_a, zf_b, zf_c), _frame_probe_a)
    finally:
        del fr


def _frame_probe_b(zf_a, zf_b, zf_c, zf_d, zf_e):
    zf_f = zf_e
    fr = sys._getframe()
    try:
        return _find_frame_layout(fr, (zf_a, zf_b, zf_c, zf_d, zf_e, zf_f), _frame_probe_b)
    finally:
        del fr


def _find_frame_layout(fr, args, func):
    """Offsets (f_frame in the frame object; code, function, frame_obj and
    localsplus in the interpreter frame) that explain FR, a live frame of
    FUNC whose first fast locals are ARGS."""
    want = [id(a) for a in args]
    for ff in range(2 * PS, 8 * PS, PS):
        p = word(id(fr) + ff)
        ws = words(p, 64) if p else None
        if not ws:
            continue
        at = {}
        for i, w in enumerate(ws):
            for name, target in (('code', id(func.__code__)), ('func', id(func)), ('frame_obj', id(fr))):
                if w == target and name not in at:
                    at[name] = i * PS
        for i in range(len(ws) - len(want)):
            if ws[i:i + len(want)] == want:
                at['localsplus'] = i * PS
                break
        if len(at) == 4:
            at['f_frame'] = ff
            return at
    raise ProbeFailed('interpreter frame of %r not found' % fr)


def _locals_probe(fr, locs):
    p = word(id(fr) + _LAYOUT['frame']['f_frame'])
    ws = words(p, 64) if p else None
    lay = _LAYOUT['frame']
    hits = [i * PS for i, w in enumerate(ws or ()) if w == id(locs) and i * PS < lay['localsplus']]
    if len(hits) != 1:
        raise ProbeFailed('f_locals not found in the interpreter frame (%s)' % hits)
    _LAYOUT['frame_locals_hits'].append(hits[0])


def probe_frame_layout():
    if PY < (3, 11):
        return None
    a = _frame_probe_a([1], [2], [3])
    b = _frame_probe_b([1], [2], [3], [4], [5])
    c = _frame_probe_a({}, (), [])
    if a != b or a != c:
        raise ProbeFailed('interpreter frame layouts disagree: %s %s %s' % (a, b, c))
    return a


def probe_frame_locals():
    """Offset of f_locals in the interpreter frame: an exec'd frame has the
    locals dict it was given."""
    _LAYOUT['frame_locals_hits'] = []
    for _ in range(2):
        loc = {}
        g = {'_zq_check': _locals_probe, '_zq_frame': sys._getframe, '_zq_locals': loc}
        exec('_zq_check(_zq_frame(), _zq_locals)', g, loc)
        g.clear()
    hits = _LAYOUT.pop('frame_locals_hits')
    if len(set(hits)) != 1:
        raise ProbeFailed('f_locals offsets disagree: %s' % hits)
    return hits[0]


class _DictSlotProbe:
    pass


def probe_managed_dict():
    """Offset (negative) of the managed __dict__ pointer, 3.11+."""
    if not MANAGED_DICT or not (_DictSlotProbe.__flags__ & MANAGED_DICT):
        return None
    offs = []
    for i in range(2):
        p = _DictSlotProbe()
        p.a = i
        d = vars(p)
        offs.append([k * PS for k in range(-8, 0) if word(id(p) + k * PS) == id(d)])
        del p, d
    if offs[0] != offs[1] or len(offs[0]) != 1:
        raise ProbeFailed('managed __dict__ slot not found: %s' % offs)
    return offs[0][0]


class _SlotsProbe:
    __slots__ = ['_hi_probe_slot_b', '_hi_probe_slot_a']


def probe_ht_slots():
    """Offset of ht_slots in a heap type: the one word of _SlotsProbe
    pointing to a 2-tuple of its slot names, sorted."""
    a, b = sys.intern('_hi_probe_slot_a'), sys.intern('_hi_probe_slot_b')
    want = [id(tuple), 2, id(a), id(b)]
    hits = [k * PS for k in range(type.__basicsize__ // PS)
            if words((word(id(_SlotsProbe) + k * PS) or -PS) + PS, 4) == want]
    if len(hits) != 1:
        raise ProbeFailed('ht_slots not found: %s' % hits)
    return hits[0]


_LAYOUT = {}


def probe_all():
    try:
        _LAYOUT['localsplusnames'] = probe_code_layout()
        _LAYOUT['frame'] = probe_frame_layout()
        if _LAYOUT['frame'] is not None:
            _LAYOUT['frame']['f_locals'] = probe_frame_locals()
        _LAYOUT['managed_dict'] = probe_managed_dict()
        _LAYOUT['ht_slots'] = probe_ht_slots()
    except ProbeFailed as e:
        fail('probe failed: %s' % e)
    warm_up()


class _NegativeDictOffset(int):
    pass


def warm_up():
    """Run every path the census takes before it starts, so that it
    creates nothing that survives it (ctypes caches, descriptors) and
    changes no size: 3.8-3.10 give a code object an opcache, which
    sys.getsizeof counts, on its 1024th run."""
    code = _probe_outer_1()[0].__code__
    sample = _DictSlotProbe()
    sample.a = 1
    neg = _NegativeDictOffset(12345)
    neg.a = 1
    readers = [dict_slot_reader(t) for t in (type, _DictSlotProbe, _NegativeDictOffset)]
    for _ in range(1100 if PY < (3, 11) else 2):
        word(id(code))
        words(id(code), 2)
        obj_at(id(code))
        code_referents(code)
        type_referents(_SlotsProbe)
        type_referents(int)
        kind_of_type(_DictSlotProbe)
        dict_slot_reader(type)
        for f in readers:
            f(sample)
        readers[2](neg)
    del sample, neg, readers


def localsplus(code):
    off = _LAYOUT['localsplusnames']
    wk = _localsplus_at(code, off)
    if not wk:
        raise ProbeFailed('co_localsplusnames not at offset %d of %r' % (off, code))
    return obj_at(wk[0], tuple), obj_at(wk[1], bytes)


# ---------------------------------------------------------------------------
# Referents.

if PY >= (3, 11):
    _CODE_FIELDS = operator.attrgetter('co_consts', 'co_names', 'co_filename', 'co_name', 'co_qualname',
                                       'co_linetable', 'co_exceptiontable')
elif PY >= (3, 10):
    _CODE_FIELDS = operator.attrgetter('co_consts', 'co_names', 'co_filename', 'co_name', 'co_linetable',
                                       'co_code', 'co_varnames', 'co_freevars', 'co_cellvars')
else:
    _CODE_FIELDS = operator.attrgetter('co_consts', 'co_names', 'co_filename', 'co_name', 'co_lnotab',
                                       'co_code', 'co_varnames', 'co_freevars', 'co_cellvars')

_TP_DICT = type.__dictoffset__  # where a type keeps its tp_dict
_TYPE_NAME = type.__dict__['__name__'].__get__
_TYPE_QUALNAME = type.__dict__['__qualname__'].__get__


def type_referents(t):
    """What heapy follows from type object T beyond gc.get_referents."""
    if t.__flags__ & HEAPTYPE:
        w = word(id(t) + _LAYOUT['ht_slots'])
        extra = [_TYPE_NAME(t), _TYPE_QUALNAME(t)]
        if w:
            extra.append(obj_at(w, tuple))
        return extra
    extra = [x for x in (t.__mro__, t.__bases__, t.__base__) if x is not None]
    w = word(id(t) + _TP_DICT)
    if w:
        extra.append(obj_at(w, dict))
    return extra


def code_referents(code):
    out = list(_CODE_FIELDS(code))
    if _LAYOUT['localsplusnames'] is not None:
        out.extend(localsplus(code))
    return out


def frame_referents(fr):
    """What a 3.11+ frame still executing holds (its interpreter frame);
    () for a frame whose frame object owns its data (gc.get_referents
    already covers those)."""
    lay = _LAYOUT['frame']
    p = word(id(fr) + lay['f_frame'])
    if not p or word(p + lay['frame_obj']) != id(fr):
        return ()
    code = fr.f_code
    if word(p + lay['code']) != id(code):
        raise ProbeFailed('frame %r: code not at the probed offset' % fr)
    out = [code, fr.f_globals, fr.f_builtins]
    back = fr.f_back
    if back is not None:
        out.append(back)
    for off in (lay['func'], lay['f_locals']):
        w = word(p + off)
        if w:
            out.append(obj_at(w))
    n = len(localsplus(code)[0])
    for w in words(p + lay['localsplus'], n) if n else ():
        if w:
            out.append(obj_at(w))
    return out


def make_referents():
    """R(o): the function referents(o, type(o)), with its caches."""
    heap_type_meta = {}
    code_type, frame_type = types.CodeType, types.FrameType
    frame_ext = _LAYOUT['frame'] is not None
    managed_off = _LAYOUT['managed_dict']
    get_referents = gc.get_referents

    def referents(o, t):
        refs = get_referents(o)
        if t.__flags__ & MANAGED_DICT:
            w = word(id(o) + managed_off)
            if w and not w & 1:
                refs.append(obj_at(w))
        if t is code_type:
            refs.extend(code_referents(o))
        elif t is frame_type and frame_ext:
            refs.extend(frame_referents(o))
        else:
            m = heap_type_meta.get(t)
            if m is None:
                m = heap_type_meta[t] = issubclass(t, type)
            if m:
                refs.extend(type_referents(o))
        return refs
    return referents


# ---------------------------------------------------------------------------
# The census.

def thread_frames():
    """Every frame of every thread (creating the frame objects on 3.11+),
    except the truth machinery's own."""
    found = []
    tops = sys._current_frames()
    for top in tops.values():
        f = top
        while f is not None:
            if id(f.f_code) not in _MACHINERY:
                found.append(f)
            f = f.f_back
    del tops, top, f
    return found


def dict_slot_reader(t):
    """A function giving the address of the __dict__ pointer of an instance
    of T, as _PyObject_GetDictPtr finds it, or None."""
    if MANAGED_DICT and t.__flags__ & MANAGED_DICT:
        off = _LAYOUT['managed_dict']
        return lambda o: id(o) + off
    off = t.__dictoffset__
    if off > 0:
        return lambda o: id(o) + off
    if off < 0:
        basic, item = t.__basicsize__, t.__itemsize__

        def neg(o):
            n = word(id(o) + 2 * PS)
            if n is None:
                return None
            if n >= 1 << (8 * PS - 1):
                n = (1 << (8 * PS)) - n
            size = (basic + n * item + PS - 1) & ~(PS - 1)
            return id(o) + size + off
        return neg
    return None


def c_level_sizeof(t):
    """For a class whose __sizeof__ is Python code (pandas' objects run
    memory_usage(deep=True)), what sys.getsizeof would say of its objects
    with the nearest C-level __sizeof__ instead: heapinspect never runs
    Python code.  None for every other type (sys.getsizeof applies)."""
    for k in t.__mro__:
        f = k.__dict__.get('__sizeof__')
        if f is None:
            continue
        if not isinstance(f, (types.FunctionType, classmethod, staticmethod)):
            return None  # the nearest is C-level
        for b in t.__mro__[t.__mro__.index(k) + 1:]:
            cf = b.__dict__.get('__sizeof__')
            if cf is not None and not isinstance(cf, (types.FunctionType, classmethod, staticmethod)):
                # sys.getsizeof's own addition: the GC header and, 3.11+,
                # the managed dict's pre-header (3.12+: and weakref's).
                extra = (2 * PS if t.__flags__ & HAVE_GC else 0)
                if PY >= (3, 11) and t.__flags__ & (MANAGED_DICT | MANAGED_WEAKREF):
                    extra += 2 * PS
                return lambda o, cf=cf, extra=extra: cf(o) + extra
        return None
    return None


def census():
    """The truth: by_type, by_kind, totals, and how many roots."""
    t0 = time.time()
    frames = thread_frames()
    gc.collect()
    gc.disable()  # membership of the lists must not change from here on
    if hasattr(gc, 'unfreeze'):
        gc.unfreeze()
    roots = gc.get_objects()
    nroots = len(roots) - 1  # less the frames list
    seen = {id(frames), id(roots)}  # ids; the machinery's own count as seen
    groups = {}  # type -> its objects in the closure (keeping them alive)
    stack = []
    push = stack.append
    root_types = {}
    for r in roots:
        if id(r) not in seen:
            seen.add(id(r))
            push(r)
            t = type(r)
            root_types[t] = root_types.get(t, 0) + 1
    for r in frames:
        if id(r) not in seen:
            seen.add(id(r))
            push(r)
    del roots, frames

    leaf = {}  # type -> True if its objects have no referents at all
    code_type = types.CodeType
    referents = make_referents()
    pop, add = stack.pop, seen.add
    # Sized when first met, before the walk holds what it references: a
    # __sizeof__ may depend on reference counts (3.12's BytesIO leaves out
    # a buffer it shares, Py_REFCNT(buf) > 1).
    size = sys.getsizeof
    sizes = {}  # type -> bytes
    c_sizeof = {}  # type -> its C-level __sizeof__ when a class overrides it in Python
    while stack:
        o = pop()
        t = type(o)
        g = groups.get(t)
        if g is None:
            g = groups[t] = []
            sizes[t] = 0
            leaf[t] = not (t.__flags__ & HAVE_GC) and t is not code_type
        g.append(o)
        c = c_sizeof.get(t)
        if c is None:
            c = c_sizeof[t] = c_level_sizeof(t)
        sizes[t] += c(o) if c else size(o)
        if leaf[t]:
            continue
        refs = referents(o, t)
        for r in refs:
            if id(r) not in seen:
                add(id(r))
                push(r)
    stack = refs = r = o = g = None
    seen.clear()
    t1 = time.time()

    # Owners of exact dicts: the lowest-addressed object whose __dict__
    # slot holds it, as heapy finds owners (_PyObject_GetDictPtr).  For a
    # type that slot is tp_dict, which 3.12+ leaves empty for static
    # built-in types (their dict lives in the interpreter), so heapy calls
    # those dicts "dict (no owner)", and so does this truth.
    dicts = set(map(id, groups.get(dict, ())))
    owners = {}  # dict id -> owner id
    owner_type = {}  # owner id -> its type
    for t, objs in groups.items():
        f = dict_slot_reader(t)
        if f is None:
            continue
        for o in objs:
            i = id(o)
            a = f(o)
            d = word(a) if a else None
            if d in dicts and (d not in owners or i < owners[d]):
                owners[d] = i
                owner_type[i] = t

    by_type, by_kind = {}, {}
    total = [0, 0]
    for t, objs in groups.items():
        name = kind_of_type(t)
        n, s = len(objs), sizes[t]
        e = by_type.setdefault(name, [0, 0])
        e[0] += n
        e[1] += s
        total[0] += n
        total[1] += s
        if t is not dict:
            e = by_kind.setdefault(name, [0, 0])
            e[0] += n
            e[1] += s
            continue
        for o in objs:
            owner = owners.get(id(o))
            kind = 'dict (no owner)' if owner is None else 'dict of ' + kind_of_type(owner_type[owner])
            e = by_kind.setdefault(kind, [0, 0])
            e[0] += 1
            e[1] += size(o)
    roots_by_type = {}
    for t, n in root_types.items():
        name = kind_of_type(t)
        roots_by_type[name] = roots_by_type.get(name, 0) + n
    t2 = time.time()
    groups.clear()
    sizes.clear()
    root_types.clear()
    return {'by_type': by_type, 'by_kind': by_kind, 'totals': {'objects': total[0], 'size': total[1]},
            'roots': nroots, 'roots_by_type': roots_by_type, 'seconds': [round(t1 - t0, 3), round(t2 - t1, 3)]}


def owned_dict(o):
    """o's own __dict__ if it exists, without creating one."""
    f = dict_slot_reader(type(o))
    a = f(o) if f else None
    w = word(a) if a else None
    if not w or w & 1:
        return None
    d = vars(o)
    if id(d) != w:
        fail('__dict__ slot of %r holds %#x, vars() is %#x' % (type(o), w, id(d)))
    return d


# ---------------------------------------------------------------------------
# The workload.

class Plain:
    def __init__(self, i):
        self.name = 'plain-%06d' % i
        self.number = 1000000 + i
        self.group = i % 7


class Slotted:
    __slots__ = ('x', 'y', 'label')

    def __init__(self, i):
        self.x = i + 0.5
        self.y = -i - 0.25
        self.label = None


class Dicted:
    def __init__(self, i):
        self.key = i % 11
        self.items = None


def make_closure(i):
    blob = bytearray(b'cell-%06d' % i)

    def reader():
        return blob
    return reader


def token_gen(i):
    token = range(i, i + 3)
    yield i
    yield len(token)


SCALE = 50 if '--small' in sys.argv else 1
DEPTH = 200 // (SCALE // 10 or 1)
THREADS = 3


def n(k):
    """K objects, or a fiftieth of them (at least 3) with --small."""
    return max(k // SCALE, 3)


def descend(level, tag, bottom, stop):
    here = complex(level, tag + 0.5)
    weight = tag * 1000.0 + level + 0.125
    if level == 1:
        bottom.set()
        stop.wait()
        return here, weight
    return descend(level - 1, tag, bottom, stop)


def plant():
    """Build the main workload: {name: population}, for the caller to keep
    alive.  The three threads stay blocked at the bottom of their recursion
    until the "stop" event is set."""
    pop = {}
    pop['plain'] = [Plain(i) for i in range(n(5000))]
    pop['slotted'] = [Slotted(i) for i in range(n(3000))]
    pop['dicted'] = [Dicted(i) for i in range(n(2000))]
    for d in pop['dicted']:
        vars(d)
    pop['str_ascii'] = ['ascii-%06d' % i for i in range(n(1000))]
    pop['str_latin1'] = ['l\xe4tin-%06d' % i for i in range(n(1000))]
    pop['str_bmp'] = ['\u4e2d\u6587-%06d' % i for i in range(n(1000))]
    pop['str_astral'] = ['\U0001f40d-%06d' % i for i in range(n(1000))]
    pop['int_small'] = list(range(-5, 257))
    pop['int_huge'] = [10 ** 50 + i for i in range(n(1000))]
    pop['bytes'] = [b'bytes-%06d' % i for i in range(n(1000))]
    pop['tuples'] = [((i, ('t', i)), (i,)) for i in range(n(1000))]
    pop['big_dict'] = {3000000 + i: 5000000 + i for i in range(n(100000))}
    pop['str_key_dict'] = {'key-%06d' % i: i for i in range(n(5000))}
    pop['big_set'] = {'member-%06d' % i for i in range(n(50000))}
    pop['frozensets'] = [frozenset((i, -i - 1)) for i in range(n(500))]
    # Deleted entries hold the set's dummy marker, which is not an object
    # of the heap: nothing must be counted or skipped for them.
    holey = set(range(10000, 10000 + n(400)))
    for i in range(10000, 10000 + n(400), 3):
        holey.discard(i)
    pop['holey_set'] = holey
    pop['closures'] = [make_closure(i) for i in range(n(1000))]
    pop['generators'] = [token_gen(i) for i in range(n(300))]
    for g in pop['generators']:
        next(g)
    stop = threading.Event()
    bottoms = []
    workers = []
    for k in range(THREADS):
        bottom = threading.Event()
        w = threading.Thread(target=descend, args=(DEPTH, k, bottom, stop), name='descend-%d' % k, daemon=True)
        w.start()
        bottoms.append(bottom)
        workers.append(w)
    for b in bottoms:
        if not b.wait(60):
            fail('recursion threads did not reach the bottom')
    pop['threads'] = (stop, bottoms, workers)
    return pop


def plant_stdlib():
    """The standard library's C types as services hold them: arrays,
    ElementTree trees, in-memory files, long decimals, memoryviews, regular
    expressions, sqlite3 rows and cursors, itertools, caches and partials,
    OrderedDict, deque, defaultdict, Counter, ctypes arrays and structures.
    Many have their own __sizeof__ or references no dict or list holds."""
    import array
    import collections
    import decimal
    import functools
    import io
    import itertools
    import re
    import sqlite3
    import xml.etree.ElementTree as ET
    pop = {}
    pop['arrays'] = ([array.array('d', range(100 + i)) for i in range(n(200))]
                     + [array.array('b', bytes(300 + i)) for i in range(n(200))]
                     + [array.array('u', 'x' * (50 + i)) for i in range(n(100))])
    root = ET.Element('root', {'kind': 'tree'})
    for i in range(n(2000)):
        child = ET.SubElement(root, 'item', {'id': 'item-%06d' % i})
        child.text = 'text-%06d' % i
        child.tail = 'tail-%06d' % i
    pop['etree'] = root
    pop['bytesio'] = [io.BytesIO(b'bytesio-%06d ' % i * 20) for i in range(n(300))]
    pop['stringio'] = [io.StringIO('stringio-%06d ' % i * 20) for i in range(n(300))]
    with decimal.localcontext() as ctx:
        ctx.prec = 80
        pop['decimals'] = [decimal.Decimal(1) / decimal.Decimal(7 + i) for i in range(n(1000))]
    blobs = [b'view-%06d' % i * 10 for i in range(n(300))]
    pop['memoryviews'] = ([memoryview(b) for b in blobs]
                          + [memoryview(bytearray(b'mutable-%06d' % i)) for i in range(n(300))])
    pop['patterns'] = [re.compile(r'(?P<word>w%d+)\s+(\d{%d})' % (i, i % 9 + 1)) for i in range(n(200))]
    db = sqlite3.connect(':memory:')
    db.row_factory = sqlite3.Row
    db.execute('create table t (id integer, name text)')
    db.executemany('insert into t values (?, ?)', [(i, 'row-%06d' % i) for i in range(n(1000))])
    pop['sqlite'] = (db, db.execute('select * from t').fetchall(), [db.cursor() for _ in range(n(100))])
    pop['itertools'] = ([itertools.islice(range(10 ** 6), i, None, 2) for i in range(n(200))]
                        + [itertools.count(i) for i in range(n(200))]
                        + [itertools.chain((i,), (i + 1,)) for i in range(n(200))])
    groups = [itertools.groupby('aabbcc%d' % i) for i in range(n(200))]
    for g in groups:
        next(g)
    pop['groupby'] = groups

    @functools.lru_cache(maxsize=128)
    def bounded(i):
        return 'bounded-%06d' % i

    @functools.lru_cache(maxsize=None)
    def unbounded(i):
        return 'unbounded-%06d' % i
    for i in range(n(500)):
        bounded(i)
        unbounded(i)
    pop['caches'] = (bounded, unbounded)
    pop['partials'] = [functools.partial(int, 'p%d' % i, base=36) for i in range(n(300))]
    pop['odict'] = collections.OrderedDict(('okey-%06d' % i, i) for i in range(n(2000)))
    pop['deques'] = [collections.deque(range(i, i + 50)) for i in range(n(200))]
    pop['defaultdicts'] = [collections.defaultdict(list, {i: [i]}) for i in range(n(200))]
    pop['counters'] = [collections.Counter('counter-%06d' % i) for i in range(n(100))]

    class Point(ctypes.Structure):
        _fields_ = [('x', ctypes.c_double), ('y', ctypes.c_double)]
    pop['ctypes'] = ([(ctypes.c_int * (10 + i % 5))() for i in range(n(200))]
                     + [Point(i, -i) for i in range(n(200))])
    return pop


def plant_asyncio():
    """An asyncio service at rest: its loop runs in a thread, blocked in
    select, with 2000 tasks waiting on an event, futures, queues holding
    work items, and a server-like set of handles."""
    import asyncio
    started = threading.Event()
    box = {}

    async def worker(i, gate, queue):
        item = await queue.get()
        await gate.wait()
        return item, i

    async def main():
        gate = asyncio.Event()
        queues = [asyncio.Queue() for _ in range(n(50))]
        for i, q in enumerate(queues):
            for k in range(n(40)):
                q.put_nowait(('work', i, k))
        tasks = [asyncio.ensure_future(worker(i, gate, queues[i % len(queues)])) for i in range(n(2000))]
        futures = [asyncio.get_running_loop().create_future() for _ in range(n(200))]
        box.update(gate=gate, queues=queues, tasks=tasks, futures=futures)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        started.set()
        await gate.wait()

    def run():
        loop = asyncio.new_event_loop()
        box['loop'] = loop
        loop.run_until_complete(main())
    thread = threading.Thread(target=run, name='asyncio-loop', daemon=True)
    thread.start()
    if not started.wait(60):
        fail('the asyncio loop did not start')
    time.sleep(0.2)  # the loop settles in select
    return {'asyncio': box, 'thread': thread}


def plant_pandas():
    """pandas DataFrames: numeric and object columns, an index of strs,
    Series, a groupby result."""
    import pandas as pd
    import numpy as np
    frames = []
    for i in range(n(20)):
        df = pd.DataFrame({'a': np.arange(1000 + i, dtype='float64'), 'b': np.arange(1000 + i) % 7,
                           'name': ['row-%d-%d' % (i, k) for k in range(1000 + i)]})
        frames.append(df)
    series = [pd.Series(['s-%d-%d' % (i, k) for k in range(200)], name='series-%d' % i) for i in range(n(20))]
    grouped = frames[0].groupby('b').sum(numeric_only=True)
    return {'frames': frames, 'series': series, 'grouped': grouped}


def plant_sqlalchemy():
    """A SQLAlchemy ORM session on in-memory SQLite holding 5000 mapped
    objects, their identity map and the engine's caches."""
    import sqlalchemy as sa
    from sqlalchemy import orm
    Base = orm.declarative_base()

    class Account(Base):
        __tablename__ = 'account'
        id = sa.Column(sa.Integer, primary_key=True)
        name = sa.Column(sa.String)
        balance = sa.Column(sa.Float)

    engine = sa.create_engine('sqlite://')
    Base.metadata.create_all(engine)
    session = orm.Session(engine)
    session.add_all([Account(id=i, name='account-%06d' % i, balance=i * 1.5) for i in range(n(5000))])
    session.commit()
    accounts = session.query(Account).all()
    rows = session.execute(sa.text('select id, name from account')).fetchall()
    return {'engine': engine, 'session': session, 'accounts': accounts, 'rows': rows, 'Account': Account}


def plant_ext(where):
    """tests/ext/hiext.c, built into WHERE: objects whose references only
    their types' tp_traverse (and the module's m_traverse) know."""
    sys.path.insert(0, where)
    import hiext
    del sys.path[0]

    class Sub(hiext.Static):
        pass
    pop = {'module': hiext, 'Sub': Sub}
    pop['static'] = [hiext.Static(('static', i), 'static-second-%06d' % i) for i in range(n(1000))]
    pop['heap'] = [hiext.Heap(['heap-%06d' % i, i + 0.5]) for i in range(n(1000))]
    pop['sub'] = [Sub('sub-first-%06d' % i, [i]) for i in range(n(500))]
    for i, s in enumerate(pop['sub']):
        s.tag = 'sub-tag-%06d' % i
    pop['sized'] = [hiext.Sized(1000 + i) for i in range(n(500))]
    for i in range(n(2000)):
        hiext.register(('registered', i), 'registry-%06d' % i)
    return pop


def planted_rows(pop):
    """{name: (row, partition, exact, count, size)}: what was planted, from
    the objects themselves (or rebuilt equals where the only references are
    in frames, cells and generators)."""
    size = sys.getsizeof
    k = kind_of_type
    rows = {}

    def add(name, row, by, exact, objs):
        objs = list(objs)
        rows[name] = (row, by, exact, len(objs), sum(map(size, objs)))

    if 'julia' in pop:
        add('complex (julia)', 'complex', 'type', True, pop['julia'][0] + pop['julia'][1])
        return rows
    if 'asyncio' in pop or 'frames' in pop or 'session' in pop:
        return rows  # judged by totals and rows alone
    if 'static' in pop:
        hiext = pop['module']
        add('hiext.Static', k(hiext.Static), 'type', True, pop['static'])
        add('hiext.Heap', k(hiext.Heap), 'type', True, pop['heap'])
        add('Sub', k(pop['Sub']), 'type', True, pop['sub'])
        add('hiext.Sized', k(hiext.Sized), 'type', True, pop['sized'])
        return rows
    if 'deques' in pop:
        add('deque', k(type(pop['deques'][0])), 'type', False, pop['deques'])
        add('defaultdict', k(type(pop['defaultdicts'][0])), 'type', False, pop['defaultdicts'])
        return rows
    add('Plain', k(Plain), 'type', True, pop['plain'])
    add('Slotted', k(Slotted), 'type', True, pop['slotted'])
    add('Dicted', k(Dicted), 'type', True, pop['dicted'])
    add('dict of Dicted', 'dict of ' + k(Dicted), 'kind', True, map(owned_dict, pop['dicted']))
    add('dict of Plain', 'dict of ' + k(Plain), 'kind', True,
        filter(None, map(owned_dict, pop['plain'])))
    add('float (slots)', 'float', 'type', False, [f for s in pop['slotted'] for f in (s.x, s.y)])
    for kind in ('ascii', 'latin1', 'bmp', 'astral'):
        add('str (%s)' % kind, 'str', 'type', False, pop['str_' + kind])
    add('str (set members)', 'str', 'type', False, pop['big_set'])
    add('int (huge)', 'int', 'type', False, pop['int_huge'])
    add('int (big dict keys and values)', 'int', 'type', False,
        [x for kv in pop['big_dict'].items() for x in kv])
    add('bytes', 'bytes', 'type', False, pop['bytes'])
    add('tuple (nested)', 'tuple', 'type', False,
        [x for t in pop['tuples'] for x in (t, t[0], t[0][1], t[1])])
    add('dict (100000 entries)', 'dict', 'type', False, [pop['big_dict']])
    add('set (50000 members)', 'set', 'type', False, [pop['big_set']])
    add('frozenset', 'frozenset', 'type', False, pop['frozensets'])
    add('function (closures)', k(types.FunctionType), 'type', False, pop['closures'])
    add('cell (closures)', k(type(pop['closures'][0].__closure__[0])), 'type', False,
        [c.__closure__[0] for c in pop['closures']])
    add('bytearray (in cells)', 'bytearray', 'type', False,
        [c.__closure__[0].cell_contents for c in pop['closures']])
    add('generator', k(types.GeneratorType), 'type', False, pop['generators'])
    # Only the suspended generators hold these ranges, and only the
    # threads' frames these complexes and floats: rebuilt equals give the
    # sizes without touching the frames.
    add('range (in generators)', 'range', 'type', False, [range(i, i + 3) for i in range(n(300))])
    levels = [(lv, t) for t in range(THREADS) for lv in range(DEPTH, 0, -1)]
    add('frame (thread recursion)', k(types.FrameType), 'type', False, recursion_frames(pop['threads'][2]))
    add('complex (thread frames)', 'complex', 'type', False, [complex(lv, t + 0.5) for lv, t in levels])
    add('float (thread frames)', 'float', 'type', False, [t * 1000.0 + lv + 0.125 for lv, t in levels])
    return rows


def recursion_frames(workers):
    """The frame objects of the recursion in the worker threads (created
    here on 3.11+ if need be: the census would create them anyway)."""
    idents = {w.ident for w in workers}
    out = []
    tops = sys._current_frames()
    for ident, f in tops.items():
        while ident in idents and f is not None:
            if f.f_code is descend.__code__:
                out.append(f)
            f = f.f_back
    del tops, f
    return out


def julia_lists(width):
    """The julia example's complex plane: zs, the starting point of every
    pixel, and cs, the constant each one iterates with."""
    lo, hi = -1.8, 1.8
    step = (hi - lo) / width
    xs = [lo + i * step for i in range(width)]
    ys = [hi - i * step for i in range(width)]
    zs, cs = [], []
    for y in ys:
        for x in xs:
            zs.append(complex(x, y))
            cs.append(complex(-0.62772, -0.42193))
    return zs, cs


def compare_truths(a, b):
    for key in ('by_type', 'by_kind', 'totals'):  # not the roots: collecting untracks tuples
        if a[key] != b[key]:
            if isinstance(a[key], dict):
                diff = sorted((n, a[key].get(n), b[key].get(n)) for n in set(a[key]) | set(b[key])
                              if a[key].get(n) != b[key].get(n))
            else:
                diff = (a[key], b[key])
            fail('the truth is not stable: %s differs: %s' % (key, diff))


def check_planted(truth, planted):
    """The truth's own rows must be what was planted.  A builtin
    population alone in its row (nothing else in the process is a complex,
    say) is then checked exactly too."""
    sharing = {}
    for n, (row, by, exact, count, size) in planted.items():
        sharing[by, row] = sharing.get((by, row), 0) + 1
    for n, (row, by, exact, count, size) in sorted(planted.items()):
        got = truth['by_type' if by == 'type' else 'by_kind'].get(row, [0, 0])
        if exact and got != [count, size]:
            fail('planted %s: truth row %s is %s, planted %s' % (n, row, got, [count, size]))
        if not exact and got[0] < count:
            fail('planted %s: truth row %s has %d objects, fewer than the %d planted' % (n, row, got[0], count))
        if not exact and got == [count, size] and sharing[by, row] == 1:
            planted[n][2] = True


def write_truth(path, pop, twice):
    """Compute the truth, write it to PATH, and check that nothing the
    computation made is left on the GC lists (the GC is off from now on)."""
    try:
        nroots = truth_to_file(path, pop, twice)
    except ProbeFailed as e:
        fail('reading an object failed: %s' % e)
    n = len(gc.get_objects())
    if n != nroots:
        fail('the truth machinery left %d objects on the GC lists (%d, was %d)' % (n - nroots, n, nroots))


def truth_to_file(path, pop, twice):
    # No closures here nor in census(): a cell is on the GC lists, so a
    # cell of the machinery would be a root.  For the same reason what is
    # computed before the census waits in a str (not a GC object).
    planted = json.dumps(planted_rows(pop))
    if twice:
        # Kept as a str while the second census runs: containers made now
        # would be on the GC lists, hence roots.
        first = census()
        del first['seconds']
        first = json.dumps(first, sort_keys=True)
    truth = census()
    if twice:
        compare_truths(json.loads(first), truth)
        del first
    nroots = truth['roots']
    planted = json.loads(planted)
    check_planted(truth, planted)
    truth['version'] = sys.version.split()[0]
    truth['pid'] = os.getpid()
    truth['planted'] = {n: [r[3], r[4]] for n, r in planted.items()}
    truth['planted_rows'] = {n: {'row': r[0], 'by': r[1], 'exact': r[2]} for n, r in planted.items()}
    truth['layout'] = {'localsplusnames': _LAYOUT['localsplusnames'], 'frame': _LAYOUT['frame'],
                       'managed_dict': _LAYOUT['managed_dict']}
    text = json.dumps(truth)
    with open(path, 'w') as f:
        f.write(text)
    # (No repr of a container from here on: Py_ReprEnter would leave a list
    # in the thread state's dict.)
    sys.stderr.write('closure_target: %d objects, %d bytes, %d roots, census %.2f + %.2f s\n'
                     % (truth['totals']['objects'], truth['totals']['size'], nroots,
                        truth['seconds'][0], truth['seconds'][1]))
    return nroots


_MACHINERY = {id(f.__code__) for f in (thread_frames, census, write_truth, truth_to_file)}


if __name__ == '__main__':
    started = time.time()
    probe_all()
    planters = {'--asyncio': plant_asyncio, '--pandas': plant_pandas, '--sqlalchemy': plant_sqlalchemy,
                '--stdlib': plant_stdlib}
    chosen = [f for flag, f in planters.items() if flag in sys.argv]
    if '--julia' in sys.argv:
        population = {'julia': julia_lists(1000)}
    elif '--ext' in sys.argv:
        population = plant_ext(sys.argv[sys.argv.index('--ext') + 1])
    elif chosen:
        population = chosen[0]()
        # A first walk readies what looking at these types creates lazily
        # (3.8 and 3.9 build _lru_list_elem's bases and MRO on first use).
        census()
    else:
        population = plant()
    write_truth(sys.argv[1], population, '--twice' in sys.argv)
    sys.stderr.write('closure_target: ready after %.2f s\n' % (time.time() - started))
    sys.stdout.write('ready\n')
    sys.stdout.flush()
    # os.read, not sys.stdin.readline(): the first read through sys.stdin
    # would create its decoder objects while heapinspect looks.
    os.read(0, 4096)
    if 'threads' in population:
        population['threads'][0].set()
