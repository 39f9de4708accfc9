"""A target with a subinterpreter, for tests/interps.py.

The main interpreter plants 4321 instances of MainPlanted; a
subinterpreter (made with _xxsubinterpreters, or 3.13's _interpreters)
plants 1234 of SubPlanted in its own __main__, where they stay once the
code that made them returns.  Each interpreter then writes its own ground
truth, computed inside it: its gc.get_objects() closed over
gc.get_referents(), each object's type named by heapy's rules and sized
with sys.getsizeof, by type, with whether all of a type's instances are on
the GC lists, and how many of the other interpreter's planted objects its
closure reached (as tests/workloads/
census_target.py does); and its interpreter id.  argv[1] and argv[2] are
the files for the main and the sub interpreter.  Prints "ready", waits for
a line on stdin (or EOF).
"""
import os
import sys

try:
    import _interpreters as interpreters  # 3.13
    run = interpreters.exec
except ImportError:
    import _xxsubinterpreters as interpreters
    run = interpreters.run_string

HERE = os.path.dirname(os.path.abspath(__file__))

# Run in each interpreter, with PATH, ID, CLASS and COUNT set before it:
# PLANT (the objects, and everything the truth needs: its modules and its
# function), then, once both interpreters have planted, TRUTH, which
# leaves nothing behind that another interpreter's truth could not see.
PLANT = r'''
import gc, json, os, sys, types
sys.path.insert(0, HERE)
from heapy_kinds import kind_of_type

PlantedClass = type(CLASS, (), {'__init__': lambda self, i: setattr(self, 'i', i)})
PlantedClass.__module__ = '__main__'
planted = [PlantedClass(i) for i in range(COUNT)]
def ground_truth():
    gc.collect()
    gc.disable()
    if hasattr(gc, 'unfreeze'):
        gc.unfreeze()
    # What this interpreter's GC lists reach: up to 3.11 objects of one
    # interpreter can hold another's (a single-phase extension module's
    # dict is shared), and a census of one interpreter follows them too.
    # A static type (not a GC object: gc.get_referents gives nothing for
    # it) is followed as heapy follows it: its dict, MRO, bases and base.
    objs = gc.get_objects()
    seen = {id(o): o for o in objs}
    stack = list(objs)
    while stack:
        o = stack.pop()
        refs = gc.get_referents(o)
        if isinstance(o, type) and not o.__flags__ & (1 << 9):
            refs = refs + gc.get_referents(o.__dict__) + [o.__mro__, o.__bases__, o.__base__]
        for r in refs:
            if id(r) not in seen:
                seen[id(r)] = r
                stack.append(r)
    del stack, o, refs
    by_type = {}
    for o in seen.values():
        t = type(o)
        always = (bool(t.__flags__ & (1 << 14)) and
                  not issubclass(t, (tuple, dict, type, types.FrameType)))
        entry = by_type.setdefault(kind_of_type(t), [0, 0, always])
        entry[0] += 1
        entry[1] += sys.getsizeof(o)
        entry[2] = entry[2] and always
    other = sum(1 for o in seen.values() if type(o).__name__ in ('MainPlanted', 'SubPlanted')
                and type(o).__name__ != CLASS)
    return {'id': ID, 'minor': sys.version_info[1], 'by_type': by_type, 'other_planted': other,
            'planted': [CLASS, len(planted), sum(map(sys.getsizeof, planted))]}

'''

TRUTH = r'''
text = json.dumps(ground_truth())
with open(PATH, 'w') as f:
    f.write(text)
del text, f
'''


def prelude(path, iid, cls, count):
    return 'HERE = %r\nPATH = %r\nID = %d\nCLASS = %r\nCOUNT = %d\n' % (HERE, path, iid, cls, count)


def run_here(code):
    exec(compile(code, '<truth>', 'exec'), globals())


sub = interpreters.create()
sub_id = int(sub)
main = interpreters.get_main()
main_id = int(main[0] if isinstance(main, tuple) else main)  # 3.13: (id, whence)
# Both plant before either takes its truth: up to 3.11 one interpreter's
# closure can reach the other's objects.  compile() first: run_string's
# own compilation keeps the parser's objects (a list of a thousand names)
# alive while the code runs, which the truth would count and no census
# after it sees.
run_here(prelude(sys.argv[1], main_id, 'MainPlanted', 4321) + PLANT)
run(sub, 'exec(compile(%r, "<truth>", "exec"))' % (prelude(sys.argv[2], sub_id, 'SubPlanted', 1234) + PLANT + TRUTH))
run_here(prelude(sys.argv[1], main_id, 'MainPlanted', 4321) + TRUTH)
sys.stdout.write('ready\n')
sys.stdout.flush()
sys.stdin.readline()
