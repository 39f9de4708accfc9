"""The standard library's C types: heapinspect against the ground truth
computed inside each target, on every CPython 3.8+ found on the machine.

The workload (workloads/closure_target.py --stdlib) holds what services
hold: array.array of several typecodes, an ElementTree tree, BytesIO and
StringIO, long decimals, memoryviews, compiled patterns, sqlite3 rows and
cursors, itertools objects, bounded and unbounded lru_caches, partials,
an OrderedDict, deques, defaultdicts, Counters, ctypes arrays and
structures.  The truth is the closure census of closure.py (gc.get_objects
closed over gc.get_referents, sized by sys.getsizeof).

Checked for each interpreter:
  - heap -by type runs and the target runs on; nothing is skipped;
  - the planted deques and defaultdicts are found, and their rows sized
    within 1% (Debian's LTO-renamed deque_type and defdict_type must be
    found to size a deque by its blocks);
  - the C types no decoder knows are followed by their own tp_traverse,
    run in the emulator: heap -v counts the Elements there, and among
    the objects not followed with HEAPINSPECT_EMULATE=0 (3.12+: heap
    types, as static ones before);
  - totals within 0.5% and every type with >= 100 objects within 1%:
    sizes from the C types' own __sizeof__ (array's buffer, an Element's
    children, BytesIO's buffer, a Decimal's digits, StgDict's format),
    run in the emulator.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import Tap, find_pythons, heapinspect, label, within  # noqa: E402
from closure import Started, census_of, check_planted, check_rows, check_totals  # noqa: E402



def check(tap, python):
    name = label(python) + ' (stdlib)'
    started = Started(python, ['--stdlib'])
    try:
        got = census_of(tap, name, started, 'stdlib workload')
        if not got:
            return
        target, truth, data, rows = got
        check_planted(tap, name, 'type', rows, truth)
        for row in ('collections.deque', 'collections.defaultdict'):
            want, got = tuple(truth['by_type'].get(row, (0, 0))), rows.get(row, (0, 0))
            tap.ok(within(got[0], want[0], 0.01) and within(got[1], want[1], 0.01),
                   '%s: %s sized as sys.getsizeof sizes it: %d objects, %d bytes within 1%% of %d, %d'
                   % ((name, row) + tuple(got) + tuple(want[:2])))
        # The 2001 Elements (static C types up to 3.11, heap types from
        # 3.12) have no decoder: their own tp_traverse runs in the
        # emulator, and -v says so; with the emulator off, -v counts them
        # as not followed, for heap types as for static ones.
        for env, group, what in (({}, 3, 'through their own tp_traverse in the emulator'),
                                 ({'HEAPINSPECT_EMULATE': '0'}, 1, 'among the objects not followed, emulator off')):
            rc, out, err = heapinspect(['-v', 'attach', str(target.pid), '-e', 'heap -format json',
                                        '-e', 'puts #', '-e', 'heap'], env=env)
            m = re.search(r'(\d+) objects of C types not followed, (\d+) followed only through __dict__ '
                          r'and tp_members, (\d+) through their own tp_traverse', err)
            tap.ok(rc == 0 and m and int(m.group(group)) >= 2001,
                   '%s: heap -v counts the Elements %s (%s)' % (name, what, m.group(group) if m else '?'), err)
            # ... type by type, and the census says whether it is whole.
            js, _, table = out.partition('#\n')
            m = re.search(r'xml\.etree\.ElementTree\.Element \((static|heap) type\): (\d+) ([^,\n]*)', err)
            partial = re.search(r'Partial: (\d+) objects of C types whose references were not all followed', table)
            try:
                unfollowed = json.loads(js)['unfollowed']
            except (ValueError, KeyError):
                unfollowed = None
            if env:
                tap.ok(m and int(m.group(2)) >= 2001 and m.group(3) == 'NOT followed' and partial and
                       int(partial.group(1)) == unfollowed and unfollowed >= 2001,
                       '%s: with the emulator off, -v names Element as not followed, and the census says '
                       'Partial (%s)' % (name, unfollowed), err[-3000:] + table[-500:])
            else:
                tap.ok(m and int(m.group(2)) >= 2001 and m.group(3).startswith('followed by its tp_traverse')
                       and not partial and unfollowed == 0,
                       '%s: -v names Element as followed in the emulator, and the census is whole' % name,
                       err[-3000:] + table[-500:])
        check_totals(tap, name, 'by type', data, truth)
        check_rows(tap, name, 'type', rows, truth['by_type'])
    finally:
        started.close()


def main():
    tap = Tap()
    pythons = find_pythons()
    if not pythons:
        tap.skip('stdlib', 'no CPython 3.8+ found')
    for python in pythons:
        check(tap, python)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
