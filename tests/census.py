"""GC-list fidelity: heapinspect against the ground truth computed inside
each target, on every CPython 3.8+ found on the machine.

For each interpreter: the target plants populations and records
gc.get_objects() by type with sys.getsizeof; heapinspect attaches and
partitions.  heapinspect's census is the closure from the GC lists (see
closure.py for that); this test judges the types whose instances are all on
the GC lists, where gc.get_objects() is the whole truth: every such type
with >= 50 objects must agree within 1% in count and size; planted
populations must agree exactly; the target must be running after every
command.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import Tap, Target, find_pythons, heapinspect, label, rows_of, tmpfile, within, SRCDIR  # noqa: E402

WORKLOAD = os.path.join(SRCDIR, 'workloads', 'census_target.py')


def check(tap, python):
    name = label(python)
    truth_path = tmpfile('.json')
    try:
        target = Target([python, WORKLOAD, truth_path])
    except Exception as e:
        tap.ok(False, '%s: start the workload' % name, e)
        return
    try:
        with open(truth_path) as f:
            truth = json.load(f)

        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'heap -by type -format json'])
        if not tap.ok(rc == 0, '%s: heap -by type -format json exits 0' % name, err):
            return
        run, state = target.running()
        tap.ok(run, '%s: target running after heap -by type (state %s)' % (name, state))
        data, rows = rows_of(out)
        tap.ok(data['pid'] == target.pid and data['by'] == 'type' and data['python'] == truth['version'],
               '%s: JSON names pid, partition and version %s' % (name, truth['version']),
               'got pid %s by %s python %s' % (data['pid'], data['by'], data['python']))

        bad = []
        checked = 0
        for kind, (count, size, always_tracked) in sorted(truth['by_type'].items()):
            if count < 50 or not always_tracked:
                continue
            checked += 1
            got = rows.get(kind, (0, 0))
            if not (within(got[0], count, 0.01) and within(got[1], size, 0.01)):
                bad.append('%s: truth %d objects %d bytes, heapinspect %d objects %d bytes'
                           % (kind, count, size, got[0], got[1]))
        tap.ok(not bad and checked >= 5,
               '%s: %d always-tracked types with >= 50 objects match count and size within 1%%' % (name, checked),
               '\n'.join(bad))

        for kind, (count, size) in sorted(truth['planted'].items()):
            got = rows.get(kind, (0, 0))
            tap.ok(tuple(got) == (count, size), '%s: planted %s exactly %d objects, %d bytes' % (name, kind, count, size),
                   'heapinspect: %d objects, %d bytes' % tuple(got))

        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'heap -format json'])
        if tap.ok(rc == 0, '%s: heap -format json exits 0' % name, err):
            data, kinds = rows_of(out)
            want = tuple(truth['dict_of_withdict'])
            got = kinds.get('dict of __main__.WithDict', (0, 0))
            tap.ok(tuple(got) == want, '%s: "dict of __main__.WithDict" exactly %d dicts, %d bytes' % (name, want[0], want[1]),
                   'heapinspect: %d, %d' % tuple(got))
            dict_total = sum(c for k, (c, s) in kinds.items() if k == 'dict (no owner)' or k.startswith('dict of '))
            tap.ok(dict_total == rows.get('dict', (0, 0))[0],
                   '%s: dict kinds add up to the dict type (%d)' % (name, dict_total),
                   'by type: %d' % rows.get('dict', (0, 0))[0])
            tap.ok(kinds.get('list') == rows.get('list'), '%s: list row equal by kind and by type' % name)
            # The default walks a copy taken while the target was stopped;
            # -inplace walks the stopped target: the same census, row for row.
            for by, mine in (('', kinds), (' -by type', rows)):
                rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'heap%s -inplace -format json' % by])
                other = rows_of(out)[1] if rc == 0 else {}
                diff = sorted(k for k in set(mine) | set(other) if mine.get(k) != other.get(k))
                tap.ok(rc == 0 and not diff, '%s: heap%s -inplace equals the default census row for row (%d rows)'
                       % (name, by, len(mine)), err + ' rows differing: %s' % diff[:10])

        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'heap'])
        lines = out.splitlines()
        tap.ok(rc == 0 and len(lines) >= 3 and lines[0].startswith('Partition of a set of ')
               and lines[1] == ' Index  Count   %     Size   % Cumulative  % Kind (class / dict of class)',
               '%s: heap prints heapy\'s table' % name, out + err)
        run, state = target.running()
        tap.ok(run, '%s: target running after heap (state %s)' % (name, state))

        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'info'])
        tap.ok(rc == 0 and ('python:       CPython %s' % truth['version']) in out and 'interpreters: 1' in out,
               '%s: info names the version and one interpreter' % name, out + err)
    finally:
        target.close()
        os.unlink(truth_path)


def check_frozen(tap, python):
    """After gc.freeze() every object sits on the permanent generation."""
    name = label(python)
    truth_path = tmpfile('.json')
    try:
        target = Target([python, WORKLOAD, truth_path, '--freeze'])
    except Exception as e:
        tap.ok(False, '%s: start the frozen workload' % name, e)
        return
    try:
        with open(truth_path) as f:
            truth = json.load(f)
        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'info -format tcl', '-e', 'heap -by type -format json'])
        if not tap.ok(rc == 0, '%s (frozen): info and heap exit 0' % name, err):
            return
        lines = out.splitlines()  # the info dict (a script result), then the JSON
        data, rows = rows_of(lines[1])
        count, size = truth['planted']['__main__.Planted']
        tap.ok(tuple(rows.get('__main__.Planted', (0, 0))) == (count, size),
               '%s (frozen): planted objects found on the permanent generation' % name,
               'heapinspect: %s' % (rows.get('__main__.Planted'),))
        tap.ok('permanent' in lines[0] and int(lines[0].split('permanent')[1].split()[0].strip('}')) >= 12345,
               '%s (frozen): info counts the permanent generation' % name, lines[0])
    finally:
        target.close()
        os.unlink(truth_path)


NO_TYPES = ('import sys\n'
            'print("ready" if "types" not in sys.modules else "types-loaded", flush=True)\n'
            'sys.stdin.readline()\n')


def check_without_types_module(tap, python):
    """heapy always has `types` imported; a target may not.  The names must
    be heapy's either way."""
    name = label(python)
    try:
        target = Target([python, '-S', '-c', NO_TYPES], timeout=30)
    except Exception as e:
        tap.skip('%s (no types module): names' % name, 'this interpreter imports types at start-up (%s)' % e)
        return
    try:
        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'heap -format json'])
        kinds = rows_of(out)[1] if rc == 0 else {}
        tap.ok('types.WrapperDescriptorType' in kinds and 'builtins.wrapper_descriptor' not in kinds,
               '%s (no types module): descriptors are named types.WrapperDescriptorType' % name,
               err or ', '.join(sorted(kinds)))
    finally:
        target.close()


def main():
    tap = Tap()
    pythons = find_pythons()
    if not pythons:
        tap.skip('census', 'no CPython 3.8+ found')
    for python in pythons:
        check(tap, python)
        check_frozen(tap, python)
        check_without_types_module(tap, python)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
