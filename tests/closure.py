"""Closure census: heapinspect against the ground truth computed inside each
target, on every CPython 3.8+ found on the machine.

The truth (workloads/closure_target.py) is every object reachable from the
GC lists and the threads' frames, each counted once with sys.getsizeof and
named by heapy's rules.  For each interpreter:

  - the main workload: totals within 0.5% in objects and bytes; every type
    and every kind with >= 100 objects within 1% in count and size; the
    planted classes (Plain, Slotted, Dicted, dict of Dicted, dict of Plain)
    exactly; the planted builtin populations (strs of each kind, huge ints,
    floats held only by slots, complexes and floats held only by the
    threads' frames, ranges held only by suspended generators, bytearrays
    held only by cells, ...) at least as many as planted;
  - the julia example (two lists of 1,000,000 complex): the complex row is
    exactly 2,000,000 objects and 64,000,000 bytes and heads the table;
  - the target is running after every command.

The julia target of each interpreter starts in the background while its main
workload is checked (two cores: two targets).
"""
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import Tap, Target, find_pythons, heapinspect, label, tmpfile, within, SRCDIR  # noqa: E402

WORKLOAD = os.path.join(SRCDIR, 'workloads', 'closure_target.py')
TOTAL_TOLERANCE = 0.005
ROW_TOLERANCE = 0.01
ROW_MIN = 100
JULIA_COMPLEX = (2000000, 64000000)


class Started:
    """A target started (in the background when asked) with its truth."""

    def __init__(self, python, flags=(), background=False):
        self.truth_path = tmpfile('.json')
        self.argv = [python, WORKLOAD, self.truth_path] + list(flags)
        self.target = self.truth = self.error = None
        self.thread = threading.Thread(target=self._start)
        if background:
            self.thread.start()
        else:
            self._start()

    def _start(self):
        try:
            self.target = Target(self.argv)
            with open(self.truth_path) as f:
                self.truth = json.load(f)
        except Exception as e:  # reported as a test failure by the caller
            self.error = e
            try:  # the target's own message, if it failed loudly
                with open(self.truth_path) as f:
                    said = f.read(2000)
                if said.startswith('closure_target failed'):
                    self.error = '%s\n%s' % (e, said)
            except OSError:
                pass

    def wait(self):
        if self.thread.ident is not None:
            self.thread.join()
        return self.error is None

    def close(self):
        self.wait()
        if self.target:
            self.target.close()
        if os.path.exists(self.truth_path):
            os.unlink(self.truth_path)


def rows_of(out):
    data = json.loads(out)
    return data, {r['kind']: (r['count'], r['size']) for r in data['rows']}


def run(tap, name, target, script, what):
    """heapinspect attach PID -e SCRIPT: (ok, stdout), checking the exit
    status and that the target runs afterwards."""
    rc, out, err = heapinspect(['attach', str(target.pid), '-e', script])
    ok = tap.ok(rc == 0, '%s: %s exits 0' % (name, what), err)
    running, state = target.running()
    tap.ok(running, '%s: target running after %s (state %s)' % (name, what, state))
    return ok, out


def census_of(tap, name, started, what):
    """The started workload's census by type: (target, truth, data, rows)
    once it started, heap -by type -format json ran, the target runs on
    and nothing was skipped; None (said as failures) otherwise."""
    if not tap.ok(started.wait(), '%s: start the %s' % (name, what), started.error):
        return None
    target, truth = started.target, started.truth
    ok, out = run(tap, name, target, 'heap -by type -format json', 'heap -by type -format json')
    if not ok:
        return None
    data, rows = rows_of(out)
    tap.ok(data.get('skipped') == 0, '%s: nothing skipped (%s)' % (name, data.get('skipped')))
    # No Partial either: every C type's references followed and every
    # C __sizeof__ run (the emulator's thread state, natives for malloc).
    tap.ok(data.get('unfollowed') == 0 and data.get('unsized') == 0,
           '%s: every object followed and sized by the real rule (%s not followed, %s not sized)'
           % (name, data.get('unfollowed'), data.get('unsized')))
    return target, truth, data, rows


def check_totals(tap, name, what, data, truth, size_todo=None):
    want = truth['totals']
    tap.ok(within(data['objects'], want['objects'], TOTAL_TOLERANCE),
           '%s: %s total objects %d within 0.5%% of the truth %d' % (name, what, data['objects'], want['objects']))
    tap.ok(within(data['size'], want['size'], TOTAL_TOLERANCE),
           '%s: %s total size %d within 0.5%% of the truth %d' % (name, what, data['size'], want['size']),
           todo=size_todo)


