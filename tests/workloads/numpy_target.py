"""A target for tests/numpy.py: numpy arrays of known sizes, in phases.

Prints "ready" before importing numpy; then obeys one command per line on
stdin, printing one line starting with "done" after each:

  import     import numpy and warm up the operations 'plant' uses, so that
             whatever numpy caches on first use exists before 'plant'
  plant      allocate:
               5 bases of 393216 float64 (3 MiB each) and 12 views of 10
               elements of them (3, 3, 2, 2, 2 per base), then drop every
               name of the bases: only the views keep them alive;
               a kept array of 1000 float64 and a view of 10 of it;
               a full view of an array of 50 float64 (not much smaller);
               owned arrays (100, 100) float64, (1000,) int32,
               (7, 11, 13) complex128;
             and write the truth to argv[1] (JSON): every planted array
             (by id: shape, dtype char and itemsize, nbytes, owndata, base
             id, sys.getsizeof), their count and total getsizeof, the
             bases, the two groups of views numpy's summary must report
             (from nbytes), and whether a closure over gc.get_referents
             from gc.get_objects() finds the bases (it must not: ndarray
             has no tp_traverse).

EOF ends the process.  Nothing here knows about heapinspect.
"""
import gc
import json
import sys

np = None
keep = {}


def warm_up():
    a = np.arange(64, dtype=np.float64)
    v = a[2:12]
    k = np.zeros(100)
    w = k[1:3]
    f = np.zeros(50)
    g = f[:]
    x = (np.zeros((3, 3)), np.ones(5, dtype=np.int32), np.empty((2, 3, 4), dtype=np.complex128))
    del a, v, k, w, f, g, x


def gc_closure_ids():
    """What a gc-based tool sees: the closure over gc.get_referents."""
    seen = set()
    todo = gc.get_objects()
    while todo:
        o = todo.pop()
        if id(o) not in seen:
            seen.add(id(o))
            todo.extend(gc.get_referents(o))
    return seen


def plant(path):
    bases = [np.arange(393216, dtype=np.float64) for _ in range(5)]
    views = [bases[i % 5][10 * i:10 * i + 10] for i in range(12)]
    kept = np.zeros(1000)
    kept_view = kept[100:110]
    full = np.zeros(50)
    full_view = full[:]
    owned = [np.zeros((100, 100)), np.ones(1000, dtype=np.int32), np.empty((7, 11, 13), dtype=np.complex128)]
    base_ids = [id(b) for b in bases]
    del bases
    keep.update(views=views, kept=kept, kept_view=kept_view, full=full, full_view=full_view, owned=owned)
    seen = gc_closure_ids()
    gc_finds = {'bases': sum(i in seen for i in base_ids), 'views': sum(id(v) in seen for v in views)}
    del seen

    arrays = {}
    for a in views + [kept, kept_view, full, full_view] + owned + [v.base for v in views]:
        arrays[id(a)] = a
    truth = {
        'arrays': {str(i): {'shape': repr(a.shape), 'type': a.dtype.char, 'itemsize': a.dtype.itemsize,
                            'nbytes': a.nbytes, 'owned': bool(a.flags.owndata),
                            'base': id(a.base) if a.base is not None else None, 'getsizeof': sys.getsizeof(a)}
                   for i, a in arrays.items()},
        'count': len(arrays),
        'size': sum(sys.getsizeof(a) for a in arrays.values()),
        'bases': base_ids,
        'kept_alive': {'views': len(views), 'view_bytes': sum(v.nbytes for v in views),
                       'bases': len({id(v.base) for v in views}),
                       'base_bytes': sum({id(v.base): v.base.nbytes for v in views}.values())},
        'shared': {'views': 1, 'view_bytes': kept_view.nbytes, 'bases': 1, 'base_bytes': kept.nbytes},
    }
    truth['gc_closure_finds'] = gc_finds
    del arrays, a
    with open(path, 'w') as f:
        json.dump(truth, f)


def main():
    global np
    print('ready', flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if cmd == ['import']:
            import numpy
            np = numpy
            warm_up()
        elif cmd == ['plant']:
            plant(sys.argv[1])
        print('done', flush=True)


main()
