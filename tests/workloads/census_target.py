"""A target for the census tests.

Plants known populations, then computes the ground truth from inside the
process -- gc.get_objects(), each object's type named by heapy's rules and
sized with sys.getsizeof -- writes it as JSON to argv[1], prints "ready" and
waits for a line on stdin (or EOF) before exiting.  With --freeze,
gc.freeze() moves everything to the permanent generation after the truth.  Nothing here knows what
heapinspect will print: the truth is whatever this interpreter says.

Populations planted (exact counts are checked):
  12345 instances of Planted (plain attributes)
    777 instances of PlantedDict (a dict subclass, holding a list each)
    321 instances of WithDict whose __dict__ has been materialized
plus functions, closures and cells, suspended generators (and their frames
before 3.11), bound methods, sets, frozensets and a second thread, so the common GC-tracked kinds are all present.
"""
import gc
import json
import sys
import os
import threading
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from heapy_kinds import kind_of_type  # noqa: E402


class Planted:
    def __init__(self, i):
        self.i = i
        self.name = 'planted'


class PlantedDict(dict):
    pass


class WithDict:
    def __init__(self, i):
        self.items = [i]  # a container keeps the dict tracked by the GC


def make_closure(i):
    cell_value = [i]

    def inner():
        return cell_value
    return inner


def counter(n):
    for i in range(n):
        yield [i]


planted = [Planted(i) for i in range(12345)]
planted_dicts = [PlantedDict(v=[i]) for i in range(777)]
with_dict = [WithDict(i) for i in range(321)]
for w in with_dict:
    w.__dict__  # materialize the dict (3.11+ keeps attributes inline otherwise)
closures = [make_closure(i) for i in range(300)]
generators = [counter(10) for _ in range(200)]
for g in generators:
    next(g)
sets = [{(i, 'a', None), frozenset([(i,)])} for i in range(400)]
nested = [[[i], (i, [i])] for i in range(500)]
bound_methods = [p.__init__ for p in planted[:150]]

stop = threading.Event()
worker = threading.Thread(target=stop.wait, name='waiter', daemon=True)
worker.start()


def ground_truth():
    gc.collect()
    gc.disable()  # membership of the lists must not change from here on
    # gc.get_objects() omits the permanent generation, which heapinspect
    # walks; 3.12's collector moves immortal objects there, so fold it back
    # after collecting.
    if hasattr(gc, 'unfreeze'):
        gc.unfreeze()
    objs = gc.get_objects()
    by_type = {}
    for o in objs:
        name = kind_of_type(type(o))
        # The third field says whether every instance of this type is on
        # the GC lists, so that this truth sees them all: a GC type, but not
        # tuple or dict (untracked when they hold only atoms), not type
        # (static types are never tracked) and not frames (before 3.11 a
        # running frame is tracked only once it outlives its call).
        t = type(o)
        always = (bool(t.__flags__ & (1 << 14)) and
                  not issubclass(t, (tuple, dict, type, types.FrameType)))
        entry = by_type.setdefault(name, [0, 0, always])
        entry[0] += 1
        entry[1] += sys.getsizeof(o)
        entry[2] = entry[2] and always
    withdict_dicts = [vars(w) for w in with_dict if gc.is_tracked(vars(w))]
    truth = {
        'version': sys.version.split()[0],
        'pid': os.getpid(),
        'by_type': by_type,
        'planted': {
            '__main__.Planted': [len(planted), sum(map(sys.getsizeof, planted))],
            '__main__.PlantedDict': [len(planted_dicts), sum(map(sys.getsizeof, planted_dicts))],
            '__main__.WithDict': [len(with_dict), sum(map(sys.getsizeof, with_dict))],
        },
        'dict_of_withdict': [len(withdict_dicts), sum(map(sys.getsizeof, withdict_dicts))],
    }
    return truth


truth = ground_truth()
# json.dumps, not json.dump: the pure-Python encoder json.dump uses leaves a
# cycle of closures behind, and the GC is off.
text = json.dumps(truth)
with open(sys.argv[1], 'w') as f:
    f.write(text)
del truth, text, f
if '--freeze' in sys.argv:
    # Move every object to the permanent generation: the census must not
    # change, because heapinspect walks that list too.
    gc.freeze()
sys.stdout.write('ready\n')
sys.stdout.flush()
sys.stdin.readline()
stop.set()