def check_rows(tap, name, what, rows, truth_rows, todo=None):
    """Every row with >= ROW_MIN objects on either side within 1%."""
    bad = []
    checked = 0
    for kind in sorted(set(rows) | set(truth_rows)):
        want = tuple(truth_rows.get(kind, (0, 0)))
        got = tuple(rows.get(kind, (0, 0)))
        if max(want[0], got[0]) < ROW_MIN:
            continue
        checked += 1
        if not (within(got[0], want[0], ROW_TOLERANCE) and within(got[1], want[1], ROW_TOLERANCE)):
            bad.append('%s: truth %d objects %d bytes, heapinspect %d objects %d bytes'
                       % (kind, want[0], want[1], got[0], got[1]))
    tap.ok(not bad and checked >= 10,
           '%s: %d %s rows with >= %d objects match count and size within 1%%' % (name, checked, what, ROW_MIN),
           '\n'.join(bad), todo=todo)


def check_planted(tap, name, partition, rows, truth):
    """Planted rows of one partition: exact where the population has its
    own row, else at least the planted count (the 1% rule covers the rest)."""
    truth_rows = truth['by_type' if partition == 'type' else 'by_kind']
    floor = {}
    for pname, info in sorted(truth['planted_rows'].items()):
        if info['by'] != partition:
            continue
        count, size = truth['planted'][pname]
        row = info['row']
        got = tuple(rows.get(row, (0, 0)))
        if info['exact']:
            tap.ok(got == (count, size) and tuple(truth_rows.get(row, (0, 0))) == (count, size),
                   '%s: planted %s: row %s exactly %d objects, %d bytes' % (name, pname, row, count, size),
                   'heapinspect: %d objects, %d bytes; truth row %s' % (got + (truth_rows.get(row),)))
        else:
            floor.setdefault(row, []).append((pname, count))
    for row, pops in sorted(floor.items()):
        need = sum(c for _, c in pops)
        got = tuple(rows.get(row, (0, 0)))
        want = tuple(truth_rows.get(row, (0, 0)))
        tap.ok(got[0] >= need and within(got[0], want[0], ROW_TOLERANCE),
               '%s: row %s holds the %d planted (%s) and is within 1%% of the truth %d'
               % (name, row, need, ', '.join(p for p, _ in pops), want[0]),
               'heapinspect: %d objects, %d bytes' % got)


def check_main(tap, python, started):
    name = label(python)
    if not tap.ok(started.wait(), '%s: start the closure workload' % name, started.error):
        return
    target, truth = started.target, started.truth

    ok, out = run(tap, name, target, 'heap -by type -format json', 'heap -by type -format json')
    if ok:
        data, rows = rows_of(out)
        tap.ok(data['pid'] == target.pid and data['by'] == 'type' and data['python'] == truth['version'],
               '%s: JSON names pid, partition and version %s' % (name, truth['version']),
               'got pid %s by %s python %s' % (data['pid'], data['by'], data['python']))
        check_totals(tap, name, 'by type', data, truth)
        check_rows(tap, name, 'type', rows, truth['by_type'])
        check_planted(tap, name, 'type', rows, truth)

    ok, out = run(tap, name, target, 'heap -format json', 'heap -format json')
    if ok:
        data, kinds = rows_of(out)
        tap.ok(data['by'] == 'kind', '%s: heap -format json partitions by kind' % name, 'by %s' % data['by'])
        # A healthy heap (this one has running frames in several threads,
        # sets with deleted entries...) skips nothing: no false "Partial".
        tap.ok(data.get('skipped') == 0, '%s: nothing skipped in a healthy heap (%s)' % (name, data.get('skipped')))
        tap.ok(data.get('unfollowed') == 0 and data.get('unsized') == 0,
               '%s: every object followed and sized by the real rule (%s not followed, %s not sized)'
               % (name, data.get('unfollowed'), data.get('unsized')))
        check_totals(tap, name, 'by kind', data, truth)
        check_rows(tap, name, 'kind', kinds, truth['by_kind'])
        check_planted(tap, name, 'kind', kinds, truth)

        # The default walks a copy of the memory taken while the target was
        # stopped; -inplace walks the stopped target.  The target is idle,
        # so the two censuses must be the same, row for row, to the byte.
        check_same(tap, name, target, data, kinds, 'heap -inplace -format json', 'heap -inplace')
        # A copy past its bound: in place, said under -v and by info.
        rc, out, err = heapinspect(['-v', 'attach', str(target.pid), '-e', 'heap -format json', '-e', 'info'],
                                   env={'HEAPINSPECT_COPY_MB': '1'})
        tap.ok(rc == 0 and 'took the census in place, not on a copy: a copy would take more than the 1 MiB allowed' in err
               and 'last census:  in place; the target was stopped' in out and 'copied' not in err,
               '%s: with HEAPINSPECT_COPY_MB=1 the census falls back to in place, and -v and info say so' % name,
               err[-800:] + out[-300:])
        if rc == 0:
            fdata, fkinds = rows_of(out[:out.rindex('}') + 1])
            diff = sorted(k for k in set(kinds) | set(fkinds) if kinds.get(k) != fkinds.get(k))
            tap.ok((fdata['objects'], fdata['size']) == (data['objects'], data['size']) and not diff,
                   '%s: ... and gives the same census' % name,
                   'in place: %d objects %d bytes; rows differing: %s' % (fdata['objects'], fdata['size'], diff[:10]))
        rc, out, err = heapinspect(['-v', 'attach', str(target.pid), '-e', 'heap -format json', '-e', 'info'])
        tap.ok(rc == 0 and 'walked the copy' in err and 'last census:  on a copy of' in out,
               '%s: by default the census walks a copy, and -v and info say so' % name, err[-800:] + out[-300:])
        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'heap -copy'], env={'HEAPINSPECT_COPY_MB': '1'})
        tap.ok(rc == 1 and 'more than the 1 MiB allowed' in err and not out,
               '%s: heap -copy past the bound refuses rather than walk in place (exit %d)' % (name, rc), err)


