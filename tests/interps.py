"""One census per interpreter: heap -interp ID against each one's own truth.

tests/workloads/interp_target.py plants 4321 MainPlanted in the main
interpreter and 1234 SubPlanted in a subinterpreter, and each interpreter
writes its own ground truth (its gc.get_objects(), by type, sized by
sys.getsizeof).  On every CPython from 3.9 (each interpreter has its own
GC lists):
  - the default census merges both, says so, and holds both plantings;
  - heap -interp ID for each: its planting exactly, as many of the
    other's as that interpreter's own closure reaches (up to 3.11 a
    single-phase extension module's dict is shared, and leads from one
    interpreter's objects to the other's; from 3.12 none), and every
    always-tracked type with 50 objects or more within 1% of that
    interpreter's own truth (its gc.get_objects() closed over
    gc.get_referents());
  - info numbers the interpreters by id, the main one first;
  - an id no interpreter has is refused (exit 2), naming those there are.
On 3.8, whose runtime keeps one set of GC lists for all interpreters,
-interp is refused with the reason; the merged census still holds both.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import Tap, Target, find_pythons, heapinspect, label, rows_of, tmpfile, within, SRCDIR  # noqa: E402

WORKLOAD = os.path.join(SRCDIR, 'workloads', 'interp_target.py')


def check(tap, python):
    name = label(python)
    paths = [tmpfile('.json'), tmpfile('.json')]
    try:
        target = Target([python, WORKLOAD] + paths)
    except RuntimeError as e:
        tap.ok(False, '%s: start the workload with a subinterpreter' % name, str(e))
        return
    try:
        truths = []
        for p in paths:
            with open(p) as f:
                truths.append(json.load(f))
        main, sub = truths
        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'heap -by type -format json'])
        data, rows = rows_of(out) if rc == 0 else ({}, {})
        both = all(rows.get('__main__.' + t['planted'][0]) == tuple(t['planted'][1:]) for t in truths)
        tap.ok(rc == 0 and both and data.get('interpreters') == 2 and data.get('interpreter') == -1,
               '%s: the default census merges 2 interpreters and holds both plantings' % name, err or out[:300])
        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'heap'])
        tap.ok(rc == 0 and 'The objects of 2 interpreters, merged' in out, '%s: ... and says so' % name, out[-300:])
        minor = main['minor']
        if minor < 9:
            rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'heap -interp %d' % sub['id']])
            tap.ok(rc == 2 and 'one set of GC lists' in err, '%s: -interp is refused: one set of GC lists' % name,
                   'exit %d: %s' % (rc, err))
            return
        for me, other in ((main, sub), (sub, main)):
            who = '%s: heap -interp %d (%s)' % (name, me['id'], 'main' if me is main else 'sub')
            rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'heap -interp %d -by type -format json'
                                        % me['id']])
            if not tap.ok(rc == 0, '%s exits 0' % who, err):
                continue
            data, rows = rows_of(out)
            kind = '__main__.' + me['planted'][0]
            theirs = rows.get('__main__.' + other['planted'][0], (0, 0))[0]
            tap.ok(rows.get(kind) == tuple(me['planted'][1:]) and theirs == me['other_planted']
                   and data.get('interpreter') == me['id'],
                   '%s: its %d %s exactly, and %d of the other\'s, as its own closure reaches'
                   % (who, me['planted'][1], me['planted'][0], me['other_planted']),
                   'got %s; other %s' % (rows.get(kind), theirs))
            if minor >= 12:
                tap.ok(me['other_planted'] == 0, '%s: 3.12+ interpreters are isolated: none of the other\'s' % who)
            bad, checked = [], 0
            for k, (count, size, always) in sorted(me['by_type'].items()):
                if count < 50 or not always:
                    continue
                checked += 1
                got = rows.get(k, (0, 0))
                # One object apart at most besides: a subinterpreter's
                # truth is taken inside run_string, whose parser keeps one
                # small list alive until it returns.
                one = abs(got[0] - count) <= 1 and abs(got[1] - size) <= 512
                if not one and not (within(got[0], count, 0.01) and within(got[1], size, 0.01)):
                    bad.append('%s: truth %d objects %d bytes, heapinspect %d objects %d bytes'
                               % (k, count, size, got[0], got[1]))
            tap.ok(not bad and checked >= 5, '%s: %d always-tracked types match its own truth within 1%% (or one object)'
                   % (who, checked), '\n'.join(bad))
        # top -interp ranks among the same objects heap -interp counts.
        rc, out, err = heapinspect(['attach', str(target.pid), '-e',
                                    'puts [top 5 -interp %d -format json]; puts [heap -interp %d -format json]'
                                    % (sub['id'], sub['id'])])
        docs = [json.loads(ln) for ln in out.splitlines() if ln.startswith('{')] if rc == 0 else []
        tap.ok(len(docs) == 2 and docs[0]['objects'] == docs[1]['objects'] and len(docs[0]['rows']) == 5,
               '%s: top -interp %d ranks among the objects heap -interp %d counts' % (name, sub['id'], sub['id']),
               err or out[:300])
        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'info'])
        lines = [ln.strip() for ln in out.splitlines() if ln.strip().startswith('interpreter ')]
        tap.ok(rc == 0 and len(lines) == 2 and lines[0].startswith('interpreter 0 (main):')
               and lines[1].startswith('interpreter %d:' % sub['id']),
               '%s: info numbers the interpreters by id, the main one first' % name, '\n'.join(lines) or err)
        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'heap -interp 77'])
        tap.ok(rc == 2 and 'no interpreter has id 77' in err and len(err.strip().splitlines()) == 1,
               '%s: an id no interpreter has is refused, naming the ids' % name, 'exit %d: %s' % (rc, err))
        run, state = target.running()
        tap.ok(run, '%s: the target runs on (state %s)' % (name, state))
    finally:
        target.close()
        for p in paths:
            os.unlink(p)


def main():
    tap = Tap()
    pythons = find_pythons()
    if not pythons:
        tap.skip('interps', 'no CPython 3.8+ found')
        return tap.done()
    for python in pythons:
        check(tap, python)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