def check_same(tap, name, target, data, kinds, script, what):
    """The census SCRIPT gives equals DATA/KINDS, row for row."""
    ok, out = run(tap, name, target, script, what)
    if ok:
        cdata, ckinds = rows_of(out)
        diff = sorted(k for k in set(kinds) | set(ckinds) if kinds.get(k) != ckinds.get(k))
        tap.ok((cdata['objects'], cdata['size']) == (data['objects'], data['size']) and not diff,
               '%s: %s gives the same census as the default (%d objects, %d bytes)'
               % (name, what, data['objects'], data['size']),
               '%s: %d objects %d bytes; rows differing: %s' % (what, cdata['objects'], cdata['size'], diff[:10]))


def check_julia(tap, python, started):
    name = label(python) + ' (julia)'
    if not tap.ok(started.wait(), '%s: start the julia workload' % name, started.error):
        return
    target, truth = started.target, started.truth
    tap.ok(tuple(truth['by_type'].get('complex', (0, 0))) == JULIA_COMPLEX,
           '%s: the truth has exactly %d complex, %d bytes' % ((name,) + JULIA_COMPLEX),
           'truth: %s' % (truth['by_type'].get('complex'),))

    ok, out = run(tap, name, target, 'heap -by type -format json', 'heap -by type -format json')
    if ok:
        data, rows = rows_of(out)
        got = tuple(rows.get('complex', (0, 0)))
        tap.ok(got == JULIA_COMPLEX, '%s: complex row exactly %d objects, %d bytes' % ((name,) + JULIA_COMPLEX),
               'heapinspect: %d objects, %d bytes' % got)
        check_totals(tap, name, 'by type', data, truth)
        # The lists' spare capacity was never touched: the copy reads it
        # as zeros, as the process would, and sizes them the same.
        check_same(tap, name, target, data, rows, 'heap -by type -inplace -format json', 'heap -by type -inplace')

    ok, out = run(tap, name, target, 'heap', 'heap')
    if ok:
        lines = out.splitlines()
        first = lines[2].split() if len(lines) > 2 else []
        tap.ok(len(lines) > 2 and lines[0].startswith('Partition of a set of ')
               and first[:1] == ['0'] and first[7:] == ['complex']
               and (int(first[1]), int(first[3])) == JULIA_COMPLEX,
               '%s: complex heads the heap table with %d objects, %d bytes' % ((name,) + JULIA_COMPLEX),
               '\n'.join(lines[:4]))


def main():
    tap = Tap()
    pythons = find_pythons()
    if not pythons:
        tap.skip('closure', 'no CPython 3.8+ found')
    for python in pythons:
        julia = Started(python, ['--julia'], background=True)
        try:
            main_target = Started(python)
            try:
                check_main(tap, python, main_target)
            finally:
                main_target.close()
            check_julia(tap, python, julia)
        finally:
            julia.close()
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
